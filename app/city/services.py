"""City-side rules that span several packages (creating a bureau with its first admin)."""
from __future__ import annotations

from typing import IO, Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts.models import Membership
from app.errors import ValidationError
from app.extensions import db
from app.tenancy import services as tenancy
from app.reports import charts, xlsx
from app.tenancy.models import BUREAU_CATEGORIES, Tenant

from . import metrics, rollup
from .models import TenantMetrics


def create_bureau(*, slug: str, name: str, category: str, admin_username: str | None,
                  admin_display_name: str | None, admin_password: str | None, actor) -> Tenant:
    """Create a bureau and, when a user name is given, its first administrator.

    The administrator's input is checked before the bureau is built, so a bad password
    does not leave a bureau without its admin.
    """
    if admin_username:
        problems = accounts.new_user_problems(admin_username, admin_display_name, admin_password or "")
        if problems:
            raise ValidationError(_("The bureau could not be created."),
                                  {f"admin_{name}": reasons for name, reasons in problems.items()})
    tenant = tenancy.create_tenant(slug, name, category=category, actor=actor)
    if admin_username:
        accounts.create_user(admin_username, admin_display_name or "", admin_password or "",
                             actor=actor, tenant=tenant, role="bureau_admin")
    return tenant


def rollup_stamps(year: int) -> list[list]:
    """Per active bureau, what its roll-up row of ``year`` was computed from: slug, catalog
    version, data version, and the data version and time of its figures (the reports'
    cache keys are made of these, read from the catalog only)."""
    rows = db.session.execute(
        select(Tenant.slug, Tenant.version, Tenant.data_version, TenantMetrics.data_version, TenantMetrics.computed_at)
        .outerjoin(TenantMetrics, (TenantMetrics.tenant_id == Tenant.id) & (TenantMetrics.year == year))
        .where(Tenant.status == "active").order_by(Tenant.id)).all()
    return [list(row) for row in rows]


def figure_stamps(tenant: Tenant) -> list[TenantMetrics]:
    """A bureau's stored figures by year, newest first (what the technical page lists)."""
    return list(db.session.scalars(select(TenantMetrics).where(TenantMetrics.tenant_id == tenant.id)
                                   .order_by(TenantMetrics.year.desc())))


def bureau_overview() -> list[dict]:
    """Every bureau with its member count, for the city's bureau list."""
    counts = dict(db.session.execute(
        select(Membership.tenant_id, func.count()).where(Membership.tenant_id.is_not(None)).group_by(Membership.tenant_id)
    ).all())
    head = tenancy.tenant_head()
    return [{"tenant": t, "members": counts.get(t.id, 0), "current": t.revision == head}
            for t in tenancy.list_tenants()]


#: The bureau list's status filter: its values and the statuses each shows.
BUREAU_STATUSES = {"": ("active", "archived"), "active": ("active",), "archived": ("archived",)}


def bureau_page(chosen: rollup.Filter, *, status: str = "", page: int = 1,
                per_page: int = rollup.PER_PAGE) -> dict:
    """One page of the city's bureau list (in the city's order) with each bureau's member
    count: ``rows`` (as :func:`bureau_overview`), ``total`` matching, ``page``, ``pages``.
    Three statements whatever the number of bureaus (count, page, member counts)."""
    where = [Tenant.status.in_(BUREAU_STATUSES.get(status, BUREAU_STATUSES[""]))]
    if chosen.category:
        where.append(Tenant.category == chosen.category)
    if chosen.q:
        where.append(rollup.searched(Tenant.name, Tenant.slug, chosen.q))
    total = db.session.scalar(select(func.count(Tenant.id)).where(*where))
    pages = rollup.page_count(total, per_page)
    page = min(max(1, page), pages)
    tenants = list(db.session.scalars(select(Tenant).where(*where).order_by(Tenant.id)
                                      .limit(per_page).offset((page - 1) * per_page)))
    counts = dict(db.session.execute(
        select(Membership.tenant_id, func.count()).where(Membership.tenant_id.in_([t.id for t in tenants]))
        .group_by(Membership.tenant_id)).all()) if tenants else {}
    head = tenancy.tenant_head()
    rows = [{"tenant": t, "members": counts.get(t.id, 0), "current": t.revision == head} for t in tenants]
    return {"rows": rows, "total": total, "page": page, "pages": pages}


# -- roll-up views ---------------------------------------------------------------------
TREND_FIGURES = {
    "completion_rate": (_l("Completion"), 100, "%"),
    "closure_rate": (_l("Closure rate"), 100, "%"),
    "composite": (_l("Final score"), 100, ""),
    "items_overdue": (_l("Overdue items"), None, ""),
}


def _percent(value):
    return None if value is None else round(value * 100, 1)


