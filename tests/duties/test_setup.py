"""Issue 11, item 3: setting up the year.  Bulk owner assignment, splitting every "one post,
two responsibilities" item by member in one action, and the publish check."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import TenantAuditEvent
from app.duties import services
from app.duties.models import DutyItem, DutyList
from app.errors import ValidationError
from app.extensions import db
from app.people.models import Person
from app.tenancy.session import tenant_context
from tests.helpers import SYSTEM, add_people, login


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def early_list(app, bureau_a, template):
    """A 2026 list made before anybody was entered (nothing owned, one item per member
    item), then the people entered: what a bureau has on the first day of setting up."""
    with tenant_context(bureau_a.tenant):
        duty_list = services.create_list(2026, template_id=template.id, actor=SYSTEM)
        people = add_people(bureau_a.editor)
        return {"list_id": duty_list.id, "people": {k: p.id for k, p in people.items()}}


def _items(list_id: int) -> list[DutyItem]:
    return list(db.session.scalars(select(DutyItem).where(DutyItem.list_id == list_id).order_by(DutyItem.sort_order)))


def test_split_all_member_items_in_one_action(app, bureau_a, early_list):
    with tenant_context(bureau_a.tenant):
        duty_list = services.get_list(early_list["list_id"])
        before = [i for i in _items(duty_list.id) if i.category == "member"]
        assert before and {i.owner_id for i in before} == {None}
        assert len(services.unsplit_member_items(duty_list)) == len(before)
        done = services.split_all_members(duty_list, actor=SYSTEM)
        assert done == {"groups": len(before), "assigned": len(before), "created": len(before)}
        members = {early_list["people"]["member1"], early_list["people"]["member2"]}
        after = [i for i in _items(duty_list.id) if i.category == "member"]
        assert len(after) == 2 * len(before)
        for item in before:
            group = [i for i in after if i.source_key == item.source_key]
            assert {i.owner_id for i in group} == members and len(group) == 2
        assert services.unsplit_member_items(services.get_list(duty_list.id)) == []
        event = db.session.scalars(select(TenantAuditEvent).where(
            TenantAuditEvent.action == "duty_list.split_members")).one()
        assert event.after["created"] == len(before) and "李海燕" in event.after["members"]
        # once more: nothing to do, nothing audited
        assert services.split_all_members(services.get_list(duty_list.id), actor=SYSTEM)["groups"] == 0
        # a member who joins later gets a copy of each item
        db.session.add(Person(name="周新", post="党组成员、副局长", kind="member", sort_order=35))
        db.session.commit()
        again = services.split_all_members(services.get_list(duty_list.id), actor=SYSTEM)
        assert again == {"groups": len(before), "assigned": 0, "created": len(before)}


def test_split_all_refuses_without_members(app, bureau_a, template):
    with tenant_context(bureau_a.tenant):
        duty_list = services.create_list(2026, template_id=template.id, actor=SYSTEM)
        with pytest.raises(ValidationError):
            services.split_all_members(duty_list, actor=SYSTEM)


def test_bulk_assignment(app, client, bureau_a, early_list):
    with tenant_context(bureau_a.tenant):
        unowned = [i.id for i in _items(early_list["list_id"]) if i.owner_id is None and i.category == "party_group"]
    secretary = early_list["people"]["secretary"]
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/duties/{early_list['list_id']}"
    page = _text(client.get(f"{base}?owner=none&category=party_group&assign=1&all=1"))
    assert page.count('name="items"') == len(unowned) and page.count(" checked") >= len(unowned)
    response = client.post(f"{base}/assign", data={"owner_id": str(secretary), "items": [str(i) for i in unowned],
                                                  "f_owner": "none", "f_category": "party_group"})
    assert response.status_code == 302 and "owner=none" in response.headers["Location"]
    with tenant_context(bureau_a.tenant):
        assert {db.session.get(DutyItem, i).owner_id for i in unowned} == {secretary}
        events = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.action == "duty_item.update")).all()
        assert len(events) == len(unowned) and all(e.after["owner"] == "王建国" for e in events)
    assert "已将" in _text(client.get(response.headers["Location"]))


def test_bulk_assignment_refusals_are_by_the_field_and_keep_the_ticks(app, client, bureau_a, early_list):
    with tenant_context(bureau_a.tenant):
        ids = [i.id for i in _items(early_list["list_id"])][:3]
        inactive = db.session.get(Person, early_list["people"]["discipline"])
        inactive.active = False
        db.session.commit()
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/duties/{early_list['list_id']}"
    both = client.post(f"{base}/assign", data={"owner_id": "", "items": []})
    assert both.status_code == 400
    body = _text(both)
    assert "请从列表中选择责任人" in body and "请在表格中至少勾选一项事项" in body  # both mistakes at once
    assert "is-invalid" in body and 'id="items-error"' in body
    kept = client.post(f"{base}/assign", data={"owner_id": str(early_list["people"]["discipline"]),
                                              "items": [str(i) for i in ids]})
    body = _text(kept)
    assert kept.status_code == 400 and "已停用" in body
    for item_id in ids:
        assert f'value="{item_id}" form="assign-form" id="tick-{item_id}" aria-label' in body
        assert body.split(f'id="tick-{item_id}"')[1].split(">")[0].endswith("checked")
    hostile = client.post(f"{base}/assign", data={"owner_id": "x'; --", "items": ["<script>", "99999", "1e9"]})
    assert hostile.status_code == 400 and "<script>" not in _text(hostile)
    with tenant_context(bureau_a.tenant):
        assert all(db.session.get(DutyItem, i).owner_id is None for i in ids)
    # an item of another list is not this list's to assign
    with tenant_context(bureau_a.tenant):
        other = services.create_list(2027, actor=SYSTEM)
        foreign = services.add_item(other, {"category": "party_group", "area": "political", "content": "明年事项"},
                                    actor=SYSTEM).id
    refused = client.post(f"{base}/assign", data={"owner_id": str(early_list["people"]["secretary"]),
                                                 "items": [str(ids[0]), str(foreign)]})
    assert refused.status_code == 400 and "刷新页面" in _text(refused)
    # editors and viewers do not assign
    client.post("/logout")
    login(client, bureau_a.editor.username)
    assert client.post(f"{base}/assign", data={"owner_id": "1", "items": [str(ids[0])]}).status_code == 403
    assert 'name="items"' not in _text(client.get(f"{base}?assign=1"))


def test_the_publish_check_lists_what_is_missing_and_asks_for_confirmation(app, client, bureau_a, early_list):
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/duties/{early_list['list_id']}"
    with tenant_context(bureau_a.tenant):
        version = db.session.get(DutyList, early_list["list_id"]).version
        problems = {p.code: p for p in services.publish_problems(services.get_list(early_list["list_id"]))}
        assert set(problems) == {"unowned", "unsplit"}
        unowned = len(problems["unowned"].items)
    page = _text(client.get(f"{base}/publish"))
    assert f"有{unowned}项事项尚未明确责任人" in page and "尚未分解到每位班子成员" in page and "李海燕" in page
    assert "我已了解以上问题" in page
    # the list settings page no longer publishes in one click
    settings = _text(client.get(f"{base}/edit"))
    assert f'href="{base}/publish"' in settings
    # without the confirmation: not published, the box says why
    refused = client.post(f"{base}/publish", data={"version": version})
    assert refused.status_code == 400 and "如仍要在存在上述问题的情况下发布，请勾选此项" in _text(refused)
    with tenant_context(bureau_a.tenant):
        assert db.session.get(DutyList, early_list["list_id"]).status == "draft"
    # split from the check page, then assign the rest, then the check is clean
    assert client.post(f"{base}/split-members", data={"back": "publish"}).headers["Location"].endswith("/publish")
    with tenant_context(bureau_a.tenant):
        rest = [str(i.id) for i in _items(early_list["list_id"]) if i.owner_id is None]
    client.post(f"{base}/assign", data={"owner_id": str(early_list["people"]["secretary"]), "items": rest})
    page = _text(client.get(f"{base}/publish"))
    assert 'id="check-ok"' in page and "我已了解以上问题" not in page
    with tenant_context(bureau_a.tenant):
        version = db.session.get(DutyList, early_list["list_id"]).version
    assert client.post(f"{base}/publish", data={"version": version}).status_code == 302
    with tenant_context(bureau_a.tenant):
        duty_list = db.session.get(DutyList, early_list["list_id"])
        assert duty_list.status == "published"
        assert db.session.scalars(select(TenantAuditEvent.action).where(
            TenantAuditEvent.action == "duty_list.publish")).one()
    assert "本清单已经发布" in _text(client.get(f"{base}/publish"))


def test_publishing_with_problems_once_confirmed(app, client, bureau_a, early_list):
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/duties/{early_list['list_id']}"
    with tenant_context(bureau_a.tenant):
        version = db.session.get(DutyList, early_list["list_id"]).version
    assert client.post(f"{base}/publish", data={"version": version, "acknowledge": "y"}).status_code == 302
    with tenant_context(bureau_a.tenant):
        assert db.session.get(DutyList, early_list["list_id"]).status == "published"


def test_an_empty_list_cannot_be_published(app, client, bureau_a):
    with tenant_context(bureau_a.tenant):
        duty_list = services.create_list(2026, actor=SYSTEM)
        list_id, version = duty_list.id, duty_list.version
        with pytest.raises(ValidationError):
            services.publish_list(duty_list, version=version, acknowledged=True, actor=SYSTEM)
    login(client, bureau_a.admin.username)
    page = _text(client.get(f"/b/{bureau_a.slug}/duties/{list_id}/publish"))
    assert "清单中还没有事项" in page and 'id="publish-form"' not in page
    assert client.post(f"/b/{bureau_a.slug}/duties/{list_id}/publish",
                       data={"version": version, "acknowledge": "y"}).status_code == 400


def test_the_list_page_shows_the_setup_panel_to_admins(app, client, bureau_a, early_list):
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/duties/{early_list['list_id']}"
    page = _text(client.get(base))
    assert "setup-panel" in page and "将全部“一岗双责”事项按班子成员分解" in page and "发布前检查" in page
    client.post("/logout")
    login(client, bureau_a.editor.username)
    assert "setup-panel" not in _text(client.get(base))
