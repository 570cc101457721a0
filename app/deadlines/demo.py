"""Demo settings of the city: warnings 15 and 5 days ahead, entry closing 10 days after a
period, 补录 approved by the bureau, records reviewed by the bureau's 机关党委 — except one
bureau the city reviews itself."""
from __future__ import annotations

import random

from sqlalchemy import select

from app.accounts.models import User
from app.core.actor import Actor
from app.tenancy.models import Tenant

from . import services
from .models import REVIEW_BUREAU, REVIEW_CITY, SCOPE_BUREAU

CITY_REVIEWED = 2  # the index of the demo bureau whose records the city reviews


def seed(tenant: Tenant, rng: random.Random, index: int, count: int) -> None:
    """The city's settings (with the first bureau) and one bureau reviewed by the city."""
    from app.extensions import db

    city = db.session.scalar(select(User).where(User.username == "city"))
    if city is None:
        return
    actor = Actor.city(city)
    if index == 0:
        services.update_settings({"blue_days": "15", "yellow_days": "5", "grace_days": "10",
                                  "late_approver": "bureau", "review_mode": REVIEW_BUREAU},
                                 version=services.settings().version, actor=actor)
    if index == CITY_REVIEWED:
        services.set_review_mode(SCOPE_BUREAU, tenant.slug, REVIEW_CITY, actor=actor)
