"""A backup file comes from outside: restore trusts none of its manifest (issue 10, item 7)."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts.models import Membership
from app.errors import ValidationError
from app.extensions import db
from app.tenancy import services as tenancy
from app.tenancy.models import Tenant


def _rewrite_manifest(archive: Path, target: Path, change) -> Path:
    """Copy a backup with its manifest passed through ``change`` (what an attacker can do)."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as dest:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest, ensure_ascii=False).encode()
                member.size = len(data)
            dest.addfile(member, io.BytesIO(data) if data is not None else None)
    return target


def _roles(tenant_id: int) -> dict[str, str]:
    return {m.user.username: m.role for m in db.session.scalars(select(Membership).where(Membership.tenant_id == tenant_id))}


def test_an_untouched_backup_relinks_its_members(app, bureau_a, tmp_path):
    archive = tenancy.backup_tenant(bureau_a.tenant, tmp_path)
    tenancy.delete_tenant(bureau_a.tenant, confirm_slug=bureau_a.slug)
    restored = tenancy.restore_tenant(archive)
    assert restored.skipped == []
    assert _roles(restored.tenant.id) == {bureau_a.admin.username: "bureau_admin",
                                          bureau_a.editor.username: "bureau_editor",
                                          bureau_a.viewer.username: "bureau_viewer"}


def test_altered_memberships_grant_nothing(app, bureau_a, city_admin, tmp_path):
    archive = tenancy.backup_tenant(bureau_a.tenant, tmp_path)
    tenancy.delete_tenant(bureau_a.tenant, confirm_slug=bureau_a.slug)

    def promote(manifest):
        manifest["memberships"] = [
            {"username": bureau_a.viewer.username, "role": "bureau_admin"},
            {"username": bureau_a.editor.username, "role": "city_admin"},
            {"username": city_admin.username, "role": "superuser"},
        ]

    tampered = _rewrite_manifest(archive, tmp_path / "tampered.tar.gz", promote)
    restored = tenancy.restore_tenant(tampered)
    assert _roles(restored.tenant.id) == {}
    assert len(restored.skipped) == 1 and "篡改" in restored.skipped[0]


def test_signed_but_foreign_roles_and_unknown_users_are_skipped(app, bureau_a, tmp_path):
    """Even a validly signed list re-links only bureau roles of users that exist, once each."""
    memberships = [{"username": bureau_a.admin.username, "role": "bureau_admin"},
                   {"username": bureau_a.viewer.username, "role": "city_admin"},
                   {"username": "ghost", "role": "bureau_editor"},
                   {"username": bureau_a.admin.username, "role": "bureau_viewer"},
                   ["not", "a", "dict"]]
    archive = tenancy.backup_tenant(bureau_a.tenant, tmp_path)
    tenancy.delete_tenant(bureau_a.tenant, confirm_slug=bureau_a.slug)

    def resign(manifest):
        manifest["memberships"] = memberships
        manifest["memberships_signature"] = tenancy._memberships_signature(manifest["slug"], memberships)

    restored = tenancy.restore_tenant(_rewrite_manifest(archive, tmp_path / "signed.tar.gz", resign))
    assert _roles(restored.tenant.id) == {bureau_a.admin.username: "bureau_admin"}
    assert len(restored.skipped) == 4


@pytest.mark.parametrize("change, field", [
    (lambda m: m.update(slug="../etc"), "slug"),
    (lambda m: m.update(name="名" * 101), "name"),
    (lambda m: m.update(name=["x"]), "name"),
    (lambda m: m.update(category="superuser"), "category"),
    (lambda m: m.update(backend="oracle"), "backend"),
    (lambda m: m.update(memberships="all"), "memberships"),
])
def test_a_damaged_manifest_is_refused_with_the_field(app, bureau_a, tmp_path, change, field):
    archive = tenancy.backup_tenant(bureau_a.tenant, tmp_path)
    tenancy.delete_tenant(bureau_a.tenant, confirm_slug=bureau_a.slug)
    with pytest.raises(ValidationError) as error:
        tenancy.restore_tenant(_rewrite_manifest(archive, tmp_path / "bad.tar.gz", change))
    assert field in error.value.errors
    assert db.session.scalar(select(Tenant).where(Tenant.slug == bureau_a.slug)) is None
    assert not (Path(app.config["TENANTS_DIR"]) / bureau_a.slug).exists()


def test_cli_refusals_are_messages_not_tracebacks(app, bureau_a, tmp_path):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["tenants", "restore", str(tmp_path / "nothing.tar.gz")])
    assert missing.exit_code == 1 and isinstance(missing.exception, SystemExit)
    assert "备份文件" in missing.output and "不存在" in missing.output
    archive = tenancy.backup_tenant(bureau_a.tenant, tmp_path)
    tenancy.delete_tenant(bureau_a.tenant, confirm_slug=bureau_a.slug)
    bad_slug = runner.invoke(args=["tenants", "restore", str(archive), "--slug", "Bad/Slug"])
    assert bad_slug.exit_code == 1 and isinstance(bad_slug.exception, SystemExit)
    assert "小写字母" in bad_slug.output
    no_db = _rewrite_manifest(archive, tmp_path / "nodb.tar.gz", lambda m: None)
    with tarfile.open(no_db, "r:gz") as source, tarfile.open(tmp_path / "nodb2.tar.gz", "w:gz") as dest:
        for member in source.getmembers():
            if member.name.startswith("bureau.sqlite3") or member.name == "schema.dump":
                continue
            dest.addfile(member, source.extractfile(member) if member.isfile() else None)
    result = runner.invoke(args=["tenants", "restore", str(tmp_path / "nodb2.tar.gz")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "没有数据库" in result.output
    corrupt = tmp_path / "corrupt.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(corrupt, "w:gz") as dest:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name in ("bureau.sqlite3", "schema.dump"):
                data = b"garbage" * 1000
                member.size = len(data)
            dest.addfile(member, io.BytesIO(data) if data is not None else None)
    result = runner.invoke(args=["tenants", "restore", str(corrupt)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "无法读取" in result.output
    assert db.session.scalar(select(Tenant).where(Tenant.slug == bureau_a.slug)) is None
