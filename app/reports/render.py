"""Rendering a report to PDF: the entry points above the layout layer.

:mod:`app.reports.pdf` lays HTML out with WeasyPrint (fonts, resources, one layout at a
time); :mod:`app.reports.parts` and :mod:`app.reports.assemble` lay a report out part by
part and put the part files together.  This module joins them: :func:`compose` cuts a
report into parts and builds it from the shared parts folder, :func:`render_pdf` renders a
print template with the application's fonts, parts folder and layout pool, and
:func:`warm` runs it all once when a process starts.  It sits on top so that the layout
layer never imports the modules built on it.
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import current_app

from . import assemble, layoutpool, pdf
from . import parts as part_files
from .cache import parts_cache, template_version


def compose(html: str, *, static_dir: str | Path, fonts: dict[str, pdf.FontFace] | None = None, store=None,
            pool=None, version: str | None = None, stats=None) -> bytes:
    """Render a document made of parts (cut at :data:`app.reports.pdf.PART`) to PDF (:mod:`app.reports.parts`).

    Each part missing from ``store`` (a parts folder, :func:`app.reports.cache.parts_cache`;
    by default one in memory for this call) is laid out on its own and written as a PDF
    file; the report is assembled from the part files, with the page numbers drawn from a
    numbers PDF laid out with the same ``@page`` rules, so they run through the whole
    document exactly as a one-pass layout of ``html`` would number them (a part starts on a
    new page either way: ``.part + .part`` breaks before itself in print CSS).  Falls back
    to the one-pass layout if the pages and numbers do not line up.  Text the fonts cannot
    draw is replaced first (:func:`app.reports.pdf.replace_uncovered`); ``stats``
    (:class:`app.reports.parts.Stats`) receives what was laid out.
    """
    html, _missing = pdf.replace_uncovered(html, fonts)
    pieces = pdf.split(html)
    store = part_files.MemoryStore() if store is None else store
    version = version or part_files.layout_version(static_dir, fonts)
    match = pdf.BODY_TAG.search(html)
    prefix = html[: match.end()] if match else "<html><head></head><body>"
    lang = re.search(r'<html\b[^>]*\blang="([^"]+)"', html[:500])
    try:
        return part_files.build(pieces, prefix, static_dir=static_dir, store=store, version=version,
                                title=pdf.report_name(html) if pdf.TITLE.search(html) else "",
                                lang=lang.group(1) if lang else "", pool=pool, stats=stats)
    except (assemble.Misaligned, AttributeError):
        # The numbers do not line up with the pages, or WeasyPrint's page internals
        # changed: stay correct, if slower.
        from flask import has_app_context

        if has_app_context():
            current_app.logger.warning("PDF report %r: its parts did not line up; laid out in one pass",
                                       pdf.report_name(html))
        return pdf.write(pdf.layout(html, static_dir=static_dir))


def html_pdf(html: str) -> bytes:
    """Render HTML made by :func:`app.reports.pdf.render_html` (parts and all) with the app's fonts, its
    parts folder shared by every process and its layout pool."""
    app = current_app
    files = pdf.check_fonts(app.config)
    return compose(html, static_dir=app.static_folder, fonts=files, store=parts_cache(app),
                   pool=layoutpool.pool(app))


def render_pdf(template_name: str, **context) -> bytes:
    """Render a print template to PDF bytes (DESIGN "Reports")."""
    return html_pdf(pdf.render_html(template_name, **context))


WARM_SAMPLE = """<html><head><link rel="stylesheet" href="print/gbt9704.css">
<link rel="stylesheet" href="print/reports.css"></head><body>
<div class="part cover"><h1 class="doc-title">责任清单 2026年11月26日</h1></div><!--zeren:part-->
<div class="part"><h2>一、总体情况</h2><h3>（一）压实责任</h3><p>落实情况。</p>
<table class="grid"><thead><tr><th>单位</th><th class="num">得分</th></tr></thead>
<tbody><tr><td>市财政局</td><td class="num">98.09</td></tr></tbody></table>
<div class="chart"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 20" width="100" height="20">
<rect width="50" height="10" fill="#b71c1c"/><text x="55" y="10" font-family="sans-serif">得分</text></svg></div></div>
</body></html>"""


#: Templates compiled by :func:`warm` (Jinja compiles a template on its first use).
WARM_TEMPLATES = ("print/base.html", "reports/joined.html", "reports/bureau_report.html",
                  "reports/city_summary.html", "scoring/print.html", "findings/ledger_print.html")


def warm(app) -> None:
    """Build font caches, read the fonts' character maps, compile the report templates and
    run WeasyPrint's code paths (tables, SVG, joined parts) once, before the first user
    asks for a PDF."""
    with app.app_context():
        try:
            faces = pdf.check_fonts(app.config)
        except pdf.FontsMissing as error:
            app.logger.warning("%s", error)
            return
        pdf.covered_codepoints(frozenset(faces.values()))
        template_version(app)
        for name in WARM_TEMPLATES:
            app.jinja_env.get_template(name)
        compose(WARM_SAMPLE, static_dir=app.static_folder)
