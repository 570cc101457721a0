"""The city summary as an editable Word document (python-docx).

Offices edit the summary before the meeting, so it is also written as .docx with the same
content in the same order as the PDF — cover, overview, ranking, charts, one profile per
bureau (each on a new page), the two appendices — from the same data
(:func:`app.reports.services.city_summary`).

* Layout after GB/T 9704 as far as Word does it: A4, top 37 mm, bottom 35 mm, left 28 mm,
  right 26 mm; title 22 pt bold; body 16 pt with a two-character first-line indent;
  一、 headings in 黑体, （一） in 楷体; page numbers "— 1 —" 14 pt at the foot, odd pages
  right and even pages left, none on the cover; table header rows repeat on every page.
* Chinese fonts are set for East Asian text (``w:eastAsia``), the fonts office PCs have:
  宋体 for the title and tables, 仿宋 for the body, 黑体 and 楷体 for headings; Latin text
  and digits in Times New Roman.
* Charts are the PDF's SVG, rasterised to PNG (WeasyPrint lays the SVG out, ``pdftoppm``
  from poppler-utils draws it at 192 dpi); without ``pdftoppm`` the document says where
  the chart is instead.
* Tables are written as WordprocessingML directly (one ``w:tr`` per row): python-docx's
  cell-by-cell API is quadratic in the rows of a table, and the appendix has hundreds.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from flask import current_app
from flask_babel import gettext as _

FONTS = {"title": "宋体", "body": "仿宋", "sans": "黑体", "kai": "楷体", "table": "宋体", "latin": "Times New Roman"}
TEXT_WIDTH_MM = 156
CHART_DPI = 192


def _set_fonts(style_or_run, east_asian: str) -> None:
    """Latin and East Asian fonts of a style or run (python-docx sets only the Latin one)."""
    element = style_or_run.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.insert(0, fonts)
    for name in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(name), FONTS["latin"])
    fonts.set(qn("w:eastAsia"), east_asian)


def _styles(document) -> None:
    styles = document.styles
    normal = styles["Normal"]
    normal.font.size = Pt(16)
    _set_fonts(normal, FONTS["body"])
    normal.paragraph_format.first_line_indent = Pt(32)
    normal.paragraph_format.line_spacing = Pt(28.9)
    normal.paragraph_format.space_after = Pt(0)

    def add(name: str, font: str, size: float, *, bold: bool = False, indent: bool = True,
            align=None, before: float = 0, after: float = 0, keep: bool = False):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.font.size = Pt(size)
        style.font.bold = bold
        _set_fonts(style, font)
        fmt = style.paragraph_format
        fmt.first_line_indent = Pt(32) if indent else Pt(0)
        fmt.space_before, fmt.space_after = Pt(before), Pt(after)
        fmt.keep_with_next = keep
        if align is not None:
            fmt.alignment = align
        return style

    add("Zeren Title", FONTS["title"], 22, bold=True, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, after=28.9)
    add("Zeren Issuer", FONTS["body"], 16, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    add("Zeren Heading 1", FONTS["sans"], 16, keep=True)
    add("Zeren Heading 2", FONTS["kai"], 16, keep=True)
    add("Zeren Label", FONTS["sans"], 16, indent=False, after=10)
    add("Zeren Appendix Title", FONTS["title"], 18, bold=True, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER,
        after=10)
    add("Zeren Note", FONTS["body"], 10.5, indent=False, before=4, after=4)
    table = add("Zeren Table", FONTS["table"], 10.5, indent=False)
    table.paragraph_format.line_spacing = 1.0
    add("Zeren Table Header", FONTS["sans"], 10.5, indent=False).paragraph_format.line_spacing = 1.0
    add("Zeren Footer", FONTS["title"], 14, indent=False)


def _page_setup(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    section.different_first_page_header_footer = True  # the cover has no page number
    document.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        paragraph = footer.paragraphs[0]
        paragraph.style = document.styles["Zeren Footer"]
        paragraph.alignment = align
        paragraph.add_run("— ")
        paragraph._p.append(parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
        paragraph.add_run(" —")


def _paragraph(document, text: str, style: str = "Normal"):
    # The style id is written directly: python-docx's lookup by name scans every style
    # for each paragraph, which was a third of the time of a 100-bureau summary.
    paragraph = document.add_paragraph(text)
    if style != "Normal":
        paragraph._p.get_or_add_pPr().get_or_add_pStyle().val = _style_ids(document)[style]
    return paragraph


def _style_ids(document) -> dict[str, str]:
    ids = getattr(document, "_zeren_style_ids", None)
    if ids is None:
        ids = document._zeren_style_ids = {style.name: style.style_id for style in document.styles
                                            if style.name and style.name.startswith("Zeren")}
    return ids


def _page_break(document) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _cell(text: object, width: int, *, style: str, align: str = "", span: int = 1, shade: bool = False) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if shade:
        props += '<w:shd w:val="clear" w:color="auto" w:fill="F2F2F2"/>'
    justify = f'<w:jc w:val="{align}"/>' if align else ""
    return (f'<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:pPr><w:pStyle w:val="{style}"/>{justify}</w:pPr>'
            f'<w:r><w:t xml:space="preserve">{escape(str(text))}</w:t></w:r></w:p></w:tc>')


def _table(document, widths_percent: list[int], header: list[str], rows: list, *, aligns: list[str] | None = None) -> None:
    """A bordered table; ``rows`` are lists of cells, or ``("group", text)`` for a shaded
    row spanning every column (a bureau's name in the appendix)."""
    total = TEXT_WIDTH_MM * 567 // 10  # twentieths of a point per mm ≈ 56.7
    widths = [total * w // 100 for w in widths_percent]
    aligns = aligns or [""] * len(widths)
    table_style = document.styles["Zeren Table"].style_id
    header_style = document.styles["Zeren Table Header"].style_id
    border = '<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    borders = "".join(border.format(side=s) for s in ("top", "left", "bottom", "right", "insideH", "insideV"))
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    # Children of w:tblPr in the order the schema requires (Word refuses others).
    parts = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
             f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="60" w:type="dxa"/>'
             f'<w:right w:w="60" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>{grid}</w:tblGrid>']
    parts.append('<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>'
                 + "".join(_cell(text, w, style=header_style, align="center" if a else "", shade=True)
                           for text, w, a in zip(header, widths, aligns)) + "</w:tr>")
    for row in rows:
        if isinstance(row, tuple) and row and row[0] == "group":
            parts.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                         + _cell(row[1], sum(widths), style=header_style, span=len(widths), shade=True) + "</w:tr>")
            continue
        parts.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                     + "".join(_cell(text, w, style=table_style, align=a) for text, w, a in zip(row, widths, aligns))
                     + "</w:tr>")
    parts.append("</w:tbl>")
    body = document.element.body
    body.insert(len(body) - 1, parse_xml("".join(parts)))  # before the final section properties
    _paragraph(document, "", "Zeren Note")  # Word needs a paragraph between adjacent tables


