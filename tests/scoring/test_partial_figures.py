"""A figure computed from an incomplete sheet is never shown, ranked, averaged or printed
as a score: the services give ``None`` and the progress, and every page, export and
report shows the state ("评分中 2/15") instead — the defect was a review team's score of
49.00 (the untouched deduction items' full marks) on the dashboard, the comparison and
the city summary."""
from __future__ import annotations

import re
from io import BytesIO

from openpyxl import load_workbook

from app.city import rollup
from app.city.metrics import refresh_tenant
from app.city.models import TenantMetrics
from app.extensions import db
from app.reports import services as reports
from app.scoring import services
from app.tenancy.session import tenant_context
from tests.helpers import YEAR, form_fields, login, review_fully, sheet_of, start_and_fill, version_of

PARTIAL_REVIEW = {"SX1": "5", "SX2": {}}  # 2 of 15 indicators (a deduction item checked); the others untouched
STATE = "评分中 2/15"


def _partial_review(client, bureau) -> None:
    client.post("/logout")
    login(client, "city")
    body = sheet_of(bureau.tenant).template_body
    data = form_fields(body, "reviewer", PARTIAL_REVIEW, version=version_of(bureau.tenant))
    assert client.post(f"/b/{bureau.slug}/scoring/{YEAR}/review", data=data).status_code == 302
    client.post("/logout")


def _city(client, bureau_a, bureau_b):
    """bureau-a final, bureau-b submitted with the review a tenth done."""
    start_and_fill(client, bureau_a, submit=True)
    review_fully(client, bureau_a)
    start_and_fill(client, bureau_b, submit=True)
    _partial_review(client, bureau_b)
    for bureau in (bureau_a, bureau_b):
        refresh_tenant(bureau.tenant.ref, years=[YEAR])
    login(client, "city")


def test_metrics_give_none_and_the_progress_for_incomplete_figures(app, client, bureau_a, bureau_b, assigned):
    _city(client, bureau_a, bureau_b)
    with tenant_context(bureau_b.tenant):
        figures = services.metrics(YEAR)
    assert figures["status"] == "self_submitted"
    assert figures["self_total"] is not None and figures["self_complete"]
    assert figures["reviewer_total"] is None and not figures["reviewer_complete"]
    assert figures["progress"]["reviewer"] == {"scored": 2, "total": 15}
    assert figures["composite"] is None and figures["grade"] is None
    sx = next(d for d in figures["dimensions"] if d["code"] == "SX")
    assert (sx["reviewer"], sx["reviewer_scored"], sx["count"]) == (None, 2, 3)
    with tenant_context(bureau_a.tenant):
        final = services.metrics(YEAR)
    assert final["final"] and final["composite"] is not None and final["reviewer_total"] is not None


def test_the_dashboard_shows_the_state_and_ranks_and_averages_final_scores_only(
        app, client, bureau_a, bureau_b, assigned):
    _city(client, bureau_a, bureau_b)
    page = client.get(f"/city/?year={YEAR}").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td class=\"text-end\">([^<]*)</td>\s*<td><a [^>]*>市教育局</a>.*?</tr>", page, re.S)
    assert STATE in row.group(0)
    assert row.group(1).strip() == "—"  # not ranked
    data = rollup.overview(YEAR)
    final = next(r for r in data.rows if r.slug == bureau_a.slug)
    assert data.tiles["scored"] == 1 and data.tiles["average_score"] == final.values["composite"]
    partial = next(r for r in data.rows if r.slug == bureau_b.slug)
    assert partial.values["reviewer_total"] is None and partial.values["composite"] is None
    assert partial.rank is None and final.rank == 1
    assert partial.states["reviewer_total"] == STATE and partial.states["composite"] == STATE


def test_compare_and_the_excel_exports_show_the_state(app, client, bureau_a, bureau_b, assigned):
    _city(client, bureau_a, bureau_b)
    page = client.get(f"/city/compare?year={YEAR}&b={bureau_a.slug}&b={bureau_b.slug}").get_data(as_text=True)
    table = re.search(r'id="comparison">.*?</table>', page, re.S).group(0)
    assert STATE in table
    dimensions = re.search(r'id="dimensions">.*?</table>', page, re.S).group(0)
    assert "评分中 2/3" in dimensions  # SX: 2 of its 3 indicators reviewed
    for url in (f"/city/dashboard.xlsx?year={YEAR}", f"/city/compare.xlsx?year={YEAR}&b={bureau_a.slug}&b={bureau_b.slug}"):
        response = client.get(url)
        assert response.status_code == 200
        cells = [c for row in load_workbook(BytesIO(response.data)).active.iter_rows(values_only=True) for c in row]
        assert STATE in cells, url


