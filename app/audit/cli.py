"""``flask audit verify``, ``flask audit archive``, ``flask audit verify-archive``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.errors import NotFound
from app.tenancy.session import tenant_context

from . import archive, services
from .models import CatalogAuditEvent, TenantAuditEvent

audit_cli = AppGroup("audit", help="The tamper-evident audit trail: verify its chains, archive old events.")


@audit_cli.command("verify")
@click.option("--bureau", "slug", help="verify this bureau's chain (default: the catalog's)")
@click.option("--all", "everything", is_flag=True, help="verify the catalog's chain and every bureau's")
def verify(slug: str | None, everything: bool) -> None:
    """Recompute the chains; list every altered, removed or inserted event by sequence
    number.  Exit code 1 if any is found."""
    if slug and everything:
        raise click.UsageError("use --bureau SLUG or --all, not both")
    broken = 0
    try:
        chosen = list(archive.scopes(slug, everything=everything))
    except NotFound:
        click.secho(f"no such bureau: {slug}", fg="red", err=True)
        sys.exit(2)
    for scope, tenant in chosen:
        if tenant is None:
            report = services.verify(CatalogAuditEvent)
        else:
            with tenant_context(tenant):
                report = services.verify(TenantAuditEvent)
        if report.ok:
            click.echo(f"ok      {scope}: {report.checked} events, last {report.last_seq}, hash {report.last_hash}")
            continue
        broken += 1
        click.secho(f"BROKEN  {scope}: {len(report.findings)} problem(s) in {report.checked} events", fg="red")
        for finding in report.findings:
            click.echo(f"    {finding.kind:<9}event {finding.numbers()}" + (f"  ({finding.detail})" if finding.detail else ""))
    if broken:
        sys.exit(1)


@audit_cli.command("archive")
@click.option("--bureau", "slug", help="archive only this bureau's events")
def archive_command(slug: str | None) -> None:
    """Move events older than the retention period (ZEREN_AUDIT_RETENTION_DAYS, at least
    180 days) to signed files; each file is verified before its events are removed."""
    click.echo(f"retention: {archive.retention_days()} days; files in {archive.archive_folder()}")

    def echo(scope: str, outcome: str, text: str) -> None:
        click.secho(f"{outcome:<9}{scope}: {text}", fg="red" if outcome == "refused" else None,
                    err=outcome == "refused")

    try:
        failures = archive.archive_everywhere(echo, slug)
    except NotFound:
        click.secho(f"no such bureau: {slug}", fg="red", err=True)
        sys.exit(2)
    if failures:
        sys.exit(1)


@audit_cli.command("verify-archive")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def verify_archive(file: Path) -> None:
    """Check an archive file's signature and the chain inside it; exit code 1 if either fails."""
    check = archive.verify_archive(file)
    header = check.header
    if check.ok:
        click.echo(f"ok      {file.name}: {header.get('scope')} events {header.get('first_seq')}-{header.get('last_seq')}"
                   f" ({header.get('count')}), anchor {header.get('anchor')}")
        return
    click.secho(f"BROKEN  {file.name}", fg="red")
    for problem in check.problems:
        click.echo(f"    {problem}")
    sys.exit(1)
