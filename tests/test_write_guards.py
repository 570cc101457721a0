"""The cross-cutting write rules hold for every bureau model, found by introspection.

For each model of the bureau database (``TenantModel``'s registry, so a new feature's
models are covered without editing this test), a demo bureau's rows are changed and
deleted through the session: in a year the city locked, every year-bound row is refused
(``Locked``); in an archived bureau, every row is (``BureauArchived``).  Nothing is
written in either case.
"""
from __future__ import annotations

import pytest
from sqlalchemy import String, Text, func, inspect, select

import app.model_registry  # noqa: F401 - every bureau model, for the registry below
from app.audit.guard import AppendOnly
from app.audit.models import TenantAuditEvent
from app.duties.models import DutyList
from app.errors import Locked
from app.extensions import db
from app.models import TenantModel
from app.tenancy import services as tenancy
from app.tenancy.session import BureauArchived, tenant_context
from app.years import services as years
from app.years.guard import year_of

BUREAU_MODELS = sorted((m.class_ for m in TenantModel.registry.mappers), key=lambda c: c.__name__)
YEAR_BOUND = [model for model in BUREAU_MODELS if model.lock_year_path is not None]
#: Never changed nor deleted, in any year or bureau state (``audit/guard.py``).
APPEND_ONLY = (TenantAuditEvent,)
OF_NO_YEAR = [model for model in BUREAU_MODELS if model.lock_year_path is None and model not in APPEND_ONLY]


@pytest.fixture(scope="module")
def demo_city(tmp_path_factory, postgres_database, catalog_template):
    """One demo city shared by this module's tests (they change nothing that stays)."""
    from tests.helpers import make_app

    application = make_app(tmp_path_factory.mktemp("guards"), postgres_database, catalog_template)
    with application.app_context():
        result = application.test_cli_runner().invoke(args=["demo", "seed", "--bureaus", "4",
                                                            "--password", "Demo-password-1"])
        assert result.exit_code == 0, result.output
        yield application
        db.session.remove()
        application.extensions["zeren.tenant_store"].dispose_all()
        db.engine.dispose()


def _editable_column(model) -> str:
    """A plain text column of ``model`` to change (not a key, not the version)."""
    for column in inspect(model).columns:
        if isinstance(column.type, (String, Text)) and not column.primary_key and not column.foreign_keys:
            return column.key
    raise AssertionError(f"{model.__name__} has no text column to change")


def _attempts(model):
    """Change one row and delete one row of ``model`` (each a callable flushing the session)."""
    row = db.session.scalars(select(model).limit(1)).first()
    assert row is not None, f"the demo city has no {model.__name__}: extend the demo seed so this test covers it"
    column = _editable_column(model)

    def change():
        old = getattr(row, column) or "x"
        setattr(row, column, old[:-1] + ("y" if old[-1] != "y" else "z"))  # same length: fits the column
        db.session.flush()

    def delete():
        db.session.delete(row)
        db.session.flush()

    return row, {"change": change, "delete": delete}


def _bureau_with(model):
    """A demo bureau that has a row of ``model``."""
    for tenant in tenancy.list_tenants():
        with tenant_context(tenant):
            if db.session.scalars(select(model).limit(1)).first() is not None:
                return tenant
    raise AssertionError(f"no demo bureau has a {model.__name__}: extend the demo seed so this test covers it")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("model", YEAR_BOUND, ids=lambda m: m.__name__)
def test_a_locked_year_refuses_every_write_of_its_rows(demo_city, model):
    tenant = _bureau_with(model)
    with tenant_context(tenant):
        row = db.session.scalars(select(model).limit(1)).first()
        year = year_of(row, db.session) if row is not None else None
    assert year is not None, f"the demo city has no {model.__name__} with a year"
    years.lock_year(year, "考核结束", actor=None)
    try:
        with tenant_context(tenant):
            before = (_count(model), _count(TenantAuditEvent))
            _row, attempts = _attempts(model)
            for name, attempt in attempts.items():
                with pytest.raises(Locked, match=str(year)):
                    attempt()
                db.session.rollback()
            assert (_count(model), _count(TenantAuditEvent)) == before
    finally:
        years.unlock_year(year, "测试结束", actor=None)


@pytest.mark.parametrize("model", OF_NO_YEAR, ids=lambda m: m.__name__)
def test_rows_of_no_year_stay_writable_when_every_year_is_locked(demo_city, model):
    """People and the audit trail belong to no year: the lock must not refuse them."""
    tenant = _bureau_with(model)
    with tenant_context(tenant):
        lists = db.session.scalars(select(DutyList.year)).all()
    locked = sorted(set(lists))
    assert locked, "the demo city has no duty list to lock the year of"
    for year in locked:
        years.lock_year(year, "考核结束", actor=None)
    try:
        with tenant_context(tenant):
            _row, attempts = _attempts(model)
            attempts["change"]()  # no Locked
            db.session.rollback()
    finally:
        for year in locked:
            years.unlock_year(year, "测试结束", actor=None)


@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda m: m.__name__)
def test_the_audit_trail_refuses_every_change_and_deletion(demo_city, model):
    tenant = _bureau_with(model)
    with tenant_context(tenant):
        before = _count(model)
        _row, attempts = _attempts(model)
        for attempt in attempts.values():
            with pytest.raises(AppendOnly):
                attempt()
            db.session.rollback()
        assert _count(model) == before


@pytest.mark.parametrize("model", BUREAU_MODELS, ids=lambda m: m.__name__)
def test_an_archived_bureau_refuses_every_write(demo_city, model):
    tenant = _bureau_with(model)
    tenancy.set_status(tenant, "archived")
    try:
        with tenant_context(tenant):
            before = _count(model)
            _row, attempts = _attempts(model)
            for attempt in attempts.values():
                with pytest.raises(AppendOnly if model in APPEND_ONLY else BureauArchived):
                    attempt()
                db.session.rollback()
            assert _count(model) == before
    finally:
        tenancy.set_status(tenancy.get_tenant(tenant.slug), "active")
