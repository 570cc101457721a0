"""Meeting-ready print (issue 11): every report of a demo city is laid out and its pages
measured from WeasyPrint's own layout boxes (app.reports.pagecheck): no page less than a
quarter filled except a cover and a report's last page, no heading at a page's foot
without what follows it, no title line of a single character.  Also: a year without data
is one page, a past year's report is dated at the year's end, and the figures are named
as the web names them."""
from __future__ import annotations

from datetime import date

import pytest

from app.core import clock
from app.extensions import db
from app.reports import pagecheck, pdf, services
from tests.reports.samples import BUREAUS, YEAR



def _bureau_reports(app, year: int) -> dict[str, str]:
    """The HTML of every bureau report of ``year``: annual report (the city's and the
    bureau's edition), score-sheet printout, rectification ledger."""
    from app.findings.services import Filters
    from app.tenancy.models import Tenant
    from app.tenancy.session import tenant_context

    found = {}
    for tenant in services.active_tenants():
        with tenant_context(tenant):
            tenant = db.session.get(Tenant, tenant.id)
            found[f"{tenant.slug} annual report {year}"] = services.bureau_report_html(tenant, year, city=True)
            found[f"{tenant.slug} annual report {year} (bureau's edition)"] = services.bureau_report_html(
                tenant, year, city=False)
            sheet = services.score_sheet_html(year)
            if sheet is not None:
                found[f"{tenant.slug} score sheet {year}"] = sheet
            found[f"{tenant.slug} ledger {year}"] = services.ledger_html(tenant, Filters(year=year),
                                                                          services.report_day(year))
    return found


@pytest.fixture(scope="module")
def measured(demo_city):
    """Every report of the demo city this year and last year, laid out and measured."""
    reports = {}
    for year in (YEAR, YEAR - 1):
        reports.update(_bureau_reports(demo_city, year))
        reports[f"city summary {year}"] = services.city_summary_html(services.city_summary(year))
    return {name: pagecheck.measure(pdf.part_pages(html, static_dir=demo_city.static_folder)) for name, html in reports.items()}


def test_every_report_of_the_demo_city_is_laid_out_for_a_meeting(measured):
    assert len(measured) >= 4 * BUREAUS  # annual reports, editions, sheets, ledgers, summaries
    found = {name: pagecheck.problems(pages) for name, pages in measured.items()}
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_rules_are_measured_not_assumed(measured):
    # the city summary: its charts share one page with each other (none alone on a
    # mostly white page), its profiles follow, and its pages are well filled
    pages = measured[f"city summary {YEAR}"]
    assert pages[0].cover and not any(p.cover for p in pages[1:])
    assert all(p.fill >= pagecheck.MIN_FILL for p in pages[1:-1])
    chart_pages = [p for p in pages if any(text.startswith("三、") for text, *_ in p.headings)]
    assert len(chart_pages) == 1 and chart_pages[0].fill > 0.6
    # the annual report's category headings all have their table on their page
    report = measured[f"czj annual report {YEAR}"]
    headings = [h for p in report for h in p.headings if h[0].startswith("（")]
    assert len(headings) >= 4 and all(after for _text, _top, after in headings)


def test_a_checker_catches_a_stranded_heading_a_lone_character_and_an_empty_page(demo_city):
    """The checks themselves, on a document made to break each rule."""
    rows = "".join(f"<tr><td>{n}</td><td>内容</td></tr>" for n in range(30))
    html = ('<html><head><link rel="stylesheet" href="print/gbt9704.css"></head><body>'
            '<div class="part"><div style="height:205mm"></div><h3 style="break-after:auto">（三）班子成员“一岗双责”</h3>'
            '<div style="break-before:page"></div><table><tbody>' + rows + '</tbody></table>'
            '<p style="break-before:page">一行。</p>'
            '<h1 class="doc-title" style="break-before:page">市财政局2026年度党建工作主体责任考核评分<br>表</h1>'
            '<p>正文。</p></div></body></html>')
    with demo_city.test_request_context():
        problems = pagecheck.problems(pagecheck.measure(pdf.part_pages(html, static_dir=demo_city.static_folder)))
    assert any("heading '（三）班子成员“一岗双责”' at the foot" in p for p in problems)
    assert any("filled" in p for p in problems)
    assert any("title line '表'" in p for p in problems)


def test_a_year_without_data_says_so_on_one_page(demo_city):
    from app.tenancy.models import Tenant
    from app.tenancy.session import tenant_context

    empty = YEAR + 4
    tenant = services.active_tenants()[1]
    with tenant_context(tenant):
        html = services.bureau_report_html(db.session.get(Tenant, tenant.id), empty, city=True)
    pages = pagecheck.measure(pdf.part_pages(html, static_dir=demo_city.static_folder))
    assert len(pages) == 1
    assert f"{empty}年度" in html and "尚无" in html
    data = services.city_summary(empty)
    summary = services.city_summary_html(data)
    assert len(pagecheck.measure(pdf.part_pages(summary, static_dir=demo_city.static_folder))) == 1 and "尚无" in summary
    # the Word edition says the same on its one page
    from io import BytesIO

    from docx import Document as WordDocument

    from app.reports.docx import summary_docx

    word = WordDocument(BytesIO(summary_docx(data)))
    texts = [p.text for p in word.paragraphs if p.text]
    assert any("尚无" in t for t in texts) and not word.tables and len(texts) == 4