RANKING_CHART_LIMIT = 30
SCATTER_LABEL_LIMIT = 40


def dashboard_charts(data: rollup.Overview) -> dict[str, str]:
    """The dashboard's three SVG charts: ranking, grade distribution, completion vs score.

    The ranking and the grades cover every bureau the dashboard's filter matches (from
    ``data.leaders``/``data.grades`` when the overview is one page of them); the scatter
    has one dot per bureau of the page, as a few thousand dots would say nothing."""
    top = RANKING_CHART_LIMIT
    if data.leaders is None:  # an overview of every row (the city summary's)
        ranked = sorted((r for r in data.rows if r.values.get("composite") is not None), key=lambda r: r.rank or 0)
        completion = sorted(data.rows, key=lambda r: -(r.values.get("completion_rate") or -1))
        by = "composite" if ranked else "completion_rate"
        bars = [(r.name, r.values.get(by)) for r in (ranked or completion)[:top]]
        more = len(ranked if ranked else completion) > top
    else:
        by, bars = data.leaders_by, data.leaders
        more = (data.tiles["scored"] if by == "composite" else data.tiles["bureaus"]) > top
    ranking = (charts.ranking_bars(bars, title=_("Final score ranking (top %(n)d)", n=top) if more else _("Final score ranking"),
                                   unit=_(" pts"), maximum=100, digits=2) if by == "composite" else
               charts.ranking_bars([(name, _percent(value)) for name, value in bars],
                                   title=_("Completion of the responsibility lists (top %(n)d)", n=top) if more
                                   else _("Completion of the responsibility lists"), unit="%", maximum=100))
    paged = data.total is not None and data.pages > 1
    return {
        "ranking": Markup(ranking),
        "grades": Markup(charts.category_columns(data.grades, title=_("Bureaus per grade"))) if data.grades else None,
        "scatter": Markup(charts.scatter(
            [(r.name, _percent(r.values.get("completion_rate")), r.values.get("composite")) for r in data.rows],
            title=_("Completion and final score (bureaus on this page)") if paged else _("Completion and final score"),
            x_label=_("Completion (%)"), y_label=_("Final score"),
            labels=len(data.rows) <= SCATTER_LABEL_LIMIT)),
    }


def dashboard_workbook(data: rollup.Overview) -> bytes:
    """The dashboard table as a spreadsheet (one row per bureau, ranks included)."""
    headers = [_("Rank"), _("Bureau"), _("Category")] + [str(c.label) for c in rollup.COLUMNS] + [_("Figures up to date")]
    rows = [[r.rank, r.name, r.category_label] + [r.exported(c) for c in rollup.COLUMNS]
            + [_("no") if r.stale else _("yes")] for r in data.rows]
    percent = [3 + i for i, c in enumerate(rollup.COLUMNS) if c.kind == "percent"]
    return xlsx.table_workbook(_("Bureaus %(year)s", year=data.year), headers, rows, percent_columns=percent,
                               subtitle=_("Exported from Zeren on %(day)s", day=metrics.today().isoformat()))


def filter_words(chosen: rollup.Filter, sort: str | None = None, descending: bool = False) -> str:
    """The filter a list or export was made with, in words ("分类：经济管理部门；搜索：“财政”"),
    or "all bureaus"."""
    parts = []
    if chosen.category:
        parts.append(_("category: %(c)s", c=BUREAU_CATEGORIES.get(chosen.category, chosen.category)))
    if chosen.q:
        parts.append(_("search: “%(q)s”", q=chosen.q))
    words = _("; ").join(parts) if parts else _("all active bureaus")
    if sort and sort != "rank":
        label = _("Bureau") if sort == "name" else str(rollup.COLUMN_BY_KEY[sort].label)
        words += _("; ") + (_("sorted by %(c)s, descending", c=label) if descending
                            else _("sorted by %(c)s, ascending", c=label))
    return words


#: Column widths of the streamed export (a write-only sheet is laid out before its rows).
EXPORT_WIDTHS = {0: 7, 1: 28, 2: 14}


