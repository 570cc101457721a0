"""Report pages and downloads.

* ``/b/<slug>/reports/`` lists the bureau's PDFs for a year; ``<year>.pdf`` is the annual
  report, ``<year>/scores.pdf`` the score-sheet printout, ``ledger.pdf`` the rectification
  ledger (with the web ledger's filters).  Readable by the bureau's users and city readers
  (``bureau_role()``); the score sheet follows the printout page's visibility rule.
* ``/city/reports/`` lists the city summary (PDF and .docx) and every bureau's annual
  report; city roles only (``city_role()``: others get 404).

Making: every report is laid out by a job worker (:mod:`app.reports.tasks`).  A download
URL answers the file when it is made; otherwise it orders it (or joins the job already
making it) and answers 202 with a page that shows the job's progress and reloads itself
until the file is there (no script needed), or ``{"state", "done", "total", "stage",
"seconds", "error"}`` to a request that accepts JSON: ``static/js/reports.js`` polls that
and then downloads.  A failed job's page says why and offers to try again
(``?retry=1``).  Opening a reports page orders its main report when it is not made
(``services.prepare``), so the click usually finds it ready or nearly so.
"""
from __future__ import annotations

from io import BytesIO

from flask import abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.decorators import bureau_role, city_role
from app.extensions import db
from app.jobs.models import FAILED
from app.jobs.services import QueueUnavailable
from app.tenancy.models import Tenant

from . import bp, city_bp, services

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


#: Seconds between two reloads of the waiting page.
REFRESH_SECONDS = 2


def _deliver(order: services.Order, *, title: str, attachment: bool = False):
    """The ordered report's file, or the page (or JSON) of the job making it."""
    try:
        outcome = services.obtain(order, requested_by=current_user.username, retry=request.args.get("retry") == "1",
                                  job_id=request.args.get("job"))
    except QueueUnavailable:
        abort(503, description=_("Reports cannot be made right now: the job queue does not answer. "
                                 "Try again in a minute; if it persists, tell the system administrator."))
    if isinstance(outcome, services.Rendered):
        return _send(outcome, attachment=attachment)
    job = outcome
    failed = job.state == FAILED
    follow = _this_url(retry=None, job=job.id)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(state=job.state, done=job.done, total=job.total, stage=job.stage,
                       seconds=round(job.seconds or 0, 1), error=job.error if failed else None,
                       poll=follow), 200 if failed else 202
    return render_template("reports/waiting.html", job=job, title=title, failed=failed,
                           retry_url=_this_url(retry="1", job=None), again_url=follow,
                           refresh=REFRESH_SECONDS), 503 if failed else 202


def _this_url(**changes) -> str:
    """This request's URL with some query arguments changed (``None`` removes one)."""
    args = {**request.args.to_dict(), **(request.view_args or {}), **changes}
    return url_for(request.endpoint, **{k: v for k, v in args.items() if v is not None})


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
    report = services.bureau_report_order(tenant, year, city=city)
    ready = {"report": services.is_made(report),
             "scores": scores_visible and services.is_made(services.score_sheet_order(tenant, year)),
             "ledger": services.is_made(services.ledger_order(tenant, Filters(year=year)))}
    services.prepare(report, requested_by=current_user.username)
    return render_template("reports/index.html", years=years, year=year, sheet=sheet,
                           scores_visible=scores_visible, ready=ready, ledger_args=Filters(year=year).args())


@bp.route("/<int:year>.pdf")
@bureau_role()
def bureau_report(year: int):
    """The annual report (cover, figures, list by category, assessment, findings, charts,
    score sheet and ledger as attachments)."""
    _check_year(year)
    return _deliver(services.bureau_report_order(_tenant(), year, city=g.bureau.is_city),
                    title=_("Annual report %(year)s", year=year))


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
    return _deliver(services.score_sheet_order(_tenant(), year), title=_("Score sheet %(year)s", year=year))


@bp.route("/ledger.pdf")
@bureau_role()
def ledger():
    """The rectification ledger as PDF, narrowed by the ledger page's filters."""
    from app.findings.services import Filters

    filters = Filters.from_args(request.args)
    return _deliver(services.ledger_order(_tenant(), filters),
                    title=_("Rectification ledger %(year)s", year=filters.year or ""))


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
    services.prepare(services.city_order(year, "pdf"), requested_by=current_user.username)
    return render_template("reports/city_index.html", years=years, year=year, ready=ready,
                           bureaus=services.active_tenants())


@city_bp.route("/<int:year>.pdf")
@city_role()
def city_pdf(year: int):
    """The city summary as PDF."""
    _check_year(year)
    return _deliver(services.city_order(year, "pdf"), title=_("City summary %(year)s", year=year))


@city_bp.route("/tasks/<int:task_id>/board.pdf")
@city_role()
def task_board(task_id: int):
    """The progress board of a city task as PDF, with the board page's filters."""
    from app.citytasks import services as citytasks
    from app.errors import NotFound

    try:
        task = citytasks.get_task(task_id)
    except NotFound:
        abort(404)
    filters = citytasks.board_filters(request.args)
    return _deliver(services.task_board_order(task, filters), title=_("Progress board of “%(title)s”", title=task.title))


@city_bp.route("/<int:year>.docx")
@city_role()
def city_docx(year: int):
    """The city summary as an editable Word document."""
    _check_year(year)
    return _deliver(services.city_order(year, "docx"), title=_("City summary %(year)s", year=year), attachment=True)
