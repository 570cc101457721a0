"""Fixtures shared by the whole suite.

Every test gets its own data root and a fresh catalog.  With ``ZEREN_TEST_POSTGRES_URL``
set (CI does), the catalog lives in a PostgreSQL database made for this test run (one
per xdist worker) and each bureau is a ``t_<slug>`` schema in it; otherwise everything
is SQLite under ``tmp_path``.  Plain helpers (``login``, ``make_app``, sample files, …)
are in :mod:`tests.helpers`.
"""
from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from werkzeug.routing import Rule

from app.extensions import db
from app.tenancy.migrations import upgrade_catalog
from tests.helpers import (MIGRATIONS_DIR, PASSWORD, SYSTEM, Bureau, People, add_people, drop_catalog, make_app,
                           make_bureau)
from tests.support.settings import cleared

POSTGRES_URL = os.environ.get("ZEREN_TEST_POSTGRES_URL")
#: A Citus coordinator's database to run the PostgreSQL suite against as it is (Citus is
#: not in Debian's archive, so CI runs plain PostgreSQL; see docs/scale.md, "Citus").
CITUS_URL = os.environ.get("ZEREN_TEST_CITUS_URL")


@pytest.fixture(scope="session")
def postgres_database():
    """A throw-away PostgreSQL database for this test run (None on SQLite).

    Each xdist worker runs this session fixture itself, and the name is random, so
    workers never share a database.  With ``ZEREN_TEST_CITUS_URL`` the given database is
    used as it is (a new database would lack the Citus extension): one worker only.
    """
    if CITUS_URL:
        if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
            pytest.exit("ZEREN_TEST_CITUS_URL runs the suite in one database: use PYTEST_WORKERS=0", returncode=4)
        yield CITUS_URL
        return
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


@pytest.fixture(scope="session")
def catalog_template(tmp_path_factory, postgres_database):
    """A catalog migrated to head once per session; each test starts from a copy of it.

    SQLite: a file copied into the test's data root.  PostgreSQL: the test run's database,
    migrated here once and emptied by ``make_app`` before each test; only bureau schemas
    and catalog tables are dropped first, never ``public`` itself (on a Citus coordinator
    that would drop the extension and its views).
    """
    if postgres_database:
        drop_catalog(postgres_database)
        engine = create_engine(postgres_database, poolclass=NullPool)
        upgrade_catalog(engine, MIGRATIONS_DIR)
        engine.dispose()
        return None
    path = tmp_path_factory.mktemp("catalog-template") / "catalog.sqlite3"
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    upgrade_catalog(engine, MIGRATIONS_DIR)
    engine.dispose()
    return path


@pytest.fixture(scope="session", autouse=True)
def _shared_url_builders():
    """Compile each URL rule's builders once per test process instead of once per application.

    Each test builds its own application (own data root, own configuration), and adding
    the ~645 rules used to be most of ``create_app``: Werkzeug generates and compiles
    Python code for two builders of each rule.  ``Rule._compile_builder`` returns a plain
    function of the rule's parsed parts (``_trace``), its defaults (a default of a
    variable in the rule becomes a constant through that variable's converter) and
    ``append_unknown``; the function reaches its rule only through its ``self`` argument.
    Equal inputs give the same function, so it is cached on exactly those inputs.
    Subprocess servers (tests/support/live.py) are untouched.
    """
    original = Rule._compile_builder
    builders: dict[tuple, object] = {}

    def compile_builder(self, append_unknown=True):
        defaults = self.defaults or {}
        key = (self.rule, tuple(self._trace), append_unknown,
               tuple(sorted((name, repr(value), type(self._converters.get(name)).__qualname__)
                            for name, value in defaults.items())))
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = original(self, append_unknown)
        return builder

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", compile_builder)
        yield


