"""Fixtures of the score-sheet page and service tests (their helpers: :mod:`tests.helpers`)."""
from __future__ import annotations

import pytest

from app.core.actor import Actor
from app.scoring import services
from tests.helpers import YEAR


@pytest.fixture
def template_2026(app, city_admin):
    """The example annual sheet, published for 2026."""
    template = services.create_from_body(YEAR, services.example_body(), actor=Actor.city(city_admin), how="测试")
    return services.publish(template, version=template.version, actor=Actor.city(city_admin))


@pytest.fixture
def assigned(template_2026, bureau_a, bureau_b, city_admin):
    """The 2026 sheet assigned to both test bureaus."""
    services.set_assignments(template_2026, [bureau_a.tenant.id, bureau_b.tenant.id], actor=Actor.city(city_admin))
    return template_2026
