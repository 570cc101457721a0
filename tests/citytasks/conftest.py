"""Fixtures of the city-task tests: three bureaus of two categories, a city admin, and the
small organisation tree of tests/support/branches.py (``tree``)."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from app.core.clock import today
from app.evidence.services import Upload
from tests.helpers import city_of, pdf_bytes
from tests.support.branches import tree  # noqa: F401 - a fixture


@pytest.fixture
def bureaus(bureau_factory):
    from app.tenancy.models import Tenant
    from app.extensions import db

    a = bureau_factory("bureau-a", "市财政局")
    b = bureau_factory("bureau-b", "市教育局")
    c = bureau_factory("bureau-c", "市总工会")
    for bureau, category in ((a, "economic"), (b, "social"), (c, "mass")):
        db.session.get(Tenant, bureau.tenant.id).category = category
    db.session.commit()
    return a, b, c


@pytest.fixture
def city(city_admin):
    return city_of(city_admin)


def upload(name: str = "报送材料.pdf", data: bytes | None = None) -> Upload:
    return Upload(stream=io.BytesIO(data if data is not None else pdf_bytes(name)), filename=name)


def task_data(**overrides) -> dict:
    data = {"title": "报送2026年上半年党建工作总结", "body": "请各单位于期限前报送总结，并填写附表。",
            "due_on": (today() + timedelta(days=10)).isoformat(), "scope": "all", "file_required": False}
    data.update(overrides)
    return data