def test_past_years_are_dated_at_the_years_end_and_figures_keep_the_webs_names(demo_city):
    assert services.report_day(YEAR - 1) == date(YEAR - 1, 12, 31)
    # "today" is the bureaus' day (Asia/Shanghai), a day ahead of UTC in the evening
    assert services.report_day(YEAR) == clock.today()
    html = services.city_summary_html(services.city_summary(YEAR - 1))
    assert f"截至{YEAR - 1}年12月31日" in html and f"截至{YEAR}年" not in html
    this_year = services.city_summary_html(services.city_summary(YEAR))
    assert "考核组评分" in this_year and "复核得分" not in this_year
    # the ranking names both completion figures, as the dashboard does (事项完成 37/57, 按期进度 91.9%)
    ranking = this_year[this_year.index("<table"): this_year.index("</table>")]
    assert "事项完成" in ranking and "按期进度" in ranking
    # a missing figure is never printed as a dash inside a sentence ("销号率—。" reads 销号率一)
    for text in (html, this_year):
        assert "—。" not in text and "—，" not in text


def test_the_body_is_set_in_a_fangsong_face_and_its_absence_is_named(demo_city, monkeypatch):
    faces = pdf.check_fonts(demo_city.config)
    assert "fandol" in faces["fang"].path.lower()
    html = services.city_summary_html(services.city_summary(YEAR))
    assert '"FandolFang"' in html
    real = pdf.font_face
    monkeypatch.setattr(pdf, "font_face", lambda family: None if family == "FandolFang" else real(family))
    with pytest.raises(pdf.FontsMissing) as missing:
        pdf.check_fonts(demo_city.config)
    message = str(missing.value)
    assert "fang: FandolFang" in message and "texlive-lang-chinese" in message and "make fonts" in message


def test_the_ledger_says_a_finding_was_closed_late_and_by_how_many_days(demo_city):
    from types import SimpleNamespace

    finding = SimpleNamespace(source="inspection", raised_by_city=False, batch="", description="问题",
                              person=None, measures="措施", due_on=date(YEAR, 3, 1), status="closed",
                              closed_on=date(YEAR, 4, 12), verification_note="", verified_by_name="")
    on_time = SimpleNamespace(**{**vars(finding), "closed_on": date(YEAR, 2, 20)})
    rows = [SimpleNamespace(finding=f, last_note=None, last_note_text="", evidence=0, overdue=False)
            for f in (finding, on_time)]
    summary = SimpleNamespace(total=2, by_status={"closed": 2}, overdue=0)
    with demo_city.test_request_context():
        html = pdf.render_html("findings/ledger_print.html", rows=rows, summary=summary, bureau_name="市财政局",
                               subtitle=f"{YEAR}年度", today=date(YEAR, 12, 31))
    assert html.count("逾期42天销号") == 1  # the late one only


def test_a_part_spilling_a_line_onto_a_new_page_is_laid_out_with_narrower_lines(demo_city):
    """GB/T 9704's remedy for a last page of two lines (or a signature alone): narrow the
    line spacing a little.  23 one-line paragraphs at 22 lines a page need two pages; laid
    out again they fit on one, and a part that fills its pages well is left as it is."""
    def part(lines: int) -> str:
        body = "".join("<p>整改落实情况。</p>" for _ in range(lines))
        return ('<html><head><link rel="stylesheet" href="print/gbt9704.css"></head><body>'
                f'<div class="part">{body}</div></body></html>')

    with demo_city.test_request_context():
        spilled = pdf.layout(part(23), static_dir=demo_city.static_folder)
        fitted = pdf.layout_part(part(23), static_dir=demo_city.static_folder)
        full = pdf.layout_part(part(36), static_dir=demo_city.static_folder)
    assert len(spilled.pages) == 2 and pagecheck.page_info(spilled.pages[1], 2).fill < pagecheck.MIN_FILL
    assert len(fitted.pages) == 1
    assert len(full.pages) == 2 and pagecheck.page_info(full.pages[1], 2).fill > pagecheck.MIN_FILL


def test_a_city_beyond_the_profiles_limit_says_so_and_profiles_only_the_bureaus_chosen(demo_city):
    from io import BytesIO

    from docx import Document as WordDocument

    from app.reports.docx import summary_docx

    saved = {k: demo_city.config.get(k) for k in ("REPORTS_CITY_PROFILES_MAX", "REPORTS_CITY_RANKING_MAX")}
    demo_city.config.update(REPORTS_CITY_PROFILES_MAX=BUREAUS - 2, REPORTS_CITY_RANKING_MAX=4)
    try:
        within = services.city_summary(YEAR)
        assert within["profiles"] == [] and f"{BUREAUS}家" in within["limits"]
        ranking = within["ranking"]
        assert [row.get("gap") for row in ranking] == [None, None, BUREAUS - 4, None, None]
        tenants = services.active_tenants()
        chosen = (tenants[0].slug, tenants[-1].slug)
        picked = services.city_summary(YEAR, chosen=chosen)
        assert [p["name"] for p in picked["profiles"]] == [tenants[0].name, tenants[-1].name]
        html = services.city_summary_html(picked)
        assert picked["limits"] in html and ranking[2]["text"] in html
        assert f"（一）{tenants[0].name}" in html and f"（二）{tenants[-1].name}" in html and "（三）" not in html
        word = WordDocument(BytesIO(summary_docx(picked)))
        assert any(p.text == picked["limits"] for p in word.paragraphs)
        assert any(ranking[2]["text"] in cell.text for cell in word.tables[0].columns[0].cells)
    finally:
        demo_city.config.update(saved)
    assert services.city_summary(YEAR)["limits"] is None
