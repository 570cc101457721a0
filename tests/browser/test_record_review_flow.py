"""Issue 16 in a real browser, at 1366x768 and 390x844: a clerk's record waits for review,
the bureau's administrator returns it with a reason from the queue, the clerk corrects
and resubmits it from the item page, the administrator approves it and it counts.

Screenshots go to ``$SCREENSHOTS_DIR`` when it is set (otherwise to the test's tmp dir).
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from app.deadlines import services as deadlines
from app.duties import services as duties
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import city_of, log_in

VIEWPORTS = [pytest.param((1366, 768), id="desktop"), pytest.param((390, 844), id="phone")]
TODAY = date(2026, 5, 15)


def _shot(page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, width


def _tab(browser, viewport):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    return context, tab


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_returned_record_is_corrected_and_then_approved(live_server, browser, bureau_a, bureau_list, city_admin,
                                                          monkeypatch, tmp_path, viewport):
    monkeypatch.setattr(duties, "today", lambda: TODAY)
    deadlines.update_settings({"blue_days": "15", "yellow_days": "5", "grace_days": "10", "late_approver": "bureau",
                               "review_mode": "bureau"}, actor=city_of(city_admin))
    db.session.commit()
    with tenant_context(bureau_a.tenant):
        item = duties.get_list(bureau_list["list_id"]).items[0]
        item.cadence, item.expected_count, item.due_date = "monthly", 12, None
        db.session.commit()
        item_id = item.id
    width = viewport[0]
    base = f"{live_server}/b/{bureau_a.slug}"

    clerk_context, clerk = _tab(browser, viewport)
    log_in(clerk, live_server, bureau_a.editor.username)
    clerk.goto(f"{base}/duties/items/{item_id}")
    clerk.fill("#occurred_on", "2026-05-08")
    clerk.fill("#summary", "召开党组会议，研究机关党建工作")
    clerk.click("#record-card #submit")
    clerk.wait_for_load_state()
    assert "待审核" in clerk.content() and "审核通过后计入" in clerk.content()
    _shot(clerk, tmp_path, f"review-1-clerk-recorded-{width}")

    admin_context, admin = _tab(browser, viewport)
    log_in(admin, live_server, bureau_a.admin.username)
    admin.goto(f"{base}/duties/review")
    assert "1条记录" in admin.inner_text("#queue-count")
    _fits(admin)
    _shot(admin, tmp_path, f"review-2-queue-{width}")
    row = admin.locator("table.review-table tbody tr").first
    row.locator("button[type=submit]").click()   # no reason: refused with a clear message
    admin.wait_for_load_state()
    assert "请填写退回理由" in admin.content()
    row = admin.locator("table.review-table tbody tr").first
    row.locator("input[name=reason]").fill("请写明会议研究的具体事项")
    row.locator("button[type=submit]").click()
    admin.wait_for_load_state()
    assert "已退回给" in admin.content() and "没有待审核的记录" in admin.content()

    clerk.goto(f"{base}/")
    assert clerk.locator("#home-returned").is_visible()
    _shot(clerk, tmp_path, f"review-3-clerk-home-returned-{width}")
    clerk.goto(f"{base}/duties/items/{item_id}")
    assert "请写明会议研究的具体事项" in clerk.inner_text(".return-reason")
    clerk.click(".return-reason a")
    clerk.wait_for_load_state()
    assert "请写明会议研究的具体事项" in clerk.inner_text("#return-reason")
    _fits(clerk)
    _shot(clerk, tmp_path, f"review-4-clerk-correcting-{width}")
    clerk.fill("#summary", "召开党组会议，研究机关党建工作，部署“三会一课”检查和党员教育培训两项任务")
    clerk.click("form #submit")
    clerk.wait_for_load_state()
    assert "已保存并重新提交审核" in clerk.content()
    with tenant_context(bureau_a.tenant):
        assert duties.item_row(duties.get_item(item_id)).progress.recorded == 0

    admin.goto(f"{base}/duties/review")
    admin.check("#tick-all")
    admin.click("#approve-form button[name=all][value='']")
    admin.wait_for_load_state()
    assert "已审核通过1条记录" in admin.content()
    with tenant_context(bureau_a.tenant):
        assert duties.item_row(duties.get_item(item_id)).progress.recorded == 1
    clerk.goto(f"{base}/duties/items/{item_id}")
    assert "审核通过" in clerk.content() and "待审核" not in clerk.inner_text(".timeline")
    _fits(clerk)
    _shot(clerk, tmp_path, f"review-5-clerk-approved-{width}")
    clerk_context.close()
    admin_context.close()
