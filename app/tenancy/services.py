"""Bureau lifecycle: provisioning, archiving, deletion, backup/restore, upgrades.

These functions are what the ``flask tenants`` commands, the city's bureau pages and the
tests call.  They work on the catalog through ``db.session`` and on a bureau's database
through its own connection (never through a session bound to another bureau).
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import multiprocessing
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from app.core.actor import Actor
from app.errors import Conflict, DomainError, NotFound, ValidationError
from app.extensions import db
from app.models import TenantModel, utcnow
from app.text import has_control_characters

from . import citus, migrations
from .models import BUREAU_CATEGORIES, TENANT_STATUSES, Tenant
from .store import POSTGRESQL, SQLITE, InvalidSlug, StorageBusy, TenantRef, TenantStore, validate_slug

BACKUP_FORMAT = 1
MANIFEST_MAX_BYTES = 1 << 20  # a real manifest is a few KB; more is not a Zeren backup


def store() -> TenantStore:
    """The application's :class:`TenantStore`."""
    return current_app.extensions["zeren.tenant_store"]


def migrations_dir() -> str:
    return current_app.config["MIGRATIONS_DIR"]


def tenant_head() -> str:
    """Head revision of the bureau migrations (what every bureau must be at to be served)."""
    return migrations.head_revision(migrations_dir(), migrations.TENANT)


def get_tenant(slug: str) -> Tenant:
    """The catalog row of a bureau; :class:`NotFound` for an unknown or invalid slug."""
    try:
        validate_slug(slug)
    except InvalidSlug:
        raise NotFound(_("No such bureau.")) from None
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound(_("No such bureau."))
    return tenant


def count_tenants() -> int:
    """How many bureaus the catalog holds (archived ones too)."""
    return db.session.scalar(select(func.count()).select_from(Tenant))


def list_tenants(include_archived: bool = True) -> list[Tenant]:
    query = select(Tenant).order_by(Tenant.id)
    if not include_archived:
        query = query.where(Tenant.status == "active")
    return list(db.session.scalars(query))


# -- provisioning -------------------------------------------------------------------
def _build_database(ref: TenantRef) -> str:
    """Create the bureau's tables at the head revision and stamp it; return the revision."""
    s = store()
    if ref.backend == SQLITE:
        folder = s.tenant_dir(ref.slug)
        folder.mkdir(parents=True, exist_ok=True)
        s.files_dir(ref.slug).mkdir(exist_ok=True)
        sqlite3.connect(s.sqlite_path(ref)).close()  # engines open existing files only
    with migrations.migration_connection(s, ref) as connection:
        on_citus = False
        if ref.backend == POSTGRESQL:
            on_citus = citus.prepare_new_schema(connection)
            connection.exec_driver_sql(f'CREATE SCHEMA "{ref.schema}"')
            connection.exec_driver_sql(f'SET LOCAL search_path TO "{ref.schema}"')
            s.files_dir(ref.slug).mkdir(parents=True, exist_ok=True)
        TenantModel.metadata.create_all(connection)
        migrations.stamp_tenant(connection, ref, migrations_dir())
        if on_citus:
            citus.ensure_distributed(connection, ref.schema)
    return tenant_head()


def distributed_nodes(tenants: list[Tenant]) -> dict[str, str]:
    """``{slug: "host:port"}``: the Citus worker node holding each bureau placed on a tenant
    server that is a Citus coordinator (read from Citus, which moves schemas by itself);
    bureaus on plain PostgreSQL servers and SQLite are left out."""
    s = store()
    by_server: dict[str, dict[str, str]] = {}
    probes: dict[str, TenantRef] = {}
    for tenant in tenants:
        ref = tenant.ref
        if ref.backend == POSTGRESQL:
            by_server.setdefault(ref.server, {})[ref.schema] = tenant.slug
            probes.setdefault(ref.server, ref)
    nodes: dict[str, str] = {}
    for server, slugs in by_server.items():
        if server not in s.servers:
            continue  # a placement naming a server no longer configured: the list still shows it
        try:
            with migrations.migration_connection(s, probes[server]) as connection:
                for schema, node in citus.schema_nodes(connection).items():
                    if schema in slugs:
                        nodes[slugs[schema]] = node
        except OperationalError:
            continue  # a server that is down: the rest of the list is still worth showing
    return nodes


