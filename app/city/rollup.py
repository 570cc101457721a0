"""Assembling the city's views from the stored roll-up (catalog only, never bureau DBs).

One flat row per bureau and year, built from ``tenant_metrics.figures``; the figures and
their labels are declared once in :data:`COLUMNS`, which the dashboard table, the
comparison page and the spreadsheet export all use.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from statistics import mean
from typing import Any, Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import Select, case, event, func, null, or_, select
from sqlalchemy.sql.elements import ColumnElement

from app.extensions import db
from app.scoring import progress as scoring_progress
from app.tenancy.models import BUREAU_CATEGORIES, Tenant

from .models import MetricSnapshot, TenantMetrics


@dataclass(frozen=True)
class Column:
    """One figure of a bureau row: where it comes from in the figures and how to show it."""

    key: str
    label: Any
    source: tuple[str, str]
    kind: str = "number"  # number | percent | score | ratio | text | date
    higher_is_better: bool = True
    alert: bool = False  # a non-zero value needs attention (shown in red)
    of: str | None = None  # a ratio's whole: the key of the column it is a part of

    def read(self, figures: dict) -> Any:
        section, name = self.source
        return (figures.get(section) or {}).get(name)

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "percent", "score", "ratio")

    @property
    def css(self) -> str:
        """Table cell class: numbers align right."""
        return "text-end" if self.numeric else ""

    def format(self, value: Any) -> str:
        return format_figure(value, self.kind)


def format_figure(value: Any, kind: str = "number") -> str:
    """A figure as tables show it: percentages to 0.1, scores to 0.01, a dash for none."""
    if value is None or value == "":
        return "—"
    if kind == "percent":
        return f"{float(value) * 100:.1f}%"
    if kind == "score":
        return f"{float(value):.2f}"
    if kind == "number" and isinstance(value, float):
        return f"{value:g}"
    return str(value)


def grade_reason(scoring: dict) -> str | None:
    """Why a bureau's grade is not the band its final score reached, in words (the
    ranking is by score, so No.1 may have a lower grade than No.4): a veto, or the
    democratic rating's approval gate; ``None`` when the grade is the score's band."""
    grade, by_score = scoring.get("grade"), scoring.get("grade_by_score")
    if not grade:
        return None
    if scoring.get("vetoed"):
        return _("Veto (一票否决); by score: %(g)s", g=by_score) if by_score else _("Veto (一票否决)")
    if by_score and by_score != grade:
        return _("Approval in the democratic rating below the gate; by score: %(g)s", g=by_score)
    return None


def grade_note(scoring: dict) -> str | None:
    """The reason of :func:`grade_reason` in two to four characters, for a narrow column
    (the PDF ranking): "一票否决" or "测评门槛"."""
    grade, by_score = scoring.get("grade"), scoring.get("grade_by_score")
    if not grade:
        return None
    if scoring.get("vetoed"):
        return _("veto")
    return _("rating gate") if by_score and by_score != grade else None


# Two figures of a list that read alike and must not be mistaken for one another:
# "事项完成 37/57" (items done of the list) and "按期进度 91.9%" (occurrences recorded of
# those owed to date).  Their labels say which is which everywhere (pages, PDF, Excel).
COLUMNS: tuple[Column, ...] = (
    Column("completion_rate", _l("On-schedule progress"), ("duties", "completion_rate"), "percent"),
    Column("items_done", _l("Items done"), ("duties", "items_done"), "ratio", of="items_total"),
    Column("items_total", _l("Items"), ("duties", "items_total")),
    Column("items_overdue", _l("Overdue items"), ("duties", "items_overdue"), higher_is_better=False, alert=True),
    Column("evidence_count", _l("Evidence files"), ("duties", "evidence_count")),
    Column("findings_open", _l("Open findings"), ("findings", "findings_open"), higher_is_better=False),
    Column("findings_overdue", _l("Overdue findings"), ("findings", "findings_overdue"), higher_is_better=False,
           alert=True),
    Column("closure_rate", _l("Closure rate"), ("findings", "closure_rate"), "percent"),
    Column("days_to_close", _l("Median days to close"), ("findings", "median_days_to_close"), higher_is_better=False),
    Column("self_total", _l("Self score"), ("scoring", "self_total"), "score"),
    Column("reviewer_total", _l("Reviewed score"), ("scoring", "reviewer_total"), "score"),
    Column("composite", _l("Final score"), ("scoring", "composite"), "score"),
    Column("grade", _l("Grade"), ("scoring", "grade"), "text"),
    Column("grade_reason", _l("Why this grade"), ("scoring", "grade_reason"), "text"),
    Column("last_activity", _l("Last activity"), ("activity", "last_activity"), "date"),
    Column("warn_red", _l("Red warnings"), ("duties", "warn_red"), higher_is_better=False, alert=True),
    Column("warn_yellow", _l("Yellow warnings"), ("duties", "warn_yellow"), higher_is_better=False),
    Column("warn_blue", _l("Blue warnings"), ("duties", "warn_blue"), higher_is_better=False),
    Column("records_pending", _l("Records awaiting review"), ("duties", "records_pending"), higher_is_better=False),
    # Issue 15: the bureau's own branches, one level down ("3 of 12 branches behind").
    Column("branches_behind", _l("Branches behind"), ("orgs", "branches_behind"), "ratio", higher_is_better=False,
           alert=True, of="branches"),
    Column("branches", _l("Party branches"), ("orgs", "branches")),
)
#: The dashboard's columns at first sight; the others open with "all figures".
MAIN_COLUMNS = ("completion_rate", "items_done", "items_overdue", "warn_red", "warn_yellow", "findings_open",
                "findings_overdue", "branches_behind", "composite", "grade", "last_activity")
#: Figures of the duty list, shown only once the bureau has published its list.
LIST_FIGURES = ("completion_rate", "items_done", "items_total", "items_overdue", "evidence_count", "warn_red",
                "warn_yellow", "warn_blue", "records_pending")
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


@dataclass
class BureauRow:
    """One bureau's figures for the dashboard."""

    tenant_id: int
    slug: str
    name: str
    category: str
    values: dict[str, Any]
    stale: bool
    computed_at: Any
    rank: int | None = None
    # Per scoring dimension: [{"code", "title", "max_points", "count", "self", "self_scored",
    # "reviewer", "reviewer_scored"}].
    dimensions: list[dict] = field(default_factory=list)
    # What a score column shows instead of a figure that is not complete ("评分中 12/20").
    states: dict[str, str] = field(default_factory=dict)
    # A short word after a figure in narrow tables (the grade's reason: "较好（测评门槛）").
    notes: dict[str, str] = field(default_factory=dict)

    def shown(self, column: "Column") -> str:
        """The text of one column: the figure, or the state of an incomplete score (a
        grade with its reason when it is not the score's band: "较好（…）")."""
        state = self.states.get(column.key)
        value = self.values.get(column.key)
        if value is None and state:
            return state
        if column.kind == "ratio" and value is not None:
            return f"{value:g}/{self.values.get(column.of) or 0:g}" if isinstance(value, float) else \
                f"{value}/{self.values.get(column.of) or 0}"
        if column.key == "grade" and value and self.notes.get("grade"):
            return _("%(grade)s (%(reason)s)", grade=value, reason=self.notes["grade"])
        return column.format(value)

    def exported(self, column: "Column") -> Any:
        """The value of one column in a spreadsheet: the figure, or the state as text
        (the grade alone: its reason has a column of its own)."""
        value = self.values.get(column.key)
        if value is None and self.states.get(column.key):
            return self.states[column.key]
        if column.kind == "ratio" and value is not None:
            return self.shown(column)
        return value

    @property
    def category_label(self) -> str:
        return BUREAU_CATEGORIES.get(self.category, self.category)

    @property
    def cells(self) -> list[tuple[str, bool]]:
        """(formatted value, needs attention) per column of :data:`COLUMNS`, for tables."""
        return [(self.shown(c), bool(c.alert and self.values.get(c.key))) for c in COLUMNS]

    @property
    def cells_html(self) -> Markup:
        """The row's figure cells as HTML (every column)."""
        return self.cells_for(COLUMNS)

    def cells_for(self, columns: tuple["Column", ...] | list["Column"]) -> Markup:
        """The row's cells of ``columns`` as HTML.  Built in Python because the dashboard
        may list a thousand bureaus and a Jinja loop over 16 cells a row was most of the
        page's time.  The grade carries its reason on a second line, so that a reader
        sees why No.1 is "较好" next to it."""
        parts = []
        for column in columns:
            value = self.values.get(column.key)
            css = f"{column.css} text-danger" if column.alert and value else column.css
            if column.key in self.states and value is None:
                css = f"{column.css} figure-pending"
            if column.kind in ("date", "ratio", "percent", "score") or column.key == "grade":
                css += " text-nowrap"
            if column.key == "grade" and value and self.values.get("grade_reason"):
                # one clause a line ("民主测评满意率未达门槛，" / "按分数为“好”"), never one
                # character left alone on a line
                clauses = Markup("，<br>").join(escape(part) for part in self.values["grade_reason"].split("，"))
                text = (f'<span class="text-nowrap">{escape(value)}</span>'
                        f'<div class="grade-reason small text-muted">{clauses}</div>')
            else:
                text = escape(self.shown(column))
            parts.append(f'<td class="{css.strip()}">{text}</td>')
        return Markup("".join(parts))


