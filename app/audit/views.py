"""Audit log pages: the audit administrator's (city: the catalog's events, or one bureau's
own, filtered and exported) and each bureau administrator's own."""
from __future__ import annotations

import tempfile
from functools import wraps

from flask import g, render_template, request, send_file

from app.accounts.decorators import admin_work, bureau_role
from app.core.clock import today

from . import access, bureau_bp, city_bp, export
from .forms import AuditFilterForm
from .models import CatalogAuditEvent, TenantAuditEvent
from .services import EXPORT_LIMIT, LOG_IN_ACTIONS, PAGE_SIZE, Filter, filtered_page, page_of_events
from .story import account_name, stories

def audit_reader(view):
    """三员分立: the audit trail is the audit administrator's (``admin_work("audit")``, as
    ``accounts.services.can_read_audit``: the audit administrator, or the city
    administrator while separation of duties is off).  Built at the first request:
    accounts' services import this package."""
    guarded = []

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not guarded:
            guarded.append(admin_work("audit")(view))
        return guarded[0](*args, **kwargs)

    return wrapped


@city_bp.after_app_request
def _audit_files_handed_out(response):
    """Every file any page hands out is audited (``audit/access.py``)."""
    return access.audit_response(response)


@city_bp.app_template_filter("account_name")
def _account_name(username: str | None) -> str:
    """``{{ row.published_by|account_name }}``: a stored user name shown as the person's name."""
    return account_name(username)


#: Beyond any real log; a larger page number (a hostile one) would overflow the offset.
MAX_PAGE = 100_000


def _page() -> int:
    try:
        return min(MAX_PAGE, max(1, int(request.args.get("page", "1")[:12])))
    except ValueError:
        return 1


def _city_filter():
    """The filter form read from the query string, its checked values (``None`` when a
    field is wrong), the bureaus by slug, and the events' model and filter."""
    bureaus = _bureau_names()
    form = AuditFilterForm(request.args)
    form.fill_choices(bureaus)
    values = form.checked()
    if values is None:
        return form, None, bureaus, CatalogAuditEvent, None
    source = values.pop("source")
    wanted = Filter(**values)
    model = TenantAuditEvent if source == "bureau" else CatalogAuditEvent
    return form, source, bureaus, model, wanted


def _in_source(source, bureau_slug, work):
    """Run ``work()`` where the chosen events are: the catalog, or the bureau's database."""
    if source != "bureau":
        return work()
    from app.tenancy import services as tenancy
    from app.tenancy.session import tenant_context

    with tenant_context(tenancy.get_tenant(bureau_slug)):
        return work()


@city_bp.route("/")
@audit_reader
def city_log():
    form, source, bureaus, model, wanted = _city_filter()
    page = _page()
    if wanted is None:
        return render_template("audit/log.html", events=[], total=0, page=1, page_size=PAGE_SIZE, scope="city",
                               form=form, bureau_filter=None, bureau_names=bureaus, logins=False,
                               export_limit=EXPORT_LIMIT, query="", invalid=True)

    def read():
        events, total = filtered_page(model, wanted, page)
        return stories(events), total

    events, total = _in_source(source, wanted.bureau, read)
    return render_template("audit/log.html", events=events, total=total, page=page, page_size=PAGE_SIZE,
                           scope="city", form=form, source=source, bureau_filter=wanted.bureau,
                           bureau_names=bureaus, logins=wanted.logins, export_limit=EXPORT_LIMIT,
                           query=_query_without_page())


@city_bp.route("/export.xlsx")
@audit_reader
def city_export():
    """The filtered events as an Excel workbook (at most ``EXPORT_LIMIT`` rows, written row
    by row to a temporary file); the download is audited like every file handed out."""
    form, source, bureaus, model, wanted = _city_filter()
    if wanted is None:
        return city_log()
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    _in_source(source, wanted.bureau,
               lambda: export.write_workbook(model, wanted, target, bureau_names=bureaus,
                                             source_bureau=wanted.bureau if source == "bureau" else None))
    target.seek(0)
    return send_file(target, as_attachment=True, download_name=f"审计记录-{today().isoformat()}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", max_age=0)


def _query_without_page() -> str:
    from urllib.parse import urlencode

    return urlencode([(k, v[:100]) for k, v in request.args.items(multi=True) if k != "page"][:20])


@bureau_bp.route("/")
@bureau_role("bureau_admin")
def bureau_log():
    # Two sources: the bureau's own database, and the catalog's events about its accounts.
    source = "accounts" if request.args.get("source") == "accounts" else "bureau"
    page = _page()
    logins = request.args.get("logins") == "1"
    if source == "accounts":
        events, total = page_of_events(CatalogAuditEvent, page, tenant_slug=g.bureau.slug,
                                       without=() if logins else LOG_IN_ACTIONS)
    else:
        events, total = page_of_events(TenantAuditEvent, page)
    return render_template("audit/log.html", events=stories(events), total=total, page=page,
                           page_size=PAGE_SIZE, scope="bureau", source=source, bureau_filter=None, bureau_names={},
                           logins=logins)


def _bureau_names() -> dict[str, str]:
    """Slug → bureau name, for the city's log (events keep the slug: bureaus may be deleted)."""
    from app.tenancy.services import list_tenants

    return {t.slug: t.name for t in list_tenants()}
