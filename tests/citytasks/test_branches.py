"""A city task answered per branch (issue 16 with issue 15's branches): each 党支部 writes
its part, a branch user sees only their own, and the bureau submits once all are in."""
from __future__ import annotations

import re

import pytest

from app.citytasks import services
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.orgs import services as orgs
from app.tenancy.session import tenant_context
from tests.helpers import branch_of, csrf_token_from, editor_of, login

from .conftest import task_data, upload


@pytest.fixture
def task(app, bureau_a, bureau_b, city, tree):
    issued = services.issue_task(task_data(title="报送各支部主题党日活动情况", per_branch=True), actor=city)
    db.session.commit()
    return issued.id


def _assignment(task_id, bureau):
    db.session.expire_all()
    return services.assignment_for(task_id, bureau.tenant.id)


def _sign(task_id, bureau):
    with tenant_context(bureau.tenant):
        services.sign(_assignment(task_id, bureau), actor=editor_of(bureau))


def test_the_bureau_submits_only_once_every_branch_wrote_its_part(bureau_a, task, tree, city):
    with tenant_context(bureau_a.tenant):
        with pytest.raises(ValidationError, match="签收"):  # the bureau signs first
            services.submit_branch_part(_assignment(task, bureau_a), tree.first, {"text": "x"},
                                        actor=branch_of(tree.branch1))
    _sign(task, bureau_a)
    with tenant_context(bureau_a.tenant):
        services.submit_branch_part(_assignment(task, bureau_a), tree.first, {"text": "第一支部开展主题党日2次。"},
                                    files=[upload("第一支部.pdf")], actor=branch_of(tree.branch1))
    assert (_assignment(task, bureau_a).branches_done, _assignment(task, bureau_a).branches_total) == (1, 2)
    with tenant_context(bureau_a.tenant):
        with pytest.raises(ValidationError) as refused:
            services.submit_answer(_assignment(task, bureau_a), {"text": "汇总"}, actor=editor_of(bureau_a))
        assert "办公室党支部" in refused.value.errors["branches"][0]
        assert "机关第一党支部" not in refused.value.errors["branches"][0]
        # the bureau's editor may write a branch's part for it; the answer may be the parts alone
        services.submit_branch_part(_assignment(task, bureau_a), tree.second, {"text": "办公室支部开展1次。"},
                                    actor=editor_of(bureau_a))
        answer = services.submit_answer(_assignment(task, bureau_a), {"text": ""}, actor=editor_of(bureau_a))
        assert answer.org_id is None and services.answers(task) == [answer]
    assignment = _assignment(task, bureau_a)
    assert assignment.state == "submitted" and assignment.branches_done == 2
    with tenant_context(bureau_a.tenant):  # the answer is with the city: the parts are frozen
        with pytest.raises(ValidationError, match="市委"):
            services.submit_branch_part(_assignment(task, bureau_a), tree.first, {"text": "改"},
                                        actor=branch_of(tree.branch1))
    with tenant_context(bureau_a.tenant):  # the city's verdict is on the bureau's answer, not on a part
        services.review(_assignment(task, bureau_a), "returned", "办公室党支部材料不全，请补充", actor=city)
        [answer] = services.answers(task)
        assert answer.outcome == "returned" and "办公室党支部" in answer.reason
        parts = services.branch_parts(_assignment(task, bureau_a), editor_of(bureau_a))
        assert {p.answer.outcome for p in parts} == {""}
        # returned: the branch corrects its part, then the bureau submits again
        services.submit_branch_part(_assignment(task, bureau_a), tree.second, {"text": "已补充活动照片说明"},
                                    actor=editor_of(bureau_a))
        services.submit_answer(_assignment(task, bureau_a), {"text": "已补充"}, actor=editor_of(bureau_a))
        services.review(_assignment(task, bureau_a), "accepted", "", actor=city)
        assert [a.outcome for a in services.answers(task)] == ["accepted", "returned"]