def create_tenant(slug: str, name: str, *, category: str = "general", server: str | None = None,
                  actor: Actor | None = None) -> Tenant:
    """Register a bureau in the catalog and build its database at head.

    The catalog row is committed only once the database exists; if building it fails, the
    half-made folder or schema is removed and nothing is registered.
    """
    from app.audit.services import record_city

    errors: dict[str, list[str]] = {}
    try:
        validate_slug(slug)
    except InvalidSlug:
        errors["slug"] = [_("Use 2–40 characters: lower-case letters, digits and hyphens, starting with a letter.")]
    else:
        from .store import RESERVED_SLUGS

        if slug in RESERVED_SLUGS:
            errors["slug"] = [_("This short name is reserved by the system; choose another.")]
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = [_("Enter the bureau's name (at most 100 characters).")]
    elif has_control_characters(name):
        errors["name"] = [_("Line breaks and other control characters are not allowed.")]
    if category not in BUREAU_CATEGORIES:
        errors["category"] = [_("Choose a category from the list.")]
    if errors:
        raise ValidationError(_("The bureau could not be created."), errors)
    if db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise Conflict(_("A bureau with the short name %(slug)s already exists.", slug=slug))
    if db.session.scalar(select(Tenant.id).where(Tenant.name == name)) is not None:
        raise Conflict(_("A bureau named %(name)s already exists.", name=name))

    s = store()
    try:
        ref = s.placement_for(slug, server)
    except KeyError:
        if s.backend == SQLITE:
            message = _("Bureaus are placed on servers only with PostgreSQL: this installation keeps each "
                        "bureau in a SQLite file.")
        else:
            message = _("There is no tenant server named %(name)s (ZEREN_TENANT_SERVERS has: %(known)s).",
                        name=server or s.default_server, known="、".join(s.servers))
        raise ValidationError(_("The bureau could not be created."), {"server": [message]}) from None
    if ref.backend == SQLITE and s.tenant_dir(slug).exists():
        raise Conflict(_("Data for %(slug)s already exists on disk; restore or remove it first.", slug=slug))
    try:
        revision = _build_database(ref)
    except Exception:
        _destroy_database(ref)
        raise
    tenant = Tenant(slug=slug, name=name, category=category, status="active", backend=ref.backend,
                    server=ref.server, schema_name=ref.schema, storage_key=ref.storage, revision=revision)
    db.session.add(tenant)
    db.session.flush()
    record_city("tenant.create", "tenant", tenant.id, summary=f"创建单位 {name}（{slug}）",
                after={"slug": slug, "name": name, "category": category, "placement": tenant.placement},
                tenant_slug=slug, actor=actor)
    db.session.commit()
    return tenant


def update_tenant(tenant: Tenant, *, name: str, category: str, version: int | str | None,
                  actor: Actor | None = None) -> Tenant:
    """Rename or re-categorise a bureau (optimistic locking on ``version``)."""
    from app.audit.services import changes, record_city
    from app.errors import check_version

    check_version(tenant, version)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError(_("The bureau could not be saved."), {"name": [_("Enter the bureau's name (at most 100 characters).")]})
    if has_control_characters(name):
        raise ValidationError(_("The bureau could not be saved."),
                              {"name": [_("Line breaks and other control characters are not allowed.")]})
    if category not in BUREAU_CATEGORIES:
        raise ValidationError(_("The bureau could not be saved."), {"category": [_("Choose a category from the list.")]})
    clash = db.session.scalar(select(Tenant.id).where(Tenant.name == name, Tenant.id != tenant.id))
    if clash is not None:
        raise Conflict(_("A bureau named %(name)s already exists.", name=name))
    before = {"name": tenant.name, "category": tenant.category}
    tenant.name, tenant.category = name, category
    old, new = changes(before, {"name": name, "category": category})
    if new:
        record_city("tenant.update", "tenant", tenant.id, summary=f"修改单位 {tenant.slug}",
                    before=old, after=new, tenant_slug=tenant.slug, actor=actor)
    db.session.commit()
    return tenant


