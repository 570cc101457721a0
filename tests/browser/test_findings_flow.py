"""Acceptance of issue 5 in the browser: the city logs a finding into a bureau's ledger,
the bureau's responsible person records measures and evidence and submits it, the city
verifies and closes it, and the finding's history shows every step with who and when."""
from __future__ import annotations

from datetime import timedelta

from app.people.models import Person
from app.extensions import db
from app.findings import services
from app.tenancy.session import tenant_context
from tests.helpers import log_in

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def log_out(page) -> None:
    page.click("nav >> text=退出")


def test_city_logs_bureau_rectifies_city_verifies(live_server, page, city_admin, bureau_a):
    with tenant_context(bureau_a.tenant):
        db.session.add(Person(name="孙联络", post="机关党委专职副书记", kind="staff", user_id=bureau_a.editor.id))
        db.session.commit()
    today = services.today()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    # 1. The city admin logs a finding of its inspection into the bureau's ledger.
    log_in(page, live_server, "city")
    page.click("nav >> text=督查整改")
    page.select_option("#go-bureau", bureau_a.slug)
    page.click("#go-new")
    assert "向市财政局登记工委督查问题" in page.content()
    page.fill("#batch", "2026年市直机关工委党建工作督查")
    page.fill("#batch_date", today.isoformat())
    page.fill("#description", "主题党日活动内容较为单一，与业务工作结合不够紧密。")
    page.select_option("#area", "organisational")
    page.select_option("#severity", "major")
    page.fill("#due_on", (today + timedelta(days=6)).isoformat())
    page.select_option("#person_id", label="孙联络（机关党委专职副书记）")
    page.click("#finding-form #submit")
    assert "问题已登记到市财政局整改台账" in page.content()
    assert page.inner_text("#finding-status") == "待整改"
    finding_url = page.url
    finding_id = int(finding_url.rstrip("/").rsplit("/", 1)[1])
    log_out(page)

    # 2. The responsible person sees it among their reminders and rectifies it.
    log_in(page, live_server, bureau_a.editor.username)
    page.click("#nav-reminders")
    page.click("text=主题党日活动内容较为单一")
    page.click("#transition-start button")
    assert page.inner_text("#finding-status") == "整改中"
    page.fill("#plan-form #measures", "制定主题党日活动年度计划，每次活动结合一项业务重点工作。")
    page.click("#plan-form #submit")
    assert "已保存" in page.content()
    page.fill("#note-form #text", "印发主题党日活动年度计划，组织开展“党建+业务”主题党日2次。")
    page.set_input_files("#note-form #files", files=[{"name": "主题党日活动计划.pdf", "mimeType": "application/pdf",
                                                     "buffer": PDF}])
    page.click("#note-form #submit")
    assert "整改进展已记录" in page.content() and "主题党日活动计划.pdf" in page.content()
    page.click("#transition-submit button")
    assert page.inner_text("#finding-status") == "待核验"
    assert "只有工委可以核验销号" in page.content() or "由工委核验销号" in page.content()
    assert page.locator("#transition-close").count() == 0
    log_out(page)

    # 3. The city verifies and closes it.
    log_in(page, live_server, "city")
    page.click("nav >> text=督查整改")
    assert page.inner_text("#awaiting-count") == "1"
    page.click("#city-findings >> text=主题党日活动内容较为单一")
    assert "主题党日活动计划.pdf" in page.content()
    page.fill("#transition-close textarea", "经查阅活动计划和记录，整改到位，同意销号。")
    page.click("#transition-close button")
    assert page.inner_text("#finding-status") == "已销号"
    assert "经查阅活动计划和记录，整改到位，同意销号。" in page.content()

    # 4. The history shows each step with who and when.
    history = page.inner_text("#finding-history")
    steps = ["登记问题", "开始整改", "修改责任人或整改措施", "记录整改进展", "提交核验", "核验销号"]
    positions = [history.index(step) for step in steps]
    assert positions == sorted(positions), history
    assert history.count(city_admin.display_name) >= 2 and history.count(bureau_a.editor.display_name) >= 4
    assert history.count(today.isoformat()) >= len(steps)
    assert "市直机关工委" in history and "单位" in history
    assert not [e for e in errors if "Content Security Policy" in e]

    # The bureau sees the closure in its own ledger too.
    log_out(page)
    log_in(page, live_server, bureau_a.admin.username)
    page.goto(f"{live_server}/b/{bureau_a.slug}/findings/rectification")
    assert "已销号" in page.inner_text("table")
    page.goto(f"{live_server}/b/{bureau_a.slug}/findings/{finding_id}")
    assert page.locator("#transition-reopen").count() == 0
