"""Sending one delivery and recording how it went (run by the ``notifications.deliver`` job)."""
from __future__ import annotations

from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.models import utcnow

from .channels import CHANNELS
from .models import Delivery


def send(delivery_id: int) -> dict:
    """Send the delivery unless it was sent already; record the attempt either way and
    raise on failure so that the job is retried."""
    row = db.session.get(Delivery, delivery_id)
    if row is None or row.status == "sent":
        return {"delivery": delivery_id, "status": row.status if row else "missing"}
    channel = CHANNELS.get(row.channel)
    error = ""
    try:
        if channel is None:
            raise RuntimeError(f"no channel {row.channel!r}")
        channel.send(row)
    except Exception as failure:  # noqa: BLE001 - recorded, then raised again for the retry
        error = str(failure)[:1000] or type(failure).__name__
    with unit_of_work():
        row.attempts += 1
        row.status = "failed" if error else "sent"
        row.last_error = error
        if not error:
            row.sent_at = utcnow()
    if error:
        raise RuntimeError(error)
    return {"delivery": delivery_id, "status": "sent", "attempts": row.attempts}