@dataclass
class Overview:
    year: int
    rows: list[BureauRow]
    tiles: dict[str, Any] = field(default_factory=dict)
    grades: list[tuple[str, int]] = field(default_factory=list)
    # Set by :func:`overview_page`: the rows are one page of ``total`` matching bureaus.
    total: int | None = None
    page: int = 1
    pages: int = 1
    per_page: int | None = None
    # The charts' bars over every matching bureau (the page's rows are only some of them).
    leaders: list[tuple[str, Any]] | None = None
    leaders_by: str = "composite"  # or "completion_rate" while no bureau has a final score


# The usual bands of published schemes, best first; a template's own labels sort after
# them alphabetically (the catalog does not keep each template's band order per bureau).
USUAL_GRADES = ("优秀", "好", "较好", "一般", "较差", "差")


def grade_order(label: str) -> tuple[int, str]:
    """Sort key putting grades best first."""
    return (USUAL_GRADES.index(label), "") if label in USUAL_GRADES else (len(USUAL_GRADES), label)


def available_years(default: int, shown: int | None = None) -> list[int]:
    """Years that have figures, newest first (always including ``default`` and the year
    the page shows, so that its picker is never pre-set to another year)."""
    years = set(db.session.scalars(select(TenantMetrics.year).distinct())) | {default}
    if shown is not None:
        years.add(shown)
    return sorted(years, reverse=True)


