"""The findings services: recording, the workflow, evidence, year lock, audit, metrics."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import CatalogAuditEvent, TenantAuditEvent
from app.core.actor import Actor
from app.errors import Conflict, Locked, PermissionDenied, ValidationError
from app.extensions import db
from app.findings import services
from app.findings.models import CityFinding, Finding, FindingEvidence
from app.tenancy.session import tenant_context
from app.years import services as years

from tests.helpers import PDF, add_evidence, admin_of, city_of, editor_of, finding_data, make_finding


def _get(bureau, finding_id):
    return services.get_finding(finding_id)


def _move(bureau, finding_id, action, actor, note=""):
    with tenant_context(bureau.tenant):
        finding = services.get_finding(finding_id)
        return services.transition(finding, action, note=note, version=finding.version, actor=actor).status


def test_a_bureau_finding_goes_through_the_workflow(app, bureau_a, people):
    fid = make_finding(bureau_a, person_id=people.liaison)
    editor = editor_of(bureau_a)
    assert _move(bureau_a, fid, "start", editor) == "rectifying"
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        services.update_plan(finding, {"measures": "建立记录规范，开展交叉检查。"}, version=finding.version, actor=editor)
    add_evidence(bureau_a, fid, editor)
    assert _move(bureau_a, fid, "submit", editor) == "awaiting_verification"
    with pytest.raises(PermissionDenied):
        _move(bureau_a, fid, "close", editor, note="自己销号")
    assert _move(bureau_a, fid, "close", admin_of(bureau_a), note="经核查，整改到位。") == "closed"
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        assert finding.closed_on == services.today() and finding.verified_by_name == bureau_a.admin.display_name
        steps = [(e.action, e.actor_name) for e in services.history(finding)]
        assert [a for a, _n in steps] == ["create", "start", "plan", "note", "submit", "close"]
        assert steps[-1][1] == bureau_a.admin.display_name and steps[1][1] == bureau_a.editor.display_name
        actions = set(db.session.scalars(select(TenantAuditEvent.action)))
        assert {"finding.create", "finding.start", "finding.plan", "finding.note", "finding.submit",
                "finding.close"} <= actions
        close = db.session.scalar(select(TenantAuditEvent).where(TenantAuditEvent.action == "finding.close"))
        assert close.before["status"] == "awaiting_verification" and close.after["status"] == "closed"


def test_submitting_needs_measures_and_evidence(app, bureau_a, people):
    fid = make_finding(bureau_a, person_id=people.liaison)
    admin = admin_of(bureau_a)
    _move(bureau_a, fid, "start", admin)
    with pytest.raises(ValidationError) as refused:
        _move(bureau_a, fid, "submit", admin)
    assert set(refused.value.errors) == {"measures", "files"}


def test_verification_and_reasons_need_a_note(app, bureau_a):
    fid = make_finding(bureau_a, measures="整改措施")
    admin, colleague = admin_of(bureau_a), _second_admin(bureau_a)
    _move(bureau_a, fid, "start", colleague)
    add_evidence(bureau_a, fid, colleague)
    _move(bureau_a, fid, "submit", colleague)
    for action in ("close", "return"):
        with pytest.raises(ValidationError) as refused:
            _move(bureau_a, fid, action, admin, note="  ")
        assert "note" in refused.value.errors
    assert _move(bureau_a, fid, "return", admin, note="材料不全") == "rectifying"
    with tenant_context(bureau_a.tenant):
        assert services.get_finding(fid).submitted_on is None


def _second_admin(bureau) -> Actor:
    """Another administrator of the same bureau (a colleague of ``bureau.admin``)."""
    return Actor(id=bureau.admin.id + 1000, username="second-admin", display_name="王第二",
                 side="bureau", role="bureau_admin")


def test_who_submitted_a_rectification_does_not_verify_it(app, bureau_a):
    """Four eyes: the administrator who submitted may not close; a colleague may."""
    fid = make_finding(bureau_a, measures="整改措施")
    admin = admin_of(bureau_a)
    _move(bureau_a, fid, "start", admin)
    add_evidence(bureau_a, fid, admin)
    _move(bureau_a, fid, "submit", admin)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        assert "close" not in services.actions_for(finding, admin)
        assert "return" in services.actions_for(finding, admin)  # sending one's own work back is allowed
        assert services.submitted_by_actor(finding, admin)
    with pytest.raises(PermissionDenied) as refused:
        _move(bureau_a, fid, "close", admin, note="自己核查，同意销号。")
    assert "另一名管理员" in str(refused.value.message)
    with tenant_context(bureau_a.tenant):
        assert services.get_finding(fid).status == "awaiting_verification"
    colleague = _second_admin(bureau_a)
    with tenant_context(bureau_a.tenant):
        assert "close" in services.actions_for(services.get_finding(fid), colleague)
    assert _move(bureau_a, fid, "close", colleague, note="经核查，整改到位。") == "closed"
    with tenant_context(bureau_a.tenant):
        assert services.get_finding(fid).verified_by_name == "王第二"


def test_a_resubmission_by_someone_else_frees_the_first_submitter_to_verify(app, bureau_a):
    fid = make_finding(bureau_a, measures="整改措施")
    admin = admin_of(bureau_a)
    _move(bureau_a, fid, "start", admin)
    add_evidence(bureau_a, fid, admin)
    _move(bureau_a, fid, "submit", admin)
    _move(bureau_a, fid, "return", _second_admin(bureau_a), note="材料不全")
    _move(bureau_a, fid, "submit", _second_admin(bureau_a))
    assert _move(bureau_a, fid, "close", admin, note="补充后核查到位。") == "closed"


def test_the_city_raises_and_only_the_city_closes(app, bureau_a, city_admin, people):
    city = city_of(city_admin)
    with tenant_context(bureau_a.tenant):
        fid = services.create_finding(finding_data(source="special_inspection", person_id=people.liaison),
                                      actor=city).id
        finding = services.get_finding(fid)
        assert finding.raised_by_city and finding.raised_by_name == city_admin.display_name
    editor, admin = editor_of(bureau_a), admin_of(bureau_a)
    _move(bureau_a, fid, "start", editor)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        services.update_plan(finding, {"measures": "按要求整改"}, version=finding.version, actor=editor)
        # the bureau may not rewrite what the city found
        assert not services.may_edit_details(finding, admin)
        with pytest.raises(PermissionDenied):
            services.update_details(finding, finding_data(), version=finding.version, actor=admin)
    add_evidence(bureau_a, fid, editor)
    _move(bureau_a, fid, "submit", editor)
    for actor in (admin, editor):
        with pytest.raises(PermissionDenied) as refused:
            _move(bureau_a, fid, "close", actor, note="已整改")
        assert "只能由工委核验销号" in refused.value.message
    assert _move(bureau_a, fid, "close", city, note="经核查，同意销号。") == "closed"
    # a bureau admin cannot reopen the city's finding; the city can
    with pytest.raises(PermissionDenied):
        _move(bureau_a, fid, "reopen", admin, note="再看看")
    assert _move(bureau_a, fid, "reopen", city, note="复查发现问题反弹") == "rectifying"
    # the city's actions are audited in the bureau and in the catalog; the register follows
    db.session.expire_all()
    city_events = set(db.session.scalars(select(CatalogAuditEvent.action).where(
        CatalogAuditEvent.tenant_slug == bureau_a.slug)))
    assert {"finding.create", "finding.close", "finding.reopen"} <= city_events
    assert "finding.start" not in city_events
    entry = db.session.scalar(select(CityFinding).where(CityFinding.finding_id == fid))
    assert entry.status == "rectifying" and entry.tenant_id == bureau_a.tenant.id
    with tenant_context(bureau_a.tenant):
        bureau_events = set(db.session.scalars(select(TenantAuditEvent.action)))
        assert {"finding.create", "finding.close", "finding.reopen", "finding.start"} <= bureau_events
        sides = {e.action: e.side for e in services.history(services.get_finding(fid))}
        assert sides["create"] == "city" and sides["start"] == "bureau" and sides["close"] == "city"


def test_only_admins_and_the_city_admin_raise_findings(app, bureau_a, city_viewer):
    for actor in (editor_of(bureau_a), city_of(city_viewer)):
        with pytest.raises(PermissionDenied):
            make_finding(bureau_a, actor=actor)


def test_an_editor_who_is_not_responsible_cannot_work(app, bureau_a, people):
    fid = make_finding(bureau_a, person_id=people.secretary)
    with pytest.raises(PermissionDenied):
        _move(bureau_a, fid, "start", editor_of(bureau_a))
    with pytest.raises(PermissionDenied):
        add_evidence(bureau_a, fid, editor_of(bureau_a))


def test_the_responsible_editor_writes_measures_but_does_not_reassign(app, bureau_a, people):
    fid = make_finding(bureau_a, person_id=people.liaison)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        services.update_plan(finding, {"person_id": people.secretary, "measures": "措施"},
                             version=finding.version, actor=editor_of(bureau_a))
        finding = services.get_finding(fid)
        assert finding.person_id == people.liaison and finding.measures == "措施"


def test_validation_messages_by_field(app, bureau_a):
    with tenant_context(bureau_a.tenant):
        with pytest.raises(ValidationError) as refused:
            services.create_finding({"source": "rumour", "description": "", "found_on": "2026-02-30",
                                     "due_on": "2026-01-01", "area": "nowhere", "severity": "tiny",
                                     "person_id": "abc", "duty_item_id": 999999, "batch": "x" * 201},
                                    actor=admin_of(bureau_a))
    assert {"source", "description", "found_on", "area", "severity", "person_id", "duty_item_id",
            "batch"} <= set(refused.value.errors)
    with tenant_context(bureau_a.tenant):
        with pytest.raises(ValidationError) as refused:
            services.create_finding(finding_data(found_on=date(2026, 5, 1), due_on=date(2026, 4, 1)),
                                    actor=admin_of(bureau_a))
    assert "due_on" in refused.value.errors


def test_a_stale_version_is_refused(app, bureau_a):
    fid = make_finding(bureau_a)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        old = finding.version
        services.update_details(finding, finding_data(description="改过的描述"), version=old, actor=admin_of(bureau_a))
        with pytest.raises(Conflict) as refused:
            services.transition(finding, "start", version=old, actor=admin_of(bureau_a))
        assert "已被他人修改" in refused.value.message or "Changed by someone else" in refused.value.message


def test_the_year_lock_applies_to_findings_of_that_year(app, bureau_a, city_admin):
    fid = make_finding(bureau_a, measures="措施")
    year = services.today().year
    years.lock_year(year, "年度考核结束", actor=city_admin)
    with pytest.raises(Locked):
        _move(bureau_a, fid, "start", admin_of(bureau_a))
    with pytest.raises(Locked):
        add_evidence(bureau_a, fid, admin_of(bureau_a))
    with pytest.raises(ValidationError) as refused:
        make_finding(bureau_a)
    assert "found_on" in refused.value.errors
    # a finding of another year is not affected
    other = make_finding(bureau_a, found_on=date(year - 1, 12, 1), due_on=date(year - 1, 12, 31))
    assert _move(bureau_a, other, "start", admin_of(bureau_a)) == "rectifying"
    years.unlock_year(year, "更正数据", actor=city_admin)
    assert _move(bureau_a, fid, "start", admin_of(bureau_a)) == "rectifying"


def test_evidence_is_stored_under_the_findings_namespace_and_removed_with_its_last_row(app, bureau_a):
    fid = make_finding(bureau_a)
    admin = admin_of(bureau_a)
    add_evidence(bureau_a, fid, admin, "a.pdf")
    add_evidence(bureau_a, fid, admin, "b.pdf")  # same bytes: stored once
    store = app.extensions["zeren.blob_store"]
    with tenant_context(bureau_a.tenant):
        rows = list(db.session.scalars(select(FindingEvidence).order_by(FindingEvidence.id)))
        assert len(rows) == 2 and rows[0].blob_key == rows[1].blob_key != rows[0].sha256
        assert store.exists(bureau_a.slug, rows[0].blob_key)
        assert not store.exists(bureau_a.slug, rows[0].sha256)  # the duties' key is left alone
        assert services.open_evidence(rows[0]).read() == PDF
        services.remove_evidence(rows[0], actor=admin)
        assert store.exists(bureau_a.slug, rows[1].blob_key)
        services.remove_evidence(services.get_evidence(rows[1].id), actor=admin)
        assert not store.exists(bureau_a.slug, rows[1].blob_key)
        history = [e.action for e in services.history(services.get_finding(fid))]
        assert history.count("evidence_removed") == 2


def test_uploads_follow_the_duties_rules(app, bureau_a):
    fid = make_finding(bureau_a)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        with pytest.raises(ValidationError) as refused:
            services.add_note(finding, {"occurred_on": services.today(), "text": "说明"},
                              files=[services.Upload(io.BytesIO(b"MZ\x90\x00 not a pdf"), "报告.pdf"),
                                     services.Upload(io.BytesIO(b"#!/bin/sh"), "run.sh")],
                              actor=admin_of(bureau_a))
        assert len(refused.value.errors["files"]) == 2
        assert services.evidence_count(finding) == 0 and not finding.notes
        with pytest.raises(ValidationError) as refused:
            services.add_note(finding, {"occurred_on": services.today() + timedelta(days=3), "text": ""},
                              actor=admin_of(bureau_a))
        assert set(refused.value.errors) == {"occurred_on", "text"}


def test_linking_evidence_of_the_related_duty_item(app, bureau_a):
    from app.evidence.models import Attachment
    from app.duties.models import DutyItem, DutyList, ProgressRecord
    from app.evidence.storage import put_bytes

    with tenant_context(bureau_a.tenant):
        duty_list = DutyList(year=services.today().year, title="2026年度主体责任清单", status="published", areas=[])
        item = DutyItem(duty_list=duty_list, category="party_group", area="organisational", content="落实“三会一课”制度")
        record = ProgressRecord(item=item, occurred_on=services.today(), summary="检查支部记录")
        upload = put_bytes(bureau_a.slug, PDF, "检查记录.pdf")
        record.attachments.append(Attachment(sha256=upload.sha256, size=upload.size, kind=upload.kind,
                                             original_name=upload.name))
        db.session.add(duty_list)
        db.session.commit()
        item_id, attachment_id = item.id, record.attachments[0].id
    fid = make_finding(bureau_a, duty_item_id=item_id)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        assert [a.id for a in services.linkable_attachments(finding)] == [attachment_id]
        note = services.add_note(finding, {"occurred_on": services.today(), "text": "引用履责纪实材料"},
                                 link_ids=[str(attachment_id)], actor=admin_of(bureau_a))
        evidence = note.evidence[0]
        assert evidence.attachment_id == attachment_id and evidence.original_name == "检查记录.pdf"
        # the duties package deletes its blob with its last attachment: the finding keeps its copy
        app.extensions["zeren.blob_store"].delete(bureau_a.slug, upload.sha256)
        assert services.open_evidence(evidence).read() == PDF
        with pytest.raises(ValidationError):
            services.add_note(finding, {"occurred_on": services.today(), "text": "x"}, link_ids=["999"],
                              actor=admin_of(bureau_a))


def test_delete_only_open_findings_without_notes(app, bureau_a):
    fid = make_finding(bureau_a)
    admin = admin_of(bureau_a)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        services.delete_finding(finding, version=finding.version, actor=admin)
        assert db.session.get(Finding, fid) is None
    fid = make_finding(bureau_a)
    add_evidence(bureau_a, fid, admin)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        with pytest.raises(PermissionDenied):
            services.delete_finding(finding, version=finding.version, actor=admin)


def test_lists_filters_and_grouping(app, bureau_a, people):
    today = services.today()
    late = make_finding(bureau_a, person_id=people.secretary, found_on=today - timedelta(days=40),
                        due_on=today - timedelta(days=1), source="special_inspection", batch="督查A")
    make_finding(bureau_a, person_id=people.liaison, batch="巡视B")
    make_finding(bureau_a, batch="巡视B")
    with tenant_context(bureau_a.tenant):
        rows = services.finding_rows()
        assert len(rows) == 3
        assert [r.finding.id for r in services.finding_rows(services.Filters(overdue=True))] == [late]
        assert len(services.finding_rows(services.Filters(batch="巡视B"))) == 2
        assert len(services.finding_rows(services.Filters(source="special_inspection"))) == 1
        assert len(services.finding_rows(services.Filters(person="none"))) == 1
        assert len(services.finding_rows(services.Filters(person=str(people.liaison)))) == 1
        groups = services.by_person(rows)
        assert [p.name if p else None for p, _rows in groups] == ["王书记", "孙联络", None]
        assert services.batches()[0] in ("巡视B", "督查A")
        # the SQL overdue condition agrees with the pure rule
        for row in rows:
            match = db.session.scalar(select(Finding.id).where(Finding.id == row.finding.id,
                                                               services.overdue_clause(today)))
            assert (match is not None) == row.overdue


def test_bad_filter_values_are_ignored():
    filters = services.Filters.from_args({"year": "20x6", "status": "bogus", "person": "1; drop", "source": "<x>",
                                          "overdue": "1", "origin": "mars", "q": "x" * 500})
    assert filters.year is None and filters.status == "" and filters.person == "" and filters.source == ""
    assert filters.overdue and filters.origin == "" and len(filters.q) == 100


def test_metrics_formula(app, bureau_a):
    today = services.today()
    year = today.year
    admin = admin_of(bureau_a)
    ids = [make_finding(bureau_a, found_on=today - timedelta(days=d), due_on=today - timedelta(days=d) + timedelta(days=5),
                        measures="措施") for d in (30, 20, 10)]
    make_finding(bureau_a, found_on=today, due_on=today + timedelta(days=9))
    for fid in ids[:2]:
        _move(bureau_a, fid, "start", admin)
        add_evidence(bureau_a, fid, admin)
        _move(bureau_a, fid, "submit", admin)
        _move(bureau_a, fid, "close", _second_admin(bureau_a), note="同意销号")
    with tenant_context(bureau_a.tenant):
        figures = services.metrics(year, as_of=today)
    assert figures["findings_total"] == 4 and figures["findings_closed"] == 2 and figures["findings_open"] == 2
    assert figures["findings_overdue"] == 1  # the third: found 10 days ago, due 5 days ago
    assert figures["closure_rate"] == 0.5
    assert figures["median_days_to_close"] == 25.0  # closed today: 30 and 20 days after being found
    with tenant_context(bureau_a.tenant):
        empty = services.metrics(year - 5)
    assert empty["findings_total"] == 0 and empty["closure_rate"] is None and empty["median_days_to_close"] is None


def test_who_may_reopen_is_configured(app, bureau_a, city_admin):
    fid = make_finding(bureau_a, measures="措施")
    admin = admin_of(bureau_a)
    _move(bureau_a, fid, "start", admin)
    add_evidence(bureau_a, fid, admin)
    _move(bureau_a, fid, "submit", admin)
    _move(bureau_a, fid, "close", _second_admin(bureau_a), note="同意销号")
    app.config["FINDINGS_REOPEN_ROLES"] = "city_admin"
    with pytest.raises(PermissionDenied):
        _move(bureau_a, fid, "reopen", admin, note="复查")
    app.config["FINDINGS_REOPEN_ROLES"] = "city_admin,bureau_admin"
    assert _move(bureau_a, fid, "reopen", admin, note="复查发现反弹") == "rectifying"
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        assert finding.closed_on is None and finding.status == "rectifying"
