"""Rules of city tasks: who receives a task, the bureau's way through it, the board."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.clock import today
from app.errors import PermissionDenied, ValidationError
from app.extensions import db
from app.citytasks import services
from app.citytasks.models import TaskAnswer, TaskAssignment
from app.notifications import services as notifications
from app.notifications.models import Notification
from app.tenancy.session import tenant_context
from tests.helpers import admin_of, editor_of

from .conftest import task_data, upload


def _assignment(task_id, bureau):
    db.session.expire_all()  # rows were committed by the bureau's own sessions
    return services.assignment_for(task_id, bureau.tenant.id)


def _sign_and_submit(task_id, bureau, text="已报送总结。", files=()):
    with tenant_context(bureau.tenant):
        a = _assignment(task_id, bureau)
        services.sign(a, actor=editor_of(bureau))
    with tenant_context(bureau.tenant):
        a = _assignment(task_id, bureau)
        services.submit_answer(a, {"text": text}, files=files, actor=editor_of(bureau))


def _review(task_id, bureau, decision, reason, city):
    with tenant_context(bureau.tenant):
        services.review(_assignment(task_id, bureau), decision, reason, actor=city)


def test_a_task_for_a_category_reaches_only_that_category(bureaus, city):
    a, b, c = bureaus
    task = services.issue_task(task_data(scope="category", category="social"), actor=city)
    assert [x.tenant_slug for x in task.assignments] == ["bureau-b"]
    assert notifications.unread_count(b.editor.id) == 1 and notifications.unread_count(b.admin.id) == 1
    assert notifications.unread_count(b.viewer.id) == 0
    assert notifications.unread_count(a.editor.id) == 0 and notifications.unread_count(c.editor.id) == 0
    with tenant_context(a.tenant):
        with pytest.raises(Exception) as refused:
            services.assignment_for(task.id, a.tenant.id)
    assert type(refused.value).__name__ == "NotFound"


def test_chosen_and_all(bureaus, city):
    a, b, c = bureaus
    chosen = services.issue_task(task_data(scope="chosen", tenant_ids=[str(a.tenant.id), str(c.tenant.id), "x"]),
                                 actor=city)
    assert sorted(x.tenant_slug for x in chosen.assignments) == ["bureau-a", "bureau-c"]
    everyone = services.issue_task(task_data(), actor=city)
    assert len(everyone.assignments) == 3


def test_every_problem_at_once(bureaus, city):
    with pytest.raises(ValidationError) as error:
        services.issue_task({"title": " ", "body": "", "due_on": "2020-01-01", "scope": "category",
                             "category": "nonsense"}, notice_files=[upload("x.exe", b"MZ...")], actor=city)
    assert set(error.value.errors) == {"title", "body", "due_on", "category", "notice_files"}
    with pytest.raises(ValidationError) as error:
        services.issue_task(task_data(scope="chosen", tenant_ids=[]), actor=city)
    assert set(error.value.errors) == {"tenant_ids"}
    with pytest.raises(ValidationError) as error:
        services.issue_task(task_data(due_on="2026-13-45"), actor=city)
    assert set(error.value.errors) == {"due_on"}


def test_only_the_city_admin_issues_and_only_bureau_workers_answer(bureaus, city, city_viewer):
    a, _b, _c = bureaus
    from tests.helpers import city_of

    with pytest.raises(PermissionDenied):
        services.issue_task(task_data(), actor=city_of(city_viewer))
    task = services.issue_task(task_data(), actor=city)
    with tenant_context(a.tenant):
        from app.core.actor import Actor

        with pytest.raises(PermissionDenied):
            services.sign(_assignment(task.id, a), actor=Actor.bureau(a.viewer, "bureau_viewer"))


def test_reading_signing_submitting_returning_resubmitting_accepting(bureaus, city):
    a, _b, _c = bureaus
    task = services.issue_task(task_data(file_required=True), actor=city)
    with tenant_context(a.tenant):
        assert services.mark_read(_assignment(task.id, a), actor=editor_of(a)) is True
    assert _assignment(task.id, a).state == "read"
    with tenant_context(a.tenant):
        with pytest.raises(ValidationError):  # sign first
            services.submit_answer(_assignment(task.id, a), {"text": "x"}, actor=editor_of(a))
        services.sign(_assignment(task.id, a), actor=editor_of(a))
    with tenant_context(a.tenant):
        with pytest.raises(ValidationError) as error:  # the task asks for a file
            services.submit_answer(_assignment(task.id, a), {"text": "见附件"}, actor=editor_of(a))
        assert set(error.value.errors) == {"files"}
        services.submit_answer(_assignment(task.id, a), {"text": "见附件"}, files=[upload("总结.pdf")],
                               actor=editor_of(a))
    assert _assignment(task.id, a).state == "submitted"
    with pytest.raises(ValidationError) as error:  # a return needs a reason
        _review(task.id, a, "returned", "  ", city)
    assert set(error.value.errors) == {"reason"}
    _review(task.id, a, "returned", "附表未盖章，请补充后重新报送。", city)
    row = _assignment(task.id, a)
    assert (row.state, row.return_reason) == ("returned", "附表未盖章，请补充后重新报送。")
    titles = [n.title for n in db.session.scalars(select(Notification).where(Notification.user_id == a.editor.id))]
    assert any("退回" in t or "returned" in t for t in titles)
    with tenant_context(a.tenant):
        services.submit_answer(_assignment(task.id, a), {"text": "已补充盖章件"}, files=[upload("盖章件.pdf")],
                               actor=editor_of(a))
    assert (_assignment(task.id, a).rounds, _assignment(task.id, a).return_reason) == (2, "")
    _review(task.id, a, "accepted", "", city)
    assert _assignment(task.id, a).state == "accepted"
    with tenant_context(a.tenant):
        rounds = [(x.round, x.outcome, [f.original_name for f in x.files]) for x in services.answers(task.id)]
        with pytest.raises(ValidationError):  # accepted is final
            services.submit_answer(_assignment(task.id, a), {"text": "再改"}, actor=editor_of(a))
    assert rounds == [(2, "accepted", ["盖章件.pdf"]), (1, "returned", ["总结.pdf"])]


def test_a_late_answer_is_marked_and_overdue_bureaus_counted(bureaus, city, monkeypatch):
    a, b, c = bureaus
    task = services.issue_task(task_data(due_on=today().isoformat()), actor=city)
    later = today() + timedelta(days=3)
    monkeypatch.setattr(services, "today", lambda: later)
    _sign_and_submit(task.id, a)
    assert _assignment(task.id, a).late is True
    board = services.board(task, day=later)
    assert board.late == 1 and board.overdue == 2  # b and c have not answered
    overdue = services.board(task, overdue_only=True, day=later).rows
    assert sorted(r.tenant_slug for r in overdue) == ["bureau-b", "bureau-c"]


def test_the_board_matches_the_bureaus_actual_states(bureaus, city):
    a, b, c = bureaus
    task = services.issue_task(task_data(), actor=city)
    _sign_and_submit(task.id, a)
    _sign_and_submit(task.id, b)
    _review(task.id, b, "returned", "内容不完整", city)
    with tenant_context(c.tenant):
        services.mark_read(_assignment(task.id, c), actor=admin_of(c))
    board = services.board(task)
    actual = {x.tenant_slug: x.state for x in db.session.scalars(select(TaskAssignment)
                                                                 .where(TaskAssignment.task_id == task.id))}
    assert actual == {"bureau-a": "submitted", "bureau-b": "returned", "bureau-c": "read"}
    assert {r.tenant_slug: r.state for r in board.rows} == actual
    assert board.counts == {"unread": 0, "read": 1, "signed": 0, "submitted": 1, "returned": 1, "accepted": 0}
    # … and each bureau's own answers agree with what the board says.
    for bureau, expected in ((a, [""]), (b, ["returned"]), (c, [])):
        with tenant_context(bureau.tenant):
            assert [x.outcome for x in services.answers(task.id)] == expected
    assert [r.tenant_slug for r in services.board(task, state="returned").rows] == ["bureau-b"]
    assert [r.tenant_slug for r in services.board(task, category="economic").rows] == ["bureau-a"]


def test_urging_reaches_the_laggards_only(bureaus, city):
    a, b, c = bureaus
    task = services.issue_task(task_data(), actor=city)
    _sign_and_submit(task.id, a)
    before = {x.editor.id: notifications.unread_count(x.editor.id) for x in bureaus}
    assert services.urge(task, actor=city) == 2
    assert notifications.unread_count(a.editor.id) == before[a.editor.id]
    assert notifications.unread_count(b.editor.id) == before[b.editor.id] + 1
    assert notifications.unread_count(c.editor.id) == before[c.editor.id] + 1
    assert _assignment(task.id, b).urge_count == 1
    notifications.notify([], "x", "x")  # no one: nothing
    _sign_and_submit(task.id, b)
    _sign_and_submit(task.id, c)
    with pytest.raises(ValidationError):
        services.urge(task, actor=city)


def test_a_bureau_never_sees_another_bureaus_answer(bureaus, city):
    a, b, _c = bureaus
    task = services.issue_task(task_data(), actor=city)
    _sign_and_submit(task.id, a, text="财政局的答复", files=[upload("财政局材料.pdf")])
    with tenant_context(b.tenant):
        assert services.answers(task.id) == []
        assert db.session.scalars(select(TaskAnswer)).all() == []
    with tenant_context(a.tenant):
        file_id = services.answers(task.id)[0].files[0].id
    with tenant_context(b.tenant):
        with pytest.raises(Exception) as refused:
            services.get_answer_file(task.id, file_id)
    assert type(refused.value).__name__ == "NotFound"
