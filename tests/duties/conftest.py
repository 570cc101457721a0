"""Fixtures of the duty-list tests: a fixed "today".  The published template, a bureau's
list, its people and the sample files are in the root conftest and :mod:`tests.helpers`."""
from __future__ import annotations

from datetime import date

import pytest

from app.duties import services

TODAY = date(2026, 5, 15)


@pytest.fixture
def today(monkeypatch):
    """Pages and services see 15 May 2026 as today."""
    monkeypatch.setattr(services, "today", lambda: TODAY)
    return TODAY
