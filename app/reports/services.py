"""What each report shows, gathered from the features' services, and its rendering.

* **Bureau reports** (the annual report, the score-sheet printout, the rectification
  ledger) read one bureau's data: call them inside its ``/b/<slug>/…`` request or
  ``tenant_context(tenant)``.  The annual report joins three print templates — its own
  main text, ``scoring/print.html`` and ``findings/ledger_print.html`` — so that its
  attachments are the very markup of the web printouts.
* **The city summary** reads the catalog's roll-up (cover, overview, ranking, charts)
  plus one *profile* per bureau — figures, overdue items and open findings — built
  inside that bureau's ``tenant_context`` and cached on disk by its data version.  Each
  profile and each block of the appendix is a part of the document
  (:data:`app.reports.pdf.PART`), laid out once and kept in memory while its HTML stays
  the same.
* Every rendered PDF/docx is cached on disk (:mod:`app.reports.cache`) under a key of
  everything it depends on, so an unchanged report is served from the cache.
"""
from __future__ import annotations

import json
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select

from app.extensions import db
from app.models import utcnow
from app.tenancy.models import Tenant
from app.tenancy.session import tenant_context
from app.core.clock import today

from . import charts, pdf, render
from .cache import make_key, report_cache, template_version

#: Bureaus per block of the city summary's appendix: a block is laid out (and cached)
#: as one part, so a change in one bureau lays out its block again, not the appendix.
APPENDIX_BLOCK = 10
#: Bureaus per block of profiles: profiles flow on within a block (short ones share a
#: page), and a change in one bureau lays out its block again (about 0.12 s a page).
PROFILE_BLOCK = 5
#: Characters per line of a 22 pt title and a 26 pt cover title in the 156 mm text block.
TITLE_EMS, COVER_EMS = 20, 17
_inflight: dict[str, threading.Lock] = {}
_inflight_lock = threading.Lock()


@dataclass
class Rendered:
    """A report's bytes, whether they came from the cache, and the time taken."""

    data: bytes
    cached: bool
    seconds: float
    filename: str
    mimetype: str