def set_status(tenant: Tenant, status: str, *, actor: Actor | None = None) -> Tenant:
    """Archive (read-only, hidden from bureau users) or re-activate a bureau."""
    from app.audit.services import record_city

    if status not in TENANT_STATUSES:
        raise ValidationError(_("Unknown status."))
    if tenant.status == status:
        return tenant
    before = tenant.status
    tenant.status = status
    tenant.archived_at = utcnow() if status == "archived" else None
    record_city(f"tenant.{'archive' if status == 'archived' else 'activate'}", "tenant", tenant.id,
                summary=f"{'归档' if status == 'archived' else '恢复启用'}单位 {tenant.name}",
                before={"status": before}, after={"status": status}, tenant_slug=tenant.slug, actor=actor)
    db.session.commit()
    return tenant


def _destroy_database(ref: TenantRef) -> None:
    """Remove a bureau's folder (with -wal/-shm files) or drop its schema."""
    s = store()
    s.forget(ref)
    if ref.backend == POSTGRESQL:
        with migrations.migration_connection(s, ref) as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{ref.schema}" CASCADE')
    folder = s.tenant_dir(ref.slug)
    if folder.exists():
        shutil.rmtree(folder)
    from app.evidence import archive as evidence_archive  # evidence kept outside the folder (S3)

    evidence_archive.destroy(ref.slug)


def delete_tenant(tenant: Tenant, *, confirm_slug: str, actor: Actor | None = None) -> None:
    """Delete a bureau for good: its database/schema, its files and its catalog rows.

    ``confirm_slug`` must repeat the slug (the CLI and the page both ask for it).
    """
    from app.audit.services import record_city

    if confirm_slug != tenant.slug:
        raise ValidationError(_("Type the short name %(slug)s to confirm.", slug=tenant.slug),
                              {"confirm": [_("Type the short name %(slug)s to confirm.", slug=tenant.slug)]})
    from app.accounts.models import Membership

    ref = tenant.ref
    for membership in db.session.scalars(select(Membership).where(Membership.tenant_id == tenant.id)):
        db.session.delete(membership)
    record_city("tenant.delete", "tenant", tenant.id, summary=f"删除单位 {tenant.name}（{tenant.slug}）",
                before={"slug": tenant.slug, "name": tenant.name, "placement": tenant.placement},
                tenant_slug=tenant.slug, actor=actor)
    db.session.delete(tenant)
    # Writers that opened this bureau before the catalog row goes either finish first or
    # find the row gone when they commit (see :func:`app.tenancy.session.verify_storage`).
    try:
        with store().write_locked(ref):
            db.session.commit()
    except StorageBusy:
        db.session.rollback()
        raise Conflict(_("%(name)s is busy saving changes; try deleting it again in a moment.",
                         name=tenant.name)) from None
    _destroy_database(ref)


# -- backup and restore -------------------------------------------------------------
def _memberships_of(tenant: Tenant) -> list[dict]:
    from app.accounts.models import Membership

    rows = db.session.scalars(select(Membership).where(Membership.tenant_id == tenant.id))
    return [{"username": m.user.username, "role": m.role} for m in rows]