def test_a_branch_user_writes_and_sees_only_their_branch(bureau_a, task, tree):
    _sign(task, bureau_a)
    with tenant_context(bureau_a.tenant):
        assignment = _assignment(task, bureau_a)
        mine = services.branch_parts(assignment, branch_of(tree.branch1))
        assert [p.unit.id for p in mine] == [tree.first] and mine[0].may_write
        with pytest.raises(NotFound):  # another branch is, for them, one that does not exist
            services.submit_branch_part(assignment, tree.second, {"text": "越权"}, actor=branch_of(tree.branch1))
        with pytest.raises(NotFound):  # a 党小组 or the 机关党委 has no part
            services.submit_branch_part(assignment, tree.committee, {"text": "x"}, actor=editor_of(bureau_a))
        with pytest.raises(ValidationError) as refused:
            services.submit_branch_part(assignment, tree.second, {"text": ""}, actor=branch_of(tree.branch2))
        assert "text" in refused.value.errors
        assert [p.unit.id for p in services.branch_parts(assignment, editor_of(bureau_a))] == [tree.first, tree.second]


def test_a_branch_with_a_part_cannot_be_removed(bureau_a, task, tree):
    _sign(task, bureau_a)
    with tenant_context(bureau_a.tenant):
        services.submit_branch_part(_assignment(task, bureau_a), tree.second, {"text": "已开展"},
                                    actor=editor_of(bureau_a))
        db.session.commit()
        from tests.helpers import admin_of

        unit = orgs.get_unit(tree.second, admin_of(bureau_a))
        with pytest.raises(ValidationError, match="不能删除"):
            orgs.delete_unit(unit, actor=admin_of(bureau_a), version=unit.version)


def test_the_pages_of_a_per_branch_task(app, client, bureau_a, bureau_b, task, tree):
    login(client, bureau_a.editor.username)
    page = client.get(f"/b/{bureau_a.slug}/tasks/{task}").get_data(as_text=True)
    client.post(f"/b/{bureau_a.slug}/tasks/{task}/sign", data={"csrf_token": csrf_token_from(page)})
    branch = app.test_client()
    login(branch, tree.branch1.username)
    tasks = branch.get(f"/b/{bureau_a.slug}/tasks/").get_data(as_text=True)
    assert "报送各支部主题党日活动情况" in tasks
    page = branch.get(f"/b/{bureau_a.slug}/tasks/{task}").get_data(as_text=True)
    assert "机关第一党支部" in page and "办公室党支部" not in page and 'id="answer-form"' not in page
    url = f"/b/{bureau_a.slug}/tasks/{task}/branches/{tree.first}"
    refused = branch.post(url, data={"csrf_token": csrf_token_from(page), "text": ""},
                          content_type="multipart/form-data")
    assert refused.status_code == 400 and "请填写报送说明或上传文件" in refused.get_data(as_text=True)
    done = branch.post(url, data={"csrf_token": csrf_token_from(page), "text": "开展主题党日2次",
                                  "files": (upload("活动照片说明.pdf").stream, "活动照片说明.pdf")},
                       content_type="multipart/form-data")
    assert done.status_code == 302
    # the other branch's part, another bureau's task page, a task not asked of branches: 404
    other = f"/b/{bureau_a.slug}/tasks/{task}/branches/{tree.second}"
    assert branch.post(other, data={"csrf_token": csrf_token_from(page), "text": "x"}).status_code == 404
    assert branch.get(f"/b/{bureau_b.slug}/tasks/{task}").status_code == 404
    board = client.get(f"/b/{bureau_a.slug}/tasks/{task}").get_data(as_text=True)
    assert 'id="branch-count"' in board and "1/2个支部已报送" in board and "开展主题党日2次" in board
    file_link = f"/b/{bureau_a.slug}/tasks/{task}/answer-files/"
    assert file_link in board
    # the city's board: counted parts where a branch wrote, no "0/0" where none has yet
    from tests.helpers import login as log_in_city

    city_page = app.test_client()
    log_in_city(city_page, "city")
    cells = re.findall(r'data-bureau="([^"]+)".*?class="branches-done[^"]*">(.*?)</td>',
                       city_page.get(f"/city/tasks/{task}").get_data(as_text=True), re.S)
    shown = {slug: re.sub(r"<[^>]+>", "", cell).strip() for slug, cell in cells}
    assert shown == {bureau_a.slug: "1/2", bureau_b.slug: "—"}


def test_a_branch_user_does_not_reach_a_task_for_the_bureau_alone(app, bureau_a, tree, city):
    plain = services.issue_task(task_data(title="报送年度总结"), actor=city)
    db.session.commit()
    branch = app.test_client()
    login(branch, tree.branch1.username)
    assert "报送年度总结" not in branch.get(f"/b/{bureau_a.slug}/tasks/").get_data(as_text=True)
    assert branch.get(f"/b/{bureau_a.slug}/tasks/{plain.id}").status_code == 404
