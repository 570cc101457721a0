"""The audit administrator's page: filters (who, what, when, bureau, a bureau's own
records), pages, the Excel export (itself audited), hostile filter values; and every file a
page hands out (evidence, exports) is audited through one hook."""
from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from app.audit import services as audit
from app.audit.models import CatalogAuditEvent
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.models import utcnow
from app.tenancy.session import tenant_context
from tests.helpers import PASSWORD, add_evidence, admin_of, login, make_finding


def _who(page: str) -> list[str]:
    return re.findall(r'audit-who">([^<]*)</strong>', page)


def _sentences(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", s).strip() for s in re.findall(r'audit-sentence">(.*?)</p>', page, re.S)]


def _seed(days_ago: dict[str, int]) -> None:
    with unit_of_work():
        for summary, age in days_ago.items():
            event = audit.record_city("tenant.update", "tenant", summary=summary, tenant_slug="bureau-a")
            event.at = utcnow() - timedelta(days=age)


def test_the_page_is_the_audit_administrators(app, client, city_admin, city_viewer, bureau_a):
    from app.accounts import services as accounts

    login(client, "city")
    assert client.get("/city/audit/").status_code == 200
    leader = app.test_client()
    login(leader, "leader")
    assert leader.get("/city/audit/").status_code == 403
    assert leader.get("/city/audit/export.xlsx").status_code == 403
    stranger = app.test_client()
    login(stranger, bureau_a.admin.username)
    assert stranger.get("/city/audit/").status_code == 404
    accounts.create_user("shenji", "审计管理员", PASSWORD, role="audit_admin")
    db.session.commit()
    auditor = app.test_client()
    login(auditor, "shenji")
    assert auditor.get("/city/audit/").status_code == 200


def test_filters_by_who_what_when_and_bureau(app, client, city_admin, bureau_a, bureau_b):
    _seed({"三天前的修改": 3, "十天前的修改": 10, "四十天前的修改": 40})
    login(client, "city")
    by_bureau = client.get("/city/audit/?bureau=bureau-b").get_data(as_text=True)
    assert all("三天前" not in s for s in _sentences(by_bureau)) and _sentences(by_bureau)
    today = utcnow().date()
    window = client.get(f"/city/audit/?date_from={today - timedelta(days=12)}&date_to={today - timedelta(days=5)}"
                        ).get_data(as_text=True)
    assert [s for s in _sentences(window)] == ["系统 十天前的修改"]
    accounts = client.get("/city/audit/?what=account&bureau=bureau-a").get_data(as_text=True)
    assert accounts.count("audit-sentence") >= 3 and all("修改" not in s for s in _sentences(accounts))
    by_name = client.get("/city/audit/?logins=1&who=" + "工委").get_data(as_text=True)  # part of the person's name
    assert set(_who(by_name)) == {"工委管理员"}
    assert "系统" not in _who(by_name)
    sessions = client.get("/city/audit/?what=session").get_data(as_text=True)
    assert _sentences(sessions) and all("登录" in s for s in _sentences(sessions))


def test_a_bureaus_own_records(app, client, city_admin, bureau_a):
    with tenant_context(bureau_a.tenant), unit_of_work():
        audit.record_bureau("person.create", "person", 1, summary="新增责任人 李明")
    login(client, "city")
    page = client.get("/city/audit/?bureau=bureau-a&source=bureau").get_data(as_text=True)
    assert "新增责任人 李明" in page
    assert "新增责任人 李明" not in client.get("/city/audit/?bureau=bureau-a").get_data(as_text=True)


def test_pages_of_fifty(app, client, city_admin):
    _seed({f"第{n}条": 1 for n in range(120)})
    login(client, "city")
    first = client.get("/city/audit/?what=tenant").get_data(as_text=True)
    assert first.count("audit-sentence") == 50 and "1 / 3" in first
    third = client.get("/city/audit/?what=tenant&page=3").get_data(as_text=True)
    assert third.count("audit-sentence") == 20
    assert 'href="?page=2&amp;what=tenant"' in third


def test_the_export_holds_the_filtered_events_and_is_audited(app, client, city_admin, bureau_a):
    _seed({"=HYPERLINK(\"http://x\")": 2, "十天前的修改": 10})
    login(client, "city")
    response = client.get("/city/audit/export.xlsx?what=tenant&bureau=bureau-a")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    summaries = [row[6] for row in rows]
    assert "十天前的修改" in summaries and "'=HYPERLINK(\"http://x\")" in summaries
    assert all(row[1] == "市财政局" for row in rows)
    assert all(isinstance(row[9], int) and len(row[10]) == 64 for row in rows)
    event = db.session.scalars(select(CatalogAuditEvent).order_by(CatalogAuditEvent.seq.desc()).limit(1)).one()
    assert (event.action, event.entity_type) == ("file.export", "export")
    assert "审计记录" in event.summary and "export.xlsx" in event.after["page"]
    assert audit.verify(CatalogAuditEvent).ok


def test_hostile_filter_values_get_messages(app, client, city_admin, bureau_a):
    login(client, "city")
    for query, message in (("date_from=2026-13-45", "2000"), ("date_to=<script>", "2000"),
                           ("date_from=1900-01-01", "2000"), ("date_from=2026-05-01&date_to=2026-04-01", "早于"),
                           ("what=drop table", "列表"), ("bureau=%3Cscript%3E", "列表"),
                           ("source=bureau", "单位"), ("who=" + "x" * 10000, "60"), ("who=a%00b", "字符"),
                           ("page=-1&logins=%F0%9F%98%80", None), ("who=%25%5F%5C", None)):
        response = client.get("/city/audit/?" + query)
        assert response.status_code == 200, query
        page = response.get_data(as_text=True)
        assert "<script>" not in page.replace('<script src="', "")
        if message:
            assert "invalid-feedback" in page and message in page, (query, re.findall(r"invalid-feedback[^<]*<", page))
        export = client.get("/city/audit/export.xlsx?" + query)
        assert export.status_code == 200, query


def test_files_handed_out_are_audited_once_each(app, client, city_admin, bureau_a):
    finding_id = make_finding(bureau_a)
    add_evidence(bureau_a, finding_id, admin_of(bureau_a), name="整改报告.pdf")
    with tenant_context(bureau_a.tenant):
        from app.findings.models import FindingEvidence

        evidence_id = db.session.scalars(select(FindingEvidence.id)).first()

    def last():
        return db.session.scalars(select(CatalogAuditEvent).order_by(CatalogAuditEvent.seq.desc()).limit(1)).one()

    editor = app.test_client()
    login(editor, bureau_a.editor.username)
    assert editor.get(f"/b/bureau-a/findings/evidence/{evidence_id}").status_code == 200
    event = last()
    assert (event.action, event.entity_type, event.entity_id, event.tenant_slug) == (
        "file.download", "attachment", str(evidence_id), "bureau-a")
    assert event.summary == "下载证明材料「整改报告.pdf」" and event.actor_name == bureau_a.editor.username
    assert editor.get("/b/bureau-a/findings/export.xlsx").status_code == 200
    assert (last().action, last().entity_id, last().tenant_slug) == ("file.export", "bureau.findings.export", "bureau-a")
    login(client, "city")
    assert client.get(f"/city/findings/bureau-a/evidence/{evidence_id}").status_code == 200
    assert (last().action, last().tenant_slug, last().actor_name) == ("file.download", "bureau-a", "city")
    assert client.get("/city/dashboard.xlsx").status_code == 200
    assert (last().action, last().tenant_slug) == ("file.export", None)
    count = db.session.query(CatalogAuditEvent).count()
    client.get("/city/")  # a page, not a file
    client.get(f"/city/findings/bureau-a/evidence/{evidence_id + 99}")  # 404: nothing handed out
    assert db.session.query(CatalogAuditEvent).count() == count
    assert audit.verify(CatalogAuditEvent).ok
