"""The city's pages of many bureaus on a phone (issue 14, point 4): at 390 px the search,
the category filter and the page links fit the screen and work, and the dashboard's rows
are cards."""
from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select

from app.city import rollup
from app.city.models import TenantMetrics
from app.extensions import db
from app.tenancy import services as tenancy
from app.tenancy.models import Tenant
from tests.helpers import log_in

YEAR = date.today().year


def _bureaus(count: int) -> None:
    """Catalog rows and figures only: the city's pages read nothing else."""
    head = tenancy.tenant_head()
    db.session.execute(insert(Tenant), [
        {"slug": f"p{i:03d}", "name": f"第{i:03d}{'财政' if i % 4 == 0 else '教育'}局",
         "category": "economic" if i % 2 else "social", "status": "active", "backend": "sqlite",
         "server": "default", "storage_key": f"k{i:03d}", "revision": head} for i in range(count)])
    ids = dict(db.session.execute(select(Tenant.slug, Tenant.id)).all())
    rows = []
    for i in range(count):
        figures = {"duties": {"has_list": True, "list_status": "published", "items_total": 10, "items_done": i % 10,
                              "items_overdue": i % 3, "completion_rate": (i % 10) / 10},
                   "scoring": {}, "findings": {}, "activity": {}}
        rows.append({"tenant_id": ids[f"p{i:03d}"], "year": YEAR, "figures": figures, "data_version": 0,
                     **rollup.list_values(figures)})
    db.session.execute(insert(TenantMetrics), rows)
    db.session.commit()


def test_search_filter_and_pages_fit_a_phone(live_server, browser, city_admin):
    _bureaus(130)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, live_server, "city")
        page.goto(f"{live_server}/city/")
        assert "共 130 个单位" in page.inner_text("#match-count")
        # nothing wider than the screen: the filters and the page links wrap
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
        for selector in ("#q", "#category", ".city-pager .pagination"):
            box = page.locator(selector).first.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
        # rows are cards (app.js stacks the table below 768 px)
        assert "is-stacked" in (page.get_attribute("#dashboard", "class") or "")
        page.fill("#q", "财政")
        page.select_option("#category", "social")
        page.locator("form.city-filters button[type=submit]").click()
        page.wait_for_url("**q=**")
        expected = sum(1 for i in range(130) if i % 4 == 0 and i % 2 == 0)
        assert f"共 {expected} 个单位" in page.inner_text("#match-count")
        assert page.locator("#dashboard tbody tr").count() == expected
        page.goto(f"{live_server}/city/?category=social")
        page.locator(".city-pager").last.get_by_role("link", name="2").click()
        page.wait_for_url("**page=2**")
        assert "category=social" in page.url and "第 2/2 页" in page.inner_text("#match-count")
        assert page.locator("#dashboard tbody tr").count() == 65 - 50
    finally:
        context.close()