def _memberships_signature(slug: str, memberships: object) -> str:
    """HMAC of a backup's memberships under this installation's secret key.

    Roles are the one part of a backup that grants access; a restore re-links them only
    when the backup was made here and its list was not edited since.
    """
    payload = json.dumps({"slug": slug, "memberships": memberships}, sort_keys=True, ensure_ascii=False)
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def backup_tenant(tenant: Tenant, target: str | Path | None = None) -> Path:
    """Write one ``.tar.gz`` with the bureau's database, its files and a manifest.

    SQLite uses the online backup API (consistent while the bureau is in use);
    PostgreSQL uses ``pg_dump -n t_<slug>`` in custom format.  Memberships are catalog
    data; they are recorded in the manifest so that a restore can re-link existing users.
    """
    s = store()
    ref = tenant.ref
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    if target is None:
        target = Path(current_app.config["TENANTS_DIR"]) / "backups" / f"{tenant.slug}-{stamp}.tar.gz"
    target = Path(target)
    if target.is_dir() or not target.name.endswith(".tar.gz"):  # a folder, existing or not
        target = target / f"{tenant.slug}-{stamp}.tar.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": BACKUP_FORMAT, "slug": tenant.slug, "name": tenant.name, "category": tenant.category,
        "backend": ref.backend, "revision": tenant.revision, "created_at": utcnow().isoformat(),
        "memberships": _memberships_of(tenant),
    }
    manifest["memberships_signature"] = _memberships_signature(tenant.slug, manifest["memberships"])
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if ref.backend == SQLITE:
            database = tmp_path / "bureau.sqlite3"
            source = sqlite3.connect(s.sqlite_path(ref))
            dest = sqlite3.connect(database)
            try:
                source.backup(dest)
            finally:
                dest.close()
                source.close()
            member = ("bureau.sqlite3", database)
        else:
            database = tmp_path / "schema.dump"
            _pg_tool(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                      f"--schema={ref.schema}", f"--file={database}"], s.servers[ref.server])
            member = ("schema.dump", database)
        partial = target.with_suffix(target.suffix + ".part")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(time.time())
            archive.addfile(info, io.BytesIO(data))
            archive.add(member[1], arcname=member[0])
            # Every blob under files/, read from the configured store (app/evidence/archive.py);
            # a store that cannot be read leaves no partial file behind.
            from app.evidence import archive as evidence_archive

            try:
                evidence_archive.add_to_backup(archive, tenant.slug, s.files_dir(tenant.slug))
            except BaseException:
                archive.close()
                partial.unlink(missing_ok=True)
                raise
        partial.replace(target)
    return target


def _pg_tool(args: list[str], url: str) -> None:
    """Run pg_dump / pg_restore against a server given as a SQLAlchemy URL."""
    parsed = make_url(url)
    libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        subprocess.run([*args, f"--dbname={libpq}"], check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise RuntimeError(f"{args[0]} is not installed (Debian package postgresql-client)") from None
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"{args[0]} failed: {exc.stderr.strip()}") from None


def _safe_members(archive: tarfile.TarFile) -> Iterable[tarfile.TarInfo]:
    for member in archive.getmembers():
        path = Path(member.name)
        if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
            raise ValidationError(_("The backup file contains an unsafe path: %(path)s", path=member.name))
        yield member


