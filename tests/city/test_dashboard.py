"""The city dashboard, comparison and trends read the pushed figures."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import update

from app.audit.services import record_bureau
from app.city import metrics
from app.extensions import db
from app.tenancy.models import Tenant
from app.tenancy.session import tenant_context
from tests.helpers import login


def _write(tenant, n: int = 1) -> None:
    with tenant_context(tenant):
        for i in range(n):
            record_bureau("test.write", "thing", i, summary="x")
        db.session.commit()


def _row_html(page: str, name: str) -> str:
    match = re.search(r"<tr>\s*<td class=\"text-end\">[^<]*</td>\s*<td><a [^>]*>" + name + r"</a>.*?</tr>", page, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


def test_a_change_in_one_bureau_shows_on_the_next_dashboard_load(app, client, city_admin, bureau_a, bureau_b):
    login(client, "city")
    before_a = _row_html(client.get("/city/").get_data(as_text=True), "市财政局")
    before_b = _row_html(client.get("/city/").get_data(as_text=True), "市教育局")
    _write(bureau_a.tenant, 2)
    page = client.get("/city/").get_data(as_text=True)
    assert _row_html(page, "市财政局") != before_a  # last activity / figures changed
    assert _row_html(page, "市教育局") == before_b
    assert metrics.today().isoformat() in _row_html(page, "市财政局")


def test_stale_rows_are_flagged(app, client, city_admin, bureau_a, bureau_b):
    _write(bureau_a.tenant)
    db.session.execute(update(Tenant).where(Tenant.id == bureau_a.tenant.id).values(data_version=Tenant.data_version + 5))
    db.session.commit()
    login(client, "city")
    page = client.get("/city/").get_data(as_text=True)
    assert "数据更新中" in _row_html(page, "市财政局")
    assert "数据更新中" not in _row_html(page, "市教育局")  # never changed: nothing to recompute
    # the city's totals include that bureau's old figures: every total says it is not final
    assert page.count("暂计：1个单位更新中") == 5
    db.session.execute(update(Tenant).where(Tenant.id == bureau_a.tenant.id).values(data_version=0))
    db.session.commit()
    assert "暂计" not in client.get("/city/").get_data(as_text=True)


def test_dashboard_charts_are_svg_with_chinese_names(app, client, city_admin, bureau_a, bureau_b):
    _write(bureau_a.tenant)
    _write(bureau_b.tenant)
    login(client, "city")
    page = client.get("/city/").get_data(as_text=True)
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svgs) >= 2
    names = set()
    for svg in svgs:
        root = ET.fromstring(svg)
        names |= {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"市财政局", "市教育局"} <= names


def test_city_viewer_sees_everything_bureau_users_get_404(app, city_viewer, bureau_a, bureau_b):
    viewer = app.test_client()
    login(viewer, "leader")
    for url in ("/city/", "/city/compare?b=bureau-a&b=bureau-b", "/city/trends", "/city/dashboard.xlsx",
                "/city/compare.xlsx?b=bureau-a&b=bureau-b"):
        assert viewer.get(url).status_code == 200, url
    member = app.test_client()
    login(member, bureau_a.admin.username)
    for url in ("/city/", "/city/compare", "/city/trends", "/city/dashboard.xlsx", "/city/compare.xlsx"):
        assert member.get(url).status_code == 404, url


def test_dashboard_export_lists_every_bureau(app, client, city_admin, bureau_a, bureau_b):
    login(client, "city")
    response = client.get("/city/dashboard.xlsx")
    assert response.headers["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(BytesIO(response.data)).active
    names = [row[1] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert names == ["市财政局", "市教育局"]


def test_compare_shows_chosen_bureaus_side_by_side(app, client, city_admin, bureau_a, bureau_b):
    login(client, "city")
    page = client.get("/city/compare?b=bureau-b&b=bureau-a&b=no-such&b=../x").get_data(as_text=True)
    header = re.search(r'<table class="table table-tight bg-white align-middle" id="comparison">.*?</thead>', page, re.S).group(0)
    assert header.index("市教育局") < header.index("市财政局")
    assert "<svg" in page
    single = client.get("/city/compare?b=bureau-a").get_data(as_text=True)
    # one bureau ticked: set against the city average, and the page says so
    assert 'id="against-average"' in single
    header = re.search(r'id="comparison">.*?</thead>', single, re.S).group(0)
    assert "市财政局" in header and "全市平均" in header
    nothing = client.get("/city/compare?b=no-such").get_data(as_text=True)
    assert "请至少选择两个单位" in nothing
    book = load_workbook(BytesIO(client.get("/city/compare.xlsx?b=bureau-a&b=bureau-b").data)).active
    assert [c.value for c in book[3]][1:] == ["市财政局", "市教育局"]


def test_bad_query_values_never_fail(app, client, city_admin, bureau_a):
    login(client, "city")
    for url in ("/city/?year=abc", "/city/?year=99999", "/city/?sort=nope&dir=sideways", "/city/?category=zzz",
                "/city/trends?figure=nope&year=x", "/city/compare?year=&b=" + "x" * 500):
        assert client.get(url).status_code == 200, url


def test_changing_a_duty_item_moves_that_bureaus_row_only(app, client, city_admin, bureau_a, bureau_b):
    """Acceptance: one bureau records progress; the dashboard's next load shows its new
    completion, without any refresh command, and the other bureau's row is unchanged."""
    from app.duties import services as duties
    from tests.helpers import SYSTEM

    year = metrics.today().year - 1  # last year's list: its deadline has passed whatever today is
    items = {}
    for bureau in (bureau_a, bureau_b):
        with tenant_context(bureau.tenant):
            duty_list = duties.create_list(year, actor=SYSTEM)
            items[bureau.slug] = duties.add_item(duty_list, {"category": "party_group", "area": "political",
                                                             "content": "召开全面从严治党工作会议", "cadence": "once",
                                                             "due_date": f"{year}-01-31"}, actor=SYSTEM).id
            duties.set_list_status(duty_list, "published", version=duty_list.version, actor=SYSTEM)
    login(client, "city")
    page = client.get(f"/city/?year={year}").get_data(as_text=True)
    before_a, before_b = _row_html(page, "市财政局"), _row_html(page, "市教育局")
    assert "0.0%" in before_a and "0.0%" in before_b
    with tenant_context(bureau_a.tenant):
        from app.duties.models import DutyItem

        duties.add_record(db.session.get(DutyItem, items[bureau_a.slug]),
                          {"occurred_on": f"{year}-01-15", "summary": "已召开", "count": "1"}, actor=SYSTEM)
    page = client.get(f"/city/?year={year}").get_data(as_text=True)
    assert "100.0%" in _row_html(page, "市财政局")
    assert _row_html(page, "市教育局") == before_b


