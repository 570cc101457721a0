"""Every report of a small demo city, rendered once through the web (module fixture):
the PDFs are A4, number their pages through the whole document, embed CJK fonts only,
and carry the bureau names and the figures the web pages show; the cache serves repeats
and notices data changes; the command line writes the same files."""
from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from io import BytesIO

import pytest
from docx import Document as WordDocument
from pypdf import PdfReader

from app.core.actor import Actor
from app.extensions import db
from app.tenancy.migrations import upgrade_catalog
from tests.helpers import make_app
from tests.support.settings import cleared

PASSWORD = "demo-password-1"
MM = 72 / 25.4
YEAR = 2026


@pytest.fixture(scope="module")
def city(tmp_path_factory, postgres_database):
    """A demo city of four bureaus (three final score sheets, one reviewed), seeded by
    ``flask demo seed``; yields the app with an application context pushed."""
    with pytest.MonkeyPatch.context() as patch:
        import os

        for name in list(os.environ):
            if cleared(name):
                patch.delenv(name)
        application = make_app(tmp_path_factory.mktemp("reports-demo"), postgres_database)
        with application.app_context():
            upgrade_catalog(db.engine, application.config["MIGRATIONS_DIR"])
            result = application.test_cli_runner().invoke(
                args=["demo", "seed", "--bureaus", "4", "--password", PASSWORD])
            assert result.exit_code == 0, result.output
            yield application
            db.session.remove()
            application.extensions["zeren.tenant_store"].dispose_all()
            db.engine.dispose()