def read_manifest(archive_path: str | Path) -> dict:
    """The manifest of a backup file, checked field by field.

    A backup file comes from outside: nothing in its manifest is trusted.  Refusals are
    :class:`ValidationError` with every problem listed; memberships are only *proposals*
    that :func:`restore_tenant` filters.
    """
    path = Path(archive_path)
    if not path.is_file():
        raise ValidationError(_("The backup file %(path)s does not exist.", path=str(archive_path)))
    try:
        with tarfile.open(path, "r:gz") as archive:
            handle = archive.extractfile("manifest.json")
            manifest = json.loads(handle.read(MANIFEST_MAX_BYTES + 1).decode()) if handle else None
    except (OSError, KeyError, EOFError, tarfile.TarError, ValueError, RecursionError, UnicodeDecodeError):
        raise ValidationError(_("This is not a Zeren bureau backup.")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        raise ValidationError(_("This is not a Zeren bureau backup."))
    problems: dict[str, list[str]] = {}
    try:
        validate_slug(manifest.get("slug"))
    except InvalidSlug:
        problems["slug"] = [_("The short name in the backup is not valid.")]
    name = manifest.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100 or has_control_characters(name):
        problems["name"] = [_("The bureau's name in the backup is missing or longer than 100 characters.")]
    if manifest.get("category", "general") not in BUREAU_CATEGORIES:
        problems["category"] = [_("The category in the backup is not one of Zeren's categories.")]
    if manifest.get("backend") not in (SQLITE, POSTGRESQL):
        problems["backend"] = [_("The backup does not say which database it was made on.")]
    if not isinstance(manifest.get("memberships", []), list):
        problems["memberships"] = [_("The list of members in the backup is not a list.")]
    if problems:
        raise ValidationError(_("The backup's manifest is damaged or was altered; nothing was restored."), problems)
    manifest["name"] = name.strip()
    return manifest


@dataclass
class Restored:
    """Outcome of :func:`restore_tenant`: the bureau, and the memberships it did not re-link."""

    tenant: Tenant
    skipped: list[str] = field(default_factory=list)


def _memberships_to_link(proposed: list) -> tuple[list[tuple[object, str]], list[str]]:
    """Which of a manifest's memberships may be re-linked: bureau roles of existing users.

    A manifest may have been altered: it never grants a city role or a role of another
    kind, never names a user twice, and never creates an account.
    """
    from app.accounts.models import BUREAU_ROLES, User

    names = [item.get("username") for item in proposed if isinstance(item, dict)]
    users = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_([n for n in names if isinstance(n, str)])))}
    linked: list[tuple[object, str]] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for item in proposed:
        username = item.get("username") if isinstance(item, dict) else None
        role = item.get("role") if isinstance(item, dict) else None
        label = f"{str(username)[:60]} ({str(role)[:30]})"
        if not isinstance(username, str) or not isinstance(role, str):
            skipped.append(_("%(entry)s: not a user name and a role", entry=label))
        elif role not in BUREAU_ROLES:
            skipped.append(_("%(entry)s: not a bureau role", entry=label))
        elif username not in users:
            skipped.append(_("%(entry)s: no such user here", entry=label))
        elif username in seen:
            skipped.append(_("%(entry)s: listed more than once", entry=label))
        else:
            seen.add(username)
            linked.append((users[username], role))
    return linked, skipped