def _rows(year: int, category: str | None = None, slugs: list[str] | None = None) -> list[BureauRow]:
    # Plain columns, not ORM entities: the dashboard may list a thousand bureaus.
    query = (select(Tenant.id, Tenant.slug, Tenant.name, Tenant.category, Tenant.data_version,
                    TenantMetrics.figures, TenantMetrics.data_version, TenantMetrics.computed_at)
             .outerjoin(TenantMetrics, (TenantMetrics.tenant_id == Tenant.id) & (TenantMetrics.year == year))
             .where(Tenant.status == "active").order_by(Tenant.id))
    if category:
        query = query.where(Tenant.category == category)
    if slugs is not None:
        query = query.where(Tenant.slug.in_(slugs))
    return [_row(*found) for found in db.session.execute(query)]


def _row(tenant_id, slug, name, tenant_category, version, figures, computed_version, computed_at,
         position=None) -> BureauRow:
    """One bureau's row from its catalog columns and stored figures (``position``: its
    rank when the query computed it)."""
    figures = _readable(figures)
    values = {c.key: c.read(figures) for c in COLUMNS}
    values["grade_reason"] = grade_reason(figures["scoring"])
    states = _states(figures["scoring"])
    duties = figures.get("duties") or {}
    if duties.get("list_status") not in PUBLISHED_LISTS:
        # A bureau made today has a draft list (or none): its items are not owed yet,
        # and counting them would pull the city's averages down and its overdue up.
        for key in LIST_FIGURES:
            values[key] = None
        states["completion_rate"] = (_("List not published") if duties.get("has_list")
                                     else _("No list yet"))
    return BureauRow(
        tenant_id=tenant_id, slug=slug, name=name, category=tenant_category,
        values=values,
        # stale: the bureau changed since its figures were computed (a bureau that never
        # changed has no figures to compute, which is not stale)
        stale=(computed_version or 0) < version,
        computed_at=computed_at, rank=position,
        dimensions=list(figures["scoring"].get("dimensions") or []),
        states=states, notes={k: v for k, v in {"grade": grade_note(figures["scoring"])}.items() if v})


