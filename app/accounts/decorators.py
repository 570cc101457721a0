"""Permission decorators for views.

Bureau routes are already limited to members (and city roles) by the URL preprocessor;
these decorators add the role each action needs.  City routes answer 404 to anyone
without a city role, like a bureau does to outsiders.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import abort, g, request
from flask_login import current_user, login_required

from .models import CITY_ADMIN

ROLE_RANK = {"bureau_viewer": 1, "reader": 1, "bureau_editor": 2, "bureau_admin": 3}


def bureau_role(minimum: str = "bureau_viewer", *, city_may_post: bool = False) -> Callable:
    """Require at least ``minimum`` in the current bureau.

    City roles read every bureau (rank of a viewer) but never change a bureau's own records:
    their POSTs are refused unless the view is an assessor action (``city_may_post``).
    Archived bureaus are read-only for everyone.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            access = g.get("bureau")
            if access is None:  # pragma: no cover - a bureau view outside /b/<slug>/
                abort(404)
            writing = request.method not in ("GET", "HEAD", "OPTIONS")
            if access.is_city:
                if writing and not city_may_post:
                    abort(403)
            elif ROLE_RANK.get(access.role, 0) < ROLE_RANK[minimum]:
                abort(403)
            if writing and access.archived:
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator


def city_role(admin: bool = False) -> Callable:
    """Require a city role (``admin=True``: city admin); others get 404."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            role = current_user.city_role
            if role is None:
                abort(404)
            if admin and role != CITY_ADMIN:
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator


def admin_work(kind: str) -> Callable:
    """Require the ``kind`` of the three administrators' work (三员分立): ``"system"``
    (bureaus and accounts), ``"security"`` (security settings, role grants, unlocking,
    two-factor resets) or ``"audit"`` (reading and exporting the audit trail).

    The administrator of that kind is admitted, and the combined city administrator while
    separation of duties is off (:func:`app.accounts.services.does_admin_work`); other city
    accounts get 403, anyone else 404, as on the other city pages.
    """
    from .services import ADMIN_WORK, does_admin_work

    if kind not in ADMIN_WORK:
        raise ValueError(f"unknown administrator's work {kind!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not does_admin_work(current_user, kind):
                # Someone of the city's side learns it is not theirs; anyone else, nothing.
                abort(403 if current_user.city_role or current_user.admin_roles else 404)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator
