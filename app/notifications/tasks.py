"""Outward deliveries as jobs: each one sent by a job worker, retried by the queue."""
from __future__ import annotations

from app.jobs.services import handler

from . import delivery
from .channels import DELIVER


@handler(DELIVER)
def deliver(progress, delivery_id: int) -> dict:
    """Send one delivery through its channel (an error is recorded, then retried by the queue)."""
    return delivery.send(delivery_id)