#: List statuses whose figures enter the city's tables and averages.
PUBLISHED_LISTS = ("published", "archived")


def _readable(figures: dict | None) -> dict:
    """Stored figures with the scoring section read by the scoring rule: a score that is
    not complete is ``None`` (rows stored before that rule included; a refresh
    recomputes them)."""
    figures = dict(figures or {})
    figures["scoring"] = scoring_progress.read_figures(figures.get("scoring"))
    return figures


def _states(scoring: dict) -> dict[str, str]:
    # The grade column stays "—" next to the composite's state (one state per row is enough).
    return {key: state for key in ("self_total", "reviewer_total", "composite")
            if (state := scoring_progress.figure_state(scoring, key)) is not None}


def rank(rows: list[BureauRow], key: str = "composite") -> None:
    """Competition ranking (1, 2, 2, 4) by ``key``, highest first; rows without it get none."""
    scored = sorted((r for r in rows if r.values.get(key) is not None), key=lambda r: -r.values[key])
    previous, position = None, 0
    for index, row in enumerate(scored, start=1):
        if row.values[key] != previous:
            position, previous = index, row.values[key]
        row.rank = position


def sort_rows(rows: list[BureauRow], key: str, descending: bool) -> list[BureauRow]:
    """Sort by a column (or ``name``/``rank``); rows without a value always go last."""
    if key == "name":
        return sorted(rows, key=lambda r: r.name, reverse=descending)
    getter: Callable[[BureauRow], Any] = (lambda r: r.rank) if key == "rank" else (lambda r: r.values.get(key))
    present = [r for r in rows if getter(r) is not None]
    missing = [r for r in rows if getter(r) is None]
    return sorted(present, key=getter, reverse=descending) + missing


def _average(values: list[Any]) -> float | None:
    numbers = [v for v in values if isinstance(v, (int, float))]
    return round(mean(numbers), 4) if numbers else None


def overview(year: int, *, category: str | None = None, sort: str = "rank", descending: bool = False) -> Overview:
    """Everything the dashboard shows for ``year``: rows (ranked, sorted), tiles, grade counts."""
    rows = _rows(year, category)
    rank(rows)
    if sort != "name" and sort != "rank" and sort not in COLUMN_BY_KEY:
        sort = "rank"
    rows = sort_rows(rows, sort, descending)
    values = {c.key: [r.values.get(c.key) for r in rows] for c in COLUMNS}
    tiles = {
        "bureaus": len(rows),
        "average_completion": _average(values["completion_rate"]),
        "overdue_items": sum(v or 0 for v in values["items_overdue"]),
        "open_findings": sum(v or 0 for v in values["findings_open"]),
        "overdue_findings": sum(v or 0 for v in values["findings_overdue"]),
        "average_score": _average(values["composite"]),
        "scored": sum(1 for v in values["composite"] if v is not None),
        "stale": sum(1 for r in rows if r.stale),
    }
    counts: dict[str, int] = {}
    for grade in values["grade"]:
        if grade:
            counts[grade] = counts.get(grade, 0) + 1
    return Overview(year=year, rows=rows, tiles=tiles, grades=sorted(counts.items(), key=lambda kv: grade_order(kv[0])))


def compare(year: int, slugs: list[str]) -> list[BureauRow]:
    """Rows of the chosen bureaus, in the order given (ranks are city-wide, computed by the
    database over every active bureau; only the chosen rows are read)."""
    _ranked_query, query = _ordered(year, Filter(), "rank", False, slugs=slugs)
    by_slug = {r.slug: r for r in _rows_of(year, [tuple(found) for found in db.session.execute(query)])}
    return [by_slug[s] for s in slugs if s in by_slug]


