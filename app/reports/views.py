"""Report pages and downloads.

* ``/b/<slug>/reports/`` lists the bureau's PDFs for a year; ``<year>.pdf`` is the annual
  report, ``<year>/scores.pdf`` the score-sheet printout, ``ledger.pdf`` the rectification
  ledger (with the web ledger's filters).  Readable by the bureau's users and city readers
  (``bureau_role()``); the score sheet follows the printout page's visibility rule.
* ``/city/reports/`` lists the city summary (PDF and .docx) and every bureau's annual
  report; city roles only (``city_role()``: others get 404).

Progress: a report that is not cached yet can take a few seconds.  The links carry
``data-report``; ``static/js/reports.js`` then downloads with ``fetch()`` while a status
line counts the seconds (no inline script under the CSP).  Without script the link is an
ordinary download.  Opening a reports page also starts making its main report in the
background when it is not cached (``services.prepare_city`` / ``prepare_bureau``), so the
click usually finds it ready or nearly so.
"""
from __future__ import annotations

from io import BytesIO

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app.accounts.decorators import bureau_role, city_role
from app.extensions import db
from app.tenancy.models import Tenant

from . import bp, city_bp, services
from .pdf import FontsMissing

YEAR_MIN, YEAR_MAX = 2000, 2100


def _check_year(year: int) -> int:
    if not YEAR_MIN <= year <= YEAR_MAX:
        abort(404)
    return year


def _send(rendered: services.Rendered, *, attachment: bool = False):
    """The report as a download; headers say whether it came from the cache and how long
    it took (``Server-Timing`` shows in the browser's network panel)."""
    response = send_file(BytesIO(rendered.data), mimetype=rendered.mimetype, as_attachment=attachment,
                         download_name=rendered.filename, max_age=0)
    response.headers["X-Report-Cache"] = "hit" if rendered.cached else "miss"
    response.headers["Server-Timing"] = f"report;dur={rendered.seconds * 1000:.0f}"
    return response


def _render(produce):
    """Run a renderer; missing fonts give a 503 page with the message naming them."""
    try:
        return produce()
    except FontsMissing as error:
        abort(503, description=str(error))


def _tenant() -> Tenant:
    tenant = db.session.get(Tenant, g.bureau.tenant_id)
    if tenant is None:  # pragma: no cover - the URL preprocessor found it a moment ago
        abort(404)
    return tenant


def _selected_year(years: list[int]) -> int:
    try:
        year = int(request.args.get("year", years[0]))
    except ValueError:
        return years[0]
    return year if YEAR_MIN <= year <= YEAR_MAX else years[0]


# ============================================================================ bureau
@bp.route("/")
@bureau_role()
def index():
    """The bureau's reports of a year, with which of them are ready at once."""
    from app.findings.services import Filters
    from app.scoring import services as scoring

    years = services.bureau_years()
    year = _selected_year(years)
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    tenant = _tenant()
    sheet = scoring.find_sheet(year)
    scores_visible = sheet is not None and scoring.review_visible(sheet, city=g.bureau.is_city)
    city = g.bureau.is_city
    ready = {"report": services.is_ready("report", tenant, year, city=city),
             "scores": scores_visible and services.is_ready("scores", tenant, year),
             "ledger": services.is_ready("ledger", tenant, year)}
    if not ready["report"]:
        services.prepare_bureau(tenant, year, city=city)
    return render_template("reports/index.html", years=years, year=year, sheet=sheet,
                           scores_visible=scores_visible, ready=ready, ledger_args=Filters(year=year).args())


@bp.route("/<int:year>.pdf")
@bureau_role()
def bureau_report(year: int):
    """The annual report (cover, figures, list by category, assessment, findings, charts,
    score sheet and ledger as attachments)."""
    _check_year(year)
    tenant = _tenant()
    return _send(_render(lambda: services.bureau_report(tenant, year, city=g.bureau.is_city)))


@bp.route("/<int:year>/scores.pdf")
@bureau_role()
def score_sheet(year: int):
    """The score-sheet printout as PDF: visible when the printout page is."""
    from app.scoring import services as scoring

    _check_year(year)
    sheet = scoring.find_sheet(year)
    if sheet is None:
        abort(404)
    if not scoring.review_visible(sheet, city=g.bureau.is_city):
        flash(_("The result is published when the city finalises the sheet."), "info")
        return redirect(url_for("bureau.reports.index", year=year))
    tenant = _tenant()
    return _send(_render(lambda: services.score_sheet(tenant, year)))


@bp.route("/ledger.pdf")
@bureau_role()
def ledger():
    """The rectification ledger as PDF, narrowed by the ledger page's filters."""
    from app.findings.services import Filters

    filters = Filters.from_args(request.args)
    tenant = _tenant()
    return _send(_render(lambda: services.ledger(tenant, filters)))


# ============================================================================ city
@city_bp.route("/")
@city_role()
def index():
    """The city summary of a year (PDF, docx) and every bureau's annual report."""
    from app.city import rollup

    years = rollup.available_years(services.today().year)
    year = _selected_year(years)
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    ready = services.city_ready(year)
    if not ready["pdf"]:
        services.prepare_city(year)
    return render_template("reports/city_index.html", years=years, year=year, ready=ready,
                           bureaus=services.active_tenants())


@city_bp.route("/<int:year>.pdf")
@city_role()
def city_pdf(year: int):
    """The city summary as PDF."""
    _check_year(year)
    return _send(_render(lambda: services.city_pdf(year)))


@city_bp.route("/<int:year>.docx")
@city_role()
def city_docx(year: int):
    """The city summary as an editable Word document."""
    _check_year(year)
    return _send(_render(lambda: services.city_docx(year)), attachment=True)
