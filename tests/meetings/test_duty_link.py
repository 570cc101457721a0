"""Issue 15: a duty item linked to a kind of meeting counts the unit's meetings of that kind
as its records, on the item page and in the city's figures."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.city.models import TenantMetrics
from app.duties import services as duties
from app.errors import ValidationError
from app.extensions import db
from app.meetings import services
from app.orgs import services as orgs
from app.tenancy.session import tenant_context
from tests.helpers import admin_of, branch_of, login


def _link(bureau, item_id, **data):
    with tenant_context(bureau.tenant):
        item = duties.get_item(item_id)
        values = {**duties.item_snapshot(item), "cadence": "monthly", "expected_count": "12", "due_date": "",
                  **data}
        duties.update_item(item, values, version=item.version, actor=admin_of(bureau))
        db.session.commit()


def _meet(bureau, tree, day, kind="committee"):
    with tenant_context(bureau.tenant):
        unit = services.get_unit(tree.first, branch_of(tree.branch1))
        services.record_meeting(unit, {"kind": kind, "held_on": day, "topic": "研究本月党建工作", "expected": "9",
                                       "present": "9"}, actor=branch_of(tree.branch1))
        db.session.commit()


def test_a_linked_item_counts_the_unit_s_meetings(app, client, bureau_a, bureau_list, tree):
    item_id = bureau_list["item_ids"][0]
    _link(bureau_a, item_id, meeting_kind="committee", meeting_unit_id=str(tree.first))
    today = services.today()
    _meet(bureau_a, tree, today - timedelta(days=40))
    _meet(bureau_a, tree, today)
    _meet(bureau_a, tree, today, kind="lecture")  # another kind counts nothing here
    with tenant_context(bureau_a.tenant):
        row = duties.item_row(duties.get_item(item_id))
        assert row.progress.recorded == 2 and row.records == 2 and row.last_record == today
        [listed] = [r for r in duties.item_rows(duties.get_list(bureau_list["list_id"])) if r.item.id == item_id]
        assert listed.progress.recorded == 2
    # the city's figures were recomputed after the meetings (the roll-up is pushed, not pulled)
    db.session.expire_all()
    figures = db.session.scalar(select(TenantMetrics).where(TenantMetrics.tenant_id == bureau_a.tenant.id,
                                                            TenantMetrics.year == 2026))
    with tenant_context(bureau_a.tenant):
        assert figures.figures["duties"]["records"] == duties.metrics(2026)["records"] == 2
    login(client, bureau_a.admin.username)
    page = client.get(f"/b/{bureau_a.slug}/duties/items/{item_id}").get_data(as_text=True)
    assert 'id="meeting-link"' in page and "机关第一党支部" in page and "支委会" in page
    assert f"/b/{bureau_a.slug}/meetings/units/{tree.first}" in page


def test_a_link_names_a_kind_the_unit_holds(bureau_a, bureau_list, tree):
    item_id = bureau_list["item_ids"][0]
    with pytest.raises(ValidationError) as refused:
        _link(bureau_a, item_id, meeting_kind="committee", meeting_unit_id="")
    assert "meeting_unit_id" in refused.value.errors
    with pytest.raises(ValidationError) as refused:  # a 机关党委 keeps no 支委会 ledger
        _link(bureau_a, item_id, meeting_kind="committee", meeting_unit_id=str(tree.committee))
    assert "市财政局机关党委" in refused.value.errors["meeting_unit_id"][0]
    with pytest.raises(ValidationError) as refused:
        _link(bureau_a, item_id, meeting_kind="séance", meeting_unit_id=str(tree.first))
    assert "meeting_kind" in refused.value.errors
    _link(bureau_a, item_id, meeting_kind="committee", meeting_unit_id=str(tree.second))
    with tenant_context(bureau_a.tenant):
        unit = orgs.get_unit(tree.second, admin_of(bureau_a))
        with pytest.raises(ValidationError, match="不能删除"):
            orgs.delete_unit(unit, actor=admin_of(bureau_a), version=unit.version)


def test_the_item_form_offers_the_kinds_and_the_units_that_hold_them(client, bureau_a, bureau_list, tree):
    login(client, bureau_a.admin.username)
    page = client.get(f"/b/{bureau_a.slug}/duties/items/{bureau_list['item_ids'][0]}/edit").get_data(as_text=True)
    assert 'name="meeting_kind"' in page and "支委会" in page
    units = page[page.index('name="meeting_unit_id"'):]
    units = units[:units.index("</select>")]
    assert "机关第一党支部" in units and "市财政局机关党委" not in units


def test_an_item_added_mid_year_counts_the_meetings_from_its_start(bureau_a, bureau_list, tree):
    from datetime import datetime, timezone

    item_id = bureau_list["item_ids"][0]
    _link(bureau_a, item_id, meeting_kind="committee", meeting_unit_id=str(tree.first))
    today = services.today()
    started = today - timedelta(days=20)
    with tenant_context(bureau_a.tenant):
        item = duties.get_item(item_id)
        item.duty_list.published_at = datetime(today.year, 1, 5, tzinfo=timezone.utc)
        item.created_at = datetime(started.year, started.month, started.day, 12, tzinfo=timezone.utc)
        db.session.commit()
    _meet(bureau_a, tree, started - timedelta(days=10))  # before the item existed: owed nothing
    _meet(bureau_a, tree, today)
    with tenant_context(bureau_a.tenant):
        assert duties.item_row(duties.get_item(item_id)).progress.recorded == 1
