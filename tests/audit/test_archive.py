"""Retention: events are kept at least 180 days; older ones leave the database only through
a signed archive that verifies, and the remaining chain verifies from the archive's anchor.
The migration gives events written before the chain their hashes."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.pool import NullPool

from app.audit import archive, services as audit
from app.audit.models import CatalogAuditEvent, CatalogAuditHead, TenantAuditEvent
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.models import utcnow
from app.tenancy.migrations import upgrade_catalog
from app.tenancy.session import tenant_context
from tests.helpers import MIGRATIONS_DIR, make_app


def _events(ages_in_days: list[int], bureau=None) -> None:
    """Events written ``age`` days ago, oldest first."""
    context = tenant_context(bureau.tenant) if bureau else None
    if context:
        context.__enter__()
    try:
        with unit_of_work():
            for number, age in enumerate(ages_in_days):
                record = audit.record_bureau if bureau else audit.record_city
                event = record("test.event", "person" if bureau else "tenant", number, summary=f"旧事件{number}")
                event.at = utcnow() - timedelta(days=age)
    finally:
        if context:
            context.__exit__(None, None, None)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _files(app) -> list[Path]:
    return sorted(archive.archive_folder().glob("*.jsonl"))


def test_old_events_are_archived_verified_and_only_then_removed(app):
    _events([400, 300, 200, 181, 100, 10])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "archive"])
    assert result.exit_code == 0, result.output
    assert "archived catalog: 4 events (1-4)" in result.output
    # four removed, two kept, and the archive itself recorded in the chain
    actions = db.session.scalars(select(CatalogAuditEvent.action).order_by(CatalogAuditEvent.seq)).all()
    assert actions == ["test.event", "test.event", "audit.archive"]
    head = db.session.get(CatalogAuditHead, 1)
    assert (head.anchor_seq, head.seq) == (4, 7)
    assert audit.verify(CatalogAuditEvent).ok
    assert runner.invoke(args=["audit", "verify", "--all"]).exit_code == 0
    (path,) = _files(app)
    header = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert header["scope"] == "catalog" and header["first_seq"] == 1 and header["last_seq"] == head.anchor_seq
    assert json.loads(Path(str(path) + ".sig").read_text())["algorithm"] == "HMAC-SHA256"
    # the first kept event links to the anchor, the hash of the archive's last event
    first_kept = db.session.scalars(select(CatalogAuditEvent).order_by(CatalogAuditEvent.seq).limit(1)).one()
    assert first_kept.prev_hash == head.anchor_hash == archive.verify_archive(path).header["anchor"]
    result = runner.invoke(args=["audit", "verify-archive", str(path)])
    assert result.exit_code == 0 and "ok" in result.output
    # nothing more is old enough: a second run archives nothing
    assert "nothing" in runner.invoke(args=["audit", "archive"]).output


def test_a_bureau_chain_is_archived_on_its_own(app, bureau_a, bureau_b):
    _events([365, 200, 5], bureau_a)
    result = app.test_cli_runner().invoke(args=["audit", "archive", "--bureau", bureau_a.slug])
    assert result.exit_code == 0, result.output
    assert f"archived bureau:{bureau_a.slug}: 2 events" in result.output
    with tenant_context(bureau_a.tenant):
        assert audit.verify(TenantAuditEvent).ok
        assert db.session.scalars(select(TenantAuditEvent.action)).all()[-1] == "audit.archive"
    assert archive.verify_archive(_files(app)[0]).ok


def test_an_altered_or_unsigned_archive_does_not_verify(app):
    _events([300, 250])
    app.test_cli_runner().invoke(args=["audit", "archive"])
    (path,) = _files(app)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("旧事件1", "新事件1"), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["audit", "verify-archive", str(path)])
    assert result.exit_code == 1 and "signature" in result.output and "altered" in result.output
    assert not archive.verify_archive(path, b"another key").ok
    Path(str(path) + ".sig").unlink()
    assert "cannot read" in archive.verify_archive(path).problems[0]


def test_a_broken_chain_is_not_archived_and_nothing_is_removed(app):
    _events([300, 250, 200])
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        connection.exec_driver_sql("UPDATE audit_events SET summary = '改过' WHERE seq = 2")
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
    before = _count(CatalogAuditEvent)
    result = app.test_cli_runner().invoke(args=["audit", "archive"])
    assert result.exit_code == 1 and "altered 2" in result.output
    assert _count(CatalogAuditEvent) == before and _files(app) == []


def test_retention_is_never_below_180_days(app, tmp_path, postgres_database, catalog_template):
    with pytest.raises(RuntimeError, match="at least 180"):
        make_app(tmp_path / "short", postgres_database, catalog_template, AUDIT_RETENTION_DAYS=30)
    app.config["AUDIT_RETENTION_DAYS"] = 30  # changed behind the check's back: still 180
    assert archive.retention_days() == 180
    _events([179, 100])
    assert "nothing" in app.test_cli_runner().invoke(args=["audit", "archive"]).output
    assert _files(app) == []


def test_the_daily_job_archives(app):
    from app.audit import tasks
    from app.jobs import services as jobs

    assert jobs._DAILY[tasks.ARCHIVE].at_setting == "AUDIT_ARCHIVE_AT"
    _events([200, 1])
    progress = type("P", (), {"advance": lambda self, step=1: None})()
    assert tasks.archive_old_events(progress)["archived"] == 1
    assert len(_files(app)) == 1


def test_the_migration_links_events_written_before_the_chain(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}", poolclass=NullPool)
    upgrade_catalog(engine, MIGRATIONS_DIR, "0012_identity_level3")
    old = sa.table("audit_events", sa.column("at", sa.DateTime(timezone=True)), sa.column("actor_name"),
                   sa.column("action"), sa.column("entity_type"), sa.column("summary"), sa.column("after", sa.JSON),
                   sa.column("tenant_slug"))
    with engine.begin() as connection:
        for number in range(5):
            connection.execute(sa.insert(old).values(at=utcnow() - timedelta(days=5 - number), actor_name="city",
                                                     action="tenant.update", entity_type="tenant",
                                                     summary=f"旧记录{number}", after={"名称": f"局{number}"},
                                                     tenant_slug="jyj"))
    upgrade_catalog(engine, MIGRATIONS_DIR)
    app = make_app(tmp_path, None, None, DATABASE_URL=f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with app.app_context():
        report = audit.verify(CatalogAuditEvent)
        assert report.ok and report.checked == 5 and report.last_seq == 5
        audit.record_city("tenant.update", "tenant", summary="新记录")
        db.session.commit()
        assert audit.verify(CatalogAuditEvent).last_seq == 6
        db.session.remove()
    engine.dispose()
