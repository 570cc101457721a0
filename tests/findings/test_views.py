"""The findings pages: lists, ledger, detail and workflow through HTTP, on both sides."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select

from app.core.actor import Actor
from app.findings import services
from app.findings.models import CityFinding, Finding
from app.tenancy.session import tenant_context
from tests.helpers import login

from tests.helpers import PDF, add_evidence, admin_of, make_finding


def _version(bureau, fid):
    with tenant_context(bureau.tenant):
        return services.get_finding(fid).version


def test_the_three_lists_ledger_and_exports_render(app, client, bureau_a, people):
    today = services.today()
    make_finding(bureau_a, person_id=people.liaison, description="党费收缴不规范=SUM(A1)", batch="2026年机关党建专项督查")
    make_finding(bureau_a, found_on=today - timedelta(days=60), due_on=today - timedelta(days=2),
                 description="警示教育开展频次不足")
    login(client, bureau_a.viewer.username)
    base = f"/b/{bureau_a.slug}/findings"
    for path in ("/", "/responsibility", "/rectification", "/?overdue=1&year=2026&status=open&source=x&person=none",
                 "/rectification?batch=2026年机关党建专项督查", "/responsibility?q=党费"):
        response = client.get(base + path)
        assert response.status_code == 200, path
        assert "督查整改" in response.get_data(as_text=True) or "Supervision" in response.get_data(as_text=True)
    page = client.get(base + "/?overdue=1").get_data(as_text=True)
    assert "警示教育开展频次不足" in page and "党费收缴不规范" not in page
    grouped = client.get(base + "/responsibility").get_data(as_text=True)
    assert "孙联络" in grouped
    ledger = client.get(base + "/ledger")
    assert ledger.status_code == 200
    text = ledger.get_data(as_text=True)
    assert "findings-print.css" in text and "<nav" not in text and "警示教育开展频次不足" in text
    assert "style=" not in text and "<script>" not in text
    export = client.get(base + "/export.xlsx")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    assert client.get(base + "/template.xlsx").data[:2] == b"PK"
    # viewers see no buttons to raise findings, and may not
    assert "/findings/new" not in client.get(base + "/").get_data(as_text=True)
    assert client.get(base + "/new").status_code == 403
    assert client.post(base + "/new", data={}).status_code == 403


def test_a_bureau_admin_records_and_the_editor_rectifies(app, client, bureau_a, people):
    login(client, bureau_a.admin.username)
    today = services.today()
    response = client.post(f"/b/{bureau_a.slug}/findings/new", data={
        "source": "self_check", "batch": "上半年自查", "batch_date": today.isoformat(),
        "description": "制度修订滞后", "area": "institutional", "severity": "major",
        "found_on": today.isoformat(), "due_on": (today + timedelta(days=20)).isoformat(),
        "person_id": str(people.liaison), "duty_item_id": "", "measures": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    with tenant_context(bureau_a.tenant):
        from app.extensions import db

        fid = db.session.scalar(select(Finding.id))
    client.post("/logout")
    login(client, bureau_a.editor.username)
    base = f"/b/{bureau_a.slug}/findings/{fid}"
    page = client.get(base).get_data(as_text=True)
    assert "transition-start" in page
    assert client.post(f"{base}/transition/start", data={"start-version": _version(bureau_a, fid)}).status_code == 302
    assert client.post(f"{base}/plan", data={"measures": "全面梳理制度", "version": _version(bureau_a, fid)}).status_code == 302
    response = client.post(f"{base}/notes", data={
        "occurred_on": today.isoformat(), "text": "印发制度汇编",
        "files": (io.BytesIO(PDF), "制度汇编.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert client.post(f"{base}/transition/submit", data={"submit-version": _version(bureau_a, fid)}).status_code == 302
    # the editor cannot verify; the button is not there and the POST is refused
    assert "transition-close" not in client.get(base).get_data(as_text=True)
    refused = client.post(f"{base}/transition/close", data={"close-version": _version(bureau_a, fid), "close-note": "ok"})
    assert refused.status_code == 403
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        assert finding.status == "awaiting_verification" and finding.measures == "全面梳理制度"
        evidence = finding.notes[0].evidence[0]
    download = client.get(f"/b/{bureau_a.slug}/findings/evidence/{evidence.id}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]


def test_a_stale_transition_says_changed_by_someone_else(app, client, bureau_a):
    fid = make_finding(bureau_a)
    stale = _version(bureau_a, fid)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        services.update_details(finding, {**_details(finding), "description": "新的描述"}, version=stale,
                                actor=admin_of(bureau_a))
    login(client, bureau_a.admin.username)
    response = client.post(f"/b/{bureau_a.slug}/findings/{fid}/transition/start", data={"start-version": stale})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert ("已被他人修改" in text or "Changed by someone else" in text) and "新的描述" in text


def _details(finding):
    return {k: getattr(finding, k) for k in services.DETAIL_FIELDS}


def test_city_logs_a_finding_and_verifies_it(app, client, bureau_a, city_admin, people):
    today = services.today()
    login(client, "city")
    assert client.get("/city/findings/").status_code == 200
    form = client.get(f"/city/findings/{bureau_a.slug}/new")
    assert form.status_code == 200 and "孙联络" in form.get_data(as_text=True)
    response = client.post(f"/city/findings/{bureau_a.slug}/new", data={
        "source": "special_inspection", "batch": "2026年机关党建专项督查", "batch_date": today.isoformat(),
        "description": "主题党日活动内容单一", "area": "organisational", "severity": "general",
        "found_on": today.isoformat(), "due_on": (today + timedelta(days=30)).isoformat(),
        "person_id": str(people.liaison), "duty_item_id": "", "measures": ""})
    assert response.status_code == 302
    fid = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    entry = app.extensions["sqlalchemy"].session.scalar(select(CityFinding))
    assert entry.finding_id == fid and entry.status == "open"
    # the bureau rectifies (services) and the bureau admin cannot close it over HTTP either
    admin = admin_of(bureau_a)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        services.transition(finding, "start", version=finding.version, actor=admin)
        services.update_plan(finding, {"person_id": people.liaison, "measures": "丰富活动内容"},
                             version=finding.version, actor=admin)
    add_evidence(bureau_a, fid, admin)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        services.transition(finding, "submit", version=finding.version, actor=admin)
    city_page = client.get("/city/findings/").get_data(as_text=True)
    assert "主题党日活动内容单一" in city_page
    detail = client.get(f"/city/findings/{bureau_a.slug}/{fid}").get_data(as_text=True)
    assert "transition-close" in detail and "整改报告.pdf" in detail
    with tenant_context(bureau_a.tenant):
        evidence_id = services.get_finding(fid).notes[0].evidence[0].id
    assert client.get(f"/city/findings/{bureau_a.slug}/evidence/{evidence_id}").data == PDF
    missing_note = client.post(f"/city/findings/{bureau_a.slug}/{fid}/transition/close",
                               data={"close-version": _version(bureau_a, fid), "close-note": ""})
    assert missing_note.status_code == 400
    done = client.post(f"/city/findings/{bureau_a.slug}/{fid}/transition/close",
                       data={"close-version": _version(bureau_a, fid), "close-note": "经核查，同意销号。"})
    assert done.status_code == 302
    with tenant_context(bureau_a.tenant):
        assert services.get_finding(fid).status == "closed"
    client.post("/logout")
    login(client, bureau_a.admin.username)
    page = client.get(f"/b/{bureau_a.slug}/findings/{fid}").get_data(as_text=True)
    assert "经核查，同意销号。" in page and "transition-reopen" not in page
    refused = client.post(f"/b/{bureau_a.slug}/findings/{fid}/transition/reopen",
                          data={"reopen-version": _version(bureau_a, fid), "reopen-note": "x"})
    assert refused.status_code == 403


def test_city_pages_are_for_city_roles_only(app, client, bureau_a, city_viewer):
    fid = make_finding(bureau_a)
    login(client, bureau_a.admin.username)
    for url in ("/city/findings/", f"/city/findings/{bureau_a.slug}/new", f"/city/findings/{bureau_a.slug}/{fid}",
                f"/city/findings/{bureau_a.slug}/import"):
        assert client.get(url).status_code == 404, url
    client.post("/logout")
    login(client, "leader")
    assert client.get("/city/findings/").status_code == 200
    assert client.get(f"/city/findings/{bureau_a.slug}/{fid}").status_code == 200
    assert client.get(f"/city/findings/{bureau_a.slug}/new").status_code == 403
    assert client.post(f"/city/findings/{bureau_a.slug}/{fid}/transition/close", data={}).status_code == 403
    assert client.get(f"/city/findings/no-such/{fid}").status_code == 404
    assert client.get(f"/city/findings/{bureau_a.slug}/999999").status_code == 404


def test_city_readers_see_bureau_findings_read_only(app, client, bureau_a, city_admin):
    fid = make_finding(bureau_a)
    login(client, "city")
    page = client.get(f"/b/{bureau_a.slug}/findings/{fid}")
    assert page.status_code == 200 and "transition-start" not in page.get_data(as_text=True)
    assert client.post(f"/b/{bureau_a.slug}/findings/{fid}/transition/start",
                       data={"start-version": _version(bureau_a, fid)}).status_code == 403


def test_archived_bureaus_refuse_city_writes(app, client, bureau_a, city_admin):
    from app.tenancy import services as tenancy

    tenancy.set_status(bureau_a.tenant, "archived")
    login(client, "city")
    response = client.post(f"/city/findings/{bureau_a.slug}/new", data={"source": "special_inspection"},
                           follow_redirects=True)
    assert response.status_code == 200
    with tenant_context(bureau_a.tenant):
        from app.extensions import db

        assert db.session.scalar(select(Finding.id)) is None


def test_the_navigation_shows_the_reminder_count(app, client, bureau_a, people):
    today = services.today()
    make_finding(bureau_a, person_id=people.liaison, due_on=today + timedelta(days=3))
    make_finding(bureau_a, person_id=people.secretary, due_on=today + timedelta(days=3))
    make_finding(bureau_a, person_id=people.liaison, due_on=today + timedelta(days=30))
    login(client, bureau_a.editor.username)
    page = client.get(f"/b/{bureau_a.slug}/").get_data(as_text=True)
    assert 'id="nav-reminders"' in page
    nav = page.split('id="nav-reminders"', 1)[1].split("</a>", 1)[0]
    assert ">1</span>" in nav
    reminders = client.get(f"/b/{bureau_a.slug}/reminders/").get_data(as_text=True)
    assert reminders.count("<tr class=") == 1


def test_edit_pages_belong_to_whoever_raised_the_finding(app, client, bureau_a, city_admin):
    own = make_finding(bureau_a)
    city = make_finding(bureau_a, actor=Actor.city(city_admin), description="工委发现的问题")
    login(client, bureau_a.admin.username)
    assert client.get(f"/b/{bureau_a.slug}/findings/{own}/edit").status_code == 200
    assert client.get(f"/b/{bureau_a.slug}/findings/{city}/edit").status_code == 403
    changed = client.post(f"/b/{bureau_a.slug}/findings/{own}/edit", data={
        **{k: (v.isoformat() if hasattr(v, "isoformat") else (v or "")) for k, v in _stored(bureau_a, own).items()},
        "description": "改写后的问题描述", "version": _version(bureau_a, own)})
    assert changed.status_code == 302
    client.post("/logout")
    login(client, "city")
    page = client.get(f"/city/findings/{bureau_a.slug}/{city}/edit")
    assert page.status_code == 200 and "工委发现的问题" in page.get_data(as_text=True)
    assert client.get(f"/city/findings/{bureau_a.slug}/{own}/edit").status_code == 403
    deleted = client.post(f"/city/findings/{bureau_a.slug}/{city}/delete", data={"version": _version(bureau_a, city)})
    assert deleted.status_code == 302
    with tenant_context(bureau_a.tenant):
        from app.extensions import db

        assert db.session.get(Finding, city) is None
        assert services.get_finding(own).description == "改写后的问题描述"
    assert app.extensions["sqlalchemy"].session.scalar(select(CityFinding.id)) is None


def _stored(bureau, fid):
    with tenant_context(bureau.tenant):
        return _details(services.get_finding(fid))


def test_the_submitter_sees_why_they_cannot_close_and_a_post_is_refused(app, client, bureau_a):
    fid = make_finding(bureau_a, measures="整改措施")
    admin = admin_of(bureau_a)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        services.transition(finding, "start", version=finding.version, actor=admin)
    add_evidence(bureau_a, fid, admin)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(fid)
        services.transition(finding, "submit", version=finding.version, actor=admin)
    login(client, bureau_a.admin.username)
    page = client.get(f"/b/{bureau_a.slug}/findings/{fid}").get_data(as_text=True)
    assert 'id="own-submission"' in page and "另一名管理员" in page
    assert 'id="transition-close"' not in page and 'id="transition-return"' in page
    response = client.post(f"/b/{bureau_a.slug}/findings/{fid}/transition/close",
                           data={"close-version": _version(bureau_a, fid), "close-note": "自己核查，同意销号。"})
    assert response.status_code == 403
    assert "另一名管理员" in response.get_data(as_text=True)
    with tenant_context(bureau_a.tenant):
        assert services.get_finding(fid).status == "awaiting_verification"


def test_the_duty_item_picker_groups_items_and_names_number_and_owner(app, client, bureau_a, people):
    """Copies of one 一岗双责 item differ by their owner; items are grouped by year and
    category; the number is the category and the position the list page shows."""
    from app.duties.models import DutyItem, DutyList
    from app.extensions import db

    with tenant_context(bureau_a.tenant):
        duty_list = DutyList(year=2026, title="2026年度责任清单", status="published", areas=[])
        items = [DutyItem(duty_list=duty_list, category="party_group", area="political", content="研究部署党建工作",
                          sort_order=10, owner_id=people.secretary),
                 DutyItem(duty_list=duty_list, category="member", area="political", content="抓好分管领域党建工作",
                          sort_order=10, owner_id=people.secretary),
                 DutyItem(duty_list=duty_list, category="member", area="political", content="抓好分管领域党建工作",
                          sort_order=20, owner_id=people.member),
                 DutyItem(duty_list=duty_list, category="member", area="political", content="抓好分管领域党建工作",
                          sort_order=30)]
        db.session.add_all([duty_list, *items])
        db.session.commit()
        member_ids = [item.id for item in items[1:]]
    login(client, bureau_a.admin.username)
    page = client.get(f"/b/{bureau_a.slug}/findings/new").get_data(as_text=True)
    groups = re.findall(r'<optgroup label="([^"]+)">', page)
    assert len(groups) == 2 and groups[0].startswith("2026 · ") and groups[0] != groups[1]
    assert f'<option value="{member_ids[0]}">3.1 · 王书记 · 抓好分管领域党建工作</option>' in page
    assert f'<option value="{member_ids[1]}">3.2 · 李成员 · 抓好分管领域党建工作</option>' in page
    assert f'<option value="{member_ids[2]}">3.3 · 未指定责任人 · 抓好分管领域党建工作</option>' in page
    assert 'class="form-control form-control-sm mb-1 duty-item-filter" hidden' in page  # shown by findings.js
    assert "/static/js/findings.js" in page
    # A posted id that is not offered is refused on the field, in Chinese.
    response = client.post(f"/b/{bureau_a.slug}/findings/new", data={"duty_item_id": "999999"})
    assert response.status_code in (200, 400) and "duty_item_id" in response.get_data(as_text=True)
