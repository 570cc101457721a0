"""Who is told what: the one way a feature notifies people, and the notification centre.

:func:`notify` is called inside the service whose event asks someone to act (a record
returned, a task issued, a finding raised by the city …).  It adds one
:class:`~.models.Notification` per recipient to the caller's session, so the
notification commits or rolls back with the event; each enabled outward channel
(:mod:`.channels`) gets one :class:`~.models.Delivery`, handed to the job queue only once
the unit of work has committed.

Recipients are user ids, users, or :class:`Role` groups resolved here from the catalog's
memberships (active accounts only).  The person who caused the event is never told of
it.  A user sees only their own notifications: every read and write here is filtered
by the acting user's id, and another user's notification is "not found".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.accounts.models import Membership, User
from app.audit.services import record_city
from app.core.actor import Actor, require
from app.core.unit_of_work import writes
from app.errors import NotFound
from app.extensions import db
from app.models import utcnow
from app.tenancy.models import Tenant
from app.tenancy.session import session_tenant

from . import channels
from .models import Notification

PAGE_SIZE = 30
TITLE_MAX = 200
LINK_MAX = 500
#: Every member of a bureau, whatever their role (``Role(EVERYONE, tenant_id)``).
EVERYONE = "*"


@dataclass(frozen=True)
class Role:
    """Every active holder of ``role`` in the bureau ``tenant_id`` (``None``: a city role);
    ``role`` may be :data:`EVERYONE` for a bureau's every member."""

    role: str
    tenant_id: int | None = None


def bureau_role(tenant: Any, *roles: str) -> list[Role]:
    """Recipients: the holders of ``roles`` in ``tenant`` (a ``Tenant``, a ``BureauAccess``
    or an id); no roles means every member."""
    tenant_id, _slug = _tenant_of(tenant)
    return [Role(role, tenant_id) for role in (roles or (EVERYONE,))]


def city_role(*roles: str) -> list[Role]:
    """Recipients: the holders of the city ``roles`` (default: the city administrators)."""
    return [Role(role, None) for role in (roles or ("city_admin",))]


def _tenant_of(tenant: Any) -> tuple[int | None, str | None]:
    """(id, slug) of whatever names a bureau: a ``Tenant``, a ``BureauAccess``, a
    ``TenantRef``, an id or a slug."""
    if tenant is None:
        return None, None
    if isinstance(tenant, int):
        row = db.session.get(Tenant, tenant)
        return tenant, row.slug if row else None
    if hasattr(tenant, "tenant_id"):
        return tenant.tenant_id, tenant.slug
    if isinstance(tenant, Tenant):
        return tenant.id, tenant.slug
    slug = tenant if isinstance(tenant, str) else getattr(tenant, "slug", None)
    tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) if slug else None
    return tenant_id, slug


def resolve(recipients: Iterable[Any]) -> list[int]:
    """The distinct active user ids that ``recipients`` (ids, users, :class:`Role`) name."""
    ids: set[int] = set()
    groups: list[Role] = []
    for recipient in recipients:
        if isinstance(recipient, Role):
            groups.append(recipient)
        elif isinstance(recipient, int):
            ids.add(recipient)
        elif getattr(recipient, "id", None) is not None:
            ids.add(int(recipient.id))
    for group in groups:
        query = select(Membership.user_id)
        query = query.where(Membership.tenant_id.is_(None)) if group.tenant_id is None \
            else query.where(Membership.tenant_id == group.tenant_id)
        if group.role != EVERYONE:
            query = query.where(Membership.role == group.role)
        ids.update(db.session.scalars(query))
    if not ids:
        return []
    return sorted(db.session.scalars(select(User.id).where(User.id.in_(ids), User.active.is_(True))))


