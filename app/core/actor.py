"""Who is acting: one type for every feature, and the one permission check.

An :class:`Actor` is built by the web layer from the logged-in user and the page's side
(:func:`app.web.current_actor`), by CLI commands and the demo seeder as
:meth:`Actor.system`, and by tests directly.  Services receive it explicitly: they never
read ``flask_login.current_user``, so the same rule serves pages, commands and jobs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import PermissionDenied

BUREAU = "bureau"
CITY = "city"

BUREAU_ADMIN = "bureau_admin"
BUREAU_EDITOR = "bureau_editor"
BUREAU_VIEWER = "bureau_viewer"
#: A city role reading a bureau's pages: it may see, never change.
READER = "reader"
CITY_ADMIN = "city_admin"


@dataclass(frozen=True)
class Actor:
    """The account doing something, on which side and with which role.

    ``side`` is ``bureau`` (a bureau's own pages: role ``bureau_admin``, ``bureau_editor``,
    ``bureau_viewer``, or ``reader`` for a city user reading them) or ``city`` (the city's
    pages: the user's city role).  ``id``/``username`` are what the audit trail records,
    ``display_name`` what histories show.
    """

    id: int | None
    username: str
    display_name: str
    side: str
    role: str
    #: The account's city role whatever the side (the city's reviewers score a bureau on
    #: the bureau's own pages, where their ``role`` is ``reader``).
    city_role: str = ""

    @classmethod
    def bureau(cls, user: Any, role: str) -> "Actor":
        """``user`` acting on a bureau's own pages with ``role`` there."""
        return cls(id=user.id, username=user.username, display_name=_name_of(user), side=BUREAU, role=role,
                   city_role=getattr(user, "city_role", None) or "")

    @classmethod
    def city(cls, user: Any) -> "Actor":
        """``user`` acting on the city's pages with their city role."""
        city_role = getattr(user, "city_role", None) or ""
        return cls(id=user.id, username=user.username, display_name=_name_of(user), side=CITY,
                   role=city_role, city_role=city_role)

    @classmethod
    def system(cls) -> "Actor":
        """The demo seeder, command-line jobs and scheduled work (a bureau administrator's
        rights inside a bureau; recorded in the audit trail as ``system``)."""
        return cls(id=None, username="system", display_name="系统", side=BUREAU, role=BUREAU_ADMIN)

    @property
    def is_bureau_admin(self) -> bool:
        return self.side == BUREAU and self.role == BUREAU_ADMIN

    @property
    def is_bureau_editor(self) -> bool:
        return self.side == BUREAU and self.role == BUREAU_EDITOR

    @property
    def is_city_admin(self) -> bool:
        return self.side == CITY and self.role == CITY_ADMIN

    @property
    def is_city(self) -> bool:
        return self.side == CITY

    @property
    def holds_city_admin(self) -> bool:
        """A city administrator, on whichever side's page."""
        return self.city_role == CITY_ADMIN


def _name_of(user: Any) -> str:
    return (getattr(user, "display_name", None) or getattr(user, "label", None)
            or getattr(user, "username", "") or "")[:60]


def require(allowed: bool, message: str | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``allowed`` (with ``message``, or the generic
    "You may not change this.")."""
    if not allowed:
        from flask_babel import gettext as _

        raise PermissionDenied(message or _("You may not change this."))