#: The figures the city average row shows (numbers that can be averaged).
AVERAGED_KINDS = ("number", "percent", "score")


def city_average_row(year: int) -> BureauRow:
    """A row of the city's averages (numeric figures over the bureaus that have them), to
    set one chosen bureau against on the comparison page (one aggregate query)."""
    columns = [c for c in COLUMNS if c.kind in AVERAGED_KINDS]
    query = (select(*[func.avg(figure_value(c.key)) for c in columns]).select_from(Tenant)
             .outerjoin(TenantMetrics, _metrics_of(year)).where(Tenant.status == "active"))
    averages = db.session.execute(query).one()
    values: dict[str, Any] = {}
    for column, average in zip(columns, averages):
        average = None if average is None else round(float(average), 4)
        values[column.key] = None if average is None else round(average, 4 if column.kind == "percent" else 2)
    return BureauRow(tenant_id=0, slug="", name=str(_("City average")), category="", values=values,
                     stale=False, computed_at=None)


# -- the city's pages at thousands of bureaus ---------------------------------------------
# The dashboard shows a page of the bureaus; its tiles, grade counts and ranks cover every
# bureau matching the filter.  The database computes them from the stored JSON (the same
# reading rules as :func:`_row`, written as SQL below), so a page reads ``PER_PAGE`` rows
# whatever the number of bureaus, and a fixed number of statements.

PER_PAGE = 50


@dataclass(frozen=True)
class Filter:
    """What the city's lists are narrowed to: a text searched in the bureau's name and
    short name, and a category (``None``: all)."""

    q: str = ""
    category: str | None = None

    @property
    def empty(self) -> bool:
        return not self.q and not self.category


def _metrics_of(year: int):
    return (TenantMetrics.tenant_id == Tenant.id) & (TenantMetrics.year == year)


#: The columns of :data:`COLUMNS` kept as plain columns of ``tenant_metrics`` (the grade's
#: reason is words made from the scoring figures: it is sorted with the grade).
LIST_KEYS = tuple(c.key for c in COLUMNS if c.key != "grade_reason")


def list_values(figures: dict | None) -> dict[str, Any]:
    """The values of :data:`LIST_KEYS` as the city's rows read them from stored
    ``figures`` (:func:`_row`: list figures only once the list is published, score
    figures by the scoring rule), numbers as floats: what ``tenant_metrics`` keeps beside
    the JSON for the lists' sorting, counts and averages.  No database, no request."""
    figures = _readable(figures)
    published = (figures.get("duties") or {}).get("list_status") in PUBLISHED_LISTS
    values: dict[str, Any] = {}
    for key in LIST_KEYS:
        column = COLUMN_BY_KEY[key]
        value = column.read(figures)
        if key in LIST_FIGURES and not published:
            value = None
        if column.kind in ("text", "date"):
            value = None if value in (None, "") else str(value)[:40]
        else:
            value = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        values[key] = value
    return values


@event.listens_for(TenantMetrics, "before_insert")
@event.listens_for(TenantMetrics, "before_update")
@event.listens_for(MetricSnapshot, "before_insert")
@event.listens_for(MetricSnapshot, "before_update")
def _keep_list_values(mapper, connection, target: TenantMetrics | MetricSnapshot) -> None:
    """Rows written through the ORM carry their list values too (the push writes them in
    its upsert, :func:`app.city.metrics.refresh_tenant`)."""
    for key, value in list_values(target.figures).items():
        setattr(target, key, value)


def figure_value(key: str, figures=None) -> ColumnElement:
    """The catalog column of one figure, as :func:`list_values` stored it (``grade_reason``
    sorts with the grade)."""
    return getattr(TenantMetrics, "grade" if key == "grade_reason" else key)


def _stale(figures_version, version) -> ColumnElement:
    return func.coalesce(figures_version, 0) < version