def restore_tenant(archive_path: str | Path, *, slug: str | None = None, actor: Actor | None = None) -> Restored:
    """Restore a bureau from :func:`backup_tenant`'s file, as ``slug`` (default: the original).

    Refuses to overwrite an existing bureau: delete it first, or restore under a new slug.
    A backup from an older revision is upgraded to head after the restore.  The restored
    database gets a new storage key, so no process can mistake it for the deleted one.
    Memberships are re-linked only for bureau roles of users that exist; the others are
    returned in :attr:`Restored.skipped`.
    """
    from app.accounts.models import Membership
    from app.audit.services import record_city

    manifest = read_manifest(archive_path)
    try:
        slug = validate_slug(slug or manifest["slug"])
    except InvalidSlug:
        raise ValidationError(_("The bureau could not be restored."), {"slug": [
            _("Use 2–40 characters: lower-case letters, digits and hyphens, starting with a letter.")]}) from None
    from .store import RESERVED_SLUGS

    if slug in RESERVED_SLUGS:
        raise ValidationError(_("The bureau could not be restored."), {"slug": [
            _("This short name is reserved by the system; choose another.")]})
    if db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise Conflict(_("A bureau with the short name %(slug)s already exists.", slug=slug))
    name = manifest["name"]
    if db.session.scalar(select(Tenant.id).where(Tenant.name == name)) is not None:
        name = f"{name}（{slug}）"[:100]
    s = store()
    ref = s.placement_for(slug)
    if ref.backend != manifest["backend"]:
        raise ValidationError(_("This backup was made on %(backend)s and cannot be restored here.",
                                backend=manifest["backend"]))
    if ref.backend == SQLITE and s.tenant_dir(slug).exists():
        raise Conflict(_("Data for %(slug)s already exists on disk; restore or remove it first.", slug=slug))
    database_member = "bureau.sqlite3" if ref.backend == SQLITE else "schema.dump"
    try:
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive_path, "r:gz") as archive:
            # The "data" filter (Python 3.11.4+, not Debian 12's 3.11.2) refuses what
            # _safe_members refuses and more; older Pythons get _safe_members alone.
            safety = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            archive.extractall(tmp, members=list(_safe_members(archive)), **safety)
            tmp_path = Path(tmp)
            if not (tmp_path / database_member).is_file():
                raise ValidationError(_("The backup has no database (%(member)s).", member=database_member))
            folder = s.tenant_dir(slug)
            folder.mkdir(parents=True)
            from app.evidence import archive as evidence_archive  # into the configured store

            evidence_archive.restore_from_backup(slug, tmp_path / "files", s.files_dir(slug))
            if ref.backend == SQLITE:
                shutil.copyfile(tmp_path / database_member, s.sqlite_path(ref))
            else:
                _restore_schema(ref, manifest, tmp_path / database_member)
        revision = migrations.upgrade_tenant(s, ref, migrations_dir())
    except DomainError:
        _destroy_database(ref)
        raise
    except (OSError, tarfile.TarError, EOFError, RuntimeError, SQLAlchemyError, sqlite3.Error) as error:
        _destroy_database(ref)
        raise ValidationError(_("The backup's database could not be read (%(error)s); nothing was restored.",
                                error=f"{type(error).__name__}: {str(error)[:200]}")) from None
    except Exception:
        _destroy_database(ref)
        raise
    tenant = Tenant(slug=slug, name=name, category=manifest.get("category", "general"), status="active",
                    backend=ref.backend, server=ref.server, schema_name=ref.schema, storage_key=ref.storage,
                    revision=revision)
    db.session.add(tenant)
    db.session.flush()
    proposed = manifest.get("memberships", [])
    signature = manifest.get("memberships_signature")
    if isinstance(signature, str) and hmac.compare_digest(
            signature, _memberships_signature(manifest["slug"], proposed)):
        linked, skipped = _memberships_to_link(proposed)
    else:
        linked, skipped = [], [_("The backup's list of members was not made by this installation or was altered: "
                                 "no member was re-linked; assign the bureau's users again.")] if proposed else []
    for user, role in linked:
        db.session.add(Membership(user_id=user.id, tenant_id=tenant.id, role=role))
    record_city("tenant.restore", "tenant", tenant.id, summary=f"从备份恢复单位 {name}（{slug}）",
                after={"slug": slug, "from": Path(archive_path).name, "revision": revision,
                       "members": [f"{u.username}:{r}" for u, r in linked], "skipped": skipped},
                tenant_slug=slug, actor=actor)
    db.session.commit()
    return Restored(tenant=tenant, skipped=skipped)


