"""A bureau's score sheet through its life: self-assessment, submission, the city's
review, finalisation, reopening — who may see and do what, the year lock, stale forms."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.actor import Actor
from app.audit.models import CatalogAuditEvent, TenantAuditEvent
from app.evidence.models import Attachment
from app.duties.models import DutyItem, DutyList, ProgressRecord
from app.errors import Conflict, Locked, ValidationError
from app.extensions import db
from app.scoring import engine, services
from app.scoring.models import ScoreEntry
from app.tenancy.session import tenant_context
from app.years import services as years
from tests.helpers import (EXAMPLE_SCORES, YEAR, form_fields, login, page_figures, review_fully, sheet_of,
                           start_and_fill, version_of)

SECRET_COMMENT = "考核组内部意见：台账归档不规范"


def test_the_index_lists_assigned_years_and_starts_a_sheet(app, client, bureau_a, assigned):
    login(client, bureau_a.admin.username)
    page = client.get(f"/b/{bureau_a.slug}/scoring/").get_data(as_text=True)
    assert "2026" in page and f"/b/{bureau_a.slug}/scoring/2026/start" in page
    assert client.post(f"/b/{bureau_a.slug}/scoring/2026/start").status_code == 302
    sheet = sheet_of(bureau_a.tenant)
    assert (sheet.status, sheet.template_edition, len(sheet.entries)) == ("draft", 1, 15)
    assert client.post(f"/b/{bureau_a.slug}/scoring/2026/start").status_code == 302  # a second start: refused
    assert client.post(f"/b/{bureau_a.slug}/scoring/2025/start").status_code == 302  # nothing assigned for 2025
    with tenant_context(bureau_a.tenant):
        assert len(services.list_sheets()) == 1
        assert db.session.scalars(select(TenantAuditEvent.action)).all().count("score_sheet.start") == 1


def test_viewers_and_the_city_cannot_start_or_fill_a_sheet(app, client, bureau_a, assigned, city_admin):
    login(client, bureau_a.viewer.username)
    assert client.post(f"/b/{bureau_a.slug}/scoring/2026/start").status_code == 403
    client.post("/logout")
    login(client, "city")
    assert client.post(f"/b/{bureau_a.slug}/scoring/2026/start").status_code == 403
    start_and_fill(client, bureau_a)
    login(client, "city")
    data = form_fields(sheet_of(bureau_a.tenant).template_body, "self", {"SX1": 1}, version=version_of(bureau_a.tenant))
    assert client.post(f"/b/{bureau_a.slug}/scoring/2026", data=data).status_code == 403
    client.post("/logout")
    login(client, bureau_a.viewer.username)
    assert client.post(f"/b/{bureau_a.slug}/scoring/2026", data=data).status_code == 403
    assert client.get(f"/b/{bureau_a.slug}/scoring/2026").status_code == 200


def test_running_totals_are_the_engine_s_and_are_shown_after_saving(app, client, bureau_a, assigned):
    partial = {"SX1": "5.5", "ZZ2": "较好", "ZZ1": {"ZZ1-1": 2}, "ZZ3": {}}
    start_and_fill(client, bureau_a, partial)
    login(client, bureau_a.admin.username)
    figures = page_figures(client.get(f"/b/{bureau_a.slug}/scoring/2026").get_data(as_text=True))
    # An incomplete part shows how far it is, never its sum as a score.
    assert figures["running.self"] == "自评中 4/15"
    assert figures["running.dimension.ZZ"] == Decimal("16.95")  # complete: 8 − 2 + 7 × 0.85 + 5
    assert figures["running.dimension.SX"] == "1/3"
    assert figures["running.indicator.SX1"] == Decimal("5.5")
    assert "running.indicator.ZJ1" not in figures  # an untouched deduction item is "not scored"
    sheet = sheet_of(bureau_a.tenant)
    entry = sheet.entry_for("SX1")
    assert entry.self_points == Decimal("5.50") and sheet.entry_for("ZZ1").self_deductions == {"ZZ1-1": 2}
    with tenant_context(bureau_a.tenant):
        event = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.action == "score_sheet.self_save")
                                   ).one()
        assert Decimal(event.after["SX1"]["value"]) == Decimal("5.5") and event.before["SX1"]["value"] is None


def test_values_the_engine_refuses_are_form_errors_on_their_indicator(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, {})
    login(client, bureau_a.admin.username)
    body = sheet_of(bureau_a.tenant).template_body
    data = form_fields(body, "self", {"SX1": "6.5", "ZJ3": "3"}, version=version_of(bureau_a.tenant))  # SX1 max 6
    response = client.post(f"/b/{bureau_a.slug}/scoring/2026", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "is-invalid" in page and "超出 0 到 6 的范围" in page
    assert sheet_of(bureau_a.tenant).entry_for("ZJ3").self_points is None  # nothing saved


def test_submission_needs_every_indicator_and_then_the_bureau_cannot_edit(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, {"SX1": "5"})
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/scoring/2026"
    client.post(f"{base}/submit", data={"version": version_of(bureau_a.tenant)})
    assert sheet_of(bureau_a.tenant).status == "draft"  # incomplete: refused
    data = form_fields(assigned.body, "self", EXAMPLE_SCORES["self"], version=version_of(bureau_a.tenant))
    assert client.post(base, data=data).status_code == 302
    client.post("/logout")
    login(client, bureau_a.editor.username)
    assert client.post(f"{base}/submit", data={"version": version_of(bureau_a.tenant)}).status_code == 403
    client.post("/logout")
    login(client, bureau_a.admin.username)
    assert client.post(f"{base}/submit", data={"version": version_of(bureau_a.tenant)}).status_code == 302
    sheet = sheet_of(bureau_a.tenant)
    assert sheet.status == "self_submitted" and sheet.self_submitted_by == "市财政局管理员"

    page = client.get(base).get_data(as_text=True)
    assert 'name="i0_r0"' not in page  # read-only: no inputs
    changed = form_fields(assigned.body, "self", dict(EXAMPLE_SCORES["self"], SX1="1"), version=sheet.version)
    response = client.post(base, data=changed)
    assert response.status_code == 200 and "alert-danger" in response.get_data(as_text=True)
    assert sheet_of(bureau_a.tenant).entry_for("SX1").self_points == Decimal("6.00")
    with tenant_context(bureau_a.tenant):
        sheet = services.get_sheet(YEAR)
        with pytest.raises(Conflict):
            services.save_self(sheet, {"SX1": services.EntryInput(Decimal(1))}, version=sheet.version)


def test_bureau_never_sees_or_sets_reviewer_scores_before_final(app, client, bureau_a, assigned, city_admin):
    start_and_fill(client, bureau_a, submit=True)
    login(client, "city")
    base = f"/b/{bureau_a.slug}/scoring/2026"
    body = assigned.body
    review = form_fields(body, "reviewer", EXAMPLE_SCORES["reviewer"], version=version_of(bureau_a.tenant),
                         notes={"SX1": SECRET_COMMENT})
    review["comment"] = SECRET_COMMENT + "（总体）"
    assert client.post(f"{base}/review", data=review).status_code == 302
    assert sheet_of(bureau_a.tenant).entry_for("SX1").reviewer_points == Decimal("5.50")
    client.post("/logout")

    login(client, bureau_a.admin.username)
    for url in (base, f"{base}/", f"/b/{bureau_a.slug}/scoring/", f"{base}/scores.json", f"{base}/scores.yaml"):
        response = client.get(url, follow_redirects=True)
        text = response.get_data(as_text=True)
        assert SECRET_COMMENT not in text, url
        assert "review.indicator" not in text and "reviewer" not in text.replace("reviewer_", ""), url
    for url in (f"{base}/result", f"{base}/print"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith(base), url
    assert client.get(f"{base}/review").status_code == 403
    # every write of the review is refused, whatever the bureau role
    version = version_of(bureau_a.tenant)
    for path, data in ((f"{base}/review", dict(review, version=version)),
                       (f"{base}/review/ballot", {"v0": "10", "version": version}),
                       (f"{base}/review/adjustments", {"kind": "bonus", "rule": "B3", "reason": "自封", "version": version}),
                       (f"{base}/review/adjustments/1/delete", {"version": version}),
                       (f"{base}/review/complete", {"version": version}),
                       (f"{base}/finalise", {"version": version}),
                       (f"{base}/reopen", {"target": "draft", "reason": "想改", "version": version})):
        assert client.post(path, data=data).status_code == 403, path
    # reviewer field names posted to the self form are ignored (and the sheet is read-only anyway)
    client.post(base, data={"reviewer_points": "1", "i3": "1", "version": version})
    assert sheet_of(bureau_a.tenant).entry_for("SX1").reviewer_points == Decimal("5.50")
    client.post("/logout")

    review_fully(client, bureau_a)
    login(client, bureau_a.admin.username)
    page = client.get(base).get_data(as_text=True)
    assert SECRET_COMMENT in page and "review.indicator.SX1" in page
    result = client.get(f"{base}/result")
    assert result.status_code == 200 and page_figures(result.get_data(as_text=True))["grade"] == "好"
    assert client.get(f"{base}/print").status_code == 200
    assert client.get(f"{base}/review").status_code == 403  # the review page itself stays the city's


def test_a_draft_bureau_cannot_post_reviewer_values(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, {})
    login(client, bureau_a.admin.username)
    data = form_fields(assigned.body, "self", {"SX1": "4"}, version=version_of(bureau_a.tenant))
    data.update({"reviewer_points": "6", "reviewer_comment": "自己给自己打分", "comment": "x"})
    assert client.post(f"/b/{bureau_a.slug}/scoring/2026", data=data).status_code == 302
    entries = sheet_of(bureau_a.tenant).entries
    assert all(e.reviewer_points is None and e.reviewer_level is None and not e.reviewer_comment for e in entries)
    assert sheet_of(bureau_a.tenant).reviewer_comment == ""


def test_city_viewers_read_the_review_but_cannot_write(app, client, bureau_a, assigned, city_viewer):
    start_and_fill(client, bureau_a, submit=True)
    login(client, "leader")
    base = f"/b/{bureau_a.slug}/scoring/2026"
    assert client.get(f"{base}/review").status_code == 200
    assert client.get(f"{base}/result").status_code == 200
    data = form_fields(assigned.body, "reviewer", EXAMPLE_SCORES["reviewer"], version=version_of(bureau_a.tenant))
    assert client.post(f"{base}/review", data=data).status_code == 403
    assert client.post(f"{base}/review/complete", data={"version": version_of(bureau_a.tenant)}).status_code == 403


def test_the_whole_review_and_its_audit_in_bureau_and_catalog(app, client, bureau_a, assigned, city_admin):
    start_and_fill(client, bureau_a, submit=True)
    review_fully(client, bureau_a)
    sheet = sheet_of(bureau_a.tenant)
    assert (sheet.status, sheet.finalised_by) == ("final", "工委管理员")
    assert [a.rule for a in sheet.adjustments] == ["B3", "B4", "D1"]
    assert sheet.adjustments[0].points == Decimal("1.00") and sheet.ballot.counts == {"好": 38, "较好": 9, "一般": 2, "差": 1}
    with tenant_context(bureau_a.tenant):
        bureau_actions = db.session.scalars(select(TenantAuditEvent.action)).all()
    city_actions = db.session.scalars(select(CatalogAuditEvent.action).where(
        CatalogAuditEvent.tenant_slug == bureau_a.slug, CatalogAuditEvent.entity_type == "score_sheet")).all()
    for action in ("score_sheet.review_save", "score_sheet.ballot", "score_sheet.adjustment_add",
                   "score_sheet.review_complete", "score_sheet.finalise"):
        assert action in bureau_actions and action in city_actions, action
    assert "score_sheet.self_save" not in city_actions  # the bureau's own work stays in the bureau
    with tenant_context(bureau_a.tenant):
        figures = services.metrics(YEAR)
    assert figures["status"] == "final" and figures["grade"] == "好"
    assert (figures["self_total"], figures["reviewer_total"], figures["composite"]) == (
        Decimal("99"), Decimal("86.8"), Decimal("92.08"))


def test_final_sheets_are_locked_and_reopening_needs_a_city_admin_and_a_reason(app, client, bureau_a, assigned,
                                                                              city_admin):
    start_and_fill(client, bureau_a, submit=True)
    review_fully(client, bureau_a)
    login(client, "city")
    base = f"/b/{bureau_a.slug}/scoring/2026"
    data = form_fields(assigned.body, "reviewer", dict(EXAMPLE_SCORES["reviewer"], SX1="1"),
                       version=version_of(bureau_a.tenant))
    client.post(f"{base}/review", data=data)
    assert sheet_of(bureau_a.tenant).entry_for("SX1").reviewer_points == Decimal("5.50")  # final: refused
    response = client.post(f"{base}/reopen", data={"target": "reviewed", "reason": "", "version": version_of(bureau_a.tenant)})
    assert response.status_code == 200 and sheet_of(bureau_a.tenant).status == "final"
    response = client.post(f"{base}/reopen", data={"target": "reviewed", "reason": "民主测评票数录入有误",
                                                   "version": version_of(bureau_a.tenant)})
    assert response.status_code == 302 and sheet_of(bureau_a.tenant).status == "reviewed"
    event = db.session.scalars(select(CatalogAuditEvent).where(CatalogAuditEvent.action == "score_sheet.reopen")).one()
    assert event.after == {"status": "reviewed", "reason": "民主测评票数录入有误"} and event.tenant_slug == bureau_a.slug
    with tenant_context(bureau_a.tenant):
        assert db.session.scalars(select(TenantAuditEvent).where(
            TenantAuditEvent.action == "score_sheet.reopen")).one().before == {"status": "final"}
    client.post(f"{base}/reopen", data={"target": "draft", "reason": "退回单位补充佐证材料",
                                        "version": version_of(bureau_a.tenant)})
    assert sheet_of(bureau_a.tenant).status == "draft"
    client.post("/logout")
    login(client, bureau_a.admin.username)
    data = form_fields(assigned.body, "self", dict(EXAMPLE_SCORES["self"], SX1="5"), version=version_of(bureau_a.tenant))
    assert client.post(base, data=data).status_code == 302
    assert sheet_of(bureau_a.tenant).entry_for("SX1").self_points == Decimal("5.00")


def test_a_locked_year_refuses_every_write_with_a_clear_message(app, client, bureau_a, bureau_b, assigned,
                                                               city_admin):
    start_and_fill(client, bureau_a, {"SX1": "3"})
    start_and_fill(client, bureau_b, submit=True)
    years.lock_year(YEAR, "2026年度考核工作已结束", actor=city_admin)
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/scoring/2026"
    page = client.get(base).get_data(as_text=True)
    assert "2026年度考核工作已结束" in page and 'name="i3"' not in page
    data = form_fields(assigned.body, "self", {"SX1": "6"}, version=version_of(bureau_a.tenant))
    response = client.post(base, data=data)
    assert "2026年度考核工作已结束" in response.get_data(as_text=True)
    assert sheet_of(bureau_a.tenant).entry_for("SX1").self_points == Decimal("3.00")
    response = client.post(f"{base}/submit", data={"version": version_of(bureau_a.tenant)}, follow_redirects=True)
    assert "2026年度考核工作已结束" in response.get_data(as_text=True)
    client.post("/logout")

    login(client, "city")
    other = f"/b/{bureau_b.slug}/scoring/2026"
    review = form_fields(assigned.body, "reviewer", EXAMPLE_SCORES["reviewer"], version=version_of(bureau_b.tenant))
    response = client.post(f"{other}/review", data=review, follow_redirects=True)
    assert "2026年度考核工作已结束" in response.get_data(as_text=True)
    assert sheet_of(bureau_b.tenant).entry_for("SX1").reviewer_points is None
    with tenant_context(bureau_b.tenant):
        sheet = services.get_sheet(YEAR)
        with pytest.raises(Locked):
            services.add_adjustment(sheet, kind="bonus", rule="B3", points=None, reason="表彰", version=sheet.version)
        with pytest.raises(Locked):
            services.reopen(sheet, target="draft", reason="退回", version=sheet.version)


def test_a_stale_form_is_refused_and_shows_the_current_values(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, {"SX1": "3"})
    stale_version = version_of(bureau_a.tenant)
    other = app.test_client()
    login(other, bureau_a.editor.username)
    data = form_fields(assigned.body, "self", {"SX1": "4"}, version=stale_version)
    assert other.post(f"/b/{bureau_a.slug}/scoring/2026", data=data).status_code == 302
    login(client, bureau_a.admin.username)
    mine = form_fields(assigned.body, "self", {"SX1": "5"}, version=stale_version)
    response = client.post(f"/b/{bureau_a.slug}/scoring/2026", data=mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "alert-danger" in page
    assert 'value="4"' in page  # the current value, not the stale submission
    assert sheet_of(bureau_a.tenant).entry_for("SX1").self_points == Decimal("4.00")


def test_adjustment_rules(app, client, bureau_a, assigned, city_admin):
    start_and_fill(client, bureau_a, submit=True)
    login(client, "city")
    base = f"/b/{bureau_a.slug}/scoring/2026/review/adjustments"

    def add(**data):
        return client.post(base, data=dict(data, version=version_of(bureau_a.tenant)))

    assert add(kind="veto", rule="V1", reason="班子成员被立案审查").status_code == 200  # no 文号
    assert add(kind="veto", rule="B1", reason="x", document="d").status_code == 200  # not a veto rule
    assert add(kind="bonus", reason="无规则也无分值").status_code == 200
    assert add(kind="bonus", points="0", reason="零分").status_code == 200
    assert add(kind="deduction", rule="B1", reason="规则类别不符").status_code == 200
    assert sheet_of(bureau_a.tenant).adjustments == []
    assert add(kind="bonus", points="2.5", reason="全市述职评议排名第一").status_code == 302
    assert add(kind="deduction", rule="D2", reason="轻处分", points="9").status_code == 302  # the rule fixes the points
    assert add(kind="veto", rule="V1", reason="班子成员被立案审查", document="市纪委〔2026〕5号").status_code == 302
    adjustments = sheet_of(bureau_a.tenant).adjustments
    assert [(a.kind, a.rule, a.points) for a in adjustments] == [
        ("bonus", None, Decimal("2.50")), ("deduction", "D2", Decimal("3.00")), ("veto", "V1", None)]
    assert adjustments[1].rule_title == "干部职工受到轻处分（每人次）"
    response = client.post(f"{base}/{adjustments[0].id}/delete", data={"version": version_of(bureau_a.tenant)})
    assert response.status_code == 302 and len(sheet_of(bureau_a.tenant).adjustments) == 2
    assert client.post(f"{base}/999/delete", data={"version": version_of(bureau_a.tenant)}).status_code == 302


def test_ballot_rules(app, client, bureau_a, assigned, city_admin):
    start_and_fill(client, bureau_a, submit=True)
    login(client, "city")
    url = f"/b/{bureau_a.slug}/scoring/2026/review/ballot"
    votes = {"v0": "30", "v1": "10", "v2": "5", "v3": "1"}
    response = client.post(url, data=dict(votes, present="40", eligible="50", version=version_of(bureau_a.tenant)))
    assert response.status_code == 200 and sheet_of(bureau_a.tenant).ballot is None  # 46 votes, 40 present
    response = client.post(url, data=dict(votes, present="48", eligible="45", version=version_of(bureau_a.tenant)))
    assert response.status_code == 200  # more present than expected
    response = client.post(url, data=dict(votes, present="48", eligible="50", held_on="2026-12-20",
                                          version=version_of(bureau_a.tenant)))
    assert response.status_code == 302
    ballot = sheet_of(bureau_a.tenant).ballot
    assert ballot.counts == {"好": 30, "较好": 10, "一般": 5, "差": 1} and ballot.held_on == date(2026, 12, 20)


def test_completion_and_finalisation_need_a_computable_result(app, client, bureau_a, assigned, city_admin):
    start_and_fill(client, bureau_a, submit=True)
    login(client, "city")
    base = f"/b/{bureau_a.slug}/scoring/2026"
    client.post(f"{base}/review/complete", data={"version": version_of(bureau_a.tenant)})
    assert sheet_of(bureau_a.tenant).status == "self_submitted"  # nothing reviewed, no ballot
    client.post(f"{base}/finalise", data={"version": version_of(bureau_a.tenant)})
    assert sheet_of(bureau_a.tenant).status == "self_submitted"
    page = client.get(f"{base}/review").get_data(as_text=True)
    assert "reviewer.ZZ2" in page  # what is still missing, by path


def test_evidence_links_the_bureau_s_attachments(app, client, bureau_a, assigned):
    with tenant_context(bureau_a.tenant):
        duty_list = DutyList(year=YEAR, title="2026年度责任清单", status="published", areas=[])
        item = DutyItem(duty_list=duty_list, category="party_group", area="political", content="落实第一议题制度")
        record = ProgressRecord(item=item, occurred_on=date(2026, 3, 1), summary="传达学习重要讲话精神")
        files = [Attachment(record=record, sha256=f"{n:064x}", size=2048, kind="pdf", original_name=f"会议纪要{n}.pdf")
                 for n in (1, 2)]
        db.session.add_all([duty_list, item, record, *files])
        db.session.commit()
        ids, record_id = [f.id for f in files], record.id
    start_and_fill(client, bureau_a, {})
    login(client, bureau_a.admin.username)
    page = client.get(f"/b/{bureau_a.slug}/scoring/2026").get_data(as_text=True)
    assert "会议纪要1.pdf" in page
    data = form_fields(assigned.body, "self", {"SX1": "6"}, version=version_of(bureau_a.tenant))
    data["i3_ev"] = [str(ids[0]), str(ids[1])]
    assert client.post(f"/b/{bureau_a.slug}/scoring/2026", data=data).status_code == 302
    assert [a.original_name for a in sheet_of(bureau_a.tenant).entry_for("SX1").evidence] == ["会议纪要1.pdf",
                                                                                                 "会议纪要2.pdf"]
    page = client.get(f"/b/{bureau_a.slug}/scoring/2026").get_data(as_text=True)
    assert f"/b/{bureau_a.slug}/duties/files/{ids[0]}" in page  # the evidence opens from the sheet
    data = form_fields(assigned.body, "self", {"SX1": "6"}, version=version_of(bureau_a.tenant))
    data["i3_ev"] = ["99999"]
    assert client.post(f"/b/{bureau_a.slug}/scoring/2026", data=data).status_code == 200
    assert len(sheet_of(bureau_a.tenant).entry_for("SX1").evidence) == 2
    with tenant_context(bureau_a.tenant):  # deleting the file's record drops the link, not the entry
        db.session.delete(db.session.get(ProgressRecord, record_id))
        db.session.commit()
    assert sheet_of(bureau_a.tenant).entry_for("SX1").evidence == []


def test_the_evidence_picker_shows_what_is_linked_and_keeps_it_on_a_refused_save(app, client, bureau_a, assigned):
    """Ticks prefilled from the entry: saving the page as shown keeps the links, a save
    refused for another field re-renders the choice as posted, and files of the same name
    differ by the record's date, the duty item and the size."""
    import re

    with tenant_context(bureau_a.tenant):
        duty_list = DutyList(year=YEAR, title="2026年度责任清单", status="published", areas=[])
        item = DutyItem(duty_list=duty_list, category="party_group", area="political", content="落实第一议题制度")
        other = DutyItem(duty_list=duty_list, category="party_group", area="political", content="开展警示教育")
        records = [ProgressRecord(item=item, occurred_on=date(2026, 3, 1), summary="传达学习重要讲话精神"),
                   ProgressRecord(item=other, occurred_on=date(2026, 4, 2), summary="警示教育大会"),
                   ProgressRecord(item=item, occurred_on=date(2026, 5, 3), summary="专题学习")]
        files = [Attachment(record=record, sha256=f"{n:064x}", size=2048 * n, kind="pdf",
                            original_name="2026-01-09学习记录.pdf") for n, record in zip((1, 2, 3), records)]
        db.session.add_all([duty_list, item, other, *records, *files])
        db.session.commit()
        ids = [f.id for f in files]
    start_and_fill(client, bureau_a, {})
    login(client, bureau_a.admin.username)
    url = f"/b/{bureau_a.slug}/scoring/2026"
    data = form_fields(assigned.body, "self", {"SX1": "6"}, version=version_of(bureau_a.tenant))
    data["i3_ev"] = [str(ids[0]), str(ids[2])]
    assert client.post(url, data=data).status_code == 302

    def selected(page: str) -> set[str]:
        return set(re.findall(r'<input class="form-check-input" type="checkbox" name="i3_ev" value="(\d+)"'
                              r' id="[^"]+" checked>', page))

    page = client.get(url).get_data(as_text=True)
    assert selected(page) == {str(ids[0]), str(ids[2])}
    assert 'type="checkbox" name="i3_ev"' in page and '<select' not in page.split('name="i3_ev"')[0][-300:]
    for day, text, size in (("2026-03-01", "落实第一议题制度", "2.0 KB"), ("2026-04-02", "开展警示教育", "4.0 KB"),
                            ("2026-05-03", "落实第一议题制度", "6.0 KB")):
        assert f"{day} · {text} · {size}" in page
    data = form_fields(assigned.body, "self", {"SX1": "6.5"}, version=version_of(bureau_a.tenant))  # max 6
    data["i3_ev"] = [str(ids[1])]
    response = client.post(url, data=data)
    assert response.status_code == 200 and selected(response.get_data(as_text=True)) == {str(ids[1])}
    assert [a.id for a in sheet_of(bureau_a.tenant).entry_for("SX1").evidence] == [ids[0], ids[2]]


