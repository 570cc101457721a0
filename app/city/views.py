"""City pages: overview, bureaus and their administrators, city accounts."""
from __future__ import annotations

import tempfile
import unicodedata
from io import BytesIO

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import services as accounts
from app.accounts.decorators import admin_work, city_role
from app.accounts.services import does_admin_work
from app.accounts.forms import ConfirmForm, NewCityUserForm
from app.errors import DomainError, NotFound
from app.tenancy import services as tenancy
from app.tenancy.models import BUREAU_CATEGORIES
from app.web import current_actor, flash_field_errors, show_error

from . import bp, metrics, rollup, services
from .forms import BureauAdminForm, DeleteBureauForm, EditBureauForm, NewBureauForm


def _year() -> int:
    current = metrics.today().year
    try:
        year = int(request.args.get("year", current))
    except ValueError:
        return current
    return year if 2000 <= year <= 2100 else current


#: The longest search text: longer than any bureau's name (names have at most 100
#: characters; a search is a part of one).
MAX_SEARCH = 40
#: Beyond any real list (5,000 bureaus are 100 pages); a larger number is cut here
#: before the page is clamped to the last one.
MAX_PAGE = 100_000


def _search_text(*, say: bool = True) -> str:
    """The ``q`` of the address, as a search: control characters become spaces, runs of
    spaces one, at most :data:`MAX_SEARCH` characters (with a message when cut)."""
    raw = request.args.get("q", "")[:10_000]
    text = " ".join("".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in raw).split())
    if len(text) > MAX_SEARCH:
        if say:
            flash(_("The search is too long: only its first %(n)d characters were searched for.", n=MAX_SEARCH),
                  "warning")
        text = text[:MAX_SEARCH].rstrip()
    return text


def _category() -> str | None:
    category = request.args.get("category") or None
    return category if category in BUREAU_CATEGORIES else None


def _filter(*, say: bool = True) -> rollup.Filter:
    return rollup.Filter(q=_search_text(say=say), category=_category())


def _page() -> int:
    """The ``page`` of the address: a whole number from 1 (anything else is page 1)."""
    try:
        return min(MAX_PAGE, max(1, int(request.args.get("page", "1")[:12])))
    except ValueError:
        return 1


def _sort() -> tuple[str, bool]:
    sort = request.args.get("sort", "rank")
    if sort not in ("rank", "name") and sort not in rollup.COLUMN_BY_KEY:
        sort = "rank"
    descending = request.args.get("dir", "asc" if sort in ("rank", "name") else "desc") == "desc"
    return sort, descending


@bp.route("/")
@city_role()
def dashboard():
    year = _year()
    chosen = _filter()
    sort, descending = _sort()
    data = rollup.overview_page(year, chosen, page=_page(), sort=sort, descending=descending)
    every = request.args.get("figures") == "all"
    shown = [c for c in rollup.COLUMNS if c.key != "grade_reason"] if every else \
        [rollup.COLUMN_BY_KEY[k] for k in rollup.MAIN_COLUMNS]
    # what every link of the page keeps: the filter, the year, the columns, the order
    kept = {"year": year, "q": chosen.q or None, "category": chosen.category,
            "figures": "all" if every else None}
    return render_template("city/dashboard.html", data=data, columns=shown, every=every, sort=sort,
                           all_count=len(rollup.COLUMNS) - 1 + 2, chosen=chosen, kept=kept,
                           descending=descending, category=chosen.category, categories=BUREAU_CATEGORIES,
                           years=rollup.available_years(metrics.today().year, year),
                           charts=services.dashboard_charts(data))


