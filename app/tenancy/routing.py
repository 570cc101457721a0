"""Resolving ``/b/<slug>/...`` once per request.

Every bureau page belongs to a child of the ``bureau`` parent blueprint (``/b/<slug>``,
built in :func:`app.create_app`).  Its URL value preprocessor (:func:`bureau_scope`) pops
the slug, checks that the user may see that bureau, checks the bureau's schema revision,
and binds the request's session to the bureau: scope comes from where a page is
registered, not from what its URL variables are called.  Views never receive ``slug``;
``url_for`` fills it in from the request.
Unknown bureau and "no membership" look the same (404), so a URL never confirms that a
bureau exists.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, abort, current_app, g
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db, login_manager

from . import migrations
from .models import Tenant
from .session import bind_tenant
from .store import InvalidSlug, validate_slug

READER = "reader"  # the access a city role has inside a bureau: read, and assess


@dataclass(frozen=True)
class BureauAccess:
    """Who the current user is in the current bureau."""

    tenant_id: int
    slug: str
    name: str
    role: str  # bureau_admin / bureau_editor / bureau_viewer, or "reader" for city roles
    archived: bool
    moving: bool = False  # being moved to another server: read-only meanwhile

    @property
    def read_only(self) -> bool:
        return self.archived or self.moving

    @property
    def is_admin(self) -> bool:
        return self.role == "bureau_admin" and not self.read_only

    @property
    def can_edit(self) -> bool:
        return self.role in ("bureau_admin", "bureau_editor") and not self.read_only

    @property
    def is_city(self) -> bool:
        return self.role == READER


def _role_in(tenant: Tenant) -> str | None:
    role = current_user.bureau_role(tenant.id)
    if role is not None and tenant.status == "active":
        return role
    if current_user.city_role is not None:
        return READER
    return None


def _resolve(slug: str) -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    try:
        validate_slug(slug)
    except InvalidSlug:
        abort(404)
    # A member's bureaus were loaded with the user (memberships join their tenant), so
    # the usual case costs no extra query; city roles look the bureau up.
    tenant = next((m.tenant for m in current_user.memberships if m.tenant is not None and m.tenant.slug == slug), None)
    if tenant is None and current_user.city_role is not None:
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        abort(404)
    role = _role_in(tenant)
    if role is None:
        abort(404)
    head = migrations.head_revision(current_app.config["MIGRATIONS_DIR"], migrations.TENANT)
    if tenant.revision != head:
        abort(503, description=_(
            "The database of %(name)s is being upgraded to a new version. Please try again in a few "
            "minutes; if this persists, ask the administrator to run `flask tenants upgrade`.",
            name=tenant.name))
    g.bureau = BureauAccess(tenant_id=tenant.id, slug=tenant.slug, name=tenant.name, role=role,
                            archived=tenant.status != "active", moving=tenant.moving_to is not None)
    g.tenant_ref = tenant.ref
    bind_tenant(db.session(), tenant.ref)


def bureau_scope(parent: Blueprint) -> Blueprint:
    """Make ``parent`` (``/b/<slug>``) resolve its bureau for every page of its children."""

    @parent.url_value_preprocessor
    def pull_bureau_slug(endpoint: str | None, values: dict | None) -> None:
        if values is None or "slug" not in values:
            abort(404)
        _resolve(values.pop("slug"))

    @parent.url_defaults
    def add_bureau_slug(endpoint: str, values: dict) -> None:
        bureau = g.get("bureau")
        if "slug" not in values and bureau is not None:
            values["slug"] = bureau.slug

    return parent


def init_app(app: Flask) -> None:
    """Register the template variable ``bureau`` (the current bureau, on its pages)."""

    @app.context_processor
    def inject_bureau() -> dict:
        return {"bureau": g.get("bureau")}