@pytest.fixture
def app(tmp_path, postgres_database, catalog_template, monkeypatch):
    """The application with an empty, migrated catalog; an app context is pushed."""
    for name in list(os.environ):
        if cleared(name):
            monkeypatch.delenv(name)
    application = make_app(tmp_path, postgres_database, catalog_template)
    with application.app_context():
        yield application
        db.session.remove()
        application.extensions["zeren.tenant_store"].dispose_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client that runs each request in a fresh application context."""
    return app.test_client()


@pytest.fixture(scope="session")
def bureau_template(tmp_path_factory, postgres_database, catalog_template):
    """A bureau database at head, built once per session by the real provisioning code.

    SQLite only (None on PostgreSQL, where a bureau is a schema and is built each time):
    the file is what ``_build_database`` makes, closed so its write-ahead log is folded in.
    """
    if postgres_database:
        return None
    from app.tenancy import services as tenancy

    application = make_app(tmp_path_factory.mktemp("bureau-template"), None, catalog_template)
    with application.app_context():
        store = tenancy.store()
        ref = store.placement_for("template")
        tenancy._build_database(ref)
        store.dispose_all()
        path = store.sqlite_path(ref)
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def bureau_factory(app, bureau_template, monkeypatch):
    """Make a bureau with its three accounts: ``bureau_factory(slug, name) -> Bureau``.

    Everything goes through the services as in production, except that on SQLite the
    bureau's database file is copied from :func:`bureau_template` instead of being built
    table by table (the same file, an order of magnitude faster).
    """
    from app.tenancy import services as tenancy
    from app.tenancy.store import SQLITE

    build = tenancy._build_database

    def copy_or_build(ref):
        if bureau_template is None or ref.backend != SQLITE:
            return build(ref)
        store = tenancy.store()
        store.files_dir(ref.slug).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bureau_template, store.sqlite_path(ref))
        return tenancy.tenant_head()

    def factory(slug: str, name: str) -> Bureau:
        with monkeypatch.context() as patch:
            patch.setattr(tenancy, "_build_database", copy_or_build)
            return make_bureau(slug, name)

    return factory


@pytest.fixture
def bureau_a(bureau_factory) -> Bureau:
    """市财政局 (``bureau-a``) with its admin, editor and viewer."""
    return bureau_factory("bureau-a", "市财政局")


@pytest.fixture
def bureau_b(bureau_factory) -> Bureau:
    """市教育局 (``bureau-b``) with its admin, editor and viewer."""
    return bureau_factory("bureau-b", "市教育局")


@pytest.fixture
def city_admin(app):
    """The city committee's administrator (``city``)."""
    from app.accounts import services as accounts

    return accounts.create_user("city", "工委管理员", PASSWORD, role="city_admin")


@pytest.fixture
def city_viewer(app):
    """A city leader with read-only access (``leader``)."""
    from app.accounts import services as accounts

    return accounts.create_user("leader", "工委领导", PASSWORD, role="city_viewer")


# -- feature data used by tests of several packages -------------------------------------
@pytest.fixture
def template(app):
    """The default duty-list template, published for 2026 (what a new city starts with)."""
    from app.duties import catalog

    return catalog.ensure_default_published(2026)


@pytest.fixture
def bureau_list(app, bureau_a, template):
    """Bureau A with people and its 2026 duty list copied from the template; returns ids."""
    from app.duties import services
    from app.tenancy.session import tenant_context

    with tenant_context(bureau_a.tenant):
        people = add_people(bureau_a.editor)
        duty_list = services.create_list(2026, template_id=template.id, actor=SYSTEM)
        return {"list_id": duty_list.id, "people": {k: p.id for k, p in people.items()},
                "item_ids": [i.id for i in duty_list.items]}


@pytest.fixture
def people(bureau_a) -> People:
    """Three people in bureau A (the liaison linked to its editor), for findings."""
    from app.people.models import Person
    from app.tenancy.session import tenant_context

    with tenant_context(bureau_a.tenant):
        liaison = Person(name="孙联络", post="机关党委专职副书记", kind="staff", user_id=bureau_a.editor.id, sort_order=30)
        secretary = Person(name="王书记", post="党组书记、局长", kind="secretary", sort_order=10)
        member = Person(name="李成员", post="党组成员、副局长", kind="member", sort_order=20)
        db.session.add_all([liaison, secretary, member])
        db.session.commit()
        return People(liaison=liaison.id, secretary=secretary.id, member=member.id)


@pytest.fixture
def queued(app, tmp_path):
    """The app's job queue on a SQLite file of the test's own instead of the suite's
    ``memory://`` (which runs every job inside its caller): a submitted job waits until
    ``tests.helpers.work_queue()`` runs it, as a worker would."""
    from app.jobs import queue

    app.config["QUEUE_URL"] = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    queue.configure(app)
    yield queue.queue
    app.config["QUEUE_URL"] = "memory://"
    queue.configure(app)