def _restore_schema(ref: TenantRef, manifest: dict, dump: Path) -> None:
    """Load a ``pg_dump -n`` file, renaming the schema when restoring under a new slug."""
    s = store()
    url = s.servers[ref.server]
    original = "t_" + manifest["slug"].replace("-", "_")
    if original == ref.schema:
        _pg_tool(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", str(dump)], url)
        return
    # Restore into a scratch name is not possible with pg_restore alone: restore, then rename.
    with migrations.migration_connection(s, ref) as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :n"), {"n": original}).first()
    if exists:
        raise Conflict(_("Schema %(schema)s is in use; restore under the original short name after deleting it.",
                         schema=original))
    _pg_tool(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", str(dump)], url)
    with migrations.migration_connection(s, ref) as connection:
        connection.exec_driver_sql(f'ALTER SCHEMA "{original}" RENAME TO "{ref.schema}"')


# -- upgrades -----------------------------------------------------------------------
@dataclass
class UpgradeReport:
    """Outcome of upgrading many bureaus."""

    upgraded: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


#: An upgrade worker process's store and migration engines, kept from one bureau to the
#: next (a worker goes through hundreds): keyed by the settings they were made with.
_worker_state: dict[str, tuple[TenantStore, dict]] = {}


def _upgrade_in_worker(ref: TenantRef, settings: dict) -> str | None:
    """Upgrade one bureau in a worker process (Alembic's ``context`` and ``op`` proxies are
    module globals, so two migrations must never run in threads of one process)."""
    key = repr(sorted(settings.items()))
    state = _worker_state.get(key)
    if state is None:
        worker_store = TenantStore(tenants_dir=settings["tenants_dir"], catalog_url=settings["catalog_url"],
                                   servers=settings["servers"], capacity=1,
                                   busy_timeout_ms=settings["busy_timeout_ms"],
                                   engine_options=settings["engine_options"])
        state = _worker_state[key] = (worker_store, {})
    worker_store, engines = state
    try:
        return migrations.upgrade_tenant(worker_store, ref, settings["migrations_dir"], engines=engines)
    finally:
        worker_store.forget(ref)  # a SQLite bureau's engine: one file of thousands, not kept


def _forget_worker_state() -> None:
    """Close what :func:`_upgrade_in_worker` kept (when this process ran the upgrades itself)."""
    for worker_store, engines in _worker_state.values():
        worker_store.dispose_all()
        for engine in engines.values():
            engine.dispose()
    _worker_state.clear()


def upgrade_all(jobs: int = 4, slugs: list[str] | None = None,
                on_done: Callable[[str, str | None, str | None], None] | None = None,
                verify: bool = False) -> UpgradeReport:
    """Upgrade every bureau (or ``slugs``) to head with at most ``jobs`` worker processes.

    Bureaus the catalog records at head are counted current without being opened (one
    catalog query: a run with nothing to do costs the same at 5,000 bureaus as at 5), unless
    ``verify`` asks for every bureau's own version table to be read.  Each bureau's new
    revision is recorded in the catalog as soon as it is done and a failure on its row, so
    a run that was interrupted or partly failed is continued by running it again.
    ``on_done(slug, revision, error)`` is called in this process after each bureau.
    """
    started = time.perf_counter()
    head = tenant_head()
    query = select(Tenant.slug, Tenant.revision).order_by(Tenant.id)
    if slugs:
        query = query.where(Tenant.slug.in_(slugs))
    listed = dict(db.session.execute(query).all())
    report = UpgradeReport()
    report.current = [slug for slug, revision in listed.items() if revision == head and not verify]
    for slug in report.current:
        if on_done:
            on_done(slug, head, None)
    refs = {t.slug: (t.ref, t.revision) for t in db.session.scalars(
        select(Tenant).where(Tenant.slug.in_([slug for slug in listed if slug not in set(report.current)]))
        .order_by(Tenant.id))}
    s = store()
    settings = {"tenants_dir": str(s.tenants_dir), "catalog_url": s.catalog_url, "servers": s.servers,
                "busy_timeout_ms": s.busy_timeout_ms, "migrations_dir": migrations_dir(),
                "engine_options": s.engine_options}

    def finish(slug: str, revision: str | None, error: BaseException | None) -> None:
        if error is not None:
            report.failed[slug] = f"{type(error).__name__}: {error}"
            values = {"upgrade_error": report.failed[slug][:500], "upgrade_failed_at": utcnow()}
        else:
            (report.current if refs[slug][1] == revision == head else report.upgraded).append(slug)
            values = {"revision": revision, "upgrade_error": None, "upgrade_failed_at": None}
        db.session.execute(update(Tenant).where(Tenant.slug == slug).values(**values))
        db.session.commit()
        if on_done:
            on_done(slug, revision, report.failed.get(slug))

    pending = {slug: ref for slug, (ref, _revision) in refs.items()}
    if jobs <= 1 or len(pending) <= 1:
        for slug, ref in pending.items():
            s.forget(ref)  # the migration writes the file; drop any pooled connection to it
            try:
                finish(slug, _upgrade_in_worker(ref, settings), None)
            except Exception as exc:  # one broken bureau must not stop the others
                finish(slug, None, exc)
        _forget_worker_state()
    else:
        # "spawn": a forked child would inherit this process's pooled connections.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(pending)), mp_context=context) as pool:
            futures = {pool.submit(_upgrade_in_worker, ref, settings): slug for slug, ref in pending.items()}
            for future in as_completed(futures):
                slug = futures[future]
                try:
                    finish(slug, future.result(), None)
                except Exception as exc:
                    finish(slug, None, exc)
        for ref in pending.values():
            s.forget(ref)
    report.seconds = time.perf_counter() - started
    return report
