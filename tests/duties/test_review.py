"""Issue 16: records are reviewed before they count, a closed period takes only a 补录,
and an approved 补录 is marked late everywhere."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.audit.models import TenantAuditEvent
from app.core.actor import Actor
from app.deadlines import services as deadlines
from app.duties import services
from app.duties.models import DutyItem, ProgressRecord
from app.errors import PermissionDenied, ValidationError
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import admin_of, city_of, editor_of, login

RECORD = {"occurred_on": "2026-05-06", "summary": "召开党组会议，专题研究机关党建工作", "count": "1"}


@pytest.fixture
def city(city_admin):
    """The city reviews nothing by default; these tests choose the bureau's review."""
    deadlines.update_settings({"blue_days": "15", "yellow_days": "5", "grace_days": "10", "late_approver": "bureau",
                               "review_mode": "bureau"}, actor=city_of(city_admin))
    return city_admin


def _monthly_item(bureau, ids) -> int:
    with tenant_context(bureau.tenant):
        item = db.session.get(DutyItem, ids["item_ids"][0])
        item.cadence, item.expected_count, item.due_date = "monthly", 12, None
        db.session.commit()
        return item.id


def _add(bureau, item_id, actor, **data):
    with tenant_context(bureau.tenant):
        return services.add_record(services.get_item(item_id), {**RECORD, **data}, actor=actor).id


def _recorded(bureau, item_id) -> int:
    with tenant_context(bureau.tenant):
        return services.item_row(services.get_item(item_id)).progress.recorded


def test_a_record_waits_for_review_and_a_returned_one_does_not_count(app, bureau_a, bureau_list, city, today):
    item_id = _monthly_item(bureau_a, bureau_list)
    record_id = _add(bureau_a, item_id, editor_of(bureau_a), count="3")
    assert _recorded(bureau_a, item_id) == 0
    with tenant_context(bureau_a.tenant):
        record = services.get_record(record_id)
        assert record.review_state == "pending"
        with pytest.raises(ValidationError) as refused:
            services.return_record(record, "  ", actor=admin_of(bureau_a))
        assert "reason" in refused.value.errors
        services.return_record(record, "佐证材料不全，请补充会议纪要", actor=admin_of(bureau_a))
        figures = services.metrics(2026, as_of=today)
        assert figures["records_returned"] == 1 and figures["records"] == 0
    assert _recorded(bureau_a, item_id) == 0
    with tenant_context(bureau_a.tenant):
        record = services.get_record(record_id)
        services.update_record(record, {**RECORD, "count": "2"}, version=record.version, actor=editor_of(bureau_a))
        assert record.review_state == "pending"
        assert db.session.scalar(select(TenantAuditEvent.action).where(
            TenantAuditEvent.action == "duty_record.resubmit")) == "duty_record.resubmit"
        services.approve_records([record], actor=admin_of(bureau_a))
        event = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.action == "duty_record.approve")).one()
        assert event.actor_name == bureau_a.admin.username
    assert _recorded(bureau_a, item_id) == 2


def test_changed_evidence_sends_an_approved_record_back_for_review(app, bureau_a, bureau_list, city, today):
    from tests.helpers import pdf_bytes

    item_id = _monthly_item(bureau_a, bureau_list)
    record_id = _add(bureau_a, item_id, editor_of(bureau_a))
    with tenant_context(bureau_a.tenant):
        services.approve_records([services.get_record(record_id)], actor=admin_of(bureau_a))
        db.session.commit()
    assert _recorded(bureau_a, item_id) == 1
    with tenant_context(bureau_a.tenant):
        record = services.get_record(record_id)
        [added] = services.add_attachments(record, [services.Upload(io.BytesIO(pdf_bytes("纪要")), "会议纪要.pdf")],
                                           actor=editor_of(bureau_a))
        db.session.commit()
        assert services.get_record(record_id).review_state == "pending"
        event = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.action == "attachment.create")).one()
        assert "重新待审核" in event.summary and event.after["review_state"] == "pending"
    assert _recorded(bureau_a, item_id) == 0  # the approval covered the files the reviewer saw
    with tenant_context(bureau_a.tenant):
        services.approve_records([services.get_record(record_id)], actor=admin_of(bureau_a))
        services.delete_attachment(db.session.get(type(added), added.id), actor=editor_of(bureau_a))
        db.session.commit()
        assert services.get_record(record_id).review_state == "pending"
    assert _recorded(bureau_a, item_id) == 0


def test_files_added_with_review_off_change_no_state(app, bureau_a, bureau_list, today):
    from tests.helpers import pdf_bytes

    item_id = _monthly_item(bureau_a, bureau_list)
    record_id = _add(bureau_a, item_id, editor_of(bureau_a))
    with tenant_context(bureau_a.tenant):
        services.add_attachments(services.get_record(record_id), [services.Upload(io.BytesIO(pdf_bytes()), "a.pdf")],
                                 actor=editor_of(bureau_a))
        db.session.commit()
        assert services.get_record(record_id).review_state == "approved"
    assert _recorded(bureau_a, item_id) == 1


