"""Every process notices that a bureau's storage was replaced (issue 10, item 1).

Two gunicorn processes hold a bureau's SQLite file open; the bureau is then deleted and
restored, or deleted and created again, by a third process.  Writes posted to both
servers afterwards must land in the new storage and survive; none may be acknowledged
and lost.  The servers always run on a SQLite data root of their own (the defect is
SQLite's), so these two run in the PostgreSQL pass of the suite too; the in-process tests
pin the commit-time check that closes the race, on both backends.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.audit.models import TenantAuditEvent

from app.audit.services import record_bureau
from app.extensions import db
from app.tenancy import services as tenancy
from app.tenancy.session import StorageReplaced, tenant_context
from tests.support.live import Browser, LiveServer, run_flask, run_python, server_env

PASSWORD = "Live-test-Passw0rd"
SLUG = "czj"



def _people_in(data_root: Path) -> set[str]:
    """Names of the bureau's people, read from the file the catalog names now."""
    catalog = sqlite3.connect(data_root / "catalog.sqlite3")
    key = catalog.execute("SELECT storage_key FROM tenants WHERE slug = ?", (SLUG,)).fetchone()[0]
    catalog.close()
    bureau = sqlite3.connect(data_root / SLUG / f"bureau-{key}.sqlite3")
    try:
        return {row[0] for row in bureau.execute("SELECT name FROM people")}
    finally:
        bureau.close()


def _add_people(browser: Browser, servers: list[LiveServer], names: list[str]) -> None:
    for n, name in enumerate(names):
        server = servers[n % len(servers)]
        reply = browser.post_form(f"{server.url}/b/{SLUG}/duties/people", {"name": name, "post": "干部",
                                                                            "kind": "member", "user_id": ""})
        assert reply.status == 302, f"{server.url}: {reply.status} {re.sub(r'<[^>]+>', ' ', reply.text)[:500]}"


@pytest.fixture
def city(tmp_path):
    """A data root with bureau czj and its admin, served by two gunicorn processes."""
    data_root = tmp_path / "tenants"
    env = server_env(data_root)
    run_flask(env, "catalog", "upgrade")
    run_flask(env, "tenants", "create", SLUG, "市财政局")
    run_python(env, f"""
from app.accounts import services as accounts
from app.tenancy.services import get_tenant
accounts.create_user("czj-admin", "财政局管理员", {PASSWORD!r}, tenant=get_tenant({SLUG!r}), role="bureau_admin")
""")
    servers = [LiveServer(env).start(), LiveServer(env).start()]
    try:
        yield env, data_root, servers
    finally:
        for server in servers:
            server.stop()


def test_writes_after_a_restore_land_in_the_restored_bureau(city, tmp_path):
    env, data_root, servers = city
    browser = Browser()
    browser.login(servers[0].url, "czj-admin", PASSWORD)
    _add_people(browser, servers, ["备份前甲", "备份前乙"])  # both processes now hold the file open
    backup = tmp_path / "czj.tar.gz"
    run_flask(env, "tenants", "backup", SLUG, "--out", str(backup))
    _add_people(browser, servers, ["备份后丙"])
    run_flask(env, "tenants", "delete", SLUG, "--yes")
    run_flask(env, "tenants", "restore", str(backup))

    names = [f"恢复后{n:02d}" for n in range(12)]
    _add_people(browser, servers, names)
    for server in servers:
        page = browser.get(f"{server.url}/b/{SLUG}/duties/people")
        assert page.status == 200 and all(name in page.text for name in names)
        assert "备份后丙" not in page.text  # made after the backup: the restore dropped it
    assert _people_in(data_root) == {"备份前甲", "备份前乙", *names}


def test_a_bureau_created_again_under_the_same_name_works_in_every_process(city):
    env, data_root, servers = city
    browser = Browser()
    browser.login(servers[0].url, "czj-admin", PASSWORD)
    _add_people(browser, servers, ["旧单位甲", "旧单位乙"])
    run_flask(env, "tenants", "delete", SLUG, "--yes")
    run_flask(env, "tenants", "create", SLUG, "市财政局")
    run_python(env, f"""
from app.accounts import services as accounts
from app.accounts.models import User
from app.extensions import db
from app.tenancy.services import get_tenant
user = db.session.scalar(db.select(User).where(User.username == "czj-admin"))
accounts.grant_role(user, "bureau_admin", tenant=get_tenant({SLUG!r}))
""")
    _add_people(browser, servers, ["新单位甲", "新单位乙", "新单位丙", "新单位丁"])
    for server in servers:
        assert browser.get(f"{server.url}/b/{SLUG}/duties/people").status == 200
    assert _people_in(data_root) == {"新单位甲", "新单位乙", "新单位丙", "新单位丁"}
    # the old processes' pooled connections never re-created the old file next to the new one
    assert len(list((data_root / SLUG).glob("*.sqlite3"))) == 1


def test_a_write_into_replaced_storage_is_refused_not_lost(app, bureau_a, tmp_path):
    """A transaction that opened the bureau before its restore cannot commit into the old storage."""
    old_ref = bureau_a.tenant.ref
    archive = tenancy.backup_tenant(bureau_a.tenant, tmp_path)
    tenancy.delete_tenant(bureau_a.tenant, confirm_slug=bureau_a.slug)
    restored = tenancy.restore_tenant(archive).tenant
    assert restored.ref != old_ref
    # SQLite: the old file is gone and is never re-created (opened mode=rw); PostgreSQL: the
    # schema has the same name, and the commit-time check sees the new storage key.
    expected = OperationalError if old_ref.backend == "sqlite" else StorageReplaced
    with tenant_context(old_ref):
        record_bureau("person.create", "person", 1, summary="posted by a stale process")
        with pytest.raises(expected):
            db.session.commit()
        db.session.rollback()
    assert not tenancy.store().sqlite_path(old_ref).exists() or old_ref.backend != "sqlite"

    with tenant_context(restored):
        summaries = db.session.scalars(select(TenantAuditEvent.summary)).all()
    assert "posted by a stale process" not in summaries


def test_the_commit_check_refuses_a_transaction_whose_bureau_was_replaced_meanwhile(app, bureau_a):
    """The check runs after the first write, while the transaction holds the bureau's write lock."""
    from app.tenancy.models import Tenant

    with tenant_context(bureau_a.tenant):
        record_bureau("x", "y", summary="opened before the swap")
        # another process replaces the bureau's storage between this request's read and its write
        with db.engine.begin() as connection:
            connection.execute(db.update(Tenant).where(Tenant.slug == bureau_a.slug).values(storage_key="other"))
        with pytest.raises(StorageReplaced):
            db.session.commit()
        db.session.rollback()
