"""PDF rendering: page geometry, embedded CJK fonts, restricted fetching, font checks."""
from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from app.reports import pdf, render

MM = 72 / 25.4


def _sample(app, **extra) -> bytes:
    with app.test_request_context():
        return render.render_pdf("print/sample.html", title="2026年度机关党建主体责任落实情况报告",
                              body="机关事务管理局党组认真学习领会习近平总书记关于党的建设的重要思想。" * 12,
                              rows=[(f"市直单位{n:02d}", f"{90 - n / 3:.2f}") for n in range(60)],
                              day=date(2026, 11, 26), **extra)


def test_a4_with_the_standard_margins(app):
    reader = PdfReader(BytesIO(_sample(app)))
    assert len(reader.pages) >= 2  # the table runs over a page
    first = reader.pages[0]
    assert abs(float(first.mediabox.width) - 210 * MM) < 0.5 and abs(float(first.mediabox.height) - 297 * MM) < 0.5
    positions = []

    def visit(text, cm, tm, font, size):
        if text.strip():  # device position = text matrix × current transformation matrix
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            positions.append((text, x, y))

    first.extract_text(visitor_text=visit)
    probe = next(p for p in positions if "顶" in p[0])
    left_mm = probe[1] / MM
    top_of_line_mm = (float(first.mediabox.height) - probe[2]) / MM - 10 * 0.88 / MM  # baseline minus ascent
    assert abs(left_mm - 28) < 1, left_mm
    assert abs(top_of_line_mm - 37) < 1, top_of_line_mm


def test_text_and_page_numbers_are_real_text(app):
    reader = PdfReader(BytesIO(_sample(app)))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "2026年度机关党建主体责任落实情况报告" in text and "市直单位59" in text
    assert "2026年11月26日" in text
    assert "— 1 —" in reader.pages[0].extract_text() and "— 2 —" in reader.pages[1].extract_text()


def test_every_font_is_embedded_and_cjk(app):
    reader = PdfReader(BytesIO(_sample(app)))
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font)["/FontDescriptor"].get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
            names.add(str(font["/BaseFont"]))
    assert names and all("CJK" in n or "WenKai" in n or "Fandol" in n for n in names), names
    assert any("Serif" in n for n in names) and any("Sans" in n for n in names) and any("WenKai" in n for n in names)
    assert any("FandolFang" in n for n in names)  # the body in 仿宋 (GB/T 9704)


@pytest.mark.parametrize("reference", [
    '<img src="file:///etc/passwd">',
    '<img src="http://127.0.0.1:9/x.png">',
    '<img src="https://example.org/x.png">',
    '<link rel="stylesheet" href="../../../../etc/passwd">',
    '<img src="ftp://example.org/x.png">',
])
def test_resources_outside_the_static_folder_are_refused(app, reference):
    html = f"<html><body><p>责任</p>{reference}</body></html>"
    with pytest.raises(pdf.ForbiddenResource):
        pdf.html_to_pdf(html, static_dir=app.static_folder)


def test_static_resources_are_allowed(app):
    html = '<html><head><link rel="stylesheet" href="print/gbt9704.css"></head><body><p>责任</p></body></html>'
    assert pdf.html_to_pdf(html, static_dir=app.static_folder).startswith(b"%PDF")


def test_missing_fonts_give_a_clear_error(app):
    app.config["PDF_FONT_KAI"] = "No Such Kai Font"
    with pytest.raises(pdf.FontsMissing) as error:
        _sample(app)
    assert "No Such Kai Font" in str(error.value) and "fonts-lxgw-wenkai" in str(error.value)


HOSTILE = "整改问题 \U0001F600 \U00020000 \ue000 \x07 \U0010ffff 完"


def test_text_no_face_can_draw_is_substituted_logged_and_noted_never_refused(app, caplog):
    """Emoji and CJK Extension B are drawn by the fallback faces; a private-use character,
    a control character and U+10FFFF are printed as 〔U+XXXX〕, logged and listed."""
    with caplog.at_level("WARNING"):
        with app.test_request_context():
            data = render.render_pdf("print/sample.html", title="台账 \U0001F600", body=HOSTILE, rows=[],
                                  day=date(2026, 1, 1))
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    assert "\U0001F600" in text and "\U00020000" in text  # drawn, not replaced
    for code in ("E000", "0007", "10FFFF"):
        assert f"〔U+{code}〕" in text
    assert "\ue000" not in text and "\x07" not in text
    assert "已以其Unicode码位代替" in "".join(text.split())  # the note at the end of the report
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("U+E000" in w and "台账" in w for w in warnings), warnings
    fonts = {str(ref.get_object()["/BaseFont"]) for page in PdfReader(BytesIO(data)).pages
             for ref in page["/Resources"]["/Font"].values()}
    assert any("HanaMinB" in name for name in fonts), fonts


def test_fallback_faces_are_in_every_stack_and_in_the_coverage(app):
    with app.test_request_context():
        html = pdf.render_html("print/sample.html", title="t", body="b", rows=[], day=date(2026, 1, 1))
    assert html.count('"Symbola", "HanaMinB"') >= 3
    faces = pdf.check_fonts(app.config)
    assert {"fallback:Symbola", "fallback:HanaMinB", "emoji"} <= set(faces)
    assert pdf.uncovered_characters("<p>\U0001F600 \U00020000 \u2764\ufe0f \ue000</p>", faces) == ["\ue000"]


@pytest.mark.parametrize("setting,family", [("PDF_FONT_FALLBACK", "No Such Fallback"),
                                            ("PDF_FONT_EMOJI", "No Such Emoji")])
def test_the_start_up_check_names_a_missing_fallback_face(app, setting, family):
    app.config[setting] = family
    with pytest.raises(pdf.FontsMissing) as error:
        pdf.check_fonts(app.config)
    assert family in str(error.value) and "fonts-symbola" in str(error.value)
    assert "fonts-noto-color-emoji" in str(error.value) and "fonts-hanazono" in str(error.value)