def test_a_draft_moves_to_a_newer_edition_keeping_what_still_fits(app, client, bureau_a, assigned, city_admin):
    start_and_fill(client, bureau_a, {"SX1": "6", "ZJ3": "5", "ZZ2": "较好"})
    body = services.example_body()
    body["dimensions"][1]["indicators"][0]["max_points"] = 5  # SX1: 6 no longer fits
    del body["dimensions"][2]["indicators"][2]  # ZJ3 removed
    body["dimensions"][2]["indicators"][1]["max_points"] = 12  # keep the total at 100
    second = services.create_from_body(YEAR, body, actor=Actor.city(city_admin))
    second = services.publish(second, version=second.version, actor=Actor.city(city_admin))
    services.set_assignments(second, [bureau_a.tenant.id], actor=Actor.city(city_admin))
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/scoring/2026"
    assert f"{base}/refresh" in client.get(base).get_data(as_text=True)
    assert client.post(f"{base}/refresh", data={"version": version_of(bureau_a.tenant)}).status_code == 302
    sheet = sheet_of(bureau_a.tenant)
    assert sheet.template_edition == 2 and sheet.entry_for("ZJ3") is None
    assert sheet.entry_for("SX1").self_points is None and sheet.entry_for("ZZ2").self_level == "较好"
    with tenant_context(bureau_a.tenant):
        event = db.session.scalars(select(TenantAuditEvent).where(
            TenantAuditEvent.action == "score_sheet.refresh_template")).one()
        assert sorted(event.after["dropped"]) == ["ZJ3", "self.SX1"]