def chart_png(svg: str) -> bytes | None:
    """The chart drawn as PNG at :data:`CHART_DPI` (``None`` without ``pdftoppm``)."""
    import re

    from . import pdf

    tool = shutil.which("pdftoppm")
    size = re.search(r'width="(\d+)" height="(\d+)"', svg)
    if tool is None or size is None:
        return None
    width, height = size.groups()
    html = (f"<html><head><style>@page {{ size: {width}px {height}px; margin: 0 }} body {{ margin: 0 }}"
            f" svg {{ display: block }}</style></head><body>{svg}</body></html>")
    data = pdf.html_to_pdf(html, static_dir=current_app.static_folder)
    with tempfile.TemporaryDirectory(prefix="zeren-chart-") as folder:
        source = Path(folder) / "chart.pdf"
        source.write_bytes(data)
        subprocess.run([tool, "-png", "-r", str(CHART_DPI), "-singlefile", str(source), str(Path(folder) / "chart")],
                       check=True, capture_output=True, timeout=60)
        return (Path(folder) / "chart.png").read_bytes()


def _chart(document, svg: str) -> None:
    import re

    png = chart_png(str(svg))
    title = re.search(r"<title>(.*?)</title>", str(svg))
    if png is None:
        _paragraph(document, _("(Chart “%(title)s”: see the PDF edition.)", title=title.group(1) if title else ""),
                   "Zeren Note")
        return
    width_px = int(re.search(r'width="(\d+)"', str(svg)).group(1))
    paragraph = _paragraph(document, "", "Zeren Table")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run().add_picture(BytesIO(png), width=Mm(min(TEXT_WIDTH_MM, width_px * 25.4 / 96)))


