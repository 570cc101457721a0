"""The city reads its figures in the browser (issue 11, items 8, 12, 14): the grade's reason
beside it on the dashboard, one bureau compared with the city average, the audit log as a
story; at a laptop's 1366×768 and a phone's 390×844."""
from __future__ import annotations

from datetime import date

import pytest

from app.city.models import TenantMetrics
from app.duties import services as duties
from app.duties.models import DutyItem
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import admin_of, log_in

YEAR = date.today().year
SIZES = [(1366, 768), (390, 844)]


def _figures(tenant_id: int, composite: float, grade: str, by_score: str, vetoed: bool = False) -> None:
    db.session.merge(TenantMetrics(tenant_id=tenant_id, year=YEAR, data_version=0, figures={
        "duties": {"has_list": True, "list_status": "published", "items_total": 57, "items_done": 37,
                   "items_overdue": 1, "completion_rate": 0.919},
        "scoring": {"status": "final", "final": True, "self_complete": True, "reviewer_complete": True,
                    "progress": {"self": None, "reviewer": None}, "dimensions": [], "composite": composite,
                    "grade": grade, "grade_by_score": by_score, "vetoed": vetoed},
        "findings": {}, "activity": {}}))
    db.session.commit()


@pytest.mark.parametrize("width,height", SIZES)
def test_city_reads_grades_compares_one_bureau_and_the_audit_story(live_server, browser, city_admin, bureau_a,
                                                                   bureau_b, width, height, tmp_path):
    _figures(bureau_a.tenant.id, 98.09, "较好", "好")
    _figures(bureau_b.tenant.id, 97.13, "差", "好", vetoed=True)
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, live_server, "city")
        page.goto(f"{live_server}/city/")
        first = page.locator("#dashboard tbody tr").nth(0)
        assert "市财政局" in first.inner_text() and "民主测评满意率未达门槛" in first.inner_text()
        assert "一票否决" in page.locator("#dashboard tbody tr").nth(1).inner_text()
        # grades and dates stay on one line: the grade cell's first line is one line high
        grade = first.locator("td span.text-nowrap").first
        box = grade.bounding_box()
        assert box and box["height"] < 30, box
        header = page.locator("#dashboard thead th").all_inner_texts()
        assert "按期进度" in " ".join(header) and "事项完成" in " ".join(header) and "红色预警" in " ".join(header)
        assert "落后的党支部" in header and len(header) == 13
        page.screenshot(path=str(tmp_path / f"dashboard-{width}.png"))
        page.click("#all-figures")  # returns when the navigation starts: wait for the new page
        page.wait_for_url("**figures=all**")
        page.locator("#dashboard thead th").nth(21).wait_for(state="attached")
        # with items at each warning level, records awaiting review, the branches and those behind
        assert page.locator("#dashboard thead th").count() == 22

        page.goto(f"{live_server}/city/compare")
        page.check("#b-bureau-a")
        page.click("form.card button[type=submit]")
        page.wait_for_load_state()
        assert "只选了一个单位" in page.inner_text("#against-average")
        assert "全市平均" in page.inner_text("#comparison thead")
        page.screenshot(path=str(tmp_path / f"compare-{width}.png"))

        with tenant_context(bureau_a.tenant):
            duty_list = duties.create_list(YEAR, actor=admin_of(bureau_a))
            item = duties.add_item(duty_list, {"category": "party_group", "area": "political",
                                               "content": "召开全面从严治党专题会议", "cadence": "once"},
                                   actor=admin_of(bureau_a))
            db.session.commit()
            data = duties.item_snapshot(db.session.get(DutyItem, item.id))
            data.update(cadence="quarterly", expected_count="4")
            duties.update_item(db.session.get(DutyItem, item.id), data, version=item.version,
                               actor=admin_of(bureau_a))
            db.session.commit()
        page.goto(f"{live_server}/city/audit/?bureau=bureau-a")
        assert "创建单位" in page.inner_text("#audit-story") and "tenant.create" not in page.content()
        context.clear_cookies()  # the bureau's admin now, on the same screen
        log_in(page, live_server, bureau_a.admin.username)
        page.goto(f"{live_server}/b/{bureau_a.slug}/audit/")
        story = page.locator("#audit-story li").first.inner_text()
        assert "市财政局管理员" in story and "修改事项" in story and "召开全面从严治党专题会议" in story
        assert "频次" in story and "每季度" in story and "cadence" not in story
        page.screenshot(path=str(tmp_path / f"audit-{width}.png"))
        # nothing sticks out sideways on the story page, even on a phone
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, overflow
    finally:
        context.close()