def test_the_city_summary_and_the_bureau_report_print_the_state(app, client, bureau_a, bureau_b, assigned):
    _city(client, bureau_a, bureau_b)
    html = reports.city_summary_html(reports.city_summary(YEAR))
    text = re.sub(r"<[^>]+>", " ", html)
    assert text.count(STATE) >= 2  # the ranking table and the bureau's page
    with tenant_context(bureau_b.tenant):
        from app.tenancy.models import Tenant

        tenant = db.session.query(Tenant).filter_by(slug=bureau_b.slug).one()
        report = re.sub(r"<[^>]+>", " ", reports.bureau_report_html(tenant, YEAR, city=True))
    assert "考核组评分：评分中 2/15" in report


def test_a_barely_started_draft_has_no_self_score_anywhere(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, {"SX1": "5"})
    refresh_tenant(bureau_a.tenant.ref, years=[YEAR])
    with tenant_context(bureau_a.tenant):
        assert services.metrics(YEAR)["self_total"] is None
    login(client, "city")
    row = next(r for r in rollup.overview(YEAR).rows if r.slug == bureau_a.slug)
    assert row.values["self_total"] is None and row.states["self_total"] == "自评中 1/15"
    page = client.get(f"/b/{bureau_a.slug}/scoring/{YEAR}").get_data(as_text=True)
    assert "自评中 1/15" in page and "54" not in re.sub(r"<[^>]+>", " ", page.split("sheet-table")[0])


def test_rows_stored_before_the_rule_are_read_by_it(app, client, city_admin, bureau_a):
    # A roll-up row as the previous version stored it: running totals as figures.
    db.session.add(TenantMetrics(tenant_id=bureau_a.tenant.id, year=YEAR, data_version=0, figures={"scoring": {
        "year": YEAR, "status": "self_submitted", "self_total": 87.5, "self_complete": True, "reviewer_total": 49.0,
        "reviewer_complete": False, "composite": None, "grade": None, "dimensions": [
            {"code": "ZZ", "title": "政治建设", "max_points": 20, "self": 18, "reviewer": 5}]}}))
    db.session.commit()
    row = next(r for r in rollup.overview(YEAR).rows if r.slug == bureau_a.slug)
    assert row.values["self_total"] == 87.5 and row.values["reviewer_total"] is None
    assert row.states["reviewer_total"] == "评分中"
    assert rollup.dimension_table([row])[0]["cells"][0]["reviewer"] is None


def test_review_completion_and_finalising_need_every_entry(app, client, bureau_a, assigned, city_admin):
    start_and_fill(client, bureau_a, submit=True)
    _partial_review(client, bureau_a)
    login(client, "city")
    base = f"/b/{bureau_a.slug}/scoring/{YEAR}"
    page = client.get(f"{base}/review").get_data(as_text=True)
    assert STATE in page
    client.post(f"{base}/review/complete", data={"version": version_of(bureau_a.tenant)})
    assert sheet_of(bureau_a.tenant).status == "self_submitted"
    with tenant_context(bureau_a.tenant):
        result, missing = services.evaluate_sheet(services.get_sheet(YEAR))
    assert result is None and len(missing) == 13 and all("未评分" in p.message for p in missing)


def test_trends_plot_final_scores_only(app, client, bureau_a, bureau_b, assigned):
    _city(client, bureau_a, bureau_b)
    series = rollup.trend(YEAR, "composite")
    final = next(r for r in rollup.overview(YEAR).rows if r.slug == bureau_a.slug).values["composite"]
    assert [value for _day, value in series["市教育局"]] == [None]
    assert [value for _day, value in series["市财政局"]] == [final]
    assert [value for _day, value in series[""]] == [final]  # the city average of final scores
    assert client.get(f"/city/trends?year={YEAR}&figure=composite&b={bureau_b.slug}").status_code == 200
