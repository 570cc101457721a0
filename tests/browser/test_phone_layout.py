"""Issue 11, item 15: every main page usable on a phone (390x844).

On the demo city, every page that docs/screenshots.py takes (the same list, so the README's
pictures and this test see the same pages) is opened at 390x844 and must: not scroll the
page body sideways, show no text broken one CJK character per line, and show each table of
four or more columns stacked into cards (a table of three columns may stay a table when it
fits).  The stacking itself (labels from the header, rowspans, group rows, the title
column) is checked on a table of known shape, and the pages are checked once without script
(tables scroll inside themselves, the menu stays open).
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from urllib.parse import urljoin

import pytest

from app.core.clock import today
from tests.helpers import log_in

PASSWORD = "demo-phone-2026"
SLUG = "czj"
PHONE = {"width": 390, "height": 844}
# print previews laid out on A4 by their own style sheet (print/base.html), not phone pages
PRINT_PAGES = {"ledger"}

# What the page looks like: body overflow, text broken one character per line, tables.
MEASURE = """
() => {
  const cjk = /[\\u3400-\\u9fff]/g;
  const squeezed = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const value = node.textContent.trim();
    if ((value.match(cjk) || []).length < 2 || !node.parentElement || node.parentElement.closest("thead")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const lines = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (lines.size >= 2 && value.length / lines.size <= 1.5) squeezed.push(value.slice(0, 20));
  }
  const tables = Array.from(document.querySelectorAll("main table")).filter(t => t.offsetWidth > 0).map(t => {
    const columns = Math.max(0, ...Array.from(t.rows).map(r => Array.from(r.cells).reduce((n, c) => n + c.colSpan, 0)));
    const row = t.tBodies.length && t.tBodies[0].rows[0];
    return {id: t.id || t.className, columns: columns, stacked: t.classList.contains("is-stacked"),
            rowDisplay: row ? getComputedStyle(row).display : null,
            fits: t.getBoundingClientRect().right <= window.innerWidth + 1};
  });
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          squeezed: squeezed, tables: tables};
}
"""


def _screenshots_module():
    """docs/screenshots.py, whose list of pages and way of finding them this test shares."""
    path = Path(__file__).resolve().parents[2] / "docs" / "screenshots.py"
    spec = importlib.util.spec_from_file_location("zeren_screenshots", path)
    module = sys.modules.get(spec.name)
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up by name
        spec.loader.exec_module(module)
    return module


def _problems(name: str, measured: dict, phone: bool = True) -> list[str]:
    """What is wrong with one page, in words (on a phone, wide tables must be cards)."""
    found = []
    if measured["scrollWidth"] > measured["innerWidth"]:
        found.append(f"{name}: the page scrolls sideways ({measured['scrollWidth']} > {measured['innerWidth']} px)")
    if measured["squeezed"]:
        found.append(f"{name}: one character per line: {measured['squeezed']}")
    for table in measured["tables"]:
        if phone and table["columns"] >= 4 and not (table["stacked"] and table["rowDisplay"] == "flex"):
            found.append(f"{name}: table {table['id']!r} of {table['columns']} columns is not stacked")
        if not table["fits"]:
            found.append(f"{name}: table {table['id']!r} sticks out of the page")
    return found


@pytest.fixture
def demo_city(app):
    """The demo city (two bureaus), as `flask demo seed` builds it."""
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--bureaus", "2", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    return today().year


def test_every_main_page_is_usable_on_a_phone(live_server, browser, demo_city):
    shots = _screenshots_module()
    users = shots.accounts(SLUG)
    base = live_server + "/"
    problems, seen = [], []
    for account in dict.fromkeys(shot.account for shot in shots.SHOTS):
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(20_000)
        if users[account]:
            log_in(page, live_server, users[account], PASSWORD)
        finder = shots.Finder(page, base, SLUG, demo_city)
        for shot in shots.SHOTS:
            if shot.account != account or shot.name in PRINT_PAGES:
                continue
            path = shot.path(finder) if callable(shot.path) else shot.path.format(slug=SLUG, year=demo_city)
            if not path and shot.optional:
                continue
            assert path, f"{shot.name}: not found in the demo"
            response = page.goto(urljoin(base, path))
            assert response.status == 200, f"{shot.name}: {path} answered {response.status}"
            problems += _problems(shot.name, page.evaluate(MEASURE))
            seen.append(shot.name)
        context.close()
    assert not problems, "\n".join(problems)
    # the pages of the issue are among them
    assert {"city-dashboard", "city-compare", "city-duty-templates", "city-years", "city-bureaus",
            "city-jobs", "bureau-home", "duty-list", "duty-item", "record-form", "findings", "finding",
            "score-sheet", "city-review", "reports", "people", "bureau-audit", "city-audit",
            "bureau-users", "city-accounts", "login"} <= set(seen)


def test_the_dashboard_table_becomes_cards_with_the_column_labels(live_server, browser, demo_city):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "city", PASSWORD)
    page.goto(f"{live_server}/city/?year={demo_city}")
    row = page.locator("main table.is-stacked tbody tr").first
    title = row.locator(".stack-title")
    # the bureau's name heads its card, on one line, not one character per line
    assert "市" in title.inner_text() and title.bounding_box()["width"] > 200
    labels = row.locator("td[data-label]").evaluate_all("cells => cells.map(c => c.dataset.label)")
    assert "排名" in "".join(labels) and len(labels) >= 5
    # the label is shown beside the value
    label = row.locator("td[data-label]").first.evaluate("c => getComputedStyle(c, '::before').content")
    assert label.strip('"') == labels[0]
    context.close()


SAMPLE = """
<table class="table" id="sample">
  <thead><tr><th>维度</th><th>指标</th><th>分值</th><th>说明</th></tr></thead>
  <tbody>
    <tr class="dim"><th colspan="3">ZZ 政治建设</th><th>20</th></tr>
    <tr><th rowspan="2">ZZ</th><td><div class="fw-semibold">ZZ1 落实第一议题</div><div class="small">扣分法</div></td><td>8</td><td>甲</td></tr>
    <tr><td><div class="fw-semibold">ZZ2 贯彻落实</div></td><td>7</td><td></td></tr>
  </tbody>
