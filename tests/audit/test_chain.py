"""The audit trail is a hash chain per database: linked in order, append-only, verified by
``flask audit verify`` (which finds altered, removed and inserted events), and never forked
by concurrent writers (threads and processes)."""
from __future__ import annotations

import multiprocessing
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

from app.audit import services as audit
from app.audit.guard import AppendOnly
from app.audit.models import CatalogAuditEvent, CatalogAuditHead, TenantAuditEvent
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.tenancy.session import tenant_context


def _city_events(count: int, prefix: str = "事件") -> None:
    with unit_of_work():
        for number in range(count):
            audit.record_city("test.event", "tenant", number, summary=f"{prefix}{number}", after={"n": number})


def _raw(sql: str, bureau=None) -> None:
    """Run ``sql`` as a tamperer with database access would (the trigger switched off)."""
    engine = db.engine
    if bureau is not None:
        with tenant_context(bureau.tenant):
            engine = db.session.get_bind(mapper=sa.inspect(TenantAuditEvent))
    with engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres and bureau is not None:  # raw SQL is not schema-translated
            connection.exec_driver_sql(f'SET LOCAL search_path TO "{bureau.tenant.schema_name}"')
        if postgres:
            connection.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        connection.exec_driver_sql(sql)
        if postgres:
            connection.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")


def test_events_are_numbered_and_linked_in_order(app):
    _city_events(3)
    rows = db.session.scalars(select(CatalogAuditEvent).order_by(CatalogAuditEvent.seq)).all()
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    head = db.session.get(CatalogAuditHead, 1)
    assert (head.seq, head.hash) == (3, rows[2].hash)
    assert audit.verify(CatalogAuditEvent).ok


def test_each_bureau_has_a_chain_of_its_own(app, bureau_a, bureau_b):
    for bureau, count in ((bureau_a, 2), (bureau_b, 3)):
        with tenant_context(bureau.tenant), unit_of_work():
            for number in range(count):
                audit.record_bureau("test.event", "person", number, summary=f"第{number}条")
    for bureau, count in ((bureau_a, 2), (bureau_b, 3)):
        with tenant_context(bureau.tenant):
            assert db.session.scalars(select(TenantAuditEvent.seq).order_by(TenantAuditEvent.seq)).all()[-count:] \
                == list(range(1, count + 1))[-count:]
            assert audit.verify(TenantAuditEvent).ok


def test_the_application_refuses_to_change_or_delete_an_event(app):
    _city_events(2)
    event = db.session.scalars(select(CatalogAuditEvent).limit(1)).one()
    event.summary = "改过的"
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(CatalogAuditEvent).limit(1)).one())
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnly):
        db.session.execute(update(CatalogAuditEvent).values(summary="x"))
    with pytest.raises(AppendOnly):
        db.session.execute(sa.delete(CatalogAuditEvent))
    db.session.rollback()
    assert db.session.scalar(select(sa.func.count()).select_from(CatalogAuditEvent)) == 2
    assert audit.verify(CatalogAuditEvent).ok


def test_an_event_changed_before_its_insert_is_refused(app):
    with pytest.raises(AppendOnly):
        with unit_of_work():
            event = audit.record_city("test.event", "tenant", summary="原文")
            db.session.flush()
            event.summary = "改过"  # after linking, before the commit: becomes an UPDATE
            db.session.flush()


