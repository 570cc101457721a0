"""Bureaus on named tenant servers (PostgreSQL) and the rate-limit storage."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.errors import ValidationError
from app.extensions import db
from app.tenancy import services as tenancy
from app.tenancy.migrations import upgrade_catalog
from app.tenancy.session import tenant_context
from app.audit.services import record_bureau
from tests.helpers import login, make_app


def test_a_bureau_lives_on_the_server_its_placement_names(tmp_path, postgres_database, monkeypatch):
    if not postgres_database:
        # SQLite keeps every bureau in its own file: naming a server is an input error.
        app = make_app(tmp_path, None)
        with app.app_context():
            upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
            with pytest.raises(ValidationError) as error:
                tenancy.create_tenant("czj", "市财政局", server="second")
            assert "server" in error.value.errors
            app.extensions["zeren.tenant_store"].dispose_all()
            db.engine.dispose()
        return
    server = make_url(postgres_database)
    second_name = f"{server.database}_second"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{second_name}"')
    second_url = server.set(database=second_name).render_as_string(hide_password=False)
    try:
        app = make_app(tmp_path, postgres_database,
                       TENANT_SERVERS=f"main={postgres_database},second={second_url}")
        with app.app_context():
            upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
            near = tenancy.create_tenant("czj", "市财政局", server="main")
            far = tenancy.create_tenant("jyj", "市教育局", server="second")
            assert (near.placement, far.placement) == ("main/t_czj", "second/t_jyj")
            with tenant_context(far):
                record_bureau("test", "thing", summary="在第二台服务器上")
                db.session.commit()
            probe = create_engine(second_url, poolclass=NullPool)
            with probe.connect() as connection:
                assert "audit_events" in inspect(connection).get_table_names(schema="t_jyj")
                assert "t_czj" not in inspect(connection).get_schema_names()
            probe.dispose()
            with pytest.raises(ValidationError):
                tenancy.create_tenant("sjj", "市审计局", server="nowhere")
            unnamed = tenancy.create_tenant("mzj", "市民政局")
            assert unnamed.placement == "main/t_mzj"  # no default named: the first server
            app.extensions["zeren.tenant_store"].dispose_all()
            db.engine.dispose()
        app = make_app(tmp_path / "second-default", postgres_database, DEFAULT_TENANT_SERVER="second",
                       TENANT_SERVERS=f"main={postgres_database},second={second_url}")
        with app.app_context():
            upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
            assert tenancy.create_tenant("sjj", "市审计局").placement == "second/t_sjj"
            app.extensions["zeren.tenant_store"].dispose_all()
            db.engine.dispose()
        with pytest.raises(ValueError, match="DEFAULT_TENANT_SERVER"):
            make_app(tmp_path / "unknown-default", postgres_database, DEFAULT_TENANT_SERVER="third",
                     TENANT_SERVERS=f"main={postgres_database},second={second_url}")
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{second_name}" WITH (FORCE)')
        admin.dispose()


def test_login_limits_are_shared_through_redis_when_configured(tmp_path, postgres_database):
    """Two app processes (two app objects here) share one Redis counter."""
    redis_url = "redis://127.0.0.1:6379/15"
    import redis

    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    prefix = uuid.uuid4().hex
    apps = [make_app(tmp_path / str(n), None, REDIS_URL=redis_url, RATELIMIT_KEY_PREFIX=prefix) for n in (1, 2)]
    for app in apps:
        assert app.config["RATELIMIT_STORAGE_URI"] == redis_url
    statuses = []
    for attempt in range(11):
        app = apps[attempt % 2]
        with app.app_context():
            upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
            statuses.append(login(app.test_client(), "someone", "wrong-password-1").status_code)
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
    assert connection.keys(f"*{prefix}*")
    connection.flushdb()
    for app in apps:
        with app.app_context():
            db.engine.dispose()
