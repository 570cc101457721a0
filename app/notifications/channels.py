"""Outward channels: the same events as the notification centre, carried to SMS,
政务钉钉 or 企业微信 by the city's gateway.

A :class:`Channel` says whether it is enabled and how to send one :class:`~.models.
Delivery`; :data:`CHANNELS` lists them by name (a deployment adds its own with
:func:`register`).  :func:`dispatch` — called by :func:`app.notifications.services.notify`
inside the event's unit of work — adds one pending delivery per enabled channel and, once
the unit of work has committed, submits a ``notifications.deliver`` job per delivery: a
rolled-back event sends nothing, and a slow or failing gateway never holds up a page.

The webhook channel (``ZEREN_NOTIFY_WEBHOOK_URL``) POSTs a JSON body signed with
HMAC-SHA256 of the exact body under ``ZEREN_NOTIFY_WEBHOOK_SECRET``, in the header
``X-Zeren-Signature: sha256=<hex>``, with a timeout; a refused or failed POST raises, so
the job is retried by the queue (``app.jobs``: three attempts) and the delivery row keeps
its attempts, status and last error.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Protocol

from flask import current_app
from sqlalchemy import select

from app.accounts.models import User
from app.core.unit_of_work import after_commit
from app.extensions import db

from .models import Delivery

#: The job that sends one delivery (its handler is in :mod:`.tasks`).
DELIVER = "notifications.deliver"

SIGNATURE_HEADER = "X-Zeren-Signature"
EVENT_HEADER = "X-Zeren-Event"


class Channel(Protocol):
    """One outward channel."""

    name: str

    def enabled(self, kind: str) -> bool:
        """Whether events of ``kind`` go out through this channel (read from settings)."""

    def send(self, delivery: Delivery) -> None:
        """Send ``delivery``; raise on any failure (the job retries)."""


def signature(secret: str, body: bytes) -> str:
    """The value of :data:`SIGNATURE_HEADER` for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(delivery: Delivery) -> dict:
    """The JSON document a gateway receives for one delivery."""
    base = (current_app.config.get("NOTIFY_PUBLIC_URL") or "").rstrip("/")
    return {"id": delivery.id, "event": delivery.kind, "title": delivery.title,
            "url": (base + delivery.link) if delivery.link else "", "bureau": delivery.tenant_slug,
            "recipients": delivery.recipients,
            "created_at": delivery.created_at.isoformat() if delivery.created_at else None}


class WebhookChannel:
    """POST each event as JSON to the city's gateway."""

    name = "webhook"

    def enabled(self, kind: str) -> bool:
        config = current_app.config
        if not config.get("NOTIFY_WEBHOOK_URL"):
            return False
        kinds = [k.strip() for k in (config.get("NOTIFY_WEBHOOK_KINDS") or "").split(",") if k.strip()]
        return not kinds or kind in kinds

    def send(self, delivery: Delivery) -> None:
        config = current_app.config
        body = json.dumps(payload(delivery), ensure_ascii=False, sort_keys=True).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", EVENT_HEADER: delivery.kind,
                   SIGNATURE_HEADER: signature(config.get("NOTIFY_WEBHOOK_SECRET") or "", body)}
        request = urllib.request.Request(config["NOTIFY_WEBHOOK_URL"], data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=float(config.get("NOTIFY_WEBHOOK_TIMEOUT") or 5)) as answer:
                status = answer.status
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"gateway answered HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise RuntimeError(f"gateway unreachable: {getattr(error, 'reason', error)}") from None
        if not 200 <= status < 300:
            raise RuntimeError(f"gateway answered HTTP {status}")


CHANNELS: dict[str, Channel] = {"webhook": WebhookChannel()}


def register(channel: Channel) -> None:
    """Add (or replace) an outward channel."""
    CHANNELS[channel.name] = channel


def dispatch(kind: str, title: str, link: str, tenant_slug: str | None, user_ids: list[int]) -> list[Delivery]:
    """One pending delivery per enabled channel, sent by a job after the commit."""
    enabled = [c for c in CHANNELS.values() if c.enabled(kind)]
    if not enabled:
        return []
    people = [{"id": uid, "username": username, "name": name or username} for uid, username, name in
              db.session.execute(select(User.id, User.username, User.display_name).where(User.id.in_(user_ids))
                                 .order_by(User.id))]
    rows = [Delivery(channel=c.name, kind=kind, title=title, link=link, tenant_slug=tenant_slug,
                     recipients=people) for c in enabled]
    db.session.add_all(rows)
    db.session.flush()
    ids = [row.id for row in rows]
    after_commit(lambda: _submit(ids))
    return rows


def _submit(delivery_ids: list[int]) -> None:
    from app.jobs.services import submit

    for delivery_id in delivery_ids:
        submit(DELIVER, f"notify-delivery:{delivery_id}", {"delivery_id": delivery_id})