def test_postgresql_itself_refuses_update_and_delete(app, bureau_a):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    _city_events(1)
    with tenant_context(bureau_a.tenant), unit_of_work():
        audit.record_bureau("test.event", "person", 1, summary="一条")
    for schema in ("public", bureau_a.tenant.schema_name):
        for sql in ("UPDATE audit_events SET summary = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with db.engine.begin() as connection:
                    connection.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
                    connection.exec_driver_sql(sql)


def test_verify_finds_an_altered_and_a_removed_event(app, bureau_a):
    _city_events(6)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    _raw("UPDATE audit_events SET summary = '改过的摘要' WHERE seq = 2")
    _raw("DELETE FROM audit_events WHERE seq = 4")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert "altered  event 2" in result.output
    assert "removed  event 4" in result.output
    assert "event 3" not in result.output and "event 5" not in result.output


def test_verify_finds_events_removed_from_the_end_and_inserted_ones(app, bureau_a):
    with tenant_context(bureau_a.tenant), unit_of_work():
        for number in range(4):
            audit.record_bureau("test.event", "person", number, summary=f"第{number}条")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify", "--bureau", bureau_a.slug]).exit_code == 0
    with tenant_context(bureau_a.tenant):
        last = db.session.scalar(select(sa.func.max(TenantAuditEvent.seq)))
        row = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.seq == last)).one()
        forged = {c.name: getattr(row, c.key) for c in TenantAuditEvent.__table__.columns if c.name != "id"}
    _raw(f"DELETE FROM audit_events WHERE seq = {last}", bureau_a)
    result = runner.invoke(args=["audit", "verify", "--all"])
    assert result.exit_code == 1 and f"removed  event {last}" in result.output
    assert "ok      catalog" in result.output
    # an event slipped in after the head, with a hash computed the way the chain does it
    from app.audit import chain
    forged.update(seq=last + 5, summary="伪造", prev_hash=forged["hash"])
    forged["hash"] = chain.event_hash(forged, chain.FIELDS)
    with tenant_context(bureau_a.tenant):
        engine = db.session.get_bind(mapper=sa.inspect(TenantAuditEvent))
    with engine.begin() as connection:
        connection.execute(sa.insert(TenantAuditEvent.__table__).values(**forged))
    result = runner.invoke(args=["audit", "verify", "--bureau", bureau_a.slug])
    assert f"inserted event {last + 5}" in result.output, result.output


def test_verify_refuses_an_unknown_bureau(app):
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--bureau", "no-such"])
    assert result.exit_code == 2 and "no such bureau" in result.output


def _append_in_thread(app, bureau, count: int, errors: list) -> None:
    try:
        with app.app_context():
            for number in range(count):
                if bureau is None:
                    with unit_of_work():
                        audit.record_city("test.event", "tenant", number, summary=f"并发{number}")
                else:
                    with tenant_context(bureau), unit_of_work():
                        audit.record_bureau("test.event", "person", number, summary=f"并发{number}")
            db.session.remove()
    except BaseException as error:  # noqa: BLE001 - reported by the test
        errors.append(error)


@pytest.mark.parametrize("side", ["catalog", "bureau"])
def test_concurrent_writers_in_threads_never_fork_the_chain(app, bureau_a, side):
    bureau = None if side == "catalog" else bureau_a.tenant.ref  # a plain value: threads share no session
    model = CatalogAuditEvent if bureau is None else TenantAuditEvent
    errors: list = []
    threads = [threading.Thread(target=_append_in_thread, args=(app, bureau, 8, errors)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    context = tenant_context(bureau) if bureau else unit_of_work()
    with context:
        seqs = db.session.scalars(select(model.seq).where(model.action == "test.event").order_by(model.seq)).all()
        assert len(seqs) == 48 and len(set(seqs)) == 48
        report = audit.verify(model)
        assert report.ok, report.findings


def _append_in_process(app, count: int) -> None:
    with app.app_context():
        db.engine.dispose(close=False)  # the parent's connections are not this process's
        for number in range(count):
            with unit_of_work():
                audit.record_city("test.event", "tenant", number, summary=f"进程{number}")
    db.session.remove()


def test_concurrent_writers_in_processes_never_fork_the_chain(app, bureau_a):
    db.session.remove()
    db.engine.dispose()
    app.extensions["zeren.tenant_store"].dispose_all()
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_in_process, args=(app, 10)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    seqs = db.session.scalars(select(CatalogAuditEvent.seq).where(CatalogAuditEvent.action == "test.event")).all()
    assert len(seqs) == 40 == len(set(seqs))
    report = audit.verify(CatalogAuditEvent)
    assert report.ok, report.findings


def test_a_time_given_in_another_zone_is_stored_as_hashed(app):
    from datetime import datetime, timedelta, timezone

    with unit_of_work():
        event = audit.record_city("test.event", "tenant", summary="北京时间")
        event.at = datetime(2026, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    db.session.expire_all()
    assert audit.verify(CatalogAuditEvent).ok