@bp.route("/dashboard.xlsx")
@city_role()
def dashboard_export():
    """Every bureau the dashboard's filter matches (all its pages), in its order, written
    row by row into a temporary file (on disk past a few megabytes) and sent from there."""
    year = _year()
    chosen = _filter(say=False)
    sort, descending = _sort()
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    services.write_dashboard_workbook(year, rollup.every_row(year, chosen, sort=sort, descending=descending),
                                      target, filter_text=services.filter_words(chosen, sort, descending))
    target.seek(0)
    return send_file(target, as_attachment=True, download_name=f"dashboard-{year}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


MAX_CHOSEN = 6


def _chosen(*, say: bool = True) -> list[str]:
    """The bureaus ticked (``?b=slug``), distinct, in order; past :data:`MAX_CHOSEN` the
    rest are dropped, with a message on the page (``say``; the checkboxes then show what
    is compared)."""
    chosen = []
    for slug in request.args.getlist("b")[:1000]:
        if slug not in chosen:
            chosen.append(slug[:60])
    if say and len(chosen) > MAX_CHOSEN:
        flash(_("At most %(n)d bureaus can be shown together: the first %(n)d ticked are shown.", n=MAX_CHOSEN),
              "warning")
    return chosen[:MAX_CHOSEN]


#: Bureaus a picker lists under its search box; past this, the search narrows the list.
PICKER_LIMIT = 60


def _picker(chosen: list[str]) -> dict:
    """What the bureau picker of compare and trends shows: the ticked bureaus first, then
    the first :data:`PICKER_LIMIT` bureaus matching its search and category."""
    found = _filter()
    names = rollup.names_of(chosen)
    matches, total = rollup.pick_list(found, PICKER_LIMIT + len(names))
    others = [(slug, name) for slug, name in matches if slug not in names][:PICKER_LIMIT]
    shown = len(others) + sum(1 for slug, _name in matches if slug in names)
    return {"ticked": [(slug, names[slug]) for slug in chosen if slug in names], "others": others,
            "total": total, "more": max(0, total - shown),
            "filter": found, "categories": BUREAU_CATEGORIES}


@bp.route("/compare")
@city_role()
def compare():
    year = _year()
    chosen = _chosen()
    rows = rollup.compare(year, chosen)
    against_average = len(rows) == 1
    if against_average:  # one bureau ticked: set it against the city, rather than nothing
        rows.append(rollup.city_average_row(year))
    return render_template("city/compare.html", year=year, rows=rows, chosen=chosen, columns=rollup.COLUMNS,
                           against_average=against_average, dimensions=rollup.dimension_table(rows),
                           picker=_picker(chosen), max_chosen=MAX_CHOSEN,
                           years=rollup.available_years(metrics.today().year, year),
                           chart=services.compare_chart(rows) if len(rows) >= 2 else None)


@bp.route("/compare.xlsx")
@city_role()
def compare_export():
    year = _year()
    rows = rollup.compare(year, _chosen(say=False))
    if len(rows) == 1:
        rows.append(rollup.city_average_row(year))
    return _xlsx(services.compare_workbook(year, rows), f"compare-{year}.xlsx")


@bp.route("/trends")
@city_role()
def trends():
    year = _year()
    key = request.args.get("figure", "completion_rate")
    if key not in services.TREND_FIGURES:
        key = "completion_rate"
    chosen = _chosen()
    return render_template("city/trends.html", year=year, key=key, chosen=chosen,
                           figures=services.TREND_FIGURES, picker=_picker(chosen), max_chosen=MAX_CHOSEN,
                           years=rollup.available_years(metrics.today().year, year),
                           chart=services.trend_chart(year, key, chosen))


def _xlsx(data: bytes, filename: str):
    return send_file(BytesIO(data), as_attachment=True, download_name=filename,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/bureaus", methods=["GET", "POST"])
@city_role()
def bureaus():
    form = NewBureauForm()
    if request.method == "POST":
        if not does_admin_work(current_user, "system"):
            return render_template("errors/403.html"), 403
        if form.validate_on_submit():
            try:
                tenant = services.create_bureau(
                    slug=form.slug.data.strip(), name=form.name.data, category=form.category.data,
                    admin_username=form.admin_username.data, admin_display_name=form.admin_display_name.data,
                    admin_password=form.admin_password.data, actor=current_actor())
            except DomainError as error:
                show_error(form, error)
            else:
                flash(_("Bureau %(name)s has been created.", name=tenant.name), "success")
                return redirect(url_for("city.dashboard.bureau_detail", bureau=tenant.slug))
    chosen = _filter()
    status = request.args.get("status", "")
    if status not in services.BUREAU_STATUSES:
        status = ""
    listing = services.bureau_page(chosen, status=status, page=_page())
    kept = {"q": chosen.q or None, "category": chosen.category, "status": status or None}
    return render_template("city/bureaus.html", listing=listing, rows=listing["rows"], form=form, chosen=chosen,
                           status=status, kept=kept, categories=BUREAU_CATEGORIES)


@bp.route("/bureaus/<bureau>", methods=["GET", "POST"])
@city_role()
def bureau_detail(bureau: str):
    tenant = tenancy.get_tenant(bureau)
    form = EditBureauForm(obj=tenant if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = tenant.version
    elif not does_admin_work(current_user, "system"):
        return render_template("errors/403.html"), 403
    elif form.validate_on_submit():
        try:
            tenancy.update_tenant(tenant, name=form.name.data, category=form.category.data,
                                  version=form.version.data, actor=current_actor())
        except DomainError as error:
            show_error(form, error)
            form.version.data = tenant.version
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("city.dashboard.bureau_detail", bureau=tenant.slug))
    return render_template("city/bureau_detail.html", tenant=tenant, form=form,
                           members=accounts.bureau_members(tenant), admin_form=BureauAdminForm(),
                           delete_form=DeleteBureauForm(), confirm_form=ConfirmForm())


@bp.route("/bureaus/<bureau>/technical")
@admin_work("system")
def bureau_technical(bureau: str):
    """Where a bureau's data lives and how current its database and figures are: words
    for whoever maintains the system, kept off the pages of the people who use it."""
    tenant = tenancy.get_tenant(bureau)
    return render_template("city/bureau_technical.html", tenant=tenant, head=tenancy.tenant_head(),
                           stamps=services.figure_stamps(tenant))


@bp.route("/bureaus/<bureau>/admins", methods=["POST"])
@admin_work("system")
def add_bureau_admin(bureau: str):
    tenant = tenancy.get_tenant(bureau)
    form = BureauAdminForm()
    if form.validate_on_submit():
        try:
            accounts.create_user(form.username.data, form.display_name.data, form.password.data,
                                 actor=current_actor(), tenant=tenant, role="bureau_admin", email=form.email.data)
        except DomainError as error:
            show_error(form, error)
            flash_field_errors(form)
        else:
            flash(_("Administrator %(name)s has been added.", name=form.username.data), "success")
    else:
        flash_field_errors(form)
    return redirect(url_for("city.dashboard.bureau_detail", bureau=tenant.slug))


@bp.route("/bureaus/<bureau>/users/<int:user_id>/reset", methods=["POST"])
@admin_work("system")
def reset_member_password(bureau: str, user_id: int):
    tenant = tenancy.get_tenant(bureau)
    user = _member_or_404(tenant, user_id)
    password = accounts.reset_password(user, actor=current_actor(), tenant=tenant)
    flash(_("New password for %(user)s: %(password)s — give it to them in person; it is shown only once.",
            user=user.username, password=password), "warning")
    return redirect(url_for("city.dashboard.bureau_detail", bureau=tenant.slug))


def _member_or_404(tenant, user_id: int):
    try:
        user = accounts.get_user(user_id)
    except NotFound:
        abort(404)
    if user.bureau_role(tenant.id) is None:
        abort(404)
    return user


@bp.route("/bureaus/<bureau>/status", methods=["POST"])
@admin_work("system")
def set_bureau_status(bureau: str):
    tenant = tenancy.get_tenant(bureau)
    ConfirmForm()
    status = "archived" if tenant.status == "active" else "active"
    tenancy.set_status(tenant, status, actor=current_actor())
    flash(_("Bureau archived: it is read-only and hidden from its users.") if status == "archived"
          else _("Bureau re-activated."), "success")
    return redirect(url_for("city.dashboard.bureau_detail", bureau=tenant.slug))


@bp.route("/bureaus/<bureau>/delete", methods=["POST"])
@admin_work("system")
def delete_bureau(bureau: str):
    tenant = tenancy.get_tenant(bureau)
    form = DeleteBureauForm()
    if form.validate_on_submit():
        try:
            name = tenant.name
            tenancy.delete_tenant(tenant, confirm_slug=form.confirm.data.strip(), actor=current_actor())
        except DomainError as error:
            flash(str(error.message), "danger")
        else:
            flash(_("Bureau %(name)s and all its data have been deleted.", name=name), "success")
            return redirect(url_for("city.dashboard.bureaus"))
    else:
        flash(_("Type the short name %(slug)s to confirm.", slug=tenant.slug), "danger")
    return redirect(url_for("city.dashboard.bureau_detail", bureau=tenant.slug))


@bp.route("/users", methods=["GET", "POST"])
@admin_work("system")
def users():
    form = NewCityUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.username.data, form.display_name.data, form.password.data,
                                        actor=current_actor(), role=form.role.data, email=form.email.data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("User %(name)s has been added.", name=user.username), "success")
            return redirect(url_for("city.dashboard.users"))
    return render_template("city/users.html", form=form, members=accounts.city_members(),
                           confirm_form=ConfirmForm())


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_work("system")
def toggle_city_user(user_id: int):
    user = accounts.get_user(user_id) if user_id else None
    if user is None or user.city_role is None:
        abort(404)
    ConfirmForm()
    try:
        accounts.set_active(user, not user.active, actor=current_actor())
    except DomainError as error:
        flash(str(error.message), "danger")
    return redirect(url_for("city.dashboard.users"))
