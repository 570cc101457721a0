"""``flask catalog ...`` and ``flask tenants ...`` commands."""
from __future__ import annotations

import json
import sys
import time

import click
from alembic import command
from flask import current_app
from flask.cli import AppGroup

from app.errors import DomainError
from app.extensions import db

from . import migrations, services
from .models import BUREAU_CATEGORIES

catalog_cli = AppGroup("catalog", help="The catalog database (bureaus, users, city data).")
tenants_cli = AppGroup("tenants", help="Bureaus: create, list, archive, delete, back up, restore, upgrade.")


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def _domain(call):
    try:
        return call()
    except DomainError as error:
        details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in getattr(error, "errors", {}).items())
        _fail(f"{error.message} {details}".strip())


@catalog_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def catalog_upgrade(revision: str) -> None:
    """Create or upgrade the catalog database."""
    current = migrations.upgrade_catalog(db.engine, current_app.config["MIGRATIONS_DIR"], revision)
    click.echo(f"catalog at revision {current}")


@catalog_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def catalog_revision(message: str, autogenerate: bool) -> None:
    """Write a new catalog migration (compares the models with the current catalog)."""
    with db.engine.begin() as connection:
        cfg = migrations.alembic_config(current_app.config["MIGRATIONS_DIR"], migrations.CATALOG, connection)
        command.revision(cfg, message=message, autogenerate=autogenerate)


@tenants_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
@click.option("--against", "slug", help="bureau to compare the models with (default: the first)")
def tenants_revision(message: str, autogenerate: bool, slug: str | None) -> None:
    """Write a new bureau migration (compares the models with one bureau at head)."""
    tenants = services.list_tenants()
    tenant = next((t for t in tenants if t.slug == slug), None) if slug else (tenants[0] if tenants else None)
    if tenant is None:
        _fail("need an existing bureau to compare against: flask tenants create ...")
    with migrations.migration_connection(services.store(), tenant.ref) as connection:
        cfg = migrations.alembic_config(current_app.config["MIGRATIONS_DIR"], migrations.TENANT,
                                        connection, tenant.ref.schema)
        command.revision(cfg, message=message, autogenerate=autogenerate)


@tenants_cli.command("create")
@click.argument("slug")
@click.argument("name")
@click.option("--category", type=click.Choice(list(BUREAU_CATEGORIES)), default="general", show_default=True)
@click.option("--server", help="PostgreSQL tenant server name (ZEREN_TENANT_SERVERS)")
def tenants_create(slug: str, name: str, category: str, server: str | None) -> None:
    """Create bureau SLUG called NAME, with its database at head."""
    tenant = _domain(lambda: services.create_tenant(slug, name, category=category, server=server))
    click.echo(f"created {tenant.slug} ({tenant.name}) at {tenant.placement}, revision {tenant.revision}")


@tenants_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def tenants_list(as_json: bool) -> None:
    """List every bureau with its status, placement and revision."""
    from . import moves

    for slug in moves.recover_interrupted():
        click.secho(f"{slug}: an interrupted move was undone; the bureau is writable where it was", fg="yellow",
                    err=True)
    head = services.tenant_head()
    tenants = services.list_tenants()
    nodes = services.distributed_nodes(tenants)
    rows = [{"slug": t.slug, "name": t.name, "status": t.status, "placement": t.placement,
             "citus_node": nodes.get(t.slug),
             "revision": t.revision, "category": t.category, "data_version": t.data_version,
             "current": t.revision == head, "upgrade_error": t.upgrade_error,
             "upgrade_failed_at": t.upgrade_failed_at.isoformat() if t.upgrade_failed_at else None,
             "moving_to": t.moving_to, "moving_by": t.moving_by}
            for t in tenants]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no bureaus yet: flask tenants create SLUG NAME (or flask demo seed)")
    for row in rows:
        flag = "" if row["current"] else "  (behind head: run flask tenants upgrade)"
        click.echo(f"{row['slug']:<20} {row['status']:<9} {row['revision'] or '-':<24} {row['placement']:<36} {row['name']}{flag}")
        if row["citus_node"]:
            click.echo(f"{'':<20} on Citus worker {row['citus_node']}")
        if row["moving_to"]:
            click.secho(f"{'':<20} moving to {row['moving_to']} (by {row['moving_by']}): read-only", fg="yellow")
        if row["upgrade_error"]:
            click.secho(f"{'':<20} last upgrade failed {row['upgrade_failed_at']}: {row['upgrade_error']}", fg="red")


