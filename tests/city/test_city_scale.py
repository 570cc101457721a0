"""The city's pages at thousands of bureaus (issue 14, point 4): pages of the dashboard and
of the bureau list, search and category filters, averages over every matching bureau, the
compare picker, the export of all pages, hostile addresses, and a number of statements
that does not grow with the number of bureaus.

Only catalog rows are made here (bureaus and their stored figures): the city's pages read
nothing else, so no bureau database is provisioned."""
from __future__ import annotations

import re
from contextlib import contextmanager
from io import BytesIO
from statistics import mean

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, insert, select

from app.city import metrics, rollup
from app.city.models import TenantMetrics
from app.extensions import db
from app.tenancy import services as tenancy
from app.tenancy.models import BUREAU_CATEGORIES, Tenant
from tests.helpers import login

CATEGORIES = list(BUREAU_CATEGORIES)
KINDS = ("财政", "教育", "卫生", "交通", "民政")
GRADES = ("优秀", "好", "较好", "一般")


def _figures(i: int) -> dict:
    """Varied figures: ties in the final score, bureaus without a score, an unpublished
    list, a row stored before scoring recorded its progress, grades."""
    published = i % 7 != 3
    duties = {"has_list": True, "list_status": "published" if published else "draft", "items_total": 20,
              "items_done": i % 21, "items_overdue": i % 4, "completion_rate": round((i % 50) / 50, 4)}
    findings = {"findings_open": i % 3, "findings_overdue": i % 2, "closure_rate": 0.5}
    if i % 5 == 4:  # not scored yet
        scoring = {"status": "draft", "final": False, "progress": {"self": {"scored": 3, "total": 10}, "reviewer": None},
                   "self_total": None, "reviewer_total": None, "composite": None, "grade": None, "dimensions": []}
    elif i % 11 == 6:  # stored before progress was recorded, and not final: its running totals do not count
        scoring = {"status": "submitted", "self_complete": True, "reviewer_complete": False, "self_total": 88.0,
                   "reviewer_total": 70.0, "composite": 77.0, "grade": "好", "dimensions": []}
    else:
        composite = 60 + (i * 7) % 40 // 2  # repeats: ties in the ranking
        scoring = {"status": "final", "final": True, "self_complete": True, "reviewer_complete": True,
                   "progress": {"self": None, "reviewer": None}, "self_total": composite + 1.5,
                   "reviewer_total": composite, "composite": float(composite), "grade": GRADES[i % 4],
                   "grade_by_score": GRADES[i % 4], "dimensions": []}
    return {"duties": duties, "findings": findings, "scoring": scoring,
            "activity": {"last_activity": f"2026-0{1 + i % 9}-1{i % 10}"}}


def _name(i: int) -> str:
    return f"第{i:04d}{KINDS[i % len(KINDS)]}局"


def add_bureaus(count: int, *, start: int = 0, year: int | None = None, with_figures: bool = True) -> None:
    """``count`` bureaus' catalog rows and figures (no bureau database: the city's pages
    read only the catalog)."""
    year = year or metrics.today().year
    head = tenancy.tenant_head()
    rows = [{"slug": f"b{i:04d}", "name": _name(i), "category": CATEGORIES[i % len(CATEGORIES)],
             "status": "archived" if i % 17 == 16 else "active", "backend": "sqlite", "server": "default",
             "storage_key": f"k{i:04d}", "revision": head, "data_version": 2 if i % 13 == 0 else 0}
            for i in range(start, start + count)]
    db.session.execute(insert(Tenant), rows)
    ids = dict(db.session.execute(select(Tenant.slug, Tenant.id)).all())
    if with_figures:
        db.session.execute(insert(TenantMetrics), [
            # a bulk insert, as the push's upsert, carries the list columns itself
            {"tenant_id": ids[f"b{i:04d}"], "year": year, "figures": _figures(i), "data_version": 0,
             **rollup.list_values(_figures(i))}
            for i in range(start, start + count)])
    db.session.commit()