def _ranked(year: int, category: str | None = None, sort: str = "rank"):
    """Active bureaus (of ``category``) with their rank by final score (competition
    ranking, as :func:`rank`) and the value they are sorted by, as a narrow subquery
    (ids, names, numbers: the stored figures stay out of the database's sort)."""
    composite = figure_value("composite")
    position = case((composite.is_(None), null()),
                    else_=func.rank().over(order_by=(composite.is_(None), composite.desc())))
    value = Tenant.name if sort == "name" else position if sort == "rank" else figure_value(sort)
    query = (select(Tenant.id.label("id"), Tenant.slug.label("slug"), Tenant.name.label("name"),
                    position.label("position"), value.label("sort_value"))
             .select_from(Tenant).outerjoin(TenantMetrics, _metrics_of(year)).where(Tenant.status == "active"))
    if category:
        query = query.where(Tenant.category == category)
    return query.subquery("ranked")


#: The catalog columns :func:`_row` is made from (its rank comes from the ranked subquery).
ROW_COLUMNS = (Tenant.id, Tenant.slug, Tenant.name, Tenant.category, Tenant.data_version,
               TenantMetrics.figures, TenantMetrics.data_version, TenantMetrics.computed_at)


def searched(name_column, slug_column, q: str) -> ColumnElement:
    """A bureau whose name or short name contains ``q`` (any case; ``%`` and ``_`` in
    ``q`` are plain characters)."""
    return or_(name_column.icontains(q, autoescape=True), slug_column.icontains(q, autoescape=True))


def _ordered(year: int, chosen: Filter, sort: str, descending: bool, slugs: list[str] | None = None):
    """The matching bureaus' ids and ranks, sorted like :func:`sort_rows` (rows without a
    value last, then in the city's order)."""
    ranked = _ranked(year, chosen.category, sort)
    query = select(ranked.c.id, ranked.c.position)
    if chosen.q:
        query = query.where(searched(ranked.c.name, ranked.c.slug, chosen.q))
    if slugs is not None:
        query = query.where(ranked.c.slug.in_(slugs))
    value = ranked.c.sort_value
    return ranked, query.order_by(value.is_(None), value.desc() if descending else value.asc(), ranked.c.id)


def _rows_of(year: int, positions: list[tuple[int, int | None]]) -> list[BureauRow]:
    """The rows of the bureaus ``positions`` names (id, rank), in that order: one query."""
    if not positions:
        return []
    found = {r[0]: r for r in db.session.execute(
        select(*ROW_COLUMNS).select_from(Tenant).outerjoin(TenantMetrics, _metrics_of(year))
        .where(Tenant.id.in_([tenant_id for tenant_id, _position in positions])))}
    return [_row(*found[tenant_id], position=position) for tenant_id, position in positions if tenant_id in found]


def _matching(year: int, chosen: Filter) -> Select:
    """Active bureaus joined to their figures of ``year``, narrowed by ``chosen`` (the
    FROM and WHERE of the aggregates)."""
    query = (select().select_from(Tenant).outerjoin(TenantMetrics, _metrics_of(year))
             .where(Tenant.status == "active"))
    if chosen.category:
        query = query.where(Tenant.category == chosen.category)
    if chosen.q:
        query = query.where(searched(Tenant.name, Tenant.slug, chosen.q))
    return query


def tiles(year: int, chosen: Filter = Filter()) -> dict[str, Any]:
    """The dashboard's tiles over every bureau matching ``chosen``, in one aggregate query."""
    completion, composite = figure_value("completion_rate"), figure_value("composite")
    found = db.session.execute(_matching(year, chosen).add_columns(
        func.count(Tenant.id), func.avg(completion),
        func.sum(figure_value("items_overdue")), func.sum(figure_value("findings_open")),
        func.sum(figure_value("findings_overdue")), func.avg(composite), func.count(composite),
        func.sum(case((_stale(TenantMetrics.data_version, Tenant.data_version), 1), else_=0)))).one()
    count, average_completion, overdue, open_findings, overdue_findings, average_score, scored, stale = found

    def average(value):
        return None if value is None else round(float(value), 4)

    def whole(value):
        return int(value or 0)

    return {"bureaus": count, "average_completion": average(average_completion), "overdue_items": whole(overdue),
            "open_findings": whole(open_findings), "overdue_findings": whole(overdue_findings),
            "average_score": average(average_score), "scored": whole(scored), "stale": whole(stale)}


