"""Provisioning, deletion, backup/restore and the ``flask tenants`` commands."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from app.accounts.models import Membership
from app.audit.models import TenantAuditEvent
from app.audit.services import record_bureau
from app.errors import Conflict, ValidationError
from app.extensions import db
from app.tenancy import services as tenancy
from app.tenancy.models import Tenant
from app.tenancy.session import tenant_context


def _is_sqlite(app) -> bool:
    return app.config["DATABASE_URL"].startswith("sqlite")


def _tables(app, tenant) -> set[str]:
    engine = app.extensions["zeren.tenant_store"].engine_for(tenant.ref)
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names(schema=tenant.ref.schema))


def test_create_builds_the_database_at_head(app):
    tenant = tenancy.create_tenant("czj", "市财政局", category="economic")
    assert tenant.revision == tenancy.tenant_head()
    assert {"audit_events", "alembic_version"} <= _tables(app, tenant)
    if _is_sqlite(app):
        database = f"bureau-{tenant.storage_key}.sqlite3"
        assert (Path(app.config["TENANTS_DIR"]) / "czj" / database).is_file()
        assert tenant.placement == f"sqlite:czj/{database}"
    else:
        assert tenant.placement == "default/t_czj"
    assert (Path(app.config["TENANTS_DIR"]) / "czj" / "files").is_dir()


def test_create_refuses_bad_and_duplicate_input(app):
    tenancy.create_tenant("czj", "市财政局")
    with pytest.raises(Conflict):
        tenancy.create_tenant("czj", "另一个局")
    with pytest.raises(Conflict):
        tenancy.create_tenant("czj2", "市财政局")
    with pytest.raises(ValidationError) as error:
        tenancy.create_tenant("../x", "坏名字", category="nonsense")
    assert set(error.value.errors) == {"slug", "category"}
    assert db.session.scalars(select(Tenant.slug)).all() == ["czj"]


def test_failed_build_leaves_nothing_behind(app, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tenancy.migrations, "stamp_tenant", explode)
    with pytest.raises(RuntimeError):
        tenancy.create_tenant("jyj", "市教育局")
    assert db.session.scalar(select(Tenant).where(Tenant.slug == "jyj")) is None
    assert not (Path(app.config["TENANTS_DIR"]) / "jyj").exists()


def test_delete_removes_folder_with_wal_files_and_catalog_rows(app, bureau_a):
    folder = Path(app.config["TENANTS_DIR"]) / bureau_a.slug
    with tenant_context(bureau_a.tenant):
        record_bureau("x", "y", summary="keep the WAL busy")
        db.session.commit()
    if _is_sqlite(app):
        assert (folder / f"bureau-{bureau_a.tenant.storage_key}.sqlite3-wal").exists()
    with pytest.raises(ValidationError):
        tenancy.delete_tenant(bureau_a.tenant, confirm_slug="wrong")
    tenancy.delete_tenant(bureau_a.tenant, confirm_slug=bureau_a.slug)
    assert not folder.exists()
    assert db.session.scalar(select(Tenant).where(Tenant.slug == bureau_a.slug)) is None
    assert db.session.scalars(select(Membership).where(Membership.tenant_id == bureau_a.tenant.id)).all() == []


def _rows(tenant) -> list[tuple]:
    with tenant_context(tenant):
        return [(e.id, e.action, e.summary, e.before, e.after, e.at.replace(tzinfo=None))
                for e in db.session.scalars(select(TenantAuditEvent).order_by(TenantAuditEvent.id))]


def test_backup_delete_restore_gives_identical_rows(app, bureau_a, tmp_path):
    with tenant_context(bureau_a.tenant):
        for n in range(5):
            record_bureau("item.update", "duty_item", n, summary=f"第{n}条 “引号” 与 emoji ✓",
                          before={"status": "open"}, after={"status": "done", "n": n})
        db.session.commit()
    files = Path(app.config["TENANTS_DIR"]) / bureau_a.slug / "files"
    (files / "ab").mkdir()
    (files / "ab" / "abcdef").write_bytes(b"%PDF-1.4 evidence")
    before = _rows(bureau_a.tenant)
    archive = tenancy.backup_tenant(bureau_a.tenant, tmp_path / "backups")
    assert archive.is_file() and archive.name.endswith(".tar.gz")
    assert tenancy.read_manifest(archive)["slug"] == bureau_a.slug

    tenancy.delete_tenant(bureau_a.tenant, confirm_slug=bureau_a.slug)
    restored = tenancy.restore_tenant(archive).tenant
    assert restored.slug == bureau_a.slug and restored.revision == tenancy.tenant_head()
    assert _rows(restored) == before
    assert (Path(app.config["TENANTS_DIR"]) / bureau_a.slug / "files" / "ab" / "abcdef").read_bytes() == b"%PDF-1.4 evidence"
    # the memberships recorded in the manifest are re-linked to the existing accounts
    roles = {m.user.username: m.role for m in db.session.scalars(
        select(Membership).where(Membership.tenant_id == restored.id))}
    assert roles[bureau_a.admin.username] == "bureau_admin"


def test_restore_refuses_to_overwrite_and_rejects_foreign_files(app, bureau_a, tmp_path):
    archive = tenancy.backup_tenant(bureau_a.tenant, tmp_path)
    with pytest.raises(Conflict):
        tenancy.restore_tenant(archive)
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(ValidationError):
        tenancy.restore_tenant(junk)


def test_restore_under_a_new_slug_is_independent(app, bureau_a, tmp_path):
    with tenant_context(bureau_a.tenant):
        record_bureau("x", "y", summary="original")
        db.session.commit()
    archive = tenancy.backup_tenant(bureau_a.tenant, tmp_path)
    if not _is_sqlite(app):
        # a pg_dump carries its schema name; renaming needs the original schema to be free
        tenancy.delete_tenant(bureau_a.tenant, confirm_slug=bureau_a.slug)
    copy = tenancy.restore_tenant(archive, slug="bureau-copy").tenant
    assert [r[2] for r in _rows(copy)][-1] == "original"


def test_cli_create_list_archive_backup(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenants", "create", "jyj", "市教育局", "--category", "social"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["tenants", "create", "../bad", "坏"])
    assert result.exit_code == 1 and "slug" in result.output
    listed = json.loads(runner.invoke(args=["tenants", "list", "--json"]).output)
    assert [(r["slug"], r["name"], r["status"], r["revision"]) for r in listed] == \
        [("jyj", "市教育局", "active", tenancy.tenant_head())]
    assert set(listed[0]) >= {"slug", "name", "status", "placement", "revision"}
    assert runner.invoke(args=["tenants", "archive", "jyj"]).exit_code == 0
    assert json.loads(runner.invoke(args=["tenants", "list", "--json"]).output)[0]["status"] == "archived"
    result = runner.invoke(args=["tenants", "backup", "jyj", "--out", str(tmp_path)])
    assert result.exit_code == 0 and Path(result.output.strip()).is_file()
    result = runner.invoke(args=["tenants", "delete", "jyj"], input="nope\n")
    assert result.exit_code == 1
    assert runner.invoke(args=["tenants", "delete", "jyj"], input="jyj\n").exit_code == 0
    assert json.loads(runner.invoke(args=["tenants", "list", "--json"]).output) == []


@pytest.mark.parametrize("name", ["市财政局\x00", "市财政\r\n局", "\u202e局政财市"])
def test_a_bureau_name_with_control_characters_is_refused(app, name):
    """PostgreSQL refuses NUL with a 500; line breaks and bidi overrides have no place in a name."""
    with pytest.raises(ValidationError) as error:
        tenancy.create_tenant("czj", name)
    assert "name" in error.value.errors
    tenant = tenancy.create_tenant("czj", "市财政局")
    with pytest.raises(ValidationError) as error:
        tenancy.update_tenant(tenant, name=name, category="general", version=tenant.version)
    assert "name" in error.value.errors
