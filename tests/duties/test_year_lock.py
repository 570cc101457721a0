"""The city's year lock holds for every write of the duty lists (issue 10, items 4 and 5).

Services refuse up front with the lock's message; the flush-time guard of
``app.years.guard`` makes the rule hold even for a write that calls no service.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.audit.models import TenantAuditEvent
from app.duties import services
from app.duties.models import DutyItem, ProgressRecord
from app.errors import Locked, ValidationError
from app.extensions import db
from app.models import TenantModel
from app.tenancy.session import tenant_context
from app.years import services as years
from tests.helpers import SYSTEM, add_people, login


@pytest.fixture
def year_list(app, bureau_a, today):
    """A published 2026 list with one quarterly item and one record."""
    with tenant_context(bureau_a.tenant):
        add_people(bureau_a.editor)
        duty_list = services.create_list(2026, actor=SYSTEM)
        item = services.add_item(duty_list, {"category": "party_group", "area": "political",
                                             "content": "每季度专题研究党建工作", "cadence": "quarterly"}, actor=SYSTEM)
        services.set_list_status(duty_list, "published", version=duty_list.version, actor=SYSTEM)
        record = services.add_record(item, {"occurred_on": "2026-03-20", "summary": "一季度党组会", "count": "1"},
                                     actor=SYSTEM)
        return {"list_id": duty_list.id, "item_id": item.id, "record_id": record.id}


def _counts() -> tuple[int, int, int]:
    return (db.session.scalar(select(func.count()).select_from(DutyItem)),
            db.session.scalar(select(func.count()).select_from(ProgressRecord)),
            db.session.scalar(select(func.count()).select_from(TenantAuditEvent)))


def test_every_duty_service_refuses_a_locked_year(app, bureau_a, city_admin, year_list):
    years.lock_year(2026, "2026年度考核结束", actor=city_admin)
    with tenant_context(bureau_a.tenant):
        duty_list = services.get_list(year_list["list_id"])
        item = services.get_item(year_list["item_id"])
        record = services.get_record(year_list["record_id"])
        before = _counts()
        attempts = {
            "add_record": lambda: services.add_record(item, {"occurred_on": "2026-04-02", "summary": "二季度",
                                                             "count": "1"}, actor=SYSTEM),
            "update_record": lambda: services.update_record(record, {"occurred_on": "2026-03-21", "summary": "改",
                                                                     "count": "1"}, version=record.version,
                                                            actor=SYSTEM),
            "delete_record": lambda: services.delete_record(record, version=record.version, actor=SYSTEM),
            "add_item": lambda: services.add_item(duty_list, {"category": "party_group", "area": "political",
                                                              "content": "新增", "cadence": "once"}, actor=SYSTEM),
            "update_item": lambda: services.update_item(item, {"category": "party_group", "area": "political",
                                                               "content": "改", "cadence": "quarterly"},
                                                        version=item.version, actor=SYSTEM),
            "delete_item": lambda: services.delete_item(item, version=item.version, actor=SYSTEM),
            "move_item": lambda: services.move_item(item, "up", actor=SYSTEM),
            "set_marked_done": lambda: services.set_marked_done(item, True, version=item.version, actor=SYSTEM),
            "update_list": lambda: services.update_list(duty_list, title="改名", version=duty_list.version,
                                                        actor=SYSTEM),
            "archive_list": lambda: services.set_list_status(duty_list, "archived", version=duty_list.version,
                                                             actor=SYSTEM),
        }
        for name, attempt in attempts.items():
            with pytest.raises(Locked, match="2026"):
                attempt()
            db.session.rollback()
        assert _counts() == before, "a refused write left something behind"
        assert services.get_record(year_list["record_id"]).summary == "一季度党组会"
        with pytest.raises(Locked):
            services.create_list(2026, actor=SYSTEM)


def test_a_write_that_calls_no_service_is_refused_at_flush(app, bureau_a, city_admin, year_list):
    """What makes the rule hold for a feature that forgets to ask."""
    years.lock_year(2026, "2026年度考核结束", actor=city_admin)
    with tenant_context(bureau_a.tenant):
        db.session.add(ProgressRecord(item_id=year_list["item_id"], occurred_on=date(2026, 4, 1), summary="绕过服务",
                                      count=1, author_name="x"))
        with pytest.raises(Locked):
            db.session.commit()
        db.session.rollback()
        db.session.get(DutyItem, year_list["item_id"]).content = "直接改"
        with pytest.raises(Locked):
            db.session.flush()
        db.session.rollback()
    years.unlock_year(2026, "更正", actor=city_admin)
    with tenant_context(bureau_a.tenant):
        db.session.get(DutyItem, year_list["item_id"]).content = "解锁后可改"
        db.session.commit()


def test_the_locked_year_is_said_on_the_page_and_a_post_changes_nothing(app, client, bureau_a, city_admin,
                                                                      year_list):
    years.lock_year(2026, "2026年度考核结束", actor=city_admin)
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/duties"
    response = client.post(f"{base}/items/{year_list['item_id']}/records", follow_redirects=True,
                           data={"occurred_on": "2026-04-02", "summary": "锁定后补记", "count": "1"})
    assert response.status_code == 400 and "2026年度已锁定" in response.get_data(as_text=True)
    for page in (f"{base}/items/{year_list['item_id']}", f"{base}/{year_list['list_id']}"):
        text = client.get(page).get_data(as_text=True)
        assert "2026年度已锁定" in text and "锁定后补记" not in text
    with tenant_context(bureau_a.tenant):
        assert db.session.scalar(select(func.count()).select_from(ProgressRecord)) == 1


def test_every_bureau_model_says_which_year_governs_it(app):
    """A model without ``lock_year_path`` would escape the year lock: refuse it here."""
    undeclared = [mapper.class_.__name__ for mapper in TenantModel.registry.mappers
                  if "lock_year_path" not in {k for c in mapper.class_.__mro__ for k in vars(c)} ]
    assert undeclared == []
    for mapper in TenantModel.registry.mappers:
        path = mapper.class_.lock_year_path
        if path is None:
            continue
        *steps, column = path.split(".")
        cls = mapper.class_
        for step in steps:
            cls = mapper.relationships[step].mapper.class_ if cls is mapper.class_ else \
                cls.__mapper__.relationships[step].mapper.class_
        assert column in cls.__mapper__.columns, f"{mapper.class_.__name__}.lock_year_path = {path!r}"


def test_a_record_is_dated_in_its_lists_year(app, bureau_a, year_list):
    with tenant_context(bureau_a.tenant):
        item = services.get_item(year_list["item_id"])
        for day in ("2025-05-01", "2025-12-31", "2027-01-01"):
            with pytest.raises(ValidationError) as error:
                services.add_record(item, {"occurred_on": day, "summary": "跨年记录", "count": "1"}, actor=SYSTEM)
            assert "2026" in error.value.errors["occurred_on"][0]
        record = services.get_record(year_list["record_id"])
        with pytest.raises(ValidationError):
            services.update_record(record, {"occurred_on": "2025-05-01", "summary": "改到去年", "count": "1"},
                                   version=record.version, actor=SYSTEM)
        assert services.add_record(item, {"occurred_on": "2026-01-01", "summary": "元旦当天", "count": "1"},
                                   actor=SYSTEM).id


def test_a_row_cannot_be_moved_out_of_a_locked_year(app, bureau_a, city_admin, year_list):
    """Changing the year itself changes the locked year too (the guard reads the old value)."""
    from app.duties.models import DutyList

    years.lock_year(2026, "2026年度考核结束", actor=city_admin)
    with tenant_context(bureau_a.tenant):
        db.session.get(DutyList, year_list["list_id"]).year = 2027
        with pytest.raises(Locked, match="2026"):
            db.session.flush()
        db.session.rollback()
        assert db.session.get(DutyList, year_list["list_id"]).year == 2026