def test_the_reviewer_is_never_the_author(app, bureau_a, bureau_list, city, today):
    item_id = _monthly_item(bureau_a, bureau_list)
    record_id = _add(bureau_a, item_id, admin_of(bureau_a))
    with tenant_context(bureau_a.tenant):
        with pytest.raises(ValidationError) as refused:
            services.approve_records([services.get_record(record_id)], actor=admin_of(bureau_a))
        assert "本人填写" in " ".join(refused.value.errors["records"])
        assert services.get_record(record_id).review_state == "pending"


def test_bulk_approval_is_all_or_none_and_names_the_refused_records(app, bureau_a, bureau_list, city, today):
    item_id = _monthly_item(bureau_a, bureau_list)
    theirs = [_add(bureau_a, item_id, editor_of(bureau_a), occurred_on=f"2026-05-0{d}") for d in (4, 5)]
    mine = _add(bureau_a, item_id, admin_of(bureau_a), occurred_on="2026-05-07")
    with tenant_context(bureau_a.tenant):
        records = services.queue_records([*theirs, mine, "x"])
        with pytest.raises(ValidationError) as refused:
            services.approve_records(records, actor=admin_of(bureau_a))
        assert len(refused.value.errors["records"]) == 1 and "2026-05-07" in refused.value.errors["records"][0]
        assert {r.review_state for r in services.queue_records([*theirs, mine])} == {"pending"}
        services.approve_records(services.queue_records(theirs), actor=admin_of(bureau_a))
    assert _recorded(bureau_a, item_id) == 2


def test_a_bureau_reviewed_by_the_city(app, bureau_a, bureau_list, city, today):
    deadlines.set_review_mode("bureau", bureau_a.slug, "city", actor=city_of(city))
    item_id = _monthly_item(bureau_a, bureau_list)
    record_id = _add(bureau_a, item_id, editor_of(bureau_a))
    with tenant_context(bureau_a.tenant):
        record = services.get_record(record_id)
        assert "市委" in services.review_refusal(record, admin_of(bureau_a))
        with pytest.raises(PermissionDenied):
            services.return_record(record, "不符合要求", actor=admin_of(bureau_a))
        reader = Actor.bureau(city, "reader")
        services.approve_records([record], actor=reader)
    assert _recorded(bureau_a, item_id) == 1


def test_review_off_counts_at_once(app, bureau_a, bureau_list, today):
    item_id = _monthly_item(bureau_a, bureau_list)
    _add(bureau_a, item_id, editor_of(bureau_a))
    assert _recorded(bureau_a, item_id) == 1


