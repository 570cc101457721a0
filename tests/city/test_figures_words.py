"""The city's figures read without training (issue 11, items 8-10 and 14): the grade's
reason beside it, the two list figures named apart, new bureaus out of the averages
until their list is published, and the dashboard's main columns."""
from __future__ import annotations

import re
from io import BytesIO

from openpyxl import load_workbook

from app.city import metrics, rollup
from app.city.models import TenantMetrics
from app.extensions import db
from tests.helpers import login

from datetime import date

YEAR = date.today().year  # the pages default to the current year (the zone differs only at New Year)


def _store(tenant_id: int, duties: dict | None = None, scoring: dict | None = None) -> None:
    scoring = {"status": "final", "final": True, "self_complete": True, "reviewer_complete": True,
               "progress": {"self": None, "reviewer": None}, "dimensions": [], **(scoring or {})}
    db.session.merge(TenantMetrics(tenant_id=tenant_id, year=YEAR, data_version=0,
                                   figures={"duties": duties or {}, "scoring": scoring, "findings": {},
                                            "activity": {}}))
    db.session.commit()


PUBLISHED = {"has_list": True, "list_status": "published", "items_total": 57, "items_done": 37,
             "items_overdue": 2, "completion_rate": 0.919}


def test_grade_reason_follows_the_figures(app):
    with app.test_request_context():
        _reasons()


def _reasons():
    assert rollup.grade_reason({"grade": "较好", "grade_by_score": "好", "vetoed": False}) == \
        "民主测评满意率未达门槛，按分数为“好”"
    assert rollup.grade_reason({"grade": "差", "grade_by_score": "好", "vetoed": True}) == "一票否决，按分数为“好”"
    assert rollup.grade_reason({"grade": "好", "grade_by_score": "好", "vetoed": False}) is None
    assert rollup.grade_reason({"grade": None, "grade_by_score": None}) is None


def test_dashboard_shows_the_reason_beside_the_grade(app, client, city_admin, bureau_a, bureau_b):
    _store(bureau_a.tenant.id, PUBLISHED, {"composite": 98.09, "grade": "较好", "grade_by_score": "好"})
    _store(bureau_b.tenant.id, PUBLISHED, {"composite": 97.13, "grade": "差", "grade_by_score": "好", "vetoed": True})
    login(client, "city")
    page = client.get("/city/").get_data(as_text=True)
    first = re.search(r"<tr>\s*<td class=\"text-end\">1</td>.*?</tr>", page, re.S).group(0)
    assert "市财政局" in first and "较好" in first and "民主测评满意率未达门槛" in first
    second = re.search(r"<tr>\s*<td class=\"text-end\">2</td>.*?</tr>", page, re.S).group(0)
    assert "一票否决" in second
    # the two list figures, named apart
    assert "事项完成" in page and "按期进度" in page and "37/57" in first and "91.9%" in first
    # the export carries the grade and its reason in columns of their own
    book = load_workbook(BytesIO(client.get("/city/dashboard.xlsx").data)).active
    rows = [[c.value for c in row] for row in book.iter_rows()]
    header = next(r for r in rows if r and "等次" in r)
    data = next(r for r in rows if r and "市财政局" in r)
    assert data[header.index("等次")] == "较好"
    assert data[header.index("等次说明")] == "民主测评满意率未达门槛，按分数为“好”"
    assert data[header.index("事项完成")] == "37/57"
    # the PDF's ranking reads row.shown: the grade with its reason
    row = next(r for r in rollup.overview(YEAR).rows if r.slug == bureau_b.slug)
    assert row.shown(rollup.COLUMN_BY_KEY["grade"]) == "差（一票否决）"
    first_row = next(r for r in rollup.overview(YEAR).rows if r.slug == bureau_a.slug)
    assert first_row.shown(rollup.COLUMN_BY_KEY["grade"]) == "较好（测评门槛）"


def test_main_columns_first_and_all_figures_on_request(app, client, city_admin, bureau_a):
    _store(bureau_a.tenant.id, PUBLISHED)
    login(client, "city")
    page = client.get("/city/").get_data(as_text=True)
    head = re.search(r'id="dashboard">.*?</thead>', page, re.S).group(0)
    assert len(re.findall(r"<th[ >]", head)) == 2 + len(rollup.MAIN_COLUMNS)
    assert "自评得分" not in head and 'id="all-figures"' in page
    every = client.get("/city/?figures=all&sort=self_total").get_data(as_text=True)
    head = re.search(r'id="dashboard">.*?</thead>', every, re.S).group(0)
    assert len(re.findall(r"<th[ >]", head)) == 2 + len(rollup.COLUMNS) - 1  # the reason sits under the grade
    assert "figures=all" in head  # sorting keeps every column open


def test_a_bureau_without_a_published_list_stays_out_of_the_averages(app, client, city_admin, bureau_a, bureau_b):
    _store(bureau_a.tenant.id, PUBLISHED)
    _store(bureau_b.tenant.id, {"has_list": True, "list_status": "draft", "items_total": 57, "items_done": 0,
                                "items_overdue": 16, "completion_rate": 0.0})
    data = rollup.overview(YEAR)
    assert data.tiles["average_completion"] == 0.919
    assert data.tiles["overdue_items"] == 2
    login(client, "city")
    page = client.get("/city/").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td class=\"text-end\">[^<]*</td>\s*<td><a [^>]*>市教育局</a>.*?</tr>", page, re.S).group(0)
    assert "清单未发布" in row and "16" not in re.sub(r"<[^>]+>", " ", row)


def test_compare_one_bureau_against_the_city(app, client, city_admin, bureau_a, bureau_b):
    _store(bureau_a.tenant.id, PUBLISHED, {"composite": 90.0, "grade": "好", "grade_by_score": "好"})
    _store(bureau_b.tenant.id, dict(PUBLISHED, completion_rate=0.5), {"composite": 80.0, "grade": "一般",
                                                                      "grade_by_score": "一般"})
    login(client, "city")
    page = client.get("/city/compare?b=bureau-a").get_data(as_text=True)
    assert "只选了一个单位" in page and "<svg" in page
    table = re.search(r'id="comparison">.*?</table>', page, re.S).group(0)
    assert "全市平均" in table and "71.0%" in table and "85.00" in table
    book = load_workbook(BytesIO(client.get("/city/compare.xlsx?b=bureau-a").data)).active
    assert "全市平均" in [c.value for c in book[3]]
    empty = client.get("/city/compare").get_data(as_text=True)
    assert 'id="choose-more"' in empty


def test_hostile_query_values_never_fail(app, client, city_admin, bureau_a):
    login(client, "city")
    for url in ("/city/?figures=<script>&sort=grade_reason&dir=x", "/city/compare?b=%3Cscript%3E&b=bureau-a",
                "/city/compare.xlsx?b=bureau-a", "/city/audit/?bureau=%3Cscript%3E&page=-4",
                "/city/audit/?page=999999999999999999999", "/city/bureaus/bureau-a/technical"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<script>" not in response.data.replace(b'<script src="', b"")
    assert client.get("/city/bureaus/no-such/technical").status_code == 404


def test_technical_page_is_for_city_admins_only(app, client, city_viewer, bureau_a):
    login(client, city_viewer.username)
    assert client.get("/city/bureaus/bureau-a/technical").status_code == 403
    page = client.get("/city/bureaus/bureau-a").get_data(as_text=True)
    assert "sqlite:" not in page and "结构版本" not in page and "technical-link" not in page
