"""PostgreSQL connections per server stay bounded whatever the number of bureaus.

Every bureau on a server shares that server's one engine and pool (a bureau is a
``schema_translate_map`` view of it, no pool of its own), so twenty bureaus served at
once by eight concurrent clients open no more connections than one bureau would.  Runs
in the suite's PostgreSQL passes (directly and through PgBouncer in CI).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.helpers import login, make_bureau

BUREAUS = 20
CLIENTS = 8


def test_twenty_bureaus_share_one_pool_per_server(app):
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("bureaus are schemas on a shared server only on PostgreSQL (the suite's PostgreSQL pass)")
    bureaus = [make_bureau(f"pool-{n:02d}", f"连接池测试单位{n:02d}") for n in range(BUREAUS)]

    visits = [(bureau.slug, bureau.admin.username) for bureau in bureaus]  # read here, not in the threads

    def visit(slug_and_user: tuple[str, str]) -> list[int]:
        slug, username = slug_and_user
        client = app.test_client()
        assert login(client, username).status_code == 302
        return [client.get(f"/b/{slug}/{page}").status_code for page in ("", "duties/", "findings/")]

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        statuses = [status for answers in pool.map(visit, visits) for status in answers]
    assert statuses and set(statuses) == {200}, statuses

    store = app.extensions["zeren.tenant_store"]
    assert list(store._server_engines) == ["default"]
    shared = store.server_engine("default").pool
    assert all(store.engine_for(bureau.tenant.ref).pool is shared for bureau in bureaus)
    bound = shared.size() + shared._max_overflow  # the most one pool ever opens
    with db.engine.connect() as connection:
        opened = connection.execute(text("SELECT count(*) FROM pg_stat_activity "
                                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    # The tenant server's pool and the catalog's (same server here), never one per bureau.
    assert opened <= 2 * bound < BUREAUS * 2, (opened, bound)


def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler(tmp_path, postgres_database, catalog_template):
    from tests.helpers import make_app

    if not postgres_database:
        pytest.skip("psycopg connection arguments apply to PostgreSQL only (the suite's PostgreSQL pass)")
    application = make_app(tmp_path, postgres_database, catalog_template, PG_PREPARED_STATEMENTS=False)
    with application.app_context():
        store = application.extensions["zeren.tenant_store"]
        for engine in (db.engine, store.server_engine("default")):
            with engine.connect() as connection:
                assert connection.connection.driver_connection.prepare_threshold is None
        db.engine.dispose()
        store.dispose_all()