def grade_counts(year: int, chosen: Filter = Filter()) -> list[tuple[str, int]]:
    """Bureaus per grade over every bureau matching ``chosen``, best grade first."""
    # the grade is read once per bureau in a subquery, then counted
    grades = _matching(year, chosen).add_columns(figure_value("grade").label("grade")).subquery()
    rows = db.session.execute(select(grades.c.grade, func.count()).where(grades.c.grade.is_not(None))
                              .group_by(grades.c.grade)).all()
    return sorted(((label, count) for label, count in rows if label), key=lambda kv: grade_order(kv[0]))


def leaders(year: int, chosen: Filter, limit: int) -> tuple[str, list[tuple[str, Any]]]:
    """The ranking chart's bars over every matching bureau: the ``limit`` best final
    scores, or, while no bureau has one, the ``limit`` best completions (as before, when
    the chart was drawn from every row).  Names and one figure only."""
    for key in ("composite", "completion_rate"):
        value = figure_value(key)
        rows = db.session.execute(_matching(year, chosen).add_columns(Tenant.name, value)
                                  .order_by(value.is_(None), value.desc(), Tenant.id).limit(limit)).all()
        if key == "completion_rate" or (rows and rows[0][1] is not None):
            return key, [(name, found) for name, found in rows if key == "completion_rate" or found is not None]
    return "completion_rate", []


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    """Pages of ``per_page`` rows for ``total`` rows (at least one, an empty one)."""
    return max(1, -(-total // per_page))


def overview_page(year: int, chosen: Filter = Filter(), *, page: int = 1, sort: str = "rank",
                  descending: bool = False, per_page: int = PER_PAGE, chart_bars: int = 30) -> Overview:
    """One page of the dashboard: ``per_page`` rows of the bureaus matching ``chosen``
    (ranked within the category, as :func:`overview`, sorted), the tiles and grade counts
    over all of them, and the ranking chart's leading bureaus.  A page past the last one
    shows the last one."""
    if sort not in ("name", "rank") and sort not in COLUMN_BY_KEY:
        sort = "rank"
    counted = tiles(year, chosen)
    pages = page_count(counted["bureaus"], per_page)
    page = min(max(1, page), pages)
    rows = []
    if counted["bureaus"]:
        # the page's ids first (a narrow sort), then the figures of those rows only
        _ranked_query, query = _ordered(year, chosen, sort, descending)
        rows = _rows_of(year, [tuple(found) for found in db.session.execute(
            query.limit(per_page).offset((page - 1) * per_page))])
    by, bars = leaders(year, chosen, chart_bars) if rows else ("composite", [])
    return Overview(year=year, rows=rows, tiles=counted, grades=grade_counts(year, chosen) if rows else [],
                    total=counted["bureaus"], page=page, pages=pages, per_page=per_page,
                    leaders=bars, leaders_by=by)


def every_row(year: int, chosen: Filter = Filter(), *, sort: str = "rank", descending: bool = False,
              chunk: int = 500):
    """Every matching bureau's row, sorted as on the dashboard, read ``chunk`` rows at a
    time (the export: memory stays bounded whatever the number of bureaus)."""
    if sort not in ("name", "rank") and sort not in COLUMN_BY_KEY:
        sort = "rank"
    ranked, order = _ordered(year, chosen, sort, descending)
    query = (order.add_columns(*ROW_COLUMNS).join(Tenant, Tenant.id == ranked.c.id)
             .outerjoin(TenantMetrics, _metrics_of(year)).execution_options(yield_per=chunk))
    for found in db.session.execute(query):
        yield _row(*found[2:], position=found[1])


def pick_list(chosen: Filter, limit: int) -> tuple[list[tuple[str, str]], int]:
    """Active bureaus matching ``chosen`` for a picker: the first ``limit`` (slug, name)
    in the city's order and how many match in all."""
    where = [Tenant.status == "active"]
    if chosen.category:
        where.append(Tenant.category == chosen.category)
    if chosen.q:
        where.append(searched(Tenant.name, Tenant.slug, chosen.q))
    total = db.session.scalar(select(func.count(Tenant.id)).where(*where))
    rows = db.session.execute(select(Tenant.slug, Tenant.name).where(*where).order_by(Tenant.id).limit(limit)).all()
    return [tuple(r) for r in rows], total


def names_of(slugs: list[str]) -> dict[str, str]:
    """The names of the active bureaus among ``slugs``."""
    if not slugs:
        return {}
    return dict(db.session.execute(select(Tenant.slug, Tenant.name).where(
        Tenant.slug.in_(slugs), Tenant.status == "active")).all())


def dimension_table(rows: list[BureauRow]) -> list[dict]:
    """Scoring dimensions side by side: one entry per dimension code (in the order the
    first bureau's sheet lists them), with each bureau's self and reviewer scores.

    Bureaus assessed on different editions of the sheet may have different dimensions;
    a bureau without a dimension shows nothing for it."""
    order: list[str] = []
    titles: dict[str, tuple[str, Any]] = {}
    for row in rows:
        for dimension in row.dimensions:
            code = dimension.get("code")
            if code and code not in titles:
                order.append(code)
                titles[code] = (dimension.get("title") or code, dimension.get("max_points"))
    table = []
    for code in order:
        cells = []
        for row in rows:
            found = next((d for d in row.dimensions if d.get("code") == code), None)
            cells.append({"self": found.get("self") if found else None,
                          "reviewer": found.get("reviewer") if found else None,
                          "self_state": scoring_progress.dimension_state(found, "self") if found else None,
                          "reviewer_state": scoring_progress.dimension_state(found, "reviewer") if found else None})
        table.append({"code": code, "title": titles[code][0], "max_points": titles[code][1], "cells": cells})
    return table


def trend(year: int, key: str, slugs: list[str] | None = None) -> dict[str, list[tuple[date, float | None]]]:
    """Daily values of one column over ``year`` from the snapshots: per bureau (by name),
    for the bureaus of ``slugs`` (every bureau when ``None``), and the city average under
    the key ``""`` (:func:`city_average_by_day`)."""
    value = getattr(MetricSnapshot, key)
    series: dict[str, list[tuple[date, float | None]]] = {}
    if slugs is None or slugs:
        query = (select(Tenant.name, MetricSnapshot.day, value)
                 .join(Tenant, Tenant.id == MetricSnapshot.tenant_id)
                 .where(MetricSnapshot.year == year, Tenant.status == "active").order_by(MetricSnapshot.day))
        if slugs is not None:
            query = query.where(Tenant.slug.in_(slugs))
        for name, day, figure in db.session.execute(query):
            series.setdefault(name, []).append((day, figure))
    series[""] = city_average_by_day(year, key)
    return series


def city_average_by_day(year: int, key: str) -> list[tuple[date, float]]:
    """The city average of one list figure on every day some bureau's figures changed.

    Snapshots exist only for the days a bureau changed, so each bureau's last known value
    is carried forward: the average of a day is the sum of every bureau's latest value over
    the bureaus that have one.  Computed in the database from each snapshot's change
    against the bureau's previous value (``lag``), summed per day and then cumulatively,
    so that it costs one pass over the year's snapshots whatever the number of bureaus.
    A bureau enters once it has a value (its list published, its score complete).
    """
    value = getattr(MetricSnapshot, key)
    known = (select(MetricSnapshot.day.label("day"), value.label("value"),
                    func.lag(value).over(partition_by=MetricSnapshot.tenant_id,
                                         order_by=MetricSnapshot.day).label("before"))
             .join(Tenant, Tenant.id == MetricSnapshot.tenant_id)
             .where(MetricSnapshot.year == year, Tenant.status == "active", value.is_not(None))
             .subquery())
    daily = (select(known.c.day, func.sum(known.c.value - func.coalesce(known.c.before, 0)).label("change"),
                    func.sum(case((known.c.before.is_(None), 1), else_=0)).label("entered"))
             .group_by(known.c.day).subquery())
    running = select(daily.c.day, func.sum(daily.c.change).over(order_by=daily.c.day),
                     func.sum(daily.c.entered).over(order_by=daily.c.day)).order_by(daily.c.day)
    # PostgreSQL sums integers as numeric: counted in floats here.
    return [(day, round(float(total) / float(bureaus), 4)) for day, total, bureaus in db.session.execute(running)
            if bureaus]
