"""Issue 11's bureau journeys in a real browser, at 1366x768 and 390x844:

- the clerk (an editor whose account is the liaison) records progress for the Party
  secretary, and the record says for whom and by whom; a viewer is told why they cannot;
- the administrator sets up the year: splits every "one post, two responsibilities" item
  by member in one action, gives the items without owner to the secretary in one bulk
  assignment, and publishes through the publish check, which first refuses without the
  confirmation.

Screenshots go to ``$SCREENSHOTS_DIR`` when it is set (otherwise to the test's tmp dir).
"""
from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest

from app.duties import services as duties
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import SYSTEM, add_people, log_in, pdf_bytes

VIEWPORTS = [pytest.param((1366, 768), id="desktop"), pytest.param((390, 844), id="phone")]
TODAY = date(2026, 5, 15)


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setattr(duties, "today", lambda: TODAY)
    return TODAY


def _shot(page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _fits(page) -> None:
    """Nothing makes the page scroll sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, width


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_clerk_records_for_the_secretary(live_server, page, bureau_a, bureau_list, fixed_today, tmp_path, viewport):
    width, height = viewport
    page.set_viewport_size({"width": width, "height": height})
    with tenant_context(bureau_a.tenant):
        duty_list = duties.get_list(bureau_list["list_id"])
        item = next(i for i in duty_list.items if i.owner_id == bureau_list["people"]["secretary"])
        item.due_date = date(2026, 5, 31)
        mine = duty_list.items[-1]
        mine.owner_id, mine.due_date = bureau_list["people"]["liaison"], date(2026, 5, 25)
        db.session.commit()
        item_id, mine_id = item.id, mine.id
    log_in(page, live_server, bureau_a.editor.username)
    page.goto(f"{live_server}/b/{bureau_a.slug}/")
    mine_section = page.locator("#home-mine")
    assert mine_section.is_visible() and f"/duties/items/{mine_id}" in mine_section.inner_html()
    assert f"/duties/items/{item_id}" in page.locator("#home-bureau").inner_html()
    _fits(page)
    _shot(page, tmp_path, f"clerk-home-{width}")

    page.goto(f"{live_server}/b/{bureau_a.slug}/duties/items/{item_id}")
    assert "本条记录计入王建国（党组书记、局长）名下" in page.inner_text("#record-card")
    evidence = tmp_path / "党建领导小组会议纪要.pdf"
    evidence.write_bytes(pdf_bytes("纪要"))
    page.fill("#occurred_on", "2026-05-12")
    page.fill("#summary", "书记主持召开党建工作领导小组会议，研究部署二季度重点工作")
    page.set_input_files("#files", str(evidence))
    page.click("#record-card #submit")
    page.wait_for_load_state()
    assert "记录已保存" in page.content() or "已保存" in page.content()
    by = page.locator(".record-by").first.inner_text()
    assert by.startswith("为王建国记录") and bureau_a.editor.display_name in by
    assert "党建领导小组会议纪要.pdf" in page.content()
    _fits(page)
    _shot(page, tmp_path, f"clerk-item-{width}")

    page.goto(f"{live_server}/logout")
    page.context.clear_cookies()
    log_in(page, live_server, bureau_a.viewer.username)
    page.goto(f"{live_server}/b/{bureau_a.slug}/duties/items/{item_id}")
    assert "您的账号在本单位只能查看" in page.inner_text("#record-refusal")
    assert page.locator("#record-card").count() == 0
    _shot(page, tmp_path, f"viewer-item-{width}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_admin_sets_up_the_year(live_server, page, bureau_a, template, fixed_today, tmp_path, viewport):
    width, height = viewport
    page.set_viewport_size({"width": width, "height": height})
    with tenant_context(bureau_a.tenant):
        # the list was made before anybody was entered, then the people came
        duty_list = duties.create_list(2026, template_id=template.id, actor=SYSTEM)
        add_people(bureau_a.editor)
        list_id = duty_list.id
        unowned = sum(1 for i in duty_list.items if i.owner_id is None)
    base = f"{live_server}/b/{bureau_a.slug}/duties/{list_id}"
    log_in(page, live_server, bureau_a.admin.username)

    # the publish check lists what is missing and refuses without the confirmation
    page.goto(base)
    assert f"有{unowned}项事项尚未明确责任人" in page.inner_text(".setup-panel")
    page.click(".setup-panel >> text=发布前检查")
    page.wait_for_load_state()
    assert page.url.endswith("/publish")
    problems = page.inner_text("#check-problems")
    assert f"有{unowned}项事项尚未明确责任人" in problems and "尚未分解到每位班子成员" in problems
    _fits(page)
    _shot(page, tmp_path, f"publish-check-{width}")
    page.click("#publish-submit")
    page.wait_for_load_state()
    assert "如仍要在存在上述问题的情况下发布，请勾选此项" in page.content()

    # one action splits every member item
    page.click("#check-problems >> text=将全部“一岗双责”事项按班子成员分解")
    page.wait_for_load_state()
    assert "已按班子成员分解" in page.content() and page.url.endswith("/publish")
    assert "尚未分解到每位班子成员" not in page.inner_text("#check-problems")

    # one bulk assignment gives the rest to the secretary
    page.click("#check-problems >> text=为这些事项指定责任人")
    page.wait_for_load_state()
    ticks = page.locator("input.bulk-tick")
    remaining = ticks.count()
    assert remaining > 0 and page.locator("input.bulk-tick:checked").count() == remaining
    _fits(page)
    _shot(page, tmp_path, f"bulk-assign-{width}")
    secretary = page.locator("#owner_id option", has_text="王建国").get_attribute("value")
    page.select_option("#owner_id", secretary)
    page.click("#assign-submit")
    page.wait_for_load_state()
    assert f"已将{remaining}项事项的责任人改为王建国" in page.content()
    assert "没有符合筛选条件的事项" in page.content()  # owner=none is kept: nothing left

    # the check is clean now: publish
    page.goto(f"{base}/publish")
    assert page.locator("#check-ok").is_visible()
    _shot(page, tmp_path, f"publish-ok-{width}")
    page.click("#publish-submit")
    page.wait_for_load_state()
    assert re.search(rf"/duties/{list_id}$", page.url) and "已发布" in page.inner_text("h1")
    with tenant_context(bureau_a.tenant):
        assert duties.get_list(list_id).status == "published"
        assert not [i for i in duties.get_list(list_id).items if i.owner_id is None]
