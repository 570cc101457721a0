"""A bureau's list: creation from a template, people, items, integrity and audit."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.actor import Actor
from app.audit.models import TenantAuditEvent
from app.duties import services
from app.duties.models import DutyItem
from app.people import services as people_services
from app.people.models import Person
from app.errors import Conflict, Locked, PermissionDenied, ValidationError
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import SYSTEM, add_people

EDITOR = Actor(id=999, username="someone", display_name="某人", side="bureau", role="bureau_editor")


def _item_data(**changes) -> dict:
    data = {"category": "party_group", "area": "political", "content": "研究部署全面从严治党工作",
            "measures": "召开党组会议", "owner_id": "", "lead_unit": "办公室", "cadence": "quarterly",
            "expected_count": "", "due_date": "2026-12-31"}
    data.update(changes)
    return data


def test_a_list_copies_the_template_with_one_member_item_per_member(app, bureau_a, template):
    with tenant_context(bureau_a.tenant):
        people = add_people()
        duty_list = services.create_list(2026, template_id=template.id, actor=SYSTEM)
        assert duty_list.title.startswith("2026年度") and duty_list.status == "draft"
        assert (duty_list.template_id, duty_list.template_edition) == (template.id, template.edition)
        items = duty_list.items
        member_keys = [i["key"] for i in template.items if i["category"] == "member"]
        per_member = [i for i in items if i.category == "member"]
        assert len(per_member) == 2 * len(member_keys)
        assert {i.owner_id for i in per_member} == {people["member1"].id, people["member2"].id}
        assert len(items) == len(template.items) + len(member_keys)
        # the obvious owners are filled in; party-group items wait for the administrator
        assert {i.owner_id for i in items if i.category == "secretary"} == {people["secretary"].id}
        assert {i.owner_id for i in items if i.category == "discipline"} == {people["discipline"].id}
        assert {i.owner_id for i in items if i.category == "party_group"} == {None}
        due = {i.source_key: i.due_date for i in items}
        assert due["PG-02"].isoformat() == "2026-03-31" and due["SE-06"].isoformat() == "2026-02-28"
        with pytest.raises(Conflict):
            services.create_list(2026, actor=SYSTEM)  # one list per year
        empty = services.create_list(2027, actor=SYSTEM)
        assert empty.items == [] and empty.areas and empty.template_id is None
        events = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.action == "duty_list.create")).all()
        assert len(events) == 2 and events[0].after["items"] == len(items)


def test_bad_list_input(app, bureau_a, template):
    with tenant_context(bureau_a.tenant):
        with pytest.raises(ValidationError) as error:
            services.create_list("二〇二六", template_id="abc", title="x" * 300, actor=SYSTEM)
        assert set(error.value.errors) == {"year", "template_id", "title"}
        with pytest.raises(PermissionDenied):
            services.create_list(2026, actor=EDITOR)


def test_items_add_update_move_delete_with_audit(app, bureau_a, bureau_list):
    with tenant_context(bureau_a.tenant):
        duty_list = services.get_list(bureau_list["list_id"])
        secretary = bureau_list["people"]["secretary"]
        item = services.add_item(duty_list, _item_data(owner_id=str(secretary)), actor=SYSTEM)
        assert item.expected_count == 4 and item.owner_id == secretary
        version = item.version
        services.update_item(item, _item_data(owner_id=str(secretary), cadence="monthly", expected_count="10",
                                              due_date="2026年11月30日"), version=version, actor=SYSTEM)
        assert (item.cadence, item.expected_count, item.due_date.isoformat()) == ("monthly", 10, "2026-11-30")
        event = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.action == "duty_item.update")
                                   .order_by(TenantAuditEvent.id.desc())).first()
        assert event.before == {"cadence": "quarterly", "expected_count": 4, "due_date": "2026-12-31"}
        assert event.after == {"cadence": "monthly", "expected_count": 10, "due_date": "2026-11-30"}
        assert event.actor_name == "system" and event.entity_id == str(item.id)

        group = [i.id for i in duty_list.items if i.category == "party_group"]
        last, before_last = group[-1], group[-2]
        versions = {i.id: i.version for i in duty_list.items}
        services.move_item(db.session.get(DutyItem, last), "up", actor=SYSTEM)
        db.session.expire_all()
        order = [i.id for i in services.get_list(duty_list.id).items if i.category == "party_group"]
        assert order[-2:] == [last, before_last]
        assert db.session.get(DutyItem, last).version == versions[last]  # reordering keeps forms valid

        services.delete_item(db.session.get(DutyItem, last), version=versions[last], actor=SYSTEM)
        assert db.session.get(DutyItem, last) is None
        deleted = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.action == "duty_item.delete")).one()
        assert deleted.before["content"] == "研究部署全面从严治党工作"


def test_item_validation_messages(app, bureau_a, bureau_list):
    with tenant_context(bureau_a.tenant):
        duty_list = services.get_list(bureau_list["list_id"])
        with pytest.raises(ValidationError) as error:
            services.add_item(duty_list, _item_data(category="x", area="nowhere", content="", measures="m" * 5000,
                                                    owner_id="999999", cadence="daily", expected_count="0",
                                                    due_date="2030-01-01", lead_unit="单" * 101), actor=SYSTEM)
        assert set(error.value.errors) == {"category", "area", "content", "measures", "owner_id", "cadence",
                                           "expected_count", "due_date", "lead_unit"}
        with pytest.raises(ValidationError) as error:
            services.add_item(duty_list, _item_data(due_date="31/12/2026", expected_count="2.5"), actor=SYSTEM)
        assert set(error.value.errors) == {"due_date", "expected_count"}


def test_a_stale_version_is_refused_for_every_editable_row(app, bureau_a, bureau_list):
    with tenant_context(bureau_a.tenant):
        duty_list = services.get_list(bureau_list["list_id"])
        item = duty_list.items[0]
        old = item.version
        services.update_item(item, _item_data(content="第一个人的修改"), version=old, actor=SYSTEM)
        with pytest.raises(Conflict) as error:
            services.update_item(item, _item_data(content="第二个人的修改"), version=old, actor=SYSTEM)
        assert "已被他人修改" in error.value.message
        assert item.content == "第一个人的修改"
        with pytest.raises(Conflict):
            services.update_list(duty_list, title="新标题", version=duty_list.version + 1, actor=SYSTEM)
        person = db.session.get(Person, bureau_list["people"]["liaison"])
        with pytest.raises(Conflict):
            people_services.save_person(person, {"name": "改名", "kind": "staff"}, version="", actor=SYSTEM)
        record = services.add_record(item, {"occurred_on": "2026-03-01", "summary": "召开会议", "count": "1"},
                                     actor=SYSTEM)
        with pytest.raises(Conflict):
            services.update_record(record, {"occurred_on": "2026-03-02", "summary": "改", "count": "1"},
                                   version="not-a-number", actor=SYSTEM)


def test_a_race_after_the_version_check_becomes_a_conflict(app, bureau_a, bureau_list):
    """Two sessions load the same version; the second UPDATE matches no row."""
    item_id = bureau_list["item_ids"][0]
    with tenant_context(bureau_a.tenant):
        first = db.session.get(DutyItem, item_id)
        version = first.version
        with tenant_context(bureau_a.tenant):
            other = db.session.get(DutyItem, item_id)
            services.update_item(other, _item_data(content="先提交的修改"), version=version, actor=SYSTEM)
        with pytest.raises(Conflict):
            services.update_item(first, _item_data(content="后提交的修改"), version=version, actor=SYSTEM)
    with tenant_context(bureau_a.tenant):
        assert db.session.get(DutyItem, item_id).content == "先提交的修改"


def test_list_lifecycle(app, bureau_a, bureau_list):
    with tenant_context(bureau_a.tenant):
        duty_list = services.get_list(bureau_list["list_id"])
        services.set_list_status(duty_list, "published", version=duty_list.version, actor=SYSTEM)
        assert duty_list.published_at is not None
        with pytest.raises(ValidationError):
            services.delete_list(duty_list, version=duty_list.version, actor=SYSTEM)
        item = duty_list.items[0]
        services.update_item(item, _item_data(), version=item.version, actor=SYSTEM)  # published: still editable
        services.set_list_status(duty_list, "archived", version=duty_list.version, actor=SYSTEM)
        with pytest.raises(Locked):
            services.update_item(item, _item_data(content="归档后修改"), version=item.version, actor=SYSTEM)
        with pytest.raises(Locked):
            services.add_record(item, {"occurred_on": "2026-03-01", "summary": "x"}, actor=SYSTEM)
        with pytest.raises(ValidationError):
            services.set_list_status(duty_list, "draft", version=duty_list.version, actor=SYSTEM)
        services.set_list_status(duty_list, "published", version=duty_list.version, actor=SYSTEM)
        actions = db.session.scalars(select(TenantAuditEvent.action).where(
            TenantAuditEvent.entity_type == "duty_list").order_by(TenantAuditEvent.id)).all()
        assert actions == ["duty_list.create", "duty_list.publish", "duty_list.archive", "duty_list.reopen"]
        draft = services.create_list(2027, actor=SYSTEM)
        services.delete_list(draft, version=draft.version, actor=SYSTEM)
        assert services.list_for_year(2027) is None


def test_split_per_member(app, bureau_a, template):
    with tenant_context(bureau_a.tenant):
        duty_list = services.create_list(2026, template_id=template.id, actor=SYSTEM)  # nobody yet
        member_items = [i for i in duty_list.items if i.category == "member"]
        assert {i.owner_id for i in member_items} == {None}
        item = member_items[0]
        with pytest.raises(ValidationError):
            services.split_per_member(item, version=item.version, actor=SYSTEM)
        people = add_people()
        created = services.split_per_member(item, version=item.version, actor=SYSTEM)
        assert len(created) == 1
        group = [i for i in services.get_list(duty_list.id).items if i.source_key == item.source_key]
        assert {i.owner_id for i in group} == {people["member1"].id, people["member2"].id}
        again = services.split_per_member(item, version=item.version, actor=SYSTEM)
        assert again == []
        with pytest.raises(ValidationError):
            other = next(i for i in duty_list.items if i.category == "secretary")
            services.split_per_member(other, version=other.version, actor=SYSTEM)


def test_people(app, bureau_a, bureau_list):
    with tenant_context(bureau_a.tenant):
        person = people_services.save_person(None, {"name": "赵卫东", "post": "党组成员、副局长", "kind": "member",
                                             "user_id": str(bureau_a.viewer.id)},
                                      linkable_user_ids={bureau_a.viewer.id}, actor=SYSTEM)
        assert person.user_id == bureau_a.viewer.id and person.sort_order > 0
        with pytest.raises(ValidationError) as error:
            people_services.save_person(None, {"name": "", "kind": "king", "user_id": str(bureau_a.viewer.id),
                                        "sort_order": "-1", "post": "职" * 101},
                                 linkable_user_ids={bureau_a.viewer.id}, actor=SYSTEM)
        assert set(error.value.errors) == {"name", "kind", "user_id", "sort_order", "post"}
        with pytest.raises(ValidationError):
            people_services.save_person(None, {"name": "x", "kind": "staff", "user_id": "12345"},
                                 linkable_user_ids={bureau_a.viewer.id}, actor=SYSTEM)
        owner = db.session.get(Person, bureau_list["people"]["secretary"])
        with pytest.raises(ValidationError):  # owns items
            people_services.delete_person(owner, version=owner.version, actor=SYSTEM)
        people_services.delete_person(person, version=person.version, actor=SYSTEM)
        actions = db.session.scalars(select(TenantAuditEvent.action).where(TenantAuditEvent.entity_type == "person"))
        assert set(actions) == {"person.create", "person.delete"}
