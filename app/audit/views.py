"""Audit log pages: the city's (catalog) and each bureau's own."""
from __future__ import annotations

from flask import g, render_template, request

from app.accounts.decorators import bureau_role, city_role

from . import access, bureau_bp, city_bp
from .models import CatalogAuditEvent, TenantAuditEvent
from .services import LOG_IN_ACTIONS, PAGE_SIZE, page_of_events
from .story import account_name, stories


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


@city_bp.route("/")
@city_role(admin=True)
def city_log():
    slug = request.args.get("bureau") or None
    page = _page()
    logins = request.args.get("logins") == "1"
    events, total = page_of_events(CatalogAuditEvent, page, tenant_slug=slug,
                                   without=() if logins else LOG_IN_ACTIONS)
    return render_template("audit/log.html", events=stories(events), total=total, page=page, logins=logins,
                           page_size=PAGE_SIZE, scope="city", bureau_filter=slug, bureau_names=_bureau_names())


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
