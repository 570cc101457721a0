"""Moving a bureau to another PostgreSQL server (``flask tenants move``).

A second PostgreSQL cluster of the test's own (``tests/support/postgres_cluster.py``)
holds the target server.  A bureau moves under concurrent page reads: every read is
answered, writes during the move are refused with a clear message, the copy is verified,
the placement switches, the old schema goes, nothing is lost.  A failed move and one
whose process died leave the bureau where it was, writable.  Runs in the suite's
PostgreSQL pass.
"""
from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sqlalchemy import select

from app.audit.services import record_bureau
from app.extensions import db
from app.ops.process import this_process
from app.tenancy import moves
from app.tenancy.models import Tenant
from app.tenancy.session import BureauMoving, tenant_context
from tests.helpers import add_people, login, make_app, make_bureau
from tests.support.postgres_cluster import second_cluster, server_binaries

EVENTS = 40


@pytest.fixture
def two_servers(tmp_path, postgres_database, catalog_template):
    """An application whose bureaus may live on ``main`` (the suite's server) or
    ``second`` (a cluster started for this test)."""
    if not postgres_database:
        pytest.skip("moves are between PostgreSQL servers (the suite's PostgreSQL pass)")
    if server_binaries() is None:
        pytest.skip("no PostgreSQL server binaries (Debian package postgresql) to start a second cluster")
    with second_cluster() as second_url:
        app = make_app(tmp_path, postgres_database, catalog_template,
                       TENANT_SERVERS=f"main={postgres_database},second={second_url}")
        with app.app_context():
            yield app, second_url
            db.session.remove()
            app.extensions["zeren.tenant_store"].dispose_all()
            db.engine.dispose()


def _bureau_with_data(slug: str):
    bureau = make_bureau(slug, "市财政局")
    with tenant_context(bureau.tenant):
        add_people(bureau.editor)
        for n in range(EVENTS):
            record_bureau("test.event", "thing", n, summary=f"迁移前的第{n}条记录")
        db.session.commit()
    return bureau


def _tenant(slug: str) -> Tenant:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug).execution_options(populate_existing=True))


def _write(slug: str, summary: str) -> None:
    with tenant_context(_tenant(slug)):
        record_bureau("test.event", "thing", summary=summary)
        db.session.commit()


def test_a_bureau_moves_under_reads_refusing_writes_and_losing_nothing(two_servers):
    app, second_url = two_servers
    bureau = _bureau_with_data("czj")
    main_url = app.extensions["zeren.tenant_store"].servers["main"]
    before = moves.fingerprint(main_url, "t_czj")
    assert before[0]["audit_events"][0] == EVENTS

    username, other = bureau.admin.username, bureau.editor.username  # two people: no log-in races
    statuses: list[int] = []
    stopping = threading.Event()

    def read() -> None:
        client = app.test_client()
        login(client, username)
        while not stopping.is_set():
            statuses.append(client.get("/b/czj/").status_code)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: dict[str, object] = {}

    def while_read_only() -> None:
        with app.app_context():
            try:
                _write("czj", "迁移中的修改")
            except BureauMoving as refused:
                seen["refused"] = refused.message
        client = app.test_client()
        assert login(client, other).status_code == 302
        seen["banner"] = "正在迁移" in client.get("/b/czj/").get_data(as_text=True)

    def during(stage: str) -> None:
        seen.setdefault("stages", []).append(stage)
        if stage == "drained":
            # A user's request of its own, not a step of the move (own thread, own stack).
            user = threading.Thread(target=while_read_only)
            user.start()
            user.join(timeout=60)

    try:
        moved = moves.move_tenant("czj", "second", on_stage=during)
    finally:
        stopping.set()
        reader.join(timeout=30)

    assert seen["stages"] == list(moves.STAGES) and seen["banner"] is True
    assert "正在迁移" in seen["refused"]
    assert statuses and set(statuses) == {200}, sorted(set(statuses))
    assert _tenant("czj").placement == "second/t_czj" and _tenant("czj").moving_to is None
    copied = moves.fingerprint(second_url, "t_czj")
    assert copied == (moved.tables, moved.sequences)
    assert copied[0] == before[0]  # every row, and not the refused one
    # The refused write drew an id (sequences are not transactional); the copy carries it on.
    assert copied[1]["audit_events_id_seq"] == before[1]["audit_events_id_seq"] + 1
    assert not moves.fingerprint(main_url, "t_czj")[0]  # the old schema is gone

    _write("czj", "迁移后的修改")  # writable again, on the new server
    assert moves.fingerprint(second_url, "t_czj")[0]["audit_events"][0] == EVENTS + 1
    client = app.test_client()
    login(client, username)
    assert client.get("/b/czj/").status_code == 200


def test_a_failed_move_leaves_the_bureau_where_it_was_and_writable(two_servers):
    app, second_url = two_servers
    _bureau_with_data("czj")

    def fail(stage: str) -> None:
        if stage == "copied":
            raise RuntimeError("the target's disk filled up")

    with pytest.raises(RuntimeError):
        moves.move_tenant("czj", "second", on_stage=fail)
    tenant = _tenant("czj")
    assert tenant.placement == "main/t_czj" and tenant.moving_to is None
    assert not moves.fingerprint(second_url, "t_czj")[0]  # the partial copy was dropped
    _write("czj", "失败后的修改")


def test_a_move_whose_process_died_is_undone(two_servers):
    app, second_url = two_servers
    _bureau_with_data("czj")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = this_process().rpartition(":")[0]
    # What kill -9 after the copy leaves: the move recorded, a copy on the target.
    tenant = _tenant("czj")
    tenant.moving_to, tenant.moving_by, tenant.moving_since = "second", f"{host}:{dead.pid}", db.func.now()
    db.session.commit()
    moves._pg_tool(["pg_dump", "--format=custom", "--schema=t_czj", f"--file={app.config['TENANTS_DIR']}/d"],
                   app.extensions["zeren.tenant_store"].servers["main"])
    moves._pg_tool(["pg_restore", "--no-owner", f"{app.config['TENANTS_DIR']}/d"], second_url)
    assert moves.target_has_copy(_tenant("czj"))
    with pytest.raises(BureauMoving):
        _write("czj", "中断时的修改")

    result = app.test_cli_runner().invoke(args=["tenants", "list"])
    assert "interrupted move was undone" in result.output
    tenant = _tenant("czj")
    assert tenant.placement == "main/t_czj" and tenant.moving_to is None
    assert not moves.fingerprint(second_url, "t_czj")[0]
    _write("czj", "恢复后的修改")


def test_moves_are_refused_with_reasons(two_servers):
    app, _second_url = two_servers
    _bureau_with_data("czj")
    for target, field in (("nowhere", "to"), ("main", "to")):
        result = app.test_cli_runner().invoke(args=["tenants", "move", "czj", "--to", target])
        assert result.exit_code != 0 and f"{field}:" in result.output, result.output
    assert _tenant("czj").moving_to is None