@writes
def notify(recipients: Iterable[Any], kind: str, title: str, link: str = "", *, tenant: Any = None,
           actor: Actor | None = None) -> list[Notification]:
    """Tell ``recipients`` (user ids, users, :class:`Role` groups from :func:`bureau_role` /
    :func:`city_role`) that ``kind`` happened: ``title`` is the sentence they read, ``link``
    the same-site path of the thing.  ``tenant`` is the bureau concerned (default: the
    bureau the session is bound to; ``None`` outside one: the city's matter).  ``actor``,
    the one who caused it, is left out.  Joins the caller's unit of work; returns the rows.
    """
    if tenant is None:
        tenant = session_tenant(db.session)
    tenant_id, slug = _tenant_of(tenant)
    user_ids = [uid for uid in resolve(recipients) if actor is None or uid != actor.id]
    if not user_ids:
        return []
    title = " ".join(str(title).split())[:TITLE_MAX]
    link = link if isinstance(link, str) and link.startswith("/") and not link.startswith("//") else ""
    link = link[:LINK_MAX]
    actor_name = (actor.display_name or actor.username)[:60] if actor else "system"
    rows = [Notification(user_id=uid, tenant_id=tenant_id, tenant_slug=slug, kind=kind[:40], title=title,
                         link=link, actor_name=actor_name) for uid in user_ids]
    db.session.add_all(rows)
    channels.dispatch(kind, title, link, slug, user_ids)
    return rows


# -- the notification centre ----------------------------------------------------------
def unread_count(user_id: int) -> int:
    """How many of the user's notifications are unread (one indexed count)."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def page_for(user_id: int, page: int = 1, *, unread_only: bool = False,
             kind: str | None = None) -> tuple[list[Notification], int]:
    """Newest first, one page of the user's notifications, and how many match in all."""
    where = [Notification.user_id == user_id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    if kind:
        where.append(Notification.kind == kind)
    total = db.session.scalar(select(func.count(Notification.id)).where(*where)) or 0
    rows = db.session.scalars(select(Notification).where(*where).order_by(Notification.id.desc())
                              .offset((max(1, page) - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(rows), total


def kinds_for(user_id: int) -> list[str]:
    """The kinds the user has notifications of (the list's filter)."""
    return sorted(db.session.scalars(select(Notification.kind).where(Notification.user_id == user_id).distinct()))


def since(user_id: int, after: datetime) -> list[Notification]:
    """The user's unread notifications created after ``after`` (the e-mail digest's part)."""
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None), Notification.created_at > after)
        .order_by(Notification.id)))


def get_own(notification_id: Any, actor: Actor) -> Notification:
    """The actor's own notification, or ``NotFound`` (another user's is not found either)."""
    from app.core.loading import load

    message = _("This notification does not exist.")
    row = load(Notification, notification_id, message)
    if actor.id is None or row.user_id != actor.id:
        raise NotFound(message)
    return row


@writes
def mark_read(notification_id: Any, *, actor: Actor) -> Notification:
    """Mark one of the actor's notifications read (reading it twice changes nothing)."""
    require(actor.id is not None)
    row = get_own(notification_id, actor)
    if row.read_at is None:
        row.read_at = utcnow()
        record_city("notification.read", "notification", row.id, summary=row.title[:100],
                    tenant_slug=row.tenant_slug, actor=actor)
    return row


@writes
def mark_all_read(*, actor: Actor) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    require(actor.id is not None)
    changed = db.session.execute(update(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None)).values(read_at=utcnow())).rowcount or 0
    if changed:
        record_city("notification.read_all", "notification", None,
                    summary=_("%(n)s notifications marked read", n=changed), actor=actor)
    return changed


#: How far back the e-mail digest looks for unread notifications.
DIGEST_DAYS = 1


def for_digest(user_ids: Iterable[int], day: Any) -> dict[int, list[Notification]]:
    """Per user, the unread notifications of the day before ``day``'s digest and of
    ``day`` itself (what the daily e-mail lists besides the reminders), oldest first."""
    from datetime import datetime as _datetime, time, timedelta

    from app.core.clock import local_zone

    ids = list(user_ids)
    if not ids:
        return {}
    start = _datetime.combine(day - timedelta(days=DIGEST_DAYS), time.min, tzinfo=local_zone())
    found: dict[int, list[Notification]] = {}
    for row in db.session.scalars(select(Notification).where(
            Notification.user_id.in_(ids), Notification.read_at.is_(None), Notification.created_at >= start)
            .order_by(Notification.id)):
        found.setdefault(row.user_id, []).append(row)
    return found