def test_compare_lists_scoring_dimensions_side_by_side(app, client, city_admin, bureau_a, bureau_b):
    from app.city.models import TenantMetrics

    year = metrics.today().year
    dims = {
        bureau_a.tenant.id: [{"code": "ZZ", "title": "政治建设", "max_points": 20, "self": 19.5, "reviewer": 18.25},
                             {"code": "ZF", "title": "作风建设", "max_points": 15, "self": 15, "reviewer": 12}],
        bureau_b.tenant.id: [{"code": "ZZ", "title": "政治建设", "max_points": 20, "self": 17, "reviewer": 16.5}],
    }
    for tenant_id, dimensions in dims.items():
        db.session.add(TenantMetrics(tenant_id=tenant_id, year=year, data_version=0,
                                     # a row as stored before progress was recorded: read by its flags
                                     figures={"scoring": {"status": "final", "self_complete": True,
                                                          "reviewer_complete": True, "composite": 90,
                                                          "dimensions": dimensions}}))
    db.session.commit()
    login(client, "city")
    page = client.get(f"/city/compare?year={year}&b=bureau-a&b=bureau-b").get_data(as_text=True)
    table = re.search(r'id="dimensions">.*?</table>', page, re.S).group(0)
    assert "政治建设" in table and "19.50 / 18.25" in table and "17.00 / 16.50" in table
    assert re.search(r"作风建设.*?15.00 / 12.00</td><td[^>]*>— / —", table, re.S)
    book = load_workbook(BytesIO(client.get(f"/city/compare.xlsx?year={year}&b=bureau-a&b=bureau-b").data)).active
    labels = [row[0] for row in book.iter_rows(min_row=4, values_only=True)]
    assert any("政治建设" in (label or "") for label in labels)


def test_demo_city_figures_include_scoring_dimensions(app, client, city_admin):
    """The real scoring figures carry the per-dimension subtotals the comparison shows."""
    from app.city.models import TenantMetrics
    from sqlalchemy import select

    result = app.test_cli_runner().invoke(args=["demo", "seed", "--bureaus", "3", "--password", "demo-password-1",
                                                "--force"])
    assert result.exit_code == 0, result.output
    year = 2026
    rows = db.session.scalars(select(TenantMetrics).where(TenantMetrics.year == year)).all()
    dimensions = [r.figures["scoring"]["dimensions"] for r in rows if r.figures.get("scoring", {}).get("status")]
    assert dimensions and all(d and {"code", "title", "max_points", "self", "reviewer"} <= set(d[0]) for d in dimensions)
    client = app.test_client()
    login(client, "city", "demo-password-1")
    page = client.get(f"/city/compare?year={year}&b=jgswj&b=czj&b=jyj").get_data(as_text=True)
    assert 'id="dimensions"' in page and dimensions[0][0]["title"] in page
