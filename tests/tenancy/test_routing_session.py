"""Fail-closed routing and "one session, one tenant"."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.audit.models import TenantAuditEvent
from app.audit.services import record_bureau
from app.extensions import db
from app.tenancy.models import Tenant
from app.tenancy.session import NoTenantContext, TenantSwitchError, bind_tenant, tenant_context
from app.tenancy.store import SQLITE, InvalidSlug, TenantRef, TenantStore, validate_slug
from tests.helpers import login


@pytest.mark.parametrize("slug", ["../x", "A", "a/b", "a" * 41, "", "1abc", "a", "ab_c", "a b", "t\x00x", None, 42])
def test_slug_validation_rejects_unsafe_names(slug):
    with pytest.raises(InvalidSlug):
        validate_slug(slug)


@pytest.mark.parametrize("slug", ["ab", "czj", "bureau-a", "a" * 40, "jgswj2026"])
def test_slug_validation_accepts_good_names(slug):
    assert validate_slug(slug) == slug


def test_tenant_model_without_a_tenant_raises(app, bureau_a):
    with pytest.raises(NoTenantContext):
        db.session.scalars(select(TenantAuditEvent)).all()
    with pytest.raises(NoTenantContext):
        db.session.get(TenantAuditEvent, 1)
    db.session.rollback()
    db.session.add(TenantAuditEvent(action="x", entity_type="y", actor_name="t", summary=""))
    with pytest.raises(NoTenantContext):
        db.session.flush()
    db.session.rollback()


def test_catalog_models_work_without_a_tenant(app, bureau_a):
    assert db.session.scalar(select(func.count()).select_from(Tenant)) == 1


def _write_event(tenant, summary: str) -> int:
    with tenant_context(tenant):
        event = record_bureau("test.write", "thing", 1, summary=summary)
        db.session.commit()
        return event.id


def test_same_primary_key_in_two_bureaus_never_mixes(app, bureau_a, bureau_b):
    id_a = _write_event(bureau_a.tenant, "甲单位的记录")
    id_b = _write_event(bureau_b.tenant, "乙单位的记录")
    assert id_a == id_b  # same primary key in two databases: exactly the dangerous case
    seen = []
    for tenant in (bureau_a.tenant, bureau_b.tenant, bureau_a.tenant):
        with tenant_context(tenant):
            seen.append(db.session.get(TenantAuditEvent, id_a).summary)
    assert seen == ["甲单位的记录", "乙单位的记录", "甲单位的记录"]


def test_switching_an_open_session_to_another_bureau_raises(app, bureau_a, bureau_b):
    with tenant_context(bureau_a.tenant):
        db.session.scalars(select(TenantAuditEvent)).all()
        with pytest.raises(TenantSwitchError):
            bind_tenant(db.session(), bureau_b.tenant.ref)
        # binding the same bureau again is harmless
        bind_tenant(db.session(), bureau_a.tenant.ref)


def test_a_request_serves_one_bureau(app, client, bureau_a, bureau_b):
    """Inside a /b/<slug>/ request, the session is bound to that bureau and cannot switch."""
    login(client, bureau_a.admin.username)
    with app.test_request_context(f"/b/{bureau_a.slug}/"):
        from flask_login import login_user

        login_user(bureau_a.admin)
        app.preprocess_request()
        with pytest.raises(TenantSwitchError):
            bind_tenant(db.session(), bureau_b.tenant.ref)
        rows = db.session.scalars(select(TenantAuditEvent)).all()
        assert all(isinstance(r, TenantAuditEvent) for r in rows)


def test_tenant_context_in_cli_runs_reads_each_bureau(app, bureau_a, bureau_b):
    _write_event(bureau_a.tenant, "A")
    with tenant_context(bureau_b.tenant):
        assert db.session.scalars(select(TenantAuditEvent.summary)).all() == []


def test_store_returns_the_same_engine_and_evicts_least_recent(tmp_path):
    store = TenantStore(tenants_dir=tmp_path, catalog_url="sqlite://", servers={}, capacity=2)
    refs = [TenantRef(slug=s, backend=SQLITE, server=SQLITE) for s in ("aa", "bb", "cc")]
    for ref in refs:
        store.tenant_dir(ref.slug).mkdir()
    first = store.engine_for(refs[0])
    assert store.engine_for(refs[0]) is first
    store.engine_for(refs[1])
    store.engine_for(refs[0])  # aa is now the most recent
    store.engine_for(refs[2])  # evicts bb
    assert [r.slug for r in store.cached_refs()] == ["aa", "cc"]
    assert store.engine_for(refs[0]) is first
    store.dispose_all()


def test_bureau_engines_are_configured_for_their_backend(app, bureau_a):
    engine = app.extensions["zeren.tenant_store"].engine_for(bureau_a.tenant.ref)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]
    else:
        # PostgreSQL: a schema-translating view of the server's shared engine, no search_path.
        assert engine.get_execution_options()["schema_translate_map"] == {None: "t_bureau_a"}
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW search_path").scalar() == '"$user", public'


def test_a_bureau_commit_bumps_its_data_version_only(app, bureau_a, bureau_b):
    before_a, before_b = bureau_a.tenant.data_version, bureau_b.tenant.data_version
    _write_event(bureau_a.tenant, "变更")
    db.session.expire_all()
    assert db.session.get(Tenant, bureau_a.tenant.id).data_version == before_a + 1
    assert db.session.get(Tenant, bureau_b.tenant.id).data_version == before_b


def test_tenant_code_never_uses_raw_sql_table_names():
    """DESIGN: tenant code never uses text() with table names (schema routing would miss it)."""
    import pathlib
    import re

    offenders = []
    for path in pathlib.Path("app").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if re.search(r"\btext\(\s*[\"'].*\b(FROM|INTO|UPDATE)\s+(?!pg_namespace)", source, re.IGNORECASE):
            offenders.append(str(path))
    assert offenders == []


def test_tenant_context_inside_a_bureau_request_gets_its_own_session(app, bureau_a, bureau_b):
    """City code serving bureau A's request may still write into bureau B (e.g. a city
    inspection finding): tenant_context gives it a separate session."""
    with app.test_request_context(f"/b/{bureau_a.slug}/"):
        from flask_login import login_user

        login_user(bureau_a.admin)
        app.preprocess_request()
        outer = db.session()
        with tenant_context(bureau_b.tenant):
            assert db.session() is not outer
            record_bureau("city.write", "finding", 1, summary="写入乙单位")
            db.session.commit()
        assert db.session() is outer
    with tenant_context(bureau_b.tenant):
        assert db.session.scalars(select(TenantAuditEvent.summary)).all() == ["写入乙单位"]
