"""Fixtures shared by the whole suite.

Every test gets its own data root and a fresh catalog.  With ``ZEREN_TEST_POSTGRES_URL``
set (CI does), the catalog lives in a PostgreSQL database made for this test run and each
bureau is a ``t_<slug>`` schema in it; otherwise everything is SQLite under ``tmp_path``.
"""
from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from flask.testing import FlaskClient

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.tenancy.migrations import upgrade_catalog

PASSWORD = "Correct-horse-battery"
POSTGRES_URL = os.environ.get("ZEREN_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def postgres_database():
    """A throw-away PostgreSQL database for this test run (None on SQLite)."""
    if not POSTGRES_URL:
        yield None
        return
    server = make_url(POSTGRES_URL)
    name = f"zeren_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


MIGRATIONS_DIR = str(TestConfig.MIGRATIONS_DIR)


@pytest.fixture(scope="session")
def catalog_template(tmp_path_factory, postgres_database):
    """A catalog migrated to head once per session; each test starts from a copy of it.

    SQLite: a file copied into the test's data root.  PostgreSQL: the test run's database,
    migrated here once and emptied by :func:`_reset_postgres` before each test.
    """
    if postgres_database:
        engine = create_engine(postgres_database, poolclass=NullPool)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        upgrade_catalog(engine, MIGRATIONS_DIR)
        engine.dispose()
        return None
    path = tmp_path_factory.mktemp("catalog-template") / "catalog.sqlite3"
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    upgrade_catalog(engine, MIGRATIONS_DIR)
    engine.dispose()
    return path


def _reset_postgres(url: str) -> None:
    """Empty the migrated catalog and drop every bureau schema (much faster than migrating)."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        schemas = connection.execute(text(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")).scalars().all()
        for schema in schemas:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        tables = connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
        ).scalars().all()
        if tables:
            connection.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    engine.dispose()


def make_app(tmp_path, postgres_database, catalog_template=None, **overrides):
    """An application on a fresh data root; with ``catalog_template`` its catalog starts migrated."""
    settings = {"TENANTS_DIR": str(tmp_path / "tenants"), "DATABASE_URL": None, "TENANT_SERVERS": "",
                "REDIS_URL": None}
    if postgres_database:
        _reset_postgres(postgres_database)
        settings["DATABASE_URL"] = postgres_database
    elif catalog_template is not None:
        (tmp_path / "tenants").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(catalog_template, tmp_path / "tenants" / "catalog.sqlite3")
    settings.update(overrides)
    application = create_app(_config_class(settings))
    application.test_client_class = FreshContextClient
    return application


class FreshContextClient(FlaskClient):
    """Runs every request in its own application context, as in production.

    Flask reuses an already pushed app context for a request, which would share ``g``
    (Flask-Login's cached user) and the database session between the test body and every
    request.  Pushing a fresh context per request keeps requests independent.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _config_class(settings: dict) -> type:
    # A subclass per test: create_app reads a class, then the environment, then finalises.
    return type("PerTestConfig", (TestConfig,), settings)


@pytest.fixture
def app(tmp_path, postgres_database, catalog_template, monkeypatch):
    """The application with an empty, migrated catalog; an app context is pushed."""
    for name in list(os.environ):
        if name.startswith("ZEREN_") and name != "ZEREN_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    application = make_app(tmp_path, postgres_database, catalog_template)
    with application.app_context():
        yield application
        db.session.remove()
        application.extensions["zeren.tenant_store"].dispose_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Bureau:
    tenant: object
    slug: str
    admin: object
    editor: object
    viewer: object


def _bureau(slug: str, name: str) -> Bureau:
    from app.accounts import services as accounts
    from app.tenancy import services as tenancy

    tenant = tenancy.create_tenant(slug, name)
    admin = accounts.create_user(f"{slug}-admin", f"{name}管理员", PASSWORD, tenant=tenant, role="bureau_admin")
    editor = accounts.create_user(f"{slug}-editor", f"{name}联络员", PASSWORD, tenant=tenant, role="bureau_editor")
    viewer = accounts.create_user(f"{slug}-viewer", f"{name}查看", PASSWORD, tenant=tenant, role="bureau_viewer")
    return Bureau(tenant=tenant, slug=slug, admin=admin, editor=editor, viewer=viewer)


@pytest.fixture
def bureau_a(app) -> Bureau:
    return _bureau("bureau-a", "市财政局")


@pytest.fixture
def bureau_b(app) -> Bureau:
    return _bureau("bureau-b", "市教育局")


@pytest.fixture
def city_admin(app):
    from app.accounts import services as accounts

    return accounts.create_user("city", "工委管理员", PASSWORD, role="city_admin")


@pytest.fixture
def city_viewer(app):
    from app.accounts import services as accounts

    return accounts.create_user("leader", "工委领导", PASSWORD, role="city_viewer")


def login(client, username: str, password: str = PASSWORD, follow: bool = False):
    """Log in through the real form; returns the response."""
    return client.post("/login", data={"username": username, "password": password}, follow_redirects=follow)


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)