def summary_docx(summary: dict) -> bytes:
    """Write the city summary (``services.city_summary``) as .docx bytes."""
    cn_date = current_app.jinja_env.filters["cn_date"]
    figure = current_app.jinja_env.filters["figure"]
    score = current_app.jinja_env.filters["score_figure"]
    document = Document()
    _styles(document)
    _page_setup(document)
    document.core_properties.title = summary["title"]
    document.core_properties.author = summary["issuer"]

    if not summary.get("has_data", True):  # a year without data: one page saying so, as the PDF
        _paragraph(document, summary["title"], "Zeren Title")
        _paragraph(document, summary["no_data_message"])
        _paragraph(document, summary["issuer"], "Zeren Issuer").alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _paragraph(document, cn_date(summary["day"]), "Zeren Issuer").alignment = WD_ALIGN_PARAGRAPH.RIGHT
        output = BytesIO()
        document.save(output)
        return output.getvalue()

    # Cover.
    for _index in range(4):
        _paragraph(document, "", "Zeren Issuer")
    _paragraph(document, summary["title"], "Zeren Title")
    for _index in range(8):
        _paragraph(document, "", "Zeren Issuer")
    _paragraph(document, summary["issuer"], "Zeren Issuer")
    _paragraph(document, cn_date(summary["day"]), "Zeren Issuer")
    _page_break(document)

    # I. Overview, II. ranking.
    _paragraph(document, summary["title"], "Zeren Title")
    _paragraph(document, _("I. Overall situation"), "Zeren Heading 1")
    for text in summary["overview_text"]:
        _paragraph(document, text)
    if summary.get("limits"):
        _paragraph(document, summary["limits"], "Zeren Note")
    _paragraph(document, _("II. Ranking"), "Zeren Heading 1")
    numeric = ["right" if n else "center" for n in summary["numeric"]]
    _table(document, [6, 20, 9, 9, 8, 7, 8, 8, 9, 16], [_("Rank"), _("Bureau"), *summary["columns"]],
           [("group", row["text"]) if row.get("gap") else
            [row["rank"] or "—", row["name"] + (" *" if row["stale"] else ""), *row["cells"]]
            for row in summary["ranking"]], aligns=["center", "", *numeric])
    if any(row.get("stale") for row in summary["ranking"]):
        _paragraph(document, _("* The bureau changed since its figures were computed; they are being updated."),
                   "Zeren Note")

    # III. Charts.
    _page_break(document)
    _paragraph(document, _("III. Charts"), "Zeren Heading 1")
    for svg in summary["charts"].values():
        _chart(document, svg)

    # IV. One profile per bureau, each on its own page.
    for number, profile in enumerate(summary["profiles"]):
        _page_break(document)
        if number == 0:
            _paragraph(document, _("IV. The bureaus one by one"), "Zeren Heading 1")
        d, s, f = profile["duties"], profile["scoring"], profile["findings"]
        _paragraph(document, profile["heading"], "Zeren Heading 2")
        _paragraph(document, _("Category: %(category)s. Responsibility list: %(status)s.", category=profile["category"],
                               status=d["list_status"] or _("none")), "Zeren Note")
        pairs = [
            (_("Items"), d["total"], _("Completion to date"), figure(d["rate"], "percent")),
            (_("Done"), d["done"], _("Overdue items"), d["overdue"]),
            (_("Evidence files"), d["evidence"], _("Behind schedule"), d["behind"]),
            (_("Findings found"), f["findings_total"], _("Open findings"), f["findings_open"]),
            (_("Overdue findings"), f["findings_overdue"], _("Closure rate"), figure(f["closure_rate"], "percent")),
            (_("Score sheet"), s["status"] or "—", _("Self score"), s["shown"]["self_total"]),
            (_("Reviewed score"), s["shown"]["reviewer_total"], _("Final score"),
             s["shown"]["composite"] + (f" {s['grade']}" if s["grade"] else "")),
        ]
        _table(document, [30, 20, 30, 20], [_("Figure"), _("Value"), _("Figure"), _("Value")],
               [list(p) for p in pairs], aligns=["", "right", "", "right"])
        if d["categories"]:
            _table(document, [38, 12, 12, 13, 13, 12],
                   [_("Category"), _("Items"), _("Done"), _("In progress"), _("Not started"), _("Overdue")],
                   [[c["label"], c["total"], c["done"], c["in_progress"], c["not_started"], c["overdue"]]
                    for c in d["categories"]], aligns=["", "center", "center", "center", "center", "center"])
        if s["dimensions"]:
            _table(document, [52, 16, 16, 16], [_("Dimension"), _("Points"), _("Self"), _("Review")],
                   [[dim["title"], score(dim["max_points"]), dim["self_shown"], dim["reviewer_shown"]]
                    for dim in s["dimensions"]], aligns=["", "right", "right", "right"])
        _paragraph(document, _("%(items)s overdue items and %(findings)s open findings are listed in the appendix.",
                               items=len(profile["overdue_items"]), findings=len(profile["open_findings"])),
                   "Zeren Note")

    # Appendices.
    _page_break(document)
    _paragraph(document, _("Appendix %(n)s", n=1), "Zeren Label")
    _paragraph(document, _("Overdue responsibility items (%(n)s)", n=summary["overdue_total"]), "Zeren Appendix Title")
    rows: list = []
    for profile in (p for block in summary["item_blocks"] for p in block):
        rows.append(("group", f"{profile['name']}（{len(profile['overdue_items'])}）"))
        rows += [[n, i["content"], i["owner"], i["due_text"], i["progress"]]
                 for n, i in enumerate(profile["overdue_items"], start=1)]
    if rows:
        _table(document, [6, 54, 12, 18, 10], [_("No."), _("Responsibility"), _("Responsible person"), _("Due date"),
                                               _("Done / planned")], rows, aligns=["center", "", "", "", "center"])
    else:
        _paragraph(document, _("None."))
    _page_break(document)
    _paragraph(document, _("Appendix %(n)s", n=2), "Zeren Label")
    _paragraph(document, _("Findings not yet closed (%(n)s)", n=summary["open_total"]), "Zeren Appendix Title")
    rows = []
    for profile in (p for block in summary["finding_blocks"] for p in block):
        rows.append(("group", f"{profile['name']}（{len(profile['open_findings'])}）"))
        rows += [[n, i["source"], i["description"], i["person"], i["due_text"],
                  i["status"] + (f"（{_('overdue')}）" if i["overdue"] else "")]
                 for n, i in enumerate(profile["open_findings"], start=1)]
    if rows:
        _table(document, [6, 12, 41, 11, 18, 12], [_("No."), _("Finding source"), _("Problem description"),
                                                   _("Responsible person"), _("Rectification deadline"), _("Status")],
               rows, aligns=["center", "", "", "", "", ""])
    else:
        _paragraph(document, _("None."))
    output = BytesIO()
    document.save(output)
    return output.getvalue()