@tenants_cli.command("move")
@click.argument("slug")
@click.option("--to", "target", required=True, help="name of the PostgreSQL tenant server (ZEREN_TENANT_SERVERS)")
def tenants_move(slug: str, target: str) -> None:
    """Move bureau SLUG to another PostgreSQL server: read-only meanwhile, every table's rows
    and checksum compared before the switch, the old schema dropped only after it."""
    from . import moves

    started = time.monotonic()

    def say(stage: str) -> None:
        click.echo(f"  {time.monotonic() - started:6.1f} s  {stage}", err=True)

    moved = _domain(lambda: moves.move_tenant(slug, target, on_stage=say))
    rows = sum(count for count, _digest in moved.tables.values())
    click.echo(f"moved {slug}: {moved.source} -> {moved.target}, {len(moved.tables)} tables, {rows} rows, "
               f"{len(moved.sequences)} sequences verified, in {moved.seconds:.1f} s")


@tenants_cli.command("archive")
@click.argument("slug")
def tenants_archive(slug: str) -> None:
    """Archive a bureau: read-only, hidden from its own users."""
    tenant = _domain(lambda: services.get_tenant(slug))
    services.set_status(tenant, "archived")
    click.echo(f"archived {slug}")


@tenants_cli.command("activate")
@click.argument("slug")
def tenants_activate(slug: str) -> None:
    """Re-activate an archived bureau."""
    tenant = _domain(lambda: services.get_tenant(slug))
    services.set_status(tenant, "active")
    click.echo(f"activated {slug}")


@tenants_cli.command("delete")
@click.argument("slug")
@click.option("--yes", "confirmed", is_flag=True, help="do not ask (scripts)")
def tenants_delete(slug: str, confirmed: bool) -> None:
    """Delete a bureau, its database or schema and all its files. Cannot be undone."""
    tenant = _domain(lambda: services.get_tenant(slug))
    if not confirmed:
        typed = click.prompt(f"This deletes {tenant.name} and all its data. Type {slug} to confirm", default="",
                             show_default=False)
        if typed != slug:
            _fail("not deleted")
    _domain(lambda: services.delete_tenant(tenant, confirm_slug=slug))
    click.echo(f"deleted {slug}")


@tenants_cli.command("backup")
@click.argument("slug")
@click.option("--out", type=click.Path(), help="file or folder (default: <data root>/backups/)")
def tenants_backup(slug: str, out: str | None) -> None:
    """Write one backup file of a bureau (database + files + manifest)."""
    tenant = _domain(lambda: services.get_tenant(slug))
    path = services.backup_tenant(tenant, out)
    click.echo(str(path))


@tenants_cli.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--slug", help="restore under another short name")
def tenants_restore(archive: str, slug: str | None) -> None:
    """Restore a bureau from a backup file."""
    restored = _domain(lambda: services.restore_tenant(archive, slug=slug))
    tenant = restored.tenant
    click.echo(f"restored {tenant.slug} ({tenant.name}) at revision {tenant.revision}")
    for line in restored.skipped:
        click.secho(f"membership not restored: {line}", fg="yellow", err=True)


@tenants_cli.command("upgrade")
@click.option("--jobs", default=4, show_default=True, help="bureaus upgraded in parallel")
@click.option("--verify", is_flag=True,
              help="open every bureau, also those the catalog records at head, and read its own version")
@click.argument("slugs", nargs=-1)
def tenants_upgrade(jobs: int, verify: bool, slugs: tuple[str, ...]) -> None:
    """Upgrade every bureau (or the SLUGS given) to the head revision.

    Bureaus the catalog records at head are skipped without being opened; a run that was
    interrupted or left failures is continued by running it again."""
    total = len(slugs) if slugs else services.count_tenants()
    failures: list[str] = []
    with click.progressbar(length=total, label="upgrading bureaus", file=sys.stderr) as bar:
        def on_done(slug: str, revision: str | None, error: str | None) -> None:
            if error:
                failures.append(f"{slug}: {error}")
            bar.update(1)

        report = services.upgrade_all(jobs=jobs, slugs=list(slugs) or None, on_done=on_done, verify=verify)
    click.echo(f"{len(report.upgraded)} upgraded, {len(report.current)} already current, "
               f"{len(report.failed)} failed in {report.seconds:.2f} s")
    for line in failures:
        click.secho(f"FAILED {line}", fg="red", err=True)
    if report.failed:
        sys.exit(1)
