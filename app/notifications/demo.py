"""Helpers for the demo seeders of features that notify (the notifications themselves come
from the features' own services as the demo city is built)."""
from __future__ import annotations

from sqlalchemy import select

from app.core.unit_of_work import unit_of_work
from app.extensions import db

from .models import Notification


def retitle(kind: str, link: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the titles of the ``kind`` notifications linking to
    ``link`` (a seeder that dates an event back after it was notified)."""
    with unit_of_work():
        for notice in db.session.scalars(select(Notification).where(Notification.kind == kind,
                                                                    Notification.link == link)):
            notice.title = notice.title.replace(old, new)