</table>
<table class="table" id="small"><thead><tr><th>部分</th><th>权重</th><th>得分</th></tr></thead>
  <tbody><tr><td>自评</td><td>0.2</td><td>99.5</td></tr></tbody></table>
<table class="table table-keep" id="kept"><thead><tr><th>一</th><th>二</th><th>三</th><th>四</th></tr></thead>
  <tbody><tr><td>1</td><td>2</td><td>3</td><td>4</td></tr></tbody></table>
"""


def test_stacking_follows_the_shape_of_the_table(live_server, browser, app):
    """Rowspans shift the labels and a row header over several rows becomes a heading, heading
    rows stay headings, a small table that fits stays a table, .table-keep opts out."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.evaluate("html => { document.querySelector('main').insertAdjacentHTML('beforeend', html);"
                  " window.Zeren.prepareTables(document); }", SAMPLE)
    rows = page.locator("#sample tbody tr:not(.stack-only)")
    # the row header over two rows becomes a heading above its cards
    heading = page.locator("#sample tr.stack-only")
    assert heading.count() == 1 and heading.is_visible() and heading.inner_text() == "ZZ"
    assert not rows.nth(1).locator("th").is_visible()
    assert "stack-group" in rows.nth(0).get_attribute("class")
    second = rows.nth(2).locator("td")
    # the row under the rowspan starts in the second column: 指标, 分值, 说明
    assert [second.nth(i).get_attribute("data-label") for i in range(3)] == ["指标", "分值", "说明"]
    assert "stack-title" in (second.nth(0).get_attribute("class") or "")  # the bold indicator heads the card
    assert "stack-empty" in (second.nth(2).get_attribute("class") or "")
    assert page.locator("#sample").evaluate("t => t.classList.contains('is-stacked')")
    assert rows.nth(1).evaluate("r => getComputedStyle(r).display") == "flex"
    assert page.locator("#sample thead").bounding_box()["height"] <= 1
    assert not page.locator("#small").evaluate("t => t.classList.contains('is-stacked')")
    assert not page.locator("#kept").evaluate("t => t.classList.contains('is-stacked') || t.hasAttribute('data-stack-columns')")
    # on a desktop the same tables are tables again (the page looks at them when it is resized)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_function("() => !document.querySelector('#sample').classList.contains('is-stacked')")
    assert rows.nth(1).evaluate("r => getComputedStyle(r).display") == "table-row"
    assert not heading.is_visible() and rows.nth(1).locator("th").is_visible()
    context.close()


def test_on_a_tablet_only_tables_that_do_not_fit_are_stacked(live_server, browser, demo_city):
    context = browser.new_context(viewport={"width": 800, "height": 1100}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "city", PASSWORD)
    page.goto(f"{live_server}/city/?year={demo_city}")
    measured = page.evaluate(MEASURE)
    assert not _problems("city-dashboard at 800 px", measured, phone=False)
    # the sixteen columns of the dashboard do not fit 800 px: cards; the small tables of the
    # same width stay tables
    assert any(t["stacked"] for t in measured["tables"] if t["columns"] >= 10)
    page.goto(f"{live_server}/city/users")
    assert not any(t["stacked"] for t in page.evaluate(MEASURE)["tables"])
    context.close()


def test_without_script_pages_stay_usable(live_server, browser, demo_city):
    """No script: the menu is open, wide tables scroll inside themselves, the body does not."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, f"{SLUG}-admin", PASSWORD)
    page.goto(f"{live_server}/b/{SLUG}/duties/")
    page.locator("a[href*='/duties/']").filter(has_text=str(demo_city)).first.click()
    assert page.locator("nav a", has_text="督查整改").first.is_visible()
    measured = page.evaluate("""() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
        table: (() => { const t = document.querySelector('main table');
                        return t && {display: getComputedStyle(t).display, overflow: getComputedStyle(t).overflowX}; })()})""")
    assert measured["scroll"] <= measured["inner"], measured
    assert measured["table"] == {"display": "block", "overflow": "auto"}
    context.close()