@contextmanager
def statements():
    """The SQL statements run meanwhile (on the catalog engine)."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _names(page: str) -> list[str]:
    table = re.search(r'<table[^>]*id="dashboard">.*?</table>', page, re.S)
    return re.findall(r"<td><a [^>]*>([^<]+)</a>", table.group(0)) if table else []


def _pages(year, chosen=rollup.Filter(), sort="rank", descending=False, per_page=50):
    first = rollup.overview_page(year, chosen, sort=sort, descending=descending, per_page=per_page)
    rows = list(first.rows)
    for page in range(2, first.pages + 1):
        rows += rollup.overview_page(year, chosen, page=page, sort=sort, descending=descending, per_page=per_page).rows
    return first, rows


@pytest.mark.parametrize("sort,descending", [("rank", False), ("rank", True), ("name", True), ("composite", True),
                                             ("completion_rate", False), ("items_overdue", True), ("grade", False),
                                             ("last_activity", True), ("self_total", False)])
def test_pages_read_in_sql_match_the_rows_read_in_python(app, sort, descending):
    """The database's reading of the stored figures (ranks with ties, unpublished lists,
    incomplete and old-style scores, every sort) is the one of :func:`rollup.overview`."""
    add_bureaus(130)
    year = metrics.today().year
    for category in (None, "economic"):
        expected = rollup.overview(year, category=category, sort=sort, descending=descending)
        first, rows = _pages(year, rollup.Filter(category=category), sort, descending, per_page=40)
        assert [(r.slug, r.rank) for r in rows] == [(r.slug, r.rank) for r in expected.rows]
        assert [r.values for r in rows] == [r.values for r in expected.rows]
        assert first.total == len(expected.rows) and first.pages == -(-len(expected.rows) // 40)
        for key, value in expected.tiles.items():
            assert first.tiles[key] == pytest.approx(value, abs=1e-4), key
        assert first.grades == expected.grades


def test_tiles_and_grades_cover_every_matching_bureau_not_the_page(app, client, city_admin):
    add_bureaus(120)
    year = metrics.today().year
    active = [i for i in range(120) if i % 17 != 16]
    scored = [i for i in active if _figures(i)["scoring"].get("progress") and _figures(i)["scoring"]["composite"]
              is not None]
    data = rollup.overview_page(year)
    assert len(data.rows) == 50 and data.total == len(active) == data.tiles["bureaus"]
    assert data.tiles["average_score"] == pytest.approx(mean(_figures(i)["scoring"]["composite"] for i in scored), abs=1e-4)
    page_scores = [r.values["composite"] for r in data.rows if r.values["composite"] is not None]
    assert data.tiles["average_score"] != pytest.approx(mean(page_scores), abs=1e-3)  # not the page's
    assert sum(n for _grade, n in data.grades) == len(scored)
    # the category's tiles are over that category only
    economic = [i for i in scored if CATEGORIES[i % len(CATEGORIES)] == "economic"]
    narrowed = rollup.overview_page(year, rollup.Filter(category="economic"))
    assert narrowed.tiles["scored"] == len(economic)
    assert narrowed.tiles["average_score"] == pytest.approx(
        mean(_figures(i)["scoring"]["composite"] for i in economic), abs=1e-4)
    login(client, "city")
    page = client.get("/city/?category=economic").get_data(as_text=True)
    assert f"共 {narrowed.total} 个单位" in page
    assert f"{narrowed.tiles['average_score']:.2f}" in page


def test_dashboard_pages_keep_the_filter_and_the_order(app, client, city_admin):
    add_bureaus(120)
    login(client, "city")
    page = client.get("/city/").get_data(as_text=True)
    total = sum(1 for i in range(120) if i % 17 != 16)
    assert len(_names(page)) == 50 and f"共 {total} 个单位" in page and "第 1/3 页" in page
    last = client.get("/city/?page=3").get_data(as_text=True)
    assert len(_names(last)) == total - 100
    assert not set(_names(last)) & set(_names(page))
    # sorted by name, descending, searched: the page links keep all of it
    sorted_page = client.get("/city/?q=局&sort=name&dir=desc").get_data(as_text=True)
    names = _names(sorted_page)
    assert names == sorted(names, reverse=True)
    link = re.search(r'<a class="page-link" href="([^"]+)">2</a>', sorted_page).group(1).replace("&amp;", "&")
    assert "sort=name" in link and "dir=desc" in link and "q=%E5%B1%80" in link and "page=2" in link
    second = _names(client.get(link).get_data(as_text=True))
    assert second and second[0] < names[-1]
    # a sort link goes back to the first page and keeps the search
    header = re.search(r'<a class="text-reset[^"]*" href="([^"]+)">按期进度', sorted_page).group(1)
    assert "q=%E5%B1%80" in header and "page=" not in header


def test_search_finds_chinese_parts_of_names_and_short_names(app, client, city_admin):
    add_bureaus(60)
    login(client, "city")
    page = client.get("/city/?q=财政").get_data(as_text=True)
    expected = [_name(i) for i in range(60) if i % 5 == 0 and i % 17 != 16]
    assert sorted(_names(page)) == sorted(expected)
    assert f"共 {len(expected)} 个单位" in page
    assert _names(client.get("/city/?q=B0007").get_data(as_text=True)) == [_name(7)]  # short name, any case
    assert _names(client.get("/city/?q=  第0012卫生局 ").get_data(as_text=True)) == [_name(12)]
    # % and _ are plain characters, not patterns
    assert _names(client.get("/city/?q=%25").get_data(as_text=True)) == []
    assert _names(client.get("/city/?q=b_0").get_data(as_text=True)) == []
    nothing = client.get("/city/?q=不存在的单位").get_data(as_text=True)
    assert 'id="no-match"' in nothing and "没有名称或简称含“不存在的单位”的单位" in nothing
    both = client.get("/city/?q=财政&category=general").get_data(as_text=True)
    assert sorted(_names(both)) == sorted(n for i, n in ((i, _name(i)) for i in range(60))
                                          if i % 5 == 0 and i % 17 != 16 and CATEGORIES[i % 6] == "general")


@pytest.mark.parametrize("query", [
    "page=-1", "page=abc", "page=99999", "page=" + "9" * 40, "page=1.5", "page=", "page=0x10",
    "q=" + "财" * 10_000, "q=%00%01%1b%7f財", "q=%E2%80%AE%0D%0A", "q=%ff%fe", "q[]=x&page[]=2",
    "category=../../etc&q='%20OR%201=1--", "sort=figures&dir=up&page=2", "figures=all&page=3&q=局",
])
def test_hostile_addresses_give_a_clear_page(app, client, city_admin, query):
    add_bureaus(70)
    login(client, "city")
    for base in ("/city/", "/city/bureaus", "/city/compare", "/city/trends", "/city/dashboard.xlsx"):
        response = client.get(f"{base}?{query}")
        assert response.status_code == 200, (base, query)
        if base != "/city/dashboard.xlsx":
            text = response.get_data(as_text=True)
            assert "\x00" not in text and "\x1b" not in text
    if query.startswith("page=99999"):
        page = client.get(f"/city/?{query}").get_data(as_text=True)
        active = sum(1 for i in range(70) if i % 17 != 16)
        assert "第 2/2 页" in page and len(_names(page)) == active - 50  # the last page
    if query.startswith("q=" + "财" * 10):
        page = client.get(f"/city/?{query}").get_data(as_text=True)
        assert "搜索词过长" in page and 'value="' + "财" * 40 + '"' in page


def test_the_number_of_statements_does_not_grow_with_the_number_of_bureaus(app, client, city_admin):
    login(client, "city")
    client.get("/city/")  # warm: the login's session, the templates
    counts: dict[str, list[int]] = {}
    for start, total in ((0, 30), (30, 300)):
        add_bureaus(total - start, start=start)
        for url in ("/city/", "/city/?figures=all&sort=composite&dir=desc&page=2", "/city/bureaus?q=局",
                    "/city/compare?b=b0001&b=b0002&b=b0003", "/city/dashboard.xlsx?category=law"):
            with statements() as seen:
                assert client.get(url).status_code == 200
            counts.setdefault(url, []).append(len(seen))
    assert db.session.scalar(select(db.func.count(Tenant.id))) == 300
    for url, (small, large) in counts.items():
        assert large == small, (url, small, large)


def test_export_has_every_matching_bureau_of_all_pages_and_says_the_filter(app, client, city_admin):
    add_bureaus(140)
    login(client, "city")
    response = client.get("/city/dashboard.xlsx?q=局&category=social&sort=name&dir=asc")
    assert response.headers["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(BytesIO(response.data)).active
    assert "分类：社会事业部门" in sheet["A2"].value and "搜索：“局”" in sheet["A2"].value and "单位" in sheet["A2"].value
    names = [row[1] for row in sheet.iter_rows(min_row=4, values_only=True)]
    expected = sorted(_name(i) for i in range(140) if CATEGORIES[i % 6] == "social" and i % 17 != 16)
    assert names == expected
    everyone = load_workbook(BytesIO(client.get("/city/dashboard.xlsx").data)).active
    rows = list(everyone.iter_rows(min_row=4, values_only=True))
    assert len(rows) == sum(1 for i in range(140) if i % 17 != 16) > rollup.PER_PAGE  # all pages
    assert "全部在用单位" in everyone["A2"].value
    assert [r[0] for r in rows[:3]] == [r.rank for r in rollup.overview(metrics.today().year).rows[:3]]


def test_compare_picker_searches_instead_of_listing_every_bureau(app, client, city_admin):
    add_bureaus(200)
    login(client, "city")
    page = client.get("/city/compare").get_data(as_text=True)
    assert len(re.findall(r'name="b"', page)) == 60
    assert re.search(r"还有 \d+ 个单位符合条件", page)
    found = client.get("/city/compare?q=第0042").get_data(as_text=True)
    assert re.findall(r'name="b" value="([^"]+)"', found) == ["b0042"]
    # the ticked ones stay ticked (and first) while the search shows others
    ticked = client.get("/city/compare?b=b0001&b=b0002&q=卫生&category=general").get_data(as_text=True)
    boxes = re.findall(r'<input class="form-check-input" type="checkbox" name="b" value="([^"]+)"[^>]*?( checked)?>', ticked)
    assert boxes[:2] == [("b0001", " checked"), ("b0002", " checked")]
    assert all(not checked for _slug, checked in boxes[2:]) and len(boxes) > 2
    header = re.search(r'id="comparison">.*?</thead>', ticked, re.S).group(0)
    assert _name(1) in header and _name(2) in header
    # its limits and its messages are kept
    many = client.get("/city/compare?" + "&".join(f"b=b{i:04d}" for i in range(8))).get_data(as_text=True)
    assert "最多可同时查看 6 个单位" in many
    assert len(re.findall(r"<th class=\"text-end\">", re.search(r'id="comparison">.*?</thead>', many, re.S).group(0))) == 6
    assert "请至少选择两个单位" in client.get("/city/compare?b=nosuch").get_data(as_text=True)
    trends = client.get("/city/trends?q=第0042&b=b0003").get_data(as_text=True)
    assert re.findall(r'name="b" value="([^"]+)"', trends) == ["b0003", "b0042"]


def test_compare_ranks_and_the_city_average_are_city_wide(app, client, city_admin):
    add_bureaus(90)
    year = metrics.today().year
    everyone = rollup.overview(year)
    by_slug = {r.slug: r for r in everyone.rows}
    chosen = ["b0089", "b0002", "b0010"]
    assert [(r.slug, r.rank) for r in rollup.compare(year, chosen)] == [(s, by_slug[s].rank) for s in chosen]
    average = rollup.city_average_row(year)
    for key in ("completion_rate", "composite", "items_overdue", "findings_open"):
        values = [r.values[key] for r in everyone.rows if r.values[key] is not None]
        assert average.values[key] == pytest.approx(mean(values), abs=1e-2), key


def test_bureau_list_pages_search_and_status(app, client, city_admin):
    add_bureaus(130, with_figures=False)
    login(client, "city")
    page = client.get("/city/bureaus").get_data(as_text=True)
    assert len(re.findall(r"<code>b\d{4}</code>", page)) == 50 and "共 130 个单位" in page
    archived = client.get("/city/bureaus?status=archived").get_data(as_text=True)
    assert sorted(re.findall(r"<code>(b\d{4})</code>", archived)) == [f"b{i:04d}" for i in range(130) if i % 17 == 16]
    searched = client.get("/city/bureaus?q=交通&category=mass&page=1").get_data(as_text=True)
    assert sorted(re.findall(r"<code>(b\d{4})</code>", searched)) == [
        f"b{i:04d}" for i in range(130) if i % 5 == 3 and CATEGORIES[i % 6] == "mass"]
    last = client.get("/city/bureaus?page=3").get_data(as_text=True)
    assert len(re.findall(r"<code>b\d{4}</code>", last)) == 30 and "第 3/3 页" in last
    assert 'id="no-match"' in client.get("/city/bureaus?q=无此单位").get_data(as_text=True)