def locale() -> str:
    """The locale reports are written in (the user's; the key of cached output)."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _cached(key: str, suffix: str, produce: Callable[[], bytes], *, filename: str, mimetype: str,
            use_cache: bool = True) -> Rendered:
    """The cached bytes under ``key``, or ``produce()`` them once (concurrent requests for
    the same report in this process wait for the first instead of rendering twice)."""
    started = time.perf_counter()
    cache = report_cache()
    if use_cache:
        data = cache.get(key, suffix)
        if data is not None:
            return Rendered(data, True, time.perf_counter() - started, filename, mimetype)
    with _inflight_lock:
        lock = _inflight.setdefault(key, threading.Lock())
    try:
        with lock:
            data = cache.get(key, suffix) if use_cache else None
            cached = data is not None
            if data is None:
                data = produce()
                cache.put(key, suffix, data)
    finally:
        with _inflight_lock:
            _inflight.pop(key, None)
    return Rendered(data, cached, time.perf_counter() - started, filename, mimetype)


def _figure(value: Any, kind: str = "number") -> str:
    from app.city.rollup import format_figure

    return format_figure(value, kind)


def _plain(mapping: dict) -> dict:
    return {code: str(label) for code, label in mapping.items()}


def _width(text: str) -> float:
    return sum(1.0 if ord(c) > 0x2E80 else 0.55 for c in text)


#: Characters that may not begin a line (closing punctuation) or end one (opening).
_NO_LINE_START = set("，。、；：？！）》」』】〉”’%…—·,.;:?!)]}")
_NO_LINE_END = set("（《「『【〈“‘([{")
#: Places a title breaks best: after 年度 or a colon, before an opening bracket.
_GOOD_BREAK_AFTER = ("年度", "：", ":", "）", "　")
#: Word ends of the report titles' vocabulary: a break there does not split a word.
_WORD_END = ("局", "委员会", "办公室", "党建", "工作", "责任", "落实", "情况", "考核", "评分", "整改", "台账", "清单")


def _break_cost(text: str, index: int) -> float | None:
    """The cost of breaking ``text`` before ``index`` (``None``: never here)."""
    before, after = text[index - 1], text[index]
    if (before.isascii() and before.isalnum() and after.isascii() and after.isalnum()):
        return None  # a number or a Latin word stays whole
    if after in _NO_LINE_START or before in _NO_LINE_END:
        return None
    if text[:index].endswith(_GOOD_BREAK_AFTER) or after in "（(":
        return -8.0
    if text[:index].endswith(_WORD_END):
        return -3.0
    return 0.0


def title_lines(title: str, per_line: float) -> list[str]:
    """A title broken into balanced lines of at most ``per_line`` ems (as few lines as
    fit): the line box would otherwise leave one or two characters alone on the last
    line ("表", "版）").  Prefers a break after 年度 or a colon or before a bracket;
    never breaks a run of digits or Latin letters, never starts a line with closing
    punctuation.  Lines longer than ``per_line`` are left to the layout only when the
    title cannot be broken otherwise."""
    title = title.strip()
    total = _width(title)
    if total <= per_line or len(title) < 2:
        return [title]
    widths = [0.0]
    for character in title:
        widths.append(widths[-1] + _width(character))
    costs = {i: _break_cost(title, i) for i in range(1, len(title))}
    allowed = [i for i, cost in costs.items() if cost is not None]
    for lines_wanted in range(max(2, math.ceil(total / per_line)), 6):
        ideal = total / lines_wanted
        # best[(k, i)]: cheapest way to end line k at break i (dynamic programming)
        best: dict[tuple[int, int], tuple[float, list[int]]] = {(0, 0): (0.0, [])}
        for k in range(1, lines_wanted):
            for i in allowed:
                for (kk, j), (cost, path) in list(best.items()):
                    if kk != k - 1 or j >= i:
                        continue
                    width = widths[i] - widths[j]
                    if width > per_line:
                        continue
                    candidate = cost + abs(width - ideal) + costs[i]
                    if (k, i) not in best or candidate < best[(k, i)][0]:
                        best[(k, i)] = (candidate, path + [i])
        finals = []
        for (k, j), (cost, path) in best.items():
            width = widths[-1] - widths[j]
            if k == lines_wanted - 1 and width <= per_line:
                finals.append((cost + abs(width - ideal), path))
        if finals:
            _cost, path = min(finals)
            cuts = [0, *path, len(title)]
            return [title[a:b] for a, b in zip(cuts, cuts[1:])]
    return [title]


def balanced(title: str, per_line: float = 0) -> Markup:
    """``title`` as balanced lines joined by ``<br>`` (the ``balance`` filter of print
    templates; ``per_line`` defaults to a 22 pt title in the text block)."""
    return Markup("<br>").join(escape(line) for line in title_lines(str(title), per_line or TITLE_EMS))


def report_day(year: int, on: date | None = None) -> date:
    """The date a report of ``year`` is as of, and dated: today for this year (and a year
    being prepared), the year's end for a past year (a 2025 report printed in 2026 reads
    "截至2025年12月31日", and its figures are those of the year)."""
    on = on or today()
    return on if year >= on.year else date(year, 12, 31)


def no_data_message(year: int, day: date) -> str:
    """What the one page of a report of a year without any data says."""
    cn_date = current_app.jinja_env.filters["cn_date"]
    return _("As of %(day)s, there is no responsibility list, no score sheet and no finding for %(year)s: "
             "this report has nothing to show yet.", day=cn_date(day), year=year)


def no_data_html(title: str, year: int, day: date, issuer: str) -> str:
    """The one page of a report of a year without any data."""
    message = no_data_message(year, day)
    return pdf.render_html("reports/no_data.html", title=title, year=year, day=day, issuer=issuer, message=message)


# ============================================================================ bureau
def bureau_years() -> list[int]:
    """Years the current bureau has a list, a sheet or findings for, newest first (always
    the current year)."""
    from app.duties import services as duties
    from app.findings import services as findings
    from app.scoring import services as scoring

    years = {today().year}
    years.update(l.year for l in duties.list_lists())
    years.update(s.year for s in scoring.list_sheets())
    years.update(findings.years())
    return sorted(years, reverse=True)


def _tenant_key(tenant: Tenant) -> list:
    return [tenant.slug, tenant.version, tenant.data_version]


def _completion_chart(groups: list[tuple[str, str, list, Any]]) -> Markup | None:
    """Completion to date by category (the categories' tables follow in the report)."""
    items = [(label, None if c.completion.rate is None else round(c.completion.rate * 100, 1))
             for _code, label, _rows, c in groups]
    if not items:
        return None
    return Markup(charts.ranking_bars(items, title=_("Completion to date by category"), unit="%", maximum=100))


def _dimension_chart(dimensions: list[dict], reviewed: bool) -> Markup | None:
    def percent(value, maximum):
        return None if value is None or not maximum else round(float(value) * 100 / float(maximum), 1)

    if not dimensions:
        return None
    series = [(_("Self-assessment"), [percent(d["self"], d["max_points"]) for d in dimensions])]
    if reviewed:
        series.append((_("Review team"), [percent(d["reviewer"], d["max_points"]) for d in dimensions]))
    return Markup(charts.grouped_bars([d["title"] for d in dimensions], series, maximum=100,
                                      title=_("Score rate by dimension (per cent of the points)")))


def _findings_chart(summary) -> Markup | None:
    from app.findings.labels import STATUS_LABELS
    from app.findings.status import STATUSES

    if not summary.total:
        return None
    items = [(str(STATUS_LABELS[s]), summary.by_status.get(s, 0)) for s in STATUSES]
    return Markup(charts.category_columns(items, title=_("Findings by status")))


def bureau_context(tenant: Tenant, year: int, *, city: bool, day: date) -> dict:
    """Everything the annual report's main text shows (inside the bureau's context).

    ``city``: the reader is the city committee, who sees the review before the sheet is
    final; bureau readers see it only once final (``scoring.services.review_visible``)."""
    from app.duties import services as duties
    from app.duties.labels import CADENCE_LABELS, CATEGORIES, LIST_STATUS_LABELS, STATUS_LABELS
    from app.findings import services as findings
    from app.scoring import progress as scoring_progress
    from app.scoring import services as scoring
    from app.scoring.labels import STATUS_LABELS as SHEET_STATUS

    duty_list = duties.list_for_year(year)
    rows = duties.item_rows(duty_list, day) if duty_list else []
    categories = _plain(CATEGORIES)
    groups = [(code, categories.get(code, code), group, duties.summarise(group))
              for code, group in duties.group_by_category(rows)]
    sheet = scoring.find_sheet(year)
    visible = sheet is not None and scoring.review_visible(sheet, city=city)
    figures = scoring.metrics(year)
    if not visible:  # what the bureau may not see yet
        figures = {**figures, "reviewer_total": None, "reviewer_complete": False, "composite": None, "grade": None,
                   "progress": {**figures["progress"], "reviewer": None},
                   "dimensions": [{**d, "reviewer": None, "reviewer_scored": None} for d in figures["dimensions"]]}
    figures = scoring_progress.display(figures, current_app.jinja_env.filters["score_figure"])
    finding_rows = findings.finding_rows(findings.Filters(year=year), day)
    finding_summary = findings.summarise(finding_rows)
    title = _("%(name)s: report on the Party-building main responsibility %(year)s", name=tenant.name, year=year)
    return {
        "tenant": tenant, "year": year, "day": day, "city": city, "cn_number": cn_number,
        "title": title, "title_lines": title_lines(title, TITLE_EMS), "cover_lines": title_lines(title, COVER_EMS),
        "duty_list": duty_list, "list_status": str(LIST_STATUS_LABELS[duty_list.status]) if duty_list else None,
        "late_entries": duties.late_entries(duty_list) if duty_list else [],
        "groups": groups, "summary": duties.summarise(rows), "DUTY_STATUS": _plain(STATUS_LABELS),
        "CADENCES": _plain(CADENCE_LABELS),
        "sheet": sheet, "sheet_status": str(SHEET_STATUS[sheet.status]) if sheet else None,
        "review_visible": visible, "score": figures,
        "findings": finding_summary, "finding_figures": findings.metrics(year, day),
        "charts": {"completion": _completion_chart(groups),
                   "dimensions": _dimension_chart(figures["dimensions"], visible and figures["reviewer_total"] is not None),
                   "findings": _findings_chart(finding_summary)},
    }


def score_sheet_context(year: int) -> dict | None:
    """The context ``scoring/print.html`` needs (as ``scoring.views.printout`` builds it),
    or ``None`` without a sheet."""
    from app.scoring import services as scoring
    from app.scoring.labels import KIND_LABELS

    sheet = scoring.find_sheet(year)
    if sheet is None:
        return None
    result, missing = scoring.evaluate_sheet(sheet)
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    signed = (sheet.finalised_at or utcnow()).astimezone(zone).date()
    return {"sheet": sheet, "result": result, "missing": missing, "body": sheet.template_body, "signed": signed,
            "KIND_LABELS": KIND_LABELS}


def ledger_context(bureau_name: str, filters, day: date) -> dict:
    """The context ``findings/ledger_print.html`` needs (as ``findings.views.ledger``)."""
    from app.findings import services as findings
    from app.findings.labels import ledger_subtitle  # the ledger page's own subtitle, word for word

    rows = findings.finding_rows(filters, day)
    return {"rows": rows, "summary": findings.summarise(rows), "bureau_name": bureau_name,
            "subtitle": ledger_subtitle(filters), "today": day}


def _attachment(label: str, html: str, page_class: str = "") -> tuple[str, pdf.PrintDocument, str]:
    return label, pdf.parse(html), page_class


def join(main: str, attachments: Iterable[tuple[str, pdf.PrintDocument, str]]) -> str:
    """One print document: ``main`` (a rendered print template) followed by each
    attachment's body, each on new pages under its label ("附件1"), with the stylesheets
    of all of them."""
    document = pdf.parse(main)
    heads, bodies = [document.head], [document.body]
    for label, attachment, page_class in attachments:
        if attachment.head not in heads:
            heads.append(attachment.head)
        bodies.append(f'{pdf.PART}<div class="part {escape(page_class)}"><p class="attachment-label">{escape(label)}</p>'
                      f"{attachment.body}</div>")
    return pdf.render_html("reports/joined.html", title=document.title, head=Markup("\n".join(heads)),
                           body=Markup("".join(bodies)))


def bureau_report_html(tenant: Tenant, year: int, *, city: bool, day: date | None = None) -> str:
    """The annual report's HTML: main text, then the score sheet (when the reader may see
    it) and the ledger of the year's findings as attachments."""
    from app.findings.services import Filters

    day = day or report_day(year)
    context = bureau_context(tenant, year, city=city, day=day)
    if context["duty_list"] is None and context["sheet"] is None and not context["findings"].total:
        return no_data_html(context["title"], year, day, _("Party group of %(name)s", name=tenant.name))
    attachments = []
    sheet_context = score_sheet_context(year) if context["review_visible"] else None
    if sheet_context is not None and sheet_context["result"] is not None:
        attachments.append(_attachment(_("Attachment %(n)s", n=len(attachments) + 1),
                                       pdf.render_html("scoring/print.html", **sheet_context)))
    context["score_attachment"] = _("Attachment %(n)s", n=1) if attachments else None
    context["ledger_attachment"] = _("Attachment %(n)s", n=len(attachments) + 1)
    attachments.append(_attachment(context["ledger_attachment"], pdf.render_html(
        "findings/ledger_print.html", **ledger_context(tenant.name, Filters(year=year), day)), "ledger-page"))
    return join(pdf.render_html("reports/bureau_report.html", **context), attachments)


def _filename(*parts: object, suffix: str) -> str:
    return "-".join(str(p) for p in parts if p not in (None, "")) + f".{suffix}"


def bureau_report(tenant: Tenant, year: int, *, city: bool, use_cache: bool = True) -> Rendered:
    """The annual report PDF, laid out in this process (``flask reports``; pages order it)."""
    return render_now(bureau_report_order(tenant, year, city=city), use_cache=use_cache)


def score_sheet_html(year: int) -> str | None:
    """The score-sheet printout's HTML for a PDF (``None`` without a sheet)."""
    context = score_sheet_context(year)
    return None if context is None else pdf.render_html("scoring/print.html", **context)


def score_sheet(tenant: Tenant, year: int, *, use_cache: bool = True) -> Rendered:
    """The score-sheet printout as PDF, laid out in this process."""
    return render_now(score_sheet_order(tenant, year), use_cache=use_cache)


def ledger_html(tenant: Tenant, filters, day: date | None = None) -> str:
    """The rectification ledger's HTML for a PDF."""
    return pdf.render_html("findings/ledger_print.html", **ledger_context(tenant.name, filters, day or today()))


def ledger(tenant: Tenant, filters, *, use_cache: bool = True) -> Rendered:
    """The rectification ledger (with the web ledger's filters) as PDF, laid out in this process."""
    return render_now(ledger_order(tenant, filters), use_cache=use_cache)


# ============================================================================ city
def profile(tenant: Tenant, year: int, day: date) -> dict:
    """One bureau's part of the city summary, as plain JSON values (inside its context):
    figures by category, scoring by dimension, findings, the overdue items and the open
    findings.  Made from the same service functions as the bureau's pages and the
    roll-up, so the figures agree with them."""
    from app.duties import services as duties
    from app.duties.labels import CATEGORIES, LIST_STATUS_LABELS
    from app.duties.status import DONE, IN_PROGRESS, NOT_STARTED, OVERDUE
    from app.findings import services as findings
    from app.findings.labels import SOURCES
    from app.findings.labels import STATUS_LABELS as FINDING_STATUS
    from app.findings.status import CLOSED
    from app.scoring import progress as scoring_progress
    from app.scoring import services as scoring
    from app.scoring.labels import STATUS_LABELS as SHEET_STATUS

    categories = _plain(CATEGORIES)
    duty_list = duties.list_for_year(year)
    rows = duties.item_rows(duty_list, day) if duty_list else []
    summary = duties.summarise(rows)

    def counts(s) -> dict:
        return {"total": s.total, "done": s.by_status[DONE], "in_progress": s.by_status[IN_PROGRESS],
                "not_started": s.by_status[NOT_STARTED], "overdue": s.by_status[OVERDUE]}

    overdue = sorted((r for r in rows if r.status == OVERDUE),
                     key=lambda r: (r.item.due_date or date(year, 12, 31), r.item.sort_order, r.item.id))
    score = scoring.metrics(year)
    score_display = scoring_progress.display(score, lambda value: _figure(_num(value), "score"))
    finding_rows = findings.finding_rows(findings.Filters(year=year), day)
    finding_figures = findings.metrics(year, day)
    open_rows = [r for r in finding_rows if r.finding.status != CLOSED]
    open_rows.sort(key=lambda r: (not r.overdue, r.finding.due_on, r.finding.id))
    return {
        "slug": tenant.slug, "name": tenant.name, "category": tenant.category_label,
        "duties": {"has_list": duty_list is not None,
                   "list_status": str(LIST_STATUS_LABELS[duty_list.status]) if duty_list else None,
                   **counts(summary), "behind": summary.behind, "rate": summary.completion.rate,
                   "evidence": summary.evidence, "records": summary.records,
                   "categories": [{"label": categories.get(code, code), **counts(duties.summarise(group))}
                                  for code, group in duties.group_by_category(rows)]},
        "scoring": {"status": str(SHEET_STATUS[score["status"]]) if score["status"] else None,
                    **{k: (float(score[k]) if score[k] is not None else None)
                       for k in ("self_total", "reviewer_total", "composite")},
                    "grade": score["grade"],
                    # The texts to print: a figure, or the state of one not complete yet.
                    "shown": score_display["shown"],
                    "dimensions": [{"title": d["title"], "max_points": _num(d.get("max_points")),
                                    "self": _num(d.get("self")), "reviewer": _num(d.get("reviewer")),
                                    "self_shown": d["self_shown"], "reviewer_shown": d["reviewer_shown"]}
                                   for d in score_display["dimensions"]]},
        "findings": {k: finding_figures[k] for k in ("findings_total", "findings_open", "findings_awaiting",
                                                     "findings_overdue", "findings_closed", "closure_rate")},
        "overdue_items": [{"category": categories.get(r.item.category, r.item.category), "content": r.item.content,
                           "owner": r.item.owner.name if r.item.owner else "",
                           "due": (r.item.due_date or date(year, 12, 31)).isoformat(),
                           "progress": f"{r.progress.recorded}/{r.progress.expected_count}"} for r in overdue],
        "open_findings": [{"source": str(SOURCES.get(r.finding.source, r.finding.source)),
                           "description": r.finding.description,
                           "person": r.finding.person.name if r.finding.person else "",
                           "due": r.finding.due_on.isoformat(), "overdue": r.overdue,
                           "status": str(FINDING_STATUS.get(r.finding.status, r.finding.status))}
                          for r in open_rows],
    }


def workers(app=None) -> int:
    """Threads building bureau profiles (``REPORTS_WORKERS``; default the cores, at most
    2): each reads its bureau's database in its own ``tenant_context``, and the reads of
    one overlap the Python work of another."""
    app = app or current_app
    configured = app.config.get("REPORTS_WORKERS")
    return max(1, int(configured)) if configured else max(1, min(2, os.cpu_count() or 1))


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _profile_key(tenant: Tenant, year: int, day: date, lang: str) -> str:
    return make_key("profile", template_version(), lang, day, year, _tenant_key(tenant))


def profiles(tenants: list[Tenant], year: int, day: date, progress: Callable[[int, int], None] | None = None
             ) -> list[dict]:
    """Every bureau's profile, from the cache where its data version is unchanged, the
    others built in parallel (each in its own ``tenant_context``); ``progress(done,
    total)`` after each."""
    app = current_app._get_current_object()
    cache = report_cache()
    lang = locale()
    keys = [_profile_key(t, year, day, lang) for t in tenants]
    found: dict[int, dict] = {}
    for index, key in enumerate(keys):
        data = cache.get(key, "json")
        if data is not None:
            found[index] = json.loads(data)
    refs = {index: (tenants[index].ref, tenants[index].id) for index in range(len(tenants)) if index not in found}

    def build(index: int) -> tuple[int, dict]:
        ref, tenant_id = refs[index]
        with app.app_context(), force_locale(lang), tenant_context(ref):
            tenant = db.session.get(Tenant, tenant_id)
            return index, profile(tenant, year, day)

    if progress:
        progress(len(found), len(tenants))
    if refs:
        with ThreadPoolExecutor(max_workers=workers(app), thread_name_prefix="report-profile") as pool:
            for index, data in pool.map(build, sorted(refs)):
                found[index] = data
                cache.put(keys[index], "json", json.dumps(data, ensure_ascii=False).encode("utf-8"))
                if progress:
                    progress(len(found), len(tenants))
    return [found[index] for index in range(len(tenants))]


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 105 → 一百零五 (headings （一）… of the profiles)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if not rest else ("零" + cn_number(rest) if rest < 10 else
                                    (digits[rest // 10] + "十" + (digits[rest % 10] if rest % 10 else "")))
        return digits[n // 100] + "百" + tail
    return str(n)


def active_tenants() -> list[Tenant]:
    """The bureaus a city summary covers: active ones, in the city's order."""
    return list(db.session.scalars(select(Tenant).where(Tenant.status == "active").order_by(Tenant.id)))


def city_summary(year: int, day: date | None = None, progress: Callable[[int, int], None] | None = None,
                 chosen: tuple[str, ...] = ()) -> dict:
    """Everything the city summary shows, in order (the PDF template and the docx writer
    both walk this): cover, overview figures, ranking, charts, profiles, appendix.

    A province is not one meeting's handout: beyond :func:`profiles_limit` bureaus the
    summary keeps its city-wide figures and charts, ranks the first and last
    :func:`ranking_limit` halves, and profiles only the bureaus ``chosen`` (slugs), saying
    so on its first page (``limits``), instead of laying out thousands of pages."""
    from app.city import rollup
    from app.city import services as city_services

    day = day or report_day(year)
    overview = rollup.overview(year)
    tenants = active_tenants()
    covered = len(tenants)
    over_limit = covered > profiles_limit()
    if chosen:
        wanted = set(chosen)
        tenants = [t for t in tenants if t.slug in wanted]
    elif over_limit:
        tenants = []
    bureau_profiles = profiles(tenants, year, day, progress)
    cn_date = current_app.jinja_env.filters["cn_date"]
    for number, item in enumerate(bureau_profiles, start=1):
        item["heading"] = f"（{cn_number(number)}）{item['name']}"
        for row in item["overdue_items"] + item["open_findings"]:
            row["due_text"] = cn_date(date.fromisoformat(row["due"]))
    # Blocks of the appendix follow the city's order of bureaus, whatever their content,
    # so that a bureau's change touches one block only.
    blocks = [bureau_profiles[i:i + APPENDIX_BLOCK] for i in range(0, len(bureau_profiles), APPENDIX_BLOCK)]
    columns = [rollup.COLUMN_BY_KEY[k] for k in RANKING_COLUMNS]
    tiles = overview.tiles
    title = _("Report on the Party-building main responsibility of the city's bureaus %(year)s", year=year)
    any_data = any(p["duties"]["has_list"] or p["scoring"]["status"] or p["findings"]["findings_total"]
                   for p in bureau_profiles) or (over_limit and any(
                       r.values.get(key) for r in overview.rows for key in ("items_total", "findings_open", "composite")))
    ranking = [{"rank": r.rank, "name": r.name, "category": r.category_label, "stale": r.stale,
                "cells": [r.shown(c) for c in columns],
                # a state ("评分中 11/15") instead of a figure: centred text that may wrap
                "pending": [r.values.get(c.key) is None and c.key in r.states for c in columns]}
               for r in overview.rows]
    ranking, left_out = _ranking_edges(ranking) if over_limit else (ranking, 0)
    return {
        "has_data": any_data, "no_data_message": None if any_data else no_data_message(year, day),
        "year": year, "day": day,
        "title": title, "title_lines": title_lines(title, TITLE_EMS), "cover_lines": title_lines(title, COVER_EMS),
        "issuer": _("Party Working Committee of the City Organs"),
        "tiles": tiles, "grades": overview.grades,
        "overview_text": overview_text(year, day, tiles, overview.grades),
        "columns": [str(c.label) for c in columns],
        "numeric": [c.numeric for c in columns],
        "ranking": ranking,
        "limits": _limits_text(covered, left_out, len(bureau_profiles)) if over_limit else None,
        "charts": {k: v for k, v in city_services.dashboard_charts(overview).items() if v},
        "profiles": bureau_profiles,
        "profile_blocks": [bureau_profiles[i:i + PROFILE_BLOCK]
                           for i in range(0, len(bureau_profiles), PROFILE_BLOCK)],
        "item_blocks": _appendix_blocks(blocks, "overdue_items"),
        "finding_blocks": _appendix_blocks(blocks, "open_findings"),
        "overdue_total": sum(len(p["overdue_items"]) for p in bureau_profiles),
        "open_total": sum(len(p["open_findings"]) for p in bureau_profiles),
    }


def profiles_limit() -> int:
    """``REPORTS_CITY_PROFILES_MAX`` (150): beyond this many bureaus the city summary profiles
    only the bureaus chosen (a city has 60–100; a province's thousands would be 10,000 pages)."""
    return int(current_app.config.get("REPORTS_CITY_PROFILES_MAX") or 150)


def ranking_limit() -> int:
    """``REPORTS_CITY_RANKING_MAX`` (100): rows of the ranking beyond the profiles limit, the
    first and the last half of them."""
    return max(2, int(current_app.config.get("REPORTS_CITY_RANKING_MAX") or 100))


def _ranking_edges(rows: list[dict]) -> tuple[list[dict], int]:
    """The first and last halves of :func:`ranking_limit` rows, a row standing for the
    bureaus between them, and how many those are."""
    half = ranking_limit() // 2
    if len(rows) <= 2 * half:
        return rows, 0
    left_out = len(rows) - 2 * half
    gap = {"gap": left_out, "text": _("…… %(n)s bureaus in between are left out (see the Excel export) ……",
                                      n=left_out)}
    return rows[:half] + [gap] + rows[-half:], left_out


def _limits_text(covered: int, left_out: int, profiled: int) -> str:
    """What a city summary over the profiles limit says on its first page."""
    ranking = (_("the ranking lists the first %(half)s and the last %(half)s bureaus", half=ranking_limit() // 2)
               if left_out else _("the ranking lists every bureau"))
    profiles_said = (_("profiles and appendices cover the %(n)s bureaus chosen", n=profiled) if profiled else
                     _("bureau profiles are left out"))
    return _("This summary covers %(n)s bureaus, more than one report can profile (%(limit)s): %(ranking)s, "
             "%(profiles)s; the city's Excel export has every bureau.",
             n=covered, limit=profiles_limit(), ranking=ranking, profiles=profiles_said)


def _appendix_blocks(blocks: list[list[dict]], key: str) -> list[list[dict]]:
    """The blocks of one appendix: bureaus with something to list, empty blocks left out
    (one empty block when there is nothing at all, which prints "None")."""
    kept = [[p for p in block if p[key]] for block in blocks]
    return [block for block in kept if block] or [[]]


#: Columns of the city summary's ranking table (keys of ``app.city.rollup.COLUMNS``).
RANKING_COLUMNS = ("items_done", "completion_rate", "items_overdue", "findings_open", "findings_overdue", "closure_rate",
                   "composite", "grade")


def overview_text(year: int, day: date, tiles: dict, grades: list[tuple[str, int]]) -> list[str]:
    """The overview paragraphs with the key figures filled in."""
    cn_date = current_app.jinja_env.filters["cn_date"]
    first = _("As of %(day)s, %(n)s bureaus are covered. The responsibility lists are %(rate)s complete on "
              "average (by the occurrences owed to date); %(overdue)s items are overdue.",
              day=cn_date(day), n=tiles["bureaus"],
              rate=_figure(tiles["average_completion"], "percent") if tiles["average_completion"] is not None
              else _("not measurable yet"),
              overdue=tiles["overdue_items"])
    second = _("%(open)s findings are not yet closed, %(late)s of them past their deadline.",
               open=tiles["open_findings"], late=tiles["overdue_findings"])
    if tiles["scored"]:
        third = _("%(n)s bureaus have a final score, %(average)s points on average; grades: %(grades)s.",
                  n=tiles["scored"], average=_figure(tiles["average_score"], "score"),
                  grades=_("; ").join(_("%(grade)s %(n)s", grade=g, n=n) for g, n in grades) or "—")
    else:
        third = _("No bureau has a final score for %(year)s yet.", year=year)
    if tiles.get("stale"):
        # totals over figures being recounted are not final: the handout says so
        third += _(" The figures of %(n)s bureaus are being updated: these totals are provisional.",
                   n=tiles["stale"])
    return [first, second, third]


def city_summary_html(summary: dict) -> str:
    """The city summary's HTML (parts and all); one page saying so for a year without data."""
    if not summary["has_data"]:
        return no_data_html(summary["title"], summary["year"], summary["day"], summary["issuer"])
    return pdf.render_html("reports/city_summary.html", **summary)


def city_key(year: int, day: date, kind: str) -> str:
    """The cache key of the city summary: every active bureau's versions and the
    roll-up's computation stamp of its row (read from the catalog only)."""
    from app.city import services as city_services

    rows = city_services.rollup_stamps(year)
    return make_key("city-summary", kind, template_version(), locale(), day, year, rows)


def city_pdf(year: int, *, use_cache: bool = True, chosen: tuple[str, ...] = ()) -> Rendered:
    """The city summary as PDF, laid out in this process."""
    return render_now(city_order(year, "pdf", chosen), use_cache=use_cache)


DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def city_docx(year: int, *, use_cache: bool = True, chosen: tuple[str, ...] = ()) -> Rendered:
    """The city summary as an editable Word document (same content and order)."""
    return render_now(city_order(year, "docx", chosen), use_cache=use_cache)


def city_ready(year: int) -> dict[str, bool]:
    """Which of the city summary's files are in the cache."""
    return {kind: is_made(city_order(year, kind)) for kind in ("pdf", "docx")}


# ============================================================================ ordering
@dataclass(frozen=True)
class Order:
    """A report asked for: the job that makes it (``kind``, ``params``) and where its file
    is kept (``key``, ``suffix``).  Built in the web process from catalog data only; the
    job worker lays it out (:mod:`app.reports.tasks`)."""

    kind: str
    key: str
    suffix: str
    filename: str
    mimetype: str
    params: dict
    tenant_slug: str | None = None


def _order(job_kind: str, key: str, suffix: str, filename: str, mimetype: str, tenant: Tenant | None,
           *, as_of: int | None = None, **params: Any) -> Order:
    # The template version (code, templates, fonts) is part of what is asked for: after a
    # deployment or a font fixed, a report is a new job, not the old one's failure.
    # ``as_of``: the report's year, which dates it (report_day); else today.
    day = report_day(as_of) if as_of else today()
    return Order(job_kind, key, suffix, filename, mimetype,
                 {"key": key, "suffix": suffix, "locale": locale(), "day": day.isoformat(),
                  "version": template_version(),
                  **({"slug": tenant.slug} if tenant else {}), **params},
                 tenant.slug if tenant else None)


def bureau_report_order(tenant: Tenant, year: int, *, city: bool) -> Order:
    """The annual report of ``tenant`` for ``year`` (``city``: the city's edition)."""
    key = make_key("bureau-report", template_version(), locale(), today(), year, "city" if city else "bureau",
                   _tenant_key(tenant))
    return _order("report.bureau", key, "pdf", _filename(tenant.name, year, _("annual report"), suffix="pdf"),
                  "application/pdf", tenant, as_of=year, year=year, city=city)


def score_sheet_order(tenant: Tenant, year: int) -> Order:
    """The score-sheet printout (callers check the reader may see its review)."""
    key = make_key("score-sheet", template_version(), locale(), today(), year, _tenant_key(tenant))
    return _order("report.scores", key, "pdf", _filename(tenant.name, year, _("score sheet"), suffix="pdf"),
                  "application/pdf", tenant, as_of=year, year=year)


def ledger_order(tenant: Tenant, filters) -> Order:
    """The rectification ledger with the web ledger's filters."""
    key = make_key("ledger", template_version(), locale(), today(), filters.args(), _tenant_key(tenant))
    return _order("report.ledger", key, "pdf",
                  _filename(tenant.name, filters.year, _("rectification ledger"), suffix="pdf"),
                  "application/pdf", tenant, as_of=filters.year, filters=filters.args())


def city_order(year: int, kind: str, chosen: tuple[str, ...] = ()) -> Order:
    """The city summary as ``pdf`` or ``docx`` (``chosen``: the bureaus profiled when the
    city is over :func:`profiles_limit`)."""
    chosen = tuple(sorted(set(chosen)))
    return _order("report.city", make_key(city_key(year, today(), kind), chosen) if chosen else
                  city_key(year, today(), kind), kind,
                  _filename(_("City summary"), year, suffix=kind),
                  "application/pdf" if kind == "pdf" else DOCX_MIMETYPE, None, as_of=year, year=year, kind=kind,
                  **({"chosen": list(chosen)} if chosen else {}))


def task_board_order(task, filters: dict) -> Order:
    """The progress board of a city task (``filters``: the board page's state, overdue and
    category), keyed by the task's assignments so that a changed board is a new file."""
    from app.citytasks import services as citytasks

    key = make_key("task-board", template_version(), locale(), today(), filters, citytasks.board_stamp(task))
    return _order("report.taskboard", key, "pdf", _filename(task.title[:40], _("progress board"), suffix="pdf"),
                  "application/pdf", None, task_id=task.id, filters=filters)


def task_board_html(task_id: int, filters: dict, day: date) -> str:
    """The task board's HTML for a PDF."""
    from app.citytasks import services as citytasks

    return pdf.render_html("citytasks/board_print.html", **citytasks.board_print_context(task_id, filters, day))


def cached(order: Order) -> Rendered | None:
    """The order's file from the cache, or ``None``."""
    started = time.perf_counter()
    data = report_cache().get(order.key, order.suffix)
    if data is None:
        return None
    return Rendered(data, True, time.perf_counter() - started, order.filename, order.mimetype)


#: A failed rendering is shown (not retried by reloading the page) for this long.
FAILURE_SHOWN_SECONDS = 600


def obtain(order: Order, *, requested_by: str | None, retry: bool = False, job_id: str | None = None):
    """The file if it is made (:class:`Rendered`), else the job making it (a
    :class:`~app.jobs.models.Job`).

    * One job per report, whatever its data: a request while a job of the same report is
      queued or running joins it (thirty users at once, one rendering), even when a
      bureau saved something meanwhile; the job lays out the data as it finds them.
    * ``job_id``: the job a waiting page follows; once it is done its file is the answer
      (the report as it was asked for), even if newer data would make another.
    * A job that failed lately is returned as it is, so that a reloading page shows the
      failure instead of starting over; ``retry`` starts a new one.
    """
    from app.jobs import services as jobs
    from app.jobs.models import DONE, FAILED, aware

    found = cached(order)
    if found is not None:
        return found
    family = _job_key(order)
    followed = jobs.get(job_id) if job_id else None
    if followed is not None and followed.key == family:
        if followed.state != DONE:
            if followed.state != FAILED or not retry:
                return followed
        elif followed.result and (made := cached(replace(order, key=followed.result["key"]))) is not None:
            return made
    if not retry:
        last = jobs.latest(family)
        if last is not None and last.state == FAILED and last.finished_at is not None and \
                (utcnow() - aware(last.finished_at)).total_seconds() < FAILURE_SHOWN_SECONDS:
            return last
    job = jobs.submit(order.kind, family, order.params, tenant_slug=order.tenant_slug, requested_by=requested_by)
    job = jobs.get(job.id) or job
    if job.state == DONE and job.result:  # the test queue runs the job at once
        made = cached(replace(order, key=job.result["key"]))
        return replace(made, cached=False, seconds=job.seconds or made.seconds) if made else job
    return job


def _job_key(order: Order) -> str:
    """The slot of a report's jobs: the report and its arguments, not its data versions."""
    family = {name: value for name, value in order.params.items() if name != "key"}
    return f"report:{order.kind}:{make_key(family)}"


def preparing_enabled() -> bool:
    """``REPORTS_PREPARE``: whether opening a reports page submits its main report (default:
    on, except in tests, where a job runs inside the request that submits it)."""
    configured = current_app.config.get("REPORTS_PREPARE")
    return (not current_app.testing) if configured is None else bool(configured)


def prepare(order: Order, *, requested_by: str | None) -> None:
    """Submit the order unless its file is made: opening the reports page gives the report
    a head start of the seconds the user takes to click (the click then joins the job)."""
    if preparing_enabled() and not report_cache().has(order.key, order.suffix):
        obtain(order, requested_by=requested_by)


def is_made(order: Order) -> bool:
    """Whether the order's file is in the cache (the reports page says which are instant)."""
    return report_cache().has(order.key, order.suffix)


def render_now(order: Order, *, use_cache: bool = True) -> Rendered:
    """Lay out an order in this process, or take it from the cache (``flask reports``;
    web pages submit a job instead, :func:`obtain`)."""
    return _cached(order.key, order.suffix, lambda: produce(order.kind, order.params, _quiet),
                   filename=order.filename, mimetype=order.mimetype, use_cache=use_cache)


def _quiet(*_args, **_kwargs) -> None:
    return None


def make(order_kind: str, params: dict, progress: Callable[..., None]) -> dict:
    """Lay out one ordered report and store it under its key: the job's work."""
    data = produce(order_kind, params, progress)
    report_cache().put(params["key"], params["suffix"], data)
    return {"key": params["key"], "bytes": len(data)}


def produce(order_kind: str, params: dict, progress: Callable[..., None]) -> bytes:
    """The bytes of one ordered report (``params`` as :func:`_order` wrote them)."""
    with force_locale(params["locale"]):
        day = date.fromisoformat(params["day"])
        if order_kind == "report.city":
            progress(stage="gathering")
            summary = city_summary(params["year"], day, lambda done, total: progress(done, total),
                                   chosen=tuple(params.get("chosen", ())))
            progress(stage="layout")
            data = render.html_pdf(city_summary_html(summary)) if params["kind"] == "pdf" else _docx(summary)
        elif order_kind == "report.taskboard":
            progress(stage="layout")
            data = render.html_pdf(task_board_html(params["task_id"], params["filters"], day))
        else:
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == params["slug"]))
            if tenant is None:
                raise LookupError(f"bureau {params['slug']} no longer exists")
            with tenant_context(tenant.ref):
                progress(stage="gathering")
                html = _bureau_html(order_kind, tenant, params, day)
                progress(stage="layout")
                data = render.html_pdf(html)
    return data


def _docx(summary: dict) -> bytes:
    from .docx import summary_docx

    return summary_docx(summary)


def _bureau_html(order_kind: str, tenant: Tenant, params: dict, day: date) -> str:
    from app.findings.services import Filters

    if order_kind == "report.bureau":
        return bureau_report_html(tenant, params["year"], city=params["city"], day=day)
    if order_kind == "report.scores":
        html = score_sheet_html(params["year"])
        if html is None:
            raise LookupError(f"no score sheet for {params['year']}")
        return html
    return ledger_html(tenant, Filters.from_args(params["filters"]), day)