def test_a_closed_period_refuses_records_and_an_approved_late_entry_is_marked_everywhere(
        app, client, bureau_a, bureau_list, city, today):
    item_id = _monthly_item(bureau_a, bureau_list)
    # March closes on 10 April (31 March + 10 grace days); today is 15 May
    with tenant_context(bureau_a.tenant):
        item = services.get_item(item_id)
        with pytest.raises(ValidationError) as refused:
            services.add_record(item, {**RECORD, "occurred_on": "2026-03-10"}, actor=editor_of(bureau_a))
        assert "补录申请" in refused.value.errors["occurred_on"][0] and "2026年4月10日" in refused.value.errors["occurred_on"][0]
    login(client, bureau_a.editor.username)
    page = client.post(f"/b/{bureau_a.slug}/duties/items/{item_id}/records",
                       data={**RECORD, "occurred_on": "2026-03-10"}, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and 'id="late-request"' in html and "补录理由" in html
    page = client.post(f"/b/{bureau_a.slug}/duties/items/{item_id}/records",
                       data={**RECORD, "occurred_on": "2026-03-10", "late_request": "1", "late_reason": ""},
                       content_type="multipart/form-data")
    assert page.status_code == 400 and "请填写补录理由" in page.get_data(as_text=True)
    page = client.post(f"/b/{bureau_a.slug}/duties/items/{item_id}/records",
                       data={**RECORD, "occurred_on": "2026-03-10", "late_request": "1",
                             "late_reason": "三月会议纪要归档遗漏，现补录"}, content_type="multipart/form-data")
    assert page.status_code == 302
    assert _recorded(bureau_a, item_id) == 0
    with tenant_context(bureau_a.tenant):
        record = db.session.scalars(select(ProgressRecord)).one()
        assert record.late and record.review_state == "pending"
        services.approve_records([record], actor=admin_of(bureau_a))
        list_id = record.item.list_id
        assert db.session.scalars(select(TenantAuditEvent.action).where(
            TenantAuditEvent.action == "duty_record.late_approve")).one()
    assert _recorded(bureau_a, item_id) == 1
    item_page = client.get(f"/b/{bureau_a.slug}/duties/items/{item_id}").get_data(as_text=True)
    assert "late-badge" in item_page and "三月会议纪要归档遗漏" in item_page
    ledger = client.get(f"/b/{bureau_a.slug}/duties/{list_id}/ledger").get_data(as_text=True)
    assert "late-mark" in ledger and "补录" in ledger and "三月会议纪要归档遗漏" in ledger
    workbook = client.get(f"/b/{bureau_a.slug}/duties/{list_id}/ledger.xlsx")
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    row = [c.value for c in sheet[3]]
    assert "补录" in row and "三月会议纪要归档遗漏，现补录" in row
    pdf = client.get(f"/b/{bureau_a.slug}/duties/{list_id}/ledger.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    from pypdf import PdfReader
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "补录" in text


def test_the_queue_page_filters_and_approves_in_bulk(app, client, bureau_a, bureau_list, city, today):
    item_id = _monthly_item(bureau_a, bureau_list)
    ids = [_add(bureau_a, item_id, editor_of(bureau_a), occurred_on=f"2026-05-0{d}") for d in (1, 2, 3)]
    login(client, bureau_a.admin.username)
    page = client.get(f"/b/{bureau_a.slug}/duties/review?from=2026-05-02")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "2条记录" in html and f'name="ids" value="{ids[0]}"' not in html
    hostile = client.get(f"/b/{bureau_a.slug}/duties/review?from=nonsense&author=%27%3B--&item=-1&state=<x>")
    assert hostile.status_code == 200 and "3条记录" in hostile.get_data(as_text=True)
    response = client.post(f"/b/{bureau_a.slug}/duties/review/approve?from=2026-05-02", data={"all": "1"})
    assert response.status_code == 302
    assert _recorded(bureau_a, item_id) == 2
    returned = client.post(f"/b/{bureau_a.slug}/duties/records/{ids[0]}/return", data={"reason": "", "back": "queue"},
                           follow_redirects=True)
    assert "请填写退回理由" in returned.get_data(as_text=True)
    client.post(f"/b/{bureau_a.slug}/duties/records/{ids[0]}/return", data={"reason": "日期有误"})
    client = app.test_client()
    login(client, bureau_a.editor.username)
    home = client.get(f"/b/{bureau_a.slug}/").get_data(as_text=True)
    assert 'id="home-returned"' in home
    item_page = client.get(f"/b/{bureau_a.slug}/duties/items/{item_id}").get_data(as_text=True)
    assert "日期有误" in item_page and "修改后重新提交" in item_page


def test_warning_levels_on_the_list_and_in_the_figures(app, client, bureau_a, bureau_list, city, today):
    with tenant_context(bureau_a.tenant):
        items = [db.session.get(DutyItem, i) for i in bureau_list["item_ids"][:3]]
        for item, due in zip(items, (date(2026, 5, 1), date(2026, 5, 18), date(2026, 5, 28))):
            item.cadence, item.expected_count, item.due_date = "once", 1, due
        db.session.commit()
        levels = {r.item.id: r.warning for r in services.item_rows(services.get_list(bureau_list["list_id"]))}
        assert [levels[i.id] for i in items] == ["red", "yellow", "blue"]
        figures = services.metrics(2026, as_of=today)
        assert figures["warn_red"] >= 1 and figures["warn_yellow"] >= 1 and figures["warn_blue"] >= 1
    login(client, bureau_a.admin.username)
    html = client.get(f"/b/{bureau_a.slug}/duties/{bureau_list['list_id']}").get_data(as_text=True)
    assert 'data-warning="red"' in html and "红色预警" in html and "蓝色预警" in html


def test_the_author_and_the_reviewers_are_notified(app, bureau_a, bureau_list, city, today):
    from app.notifications import services as notifications

    item_id = _monthly_item(bureau_a, bureau_list)
    record_id = _add(bureau_a, item_id, editor_of(bureau_a))
    with tenant_context(bureau_a.tenant):
        services.return_record(services.get_record(record_id), "请补充签到表", actor=admin_of(bureau_a))
        db.session.commit()
    rows, _total = notifications.page_for(bureau_a.editor.id)
    assert [r.kind for r in rows] == ["record_returned"] and "请补充签到表" in rows[0].title
    assert rows[0].link.endswith(f"/duties/items/{item_id}")
    with tenant_context(bureau_a.tenant):
        record = services.get_record(record_id)
        services.update_record(record, {**RECORD, "summary": "召开党组会议并补充签到表"}, version=record.version,
                               actor=editor_of(bureau_a))
        db.session.commit()
    rows, _total = notifications.page_for(bureau_a.admin.id)
    assert [r.kind for r in rows] == ["record_review"]


def test_the_city_hears_of_a_city_finding_turned_red(app, bureau_a, people, city):
    from datetime import timedelta

    from app.findings import services as findings
    from app.notifications import services as notifications
    from tests.helpers import make_finding

    day = date(2026, 6, 1)
    make_finding(bureau_a, actor=city_of(city), found_on=date(2026, 5, 6), batch_date=date(2026, 5, 6),
                 due_on=day - timedelta(days=1))
    assert findings.notify_turned_red(day) == 1
    db.session.commit()
    rows, _total = notifications.page_for(city.id)
    assert [r.kind for r in rows] == ["warning_red"] and "市财政局" in rows[0].title
    assert findings.notify_turned_red(day + timedelta(days=1)) == 0