def test_metrics_of_a_bureau_along_the_way(app, client, bureau_a, assigned):
    with tenant_context(bureau_a.tenant):
        assert services.metrics(YEAR)["status"] is None
    start_and_fill(client, bureau_a, {"SX1": "5"})
    with tenant_context(bureau_a.tenant):
        figures = services.metrics(YEAR)
    # A barely started draft has no self score (it used to show SX1's 5 plus the full
    # points of every untouched deduction item, 54): only how far it is.
    assert figures["status"] == "draft" and figures["self_total"] is None and not figures["self_complete"]
    assert figures["progress"]["self"] == {"scored": 1, "total": 15}
    assert figures["reviewer_total"] is None and figures["composite"] is None


def test_services_refuse_unknown_indicators_and_overlong_notes(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, {})
    with tenant_context(bureau_a.tenant):
        sheet = services.get_sheet(YEAR)
        with pytest.raises(ValidationError) as caught:
            services.save_self(sheet, {"NOPE": services.EntryInput(Decimal(1)),
                                       "SX1": services.EntryInput(None, note="长" * 3000)}, version=sheet.version)
        assert set(caught.value.errors) == {"NOPE", "SX1"}
        assert db.session.scalar(select(ScoreEntry).where(ScoreEntry.indicator_code == "NOPE")) is None