def write_dashboard_workbook(year: int, rows: Iterable[rollup.BureauRow], target: IO[bytes], *,
                             filter_text: str) -> int:
    """The dashboard's bureaus as a spreadsheet, written row by row into ``target`` with
    openpyxl's write-only mode (memory stays bounded at thousands of bureaus): a title,
    a line saying when and with which filter it was made, the header, one row per
    bureau.  Returns the number of bureaus written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    headers = [_("Rank"), _("Bureau"), _("Category")] + [str(c.label) for c in rollup.COLUMNS] + [_("Figures up to date")]
    percent = {3 + i for i, c in enumerate(rollup.COLUMNS) if c.kind == "percent"}
    book = Workbook(write_only=True)
    title = _("Bureaus %(year)s", year=year)
    sheet = book.create_sheet(title[:31])
    for index, header in enumerate(headers):
        sheet.column_dimensions[get_column_letter(index + 1)].width = EXPORT_WIDTHS.get(index, max(9, len(header) * 2 + 2))
    sheet.freeze_panes = "C4"

    def styled(value, **style):
        cell = WriteOnlyCell(sheet, value=xlsx.escape_cell(value))
        for name, setting in style.items():
            setattr(cell, name, setting)
        return cell

    sheet.append([styled(title, font=Font(name=xlsx.FONT, bold=True, size=14))])
    subtitle = _("Exported from Zeren on %(day)s", day=metrics.today().isoformat()) + _("; ") + \
        _("filter: %(f)s", f=filter_text)
    sheet.append([styled(subtitle, font=Font(name=xlsx.FONT, size=10, color="666666"))])
    bold = Font(name=xlsx.FONT, bold=True)
    sheet.append([styled(h, font=bold, fill=xlsx.HEADER_FILL,
                         alignment=Alignment(horizontal="center", vertical="center", wrap_text=True)) for h in headers])
    written = 0
    yes, no = _("yes"), _("no")
    for r in rows:
        values = [r.rank, r.name, r.category_label] + [r.exported(c) for c in rollup.COLUMNS] + [no if r.stale else yes]
        sheet.append([styled(v, number_format="0.0%") if i in percent and isinstance(v, (int, float))
                      else xlsx.escape_cell(v) for i, v in enumerate(values)])
        written += 1
    book.save(target)
    return written


COMPARE_CHART_COLUMNS = ("completion_rate", "closure_rate", "self_total", "reviewer_total", "composite")


def compare_chart(rows: list[rollup.BureauRow]) -> Markup:
    """Grouped bars: each figure on a 0–100 scale, one patterned bar per bureau."""
    columns = [rollup.COLUMN_BY_KEY[k] for k in COMPARE_CHART_COLUMNS]
    series = [(r.name, [(_percent(r.values.get(c.key)) if c.kind == "percent" else r.values.get(c.key)) for c in columns])
              for r in rows]
    return Markup(charts.grouped_bars([str(c.label) for c in columns], series, title=_("Side by side"), maximum=100))


def compare_workbook(year: int, rows: list[rollup.BureauRow]) -> bytes:
    """The comparison as a spreadsheet: one row per figure, one column per bureau."""
    headers = [_("Figure")] + [r.name for r in rows]
    body = [[_("Rank")] + [r.rank for r in rows]]
    body += [[str(c.label)] + [r.exported(c) for r in rows] for c in rollup.COLUMNS]
    for dimension in rollup.dimension_table(rows):
        label = _("%(dimension)s (self / reviewed)", dimension=dimension["title"])
        body.append([label] + [f"{c['self_state'] or rollup.format_figure(c['self'], 'score')} / "
                               f"{c['reviewer_state'] or rollup.format_figure(c['reviewer'], 'score')}"
                               for c in dimension["cells"]])
    return xlsx.table_workbook(_("Comparison %(year)s", year=year), headers, body,
                               subtitle=_("Exported from Zeren on %(day)s", day=metrics.today().isoformat()))


def trend_chart(year: int, key: str, slugs: list[str]) -> Markup:
    """Lines of one figure over the year: the chosen bureaus and the city average; with
    last year's city average too when there are figures for it (year-over-year)."""
    label, maximum, unit = TREND_FIGURES[key]
    data = rollup.trend(year, key, slugs)
    scale = (lambda v: None if v is None else round(v * 100, 1)) if rollup.COLUMN_BY_KEY[key].kind == "percent" \
        else (lambda v: v)
    series = [(_("City average %(year)s", year=year), [(d, scale(v)) for d, v in data.pop("")])]
    previous = rollup.trend(year - 1, key, [])
    if previous.get(""):
        shifted = [(_same_day(d, year), scale(v)) for d, v in previous[""]]
        series.append((_("City average %(year)s", year=year - 1), shifted))
    series += [(name, [(d, scale(v)) for d, v in points]) for name, points in data.items()]
    top = maximum or max([v for _, points in series for _, v in points if v is not None] + [1])
    return Markup(charts.lines(series, title=str(label), y_max=top, unit=unit))


def _same_day(day, year: int):
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def branch_summary(tenant: Tenant, year: int) -> dict | None:
    """The bureau's own branches in aggregate, as the roll-up stored them (``orgs``
    figures: branches, branches behind, elections overdue), or ``None`` before any."""
    figures = db.session.scalar(select(TenantMetrics.figures).where(TenantMetrics.tenant_id == tenant.id,
                                                                    TenantMetrics.year == year))
    summary = (figures or {}).get("orgs")
    return summary if summary and summary.get("branches") else None
