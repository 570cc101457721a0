"""The audit administrator's page in the browser, on a phone (390 px) and a laptop
(1366 px): the filter fits and works, pages follow, the Excel export downloads and is
itself recorded.  Screenshots go to ``SCREENSHOTS_DIR`` when set."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit import services as audit
from app.audit.models import CatalogAuditEvent
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.models import utcnow
from tests.helpers import log_in


def _events() -> None:
    with unit_of_work():
        for number in range(70):
            event = audit.record_city("tenant.update", "tenant", number, tenant_slug="bureau-a",
                                      summary=f"修改单位信息（第{number}次）",
                                      before={"name": "市财政局"}, after={"name": f"市财政局{number}"})
            event.at = utcnow() - timedelta(hours=number * 7)


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 768)])
def test_the_audit_page_filters_pages_and_exports(live_server, browser, city_admin, bureau_a, width, height):
    _events()
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    shots = os.environ.get("SCREENSHOTS_DIR")
    try:
        log_in(page, live_server, "city")
        page.goto(f"{live_server}/city/audit/")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for selector in ("#who", "#what", "#date_from", "#date_to", "#bureau", "#audit-filter button[type=submit]"):
            box = page.locator(selector).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)
        page.select_option("#what", "tenant")
        page.select_option("#bureau", "bureau-a")
        page.locator("#audit-filter button[type=submit]").click()
        page.wait_for_url("**what=tenant**")
        assert "共 71 条记录符合条件" in page.inner_text("#audit-total")
        assert page.locator("#audit-story > li").count() == 50
        if shots:
            page.screenshot(path=f"{shots}/audit-{width}.png", full_page=False)
        page.get_by_role("link", name="较早").click()
        page.wait_for_url("**page=2**")
        assert page.locator("#audit-story > li").count() == 21  # and the bureau's creation
        # a wrong date gets its message by the field, not an error page
        page.goto(f"{live_server}/city/audit/?what=tenant&bureau=bureau-a&date_from=2026-02-30")
        assert "2000 年至 2100 年之间的日期" in page.inner_text("#audit-filter")
        if shots:
            page.screenshot(path=f"{shots}/audit-{width}-error.png", full_page=False)
        page.goto(f"{live_server}/city/audit/?what=tenant&bureau=bureau-a")
        with page.expect_download() as download:
            page.click("#audit-export")
        assert download.value.suggested_filename.startswith("审计记录-")
    finally:
        context.close()
    last = db.session.scalars(select(CatalogAuditEvent).order_by(CatalogAuditEvent.seq.desc()).limit(1)).one()
    assert last.action == "file.export" and "what=tenant" in last.after["page"]