def client_for(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, username
    return client


SLUGS = ("jgswj", "czj", "jyj", "wjw")


@pytest.fixture(scope="module")
def rendered(city):
    """Every report, fetched once: the city reader's view of each bureau, a bureau
    viewer's view of the reviewed (not final) bureau, ledgers, score sheets, city files."""
    reader = client_for(city, "city-viewer")
    files = {}
    for slug in SLUGS:
        files[("report", slug)] = reader.get(f"/b/{slug}/reports/{YEAR}.pdf")
        files[("ledger", slug)] = reader.get(f"/b/{slug}/reports/ledger.pdf?year={YEAR}")
        files[("scores", slug)] = reader.get(f"/b/{slug}/reports/{YEAR}/scores.pdf")
    files[("report-as-bureau", "wjw")] = client_for(city, "wjw-viewer").get(f"/b/wjw/reports/{YEAR}.pdf")
    files[("city", "pdf")] = reader.get(f"/city/reports/{YEAR}.pdf")
    files[("city", "docx")] = reader.get(f"/city/reports/{YEAR}.docx")
    for key, response in files.items():
        assert response.status_code == 200, key
    return files


def pdf_of(response) -> PdfReader:
    assert response.mimetype == "application/pdf"
    return PdfReader(BytesIO(response.data))


def squeeze(text: str) -> str:
    """Text without whitespace: PDF text extraction breaks lines where the layout did."""
    return re.sub(r"\s+", "", text)


def text_of(reader: PdfReader) -> str:
    return squeeze("".join(page.extract_text() for page in reader.pages))


class Cells(HTMLParser):
    """The text of every <td>/<th> and of elements with a data-figure attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.figures: dict[str, str] = {}
        self._cell: list[str] | None = None
        self._figure: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: D102
        attrs = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []
        if "data-figure" in attrs:
            self._figure, self._buffer = attrs["data-figure"], []

    def handle_endtag(self, tag):  # noqa: D102
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(squeeze("".join(self._cell)))
            self._cell = None
        if self._figure and tag in ("td", "span", "div", "dd", "strong"):
            self.figures[self._figure] = squeeze("".join(self._buffer))
            self._figure = None

    def handle_data(self, data):  # noqa: D102
        if self._cell is not None:
            self._cell.append(data)
        if self._figure:
            self._buffer.append(data)


def parse(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells


# -------------------------------------------------------------------------- every report
def test_every_report_renders_as_a4_with_page_numbers_through_the_document(rendered):
    for key, response in rendered.items():
        if key == ("city", "docx"):
            continue
        reader = pdf_of(response)
        assert len(reader.pages) >= 2, key
        for number, page in enumerate(reader.pages, start=1):
            size = sorted((float(page.mediabox.width) / MM, float(page.mediabox.height) / MM))
            assert abs(size[0] - 210) < 1 and abs(size[1] - 297) < 1, (key, number, size)
            if key[0] in ("report", "report-as-bureau", "city") and number == 1:
                continue  # the cover has no number
            assert f"— {number} —" in page.extract_text(), (key, number)


def test_the_annual_report_has_its_sections_and_landscape_ledger(rendered):
    reader = pdf_of(rendered[("report", "czj")])
    text = text_of(reader)
    for heading in ("一、总体情况", "二、责任清单落实情况", "三、考核评分情况", "四、问题整改情况", "附件1", "附件2",
                    "市财政局2026年度机关党建主体责任落实情况报告", "市财政局督查整改台账", "各类责任按期进度"):
        assert heading in text, heading
    sizes = [float(p.mediabox.width) > float(p.mediabox.height) for p in reader.pages]
    assert not sizes[0] and sizes[-1], "portrait main text, landscape ledger at the end"
    assert "2026年" in text and re.search(r"2026年\d{1,2}月\d{1,2}日", text)


def text_positions(page) -> list[tuple[str, float, float]]:
    """(text, x, y from the top) in millimetres of the text runs of the HTML flow on a page
    (drawn in the page's own coordinates; the charts' SVG text is drawn in transformed
    groups and left out)."""
    found = []
    base = None

    def visit(text, cm, tm, font, size):
        nonlocal base
        if not text.strip():
            return
        base = base or tuple(round(v, 3) for v in cm)
        if tuple(round(v, 3) for v in cm) != base:
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        found.append((text, x / MM, (float(page.mediabox.height) - y) / MM))

    page.extract_text(visitor_text=visit)
    return found


def test_text_stays_inside_the_text_block(rendered):
    """GB/T 9704 margins on real reports: text starts 28 mm from the left and 37 mm from
    the top of portrait pages and ends above the bottom margin (page numbers sit in it);
    the landscape ledger keeps its 15 mm margins."""
    for key in (("report", "czj"), ("city", "pdf")):
        for number, page in enumerate(pdf_of(rendered[key]).pages, start=1):
            body = [p for p in text_positions(page) if not re.fullmatch(r"[—\s\d]+", p[0])]  # not the number
            if not body:
                continue
            landscape = float(page.mediabox.width) > float(page.mediabox.height)
            left, top, bottom, right = (15, 20, 210 - 18, 297 - 15) if landscape else (28, 37, 297 - 35, 210 - 26)
            assert min(x for _t, x, _y in body) >= left - 0.5, (key, number)
            assert max(x for _t, x, _y in body) <= right, (key, number)
            assert min(y for _t, _x, y in body) >= top, (key, number)
            assert max(y for _t, _x, y in body) <= bottom + 0.5, (key, number)
            if number == 2:  # the main text's first page: the block starts at the margins
                assert min(x for _t, x, _y in body) < left + 2.5 and min(y for _t, _x, y in body) < top + 12


def test_every_font_is_embedded_and_cjk(rendered):
    for key in (("report", "czj"), ("city", "pdf")):
        names = set()
        for page in pdf_of(rendered[key]).pages:
            for ref in page["/Resources"]["/Font"].values():
                font = ref.get_object()
                descendants = font.get("/DescendantFonts")
                descriptor = (descendants[0].get_object() if descendants else font)["/FontDescriptor"].get_object()
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
                names.add(str(font["/BaseFont"]))
        assert names and all("CJK" in n or "WenKai" in n or "Fandol" in n for n in names), (key, names)
        assert any("FandolFang" in n for n in names), (key, names)


# ------------------------------------------------------------- the figures of the web pages
def test_city_summary_carries_the_dashboard_rows(city, rendered):
    from app.city.rollup import COLUMN_BY_KEY

    dashboard = client_for(city, "city-viewer").get(f"/city/?year={YEAR}").get_data(as_text=True)
    table = dashboard[dashboard.index('id="dashboard"'):]
    rows = [r for r in parse(table[: table.index("</table>")]).rows if r]
    header, body = rows[0], rows[1:]
    with city.test_request_context():
        labels = {key: squeeze(str(COLUMN_BY_KEY[key].label)) for key in ("completion_rate", "composite", "grade")}
    column = {key: next(i for i, cell in enumerate(header) if cell.startswith(label)) for key, label in labels.items()}
    names = ("市机关事务管理局", "市财政局", "市教育局", "市卫生健康委员会")
    assert len(body) == 4
    text = text_of(pdf_of(rendered[("city", "pdf")]))
    for row in body:
        bureau = next(n for n in names if n in row[1])
        shown = {key: row[index] for key, index in column.items()}
        # the dashboard gives the grade's reason under it in full, the PDF in a short word
        shown["grade"] = re.split(r"民主测评|一票否决", shown["grade"])[0] or shown["grade"]
        assert bureau in text
        # The ranking table's row: rank, name, then the figures in the dashboard's format.
        line = re.search(re.escape(row[0] + bureau) + r"(\S{0,80})", text)
        assert line, (bureau, row[0])
        for key, figure in shown.items():
            if figure != "—":
                assert figure in line.group(1), (bureau, key, figure, line.group(1))
    assert "四、各单位情况" in text and "附件1" in text and "附件2" in text


def test_bureau_report_carries_the_list_scoring_and_ledger_figures(city, rendered):
    reader = client_for(city, "city-viewer")
    text = text_of(pdf_of(rendered[("report", "czj")]))
    index = reader.get("/b/czj/duties/").get_data(as_text=True)
    list_url = re.search(r'href="(/b/czj/duties/\d+)"', index).group(1)
    tiles = re.findall(r'<div class="small text-muted">([^<]+)</div><div class="fs-4[^"]*">([^<]+)</div>',
                       reader.get(list_url).get_data(as_text=True))
    figures = {label: value.strip() for label, value in tiles}
    assert f"共{figures['事项数']}项" in text
    assert f"已完成{figures['已完成']}项" in text and f"逾期{figures['逾期']}项" in text
    assert f"按期进度为{figures['按期进度']}" in text
    result = parse(reader.get(f"/b/czj/scoring/{YEAR}/result").get_data(as_text=True)).figures
    assert f"综合得分{result['composite']}分" in text and f"等次为“{result['grade']}”" in text
    ledger = reader.get(f"/b/czj/findings/ledger?year={YEAR}").get_data(as_text=True)
    foot = squeeze(re.sub(r"<[^>]+>", "", re.search(r'<p class="foot">(.*?)</p>', ledger, re.S).group(1)))
    assert foot in text and foot in text_of(pdf_of(rendered[("ledger", "czj")]))
    # the demo's approved 补录 is listed, with its reason and who approved it
    from app.duties.demo import LATE_REASONS

    assert "补录情况" in text and "经批准补录1条" in text and squeeze(LATE_REASONS[0]) in text


def test_bureau_readers_do_not_see_the_review_before_it_is_final(rendered):
    city_view = text_of(pdf_of(rendered[("report", "wjw")]))
    bureau_view = text_of(pdf_of(rendered[("report-as-bureau", "wjw")]))
    # one vocabulary with the web (考核组评分, never 复核得分), and no review figure before it is final
    assert "考核组评分待市直机关工委终审后公布" in bureau_view and not re.search(r"考核组评分\d", bureau_view)
    assert "复核得分" not in bureau_view + city_view
    assert "考核评分表" not in bureau_view.split("附件1")[-1]  # the ledger is the only attachment
    assert "整改台账见附件1" in bureau_view and "附件2" not in bureau_view
    assert re.search(r"考核组评分[\d（(]", city_view) and "整改台账见附件2" in city_view


def test_docx_has_the_same_content_in_the_same_order_with_chinese_fonts(rendered):
    document = WordDocument(BytesIO(rendered[("city", "docx")].data))
    texts = [p.text for p in document.paragraphs if p.text.strip()]
    order = ["一、总体情况", "二、排名情况", "三、图表", "四、各单位情况", "附件1", "附件2"]
    positions = [next(i for i, t in enumerate(texts) if t == heading) for heading in order]
    assert positions == sorted(positions)
    headings = [t for t in texts if re.fullmatch(r"（[一二三四]）.+", t)]
    assert headings == ["（一）市机关事务管理局", "（二）市财政局", "（三）市教育局", "（四）市卫生健康委员会"]
    cells = {c.text for table in document.tables for row in table.rows for c in row.cells}
    pdf_text = text_of(pdf_of(rendered[("city", "pdf")]))
    ranking = document.tables[0]
    for row in list(ranking.rows)[1:]:
        values = [c.text for c in row.cells]
        assert values[1].rstrip(" *") in pdf_text and all(v in pdf_text for v in values[2:] if v != "—")
    assert "市财政局" in cells
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋"
    heading = document.styles["Zeren Heading 1"].element.rPr.rFonts
    assert heading.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "黑体"
    assert len(document.inline_shapes) >= 2  # the charts, drawn from the same SVG


# ---------------------------------------------------------------------- cache and freshness
def test_repeats_come_from_the_cache_and_a_change_renders_again(city, rendered):
    from app.duties import services as duties
    from app.tenancy import services as tenancy
    from app.tenancy.session import tenant_context

    reader = client_for(city, "city-viewer")
    again = reader.get(f"/b/jgswj/reports/{YEAR}.pdf")
    assert again.headers["X-Report-Cache"] == "hit" and again.data == rendered[("report", "jgswj")].data
    with tenant_context(tenancy.get_tenant("jgswj")):
        duty_list = duties.list_for_year(YEAR)
        row = next(r for r in duties.item_rows(duty_list) if r.status != "done")
        record = duties.add_record(row.item, {"occurred_on": date(YEAR, 1, 15), "summary": "缓存测试记录", "count": 1,
                                              "late_reason": "缓存测试补录"}, actor=Actor.system())
        # the demo city reviews records (issue 16): only an approved one changes the report
        if record.review_state != "approved":
            duties.approve_records([record], actor=Actor.system())
    changed = reader.get(f"/b/jgswj/reports/{YEAR}.pdf")
    assert changed.headers["X-Report-Cache"] == "miss"
    assert text_of(pdf_of(changed)) != text_of(pdf_of(rendered[("report", "jgswj")]))
    assert reader.get(f"/city/reports/{YEAR}.pdf").headers["X-Report-Cache"] == "miss"


# ------------------------------------------------------------------------------ the pages
def test_reports_pages_list_the_files_with_progress_script(city):
    bureau = client_for(city, "czj-viewer").get("/b/czj/reports/").get_data(as_text=True)
    assert f'href="/b/czj/reports/{YEAR}.pdf" data-report' in bureau
    assert f"/b/czj/reports/{YEAR}/scores.pdf" in bureau and "/b/czj/reports/ledger.pdf?year=2026" in bureau
    assert "js/reports.js" in bureau and 'id="report-messages"' in bureau and "<script>" not in bureau
    city_page = client_for(city, "city").get("/city/reports/").get_data(as_text=True)
    assert f'href="/city/reports/{YEAR}.pdf" data-report' in city_page and f"/city/reports/{YEAR}.docx" in city_page
    assert "/b/wjw/reports/2026.pdf" in city_page
    assert "js/reports.js" in city_page and "<script>" not in city_page


def test_bureau_users_get_404_on_city_reports_and_the_review_rule_applies(city):
    viewer = client_for(city, "wjw-viewer")
    for url in ("/city/reports/", f"/city/reports/{YEAR}.pdf", f"/city/reports/{YEAR}.docx"):
        assert viewer.get(url).status_code == 404, url
    refused = viewer.get(f"/b/wjw/reports/{YEAR}/scores.pdf")
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/b/wjw/reports/?year={YEAR}")
    assert viewer.get("/b/wjw/reports/1999.pdf").status_code == 404
    assert viewer.get("/b/wjw/reports/2030/scores.pdf").status_code == 404  # no sheet that year


def test_missing_fonts_give_a_clear_503(city):
    city.config["PDF_FONT_SANS"] = "No Such Sans"
    try:
        response = client_for(city, "city").get("/city/reports/2025.pdf")
    finally:
        city.config["PDF_FONT_SANS"] = "Noto Sans CJK SC"
    assert response.status_code == 503
    assert "No Such Sans" in response.get_data(as_text=True)


# ----------------------------------------------------------------------------- the CLI
def test_cli_writes_the_pdf_and_the_html_given_to_weasyprint(city, rendered, tmp_path):
    from app.reports import pdf

    runner = city.test_cli_runner()
    out, html = tmp_path / "czj.pdf", tmp_path / "czj.html"
    result = runner.invoke(args=["reports", "bureau", "czj", "--year", str(YEAR), "--out", str(out),
                                 "--html", str(html)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == rendered[("report", "czj")].data  # the cache is shared with the pages
    written = html.read_text(encoding="utf-8")
    assert written.count(pdf.PART) >= 3 and "市财政局" in written
    # The parts laid out separately give the pages of a one-pass layout of that HTML.
    one_pass = PdfReader(BytesIO(pdf.html_to_pdf(written, static_dir=city.static_folder)))
    parts = pdf_of(rendered[("report", "czj")])
    assert len(one_pass.pages) == len(parts.pages)
    assert [squeeze(p.extract_text()) for p in one_pass.pages] == [squeeze(p.extract_text()) for p in parts.pages]

    city_out, docx_out = tmp_path / "city.pdf", tmp_path / "city.docx"
    result = runner.invoke(args=["reports", "city", "--year", str(YEAR), "--out", str(city_out),
                                 "--docx", str(docx_out)])
    assert result.exit_code == 0, result.output
    assert city_out.read_bytes()[:5] == b"%PDF-" and docx_out.read_bytes()[:2] == b"PK"
    missing = runner.invoke(args=["reports", "bureau", "nobody", "--out", str(tmp_path / "x.pdf")])
    assert missing.exit_code != 0 and "nobody" in missing.output


def test_warm_fills_the_cache(city):
    from app.reports import services

    result = city.test_cli_runner().invoke(args=["reports", "warm", "--year", str(YEAR)])
    assert result.exit_code == 0, result.output
    assert "city summary (PDF)" in result.output and "jgswj" in result.output
    with city.test_request_context():
        assert services.city_ready(YEAR) == {"pdf": True, "docx": True}


def test_opening_the_city_reports_page_prepares_the_summary(city):
    from app.jobs import services as jobs
    from app.reports import services

    city.config["REPORTS_PREPARE"] = True
    try:
        client = client_for(city, "city")
        with city.test_request_context():
            assert not services.city_ready(2025)["pdf"]
        assert client.get("/city/reports/?year=2025").status_code == 200
        # The page ordered it (the suite's queue runs the job at once; a worker would soon).
        assert jobs.recent(kind="report.city")[0].requested_by == "city"
        with city.test_request_context():
            assert services.city_ready(2025)["pdf"]
    finally:
        city.config["REPORTS_PREPARE"] = False
    response = client.get("/city/reports/2025.pdf")
    assert response.status_code == 200 and response.headers["X-Report-Cache"] == "hit"
