"""``flask rollup ...``: rebuild the city's roll-up figures."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.extensions import db
from app.tenancy.models import Tenant

from . import metrics

rollup_cli = AppGroup("rollup", help="The city's roll-up of bureau figures.")


@rollup_cli.command("refresh")
@click.option("--all", "everything", is_flag=True, help="every bureau (default when no SLUG is given)")
@click.option("--jobs", default=2, show_default=True, help="bureaus computed in parallel")
@click.option("--year", "years", type=int, multiple=True, help="year(s) to compute (default: current and known)")
@click.argument("slugs", nargs=-1)
def refresh(everything: bool, jobs: int, years: tuple[int, ...], slugs: tuple[str, ...]) -> None:
    """Recompute the figures of every bureau (or the SLUGS given) into the catalog."""
    if everything and slugs:
        raise click.UsageError("give either --all or SLUGs")
    query = select(func.count()).select_from(Tenant)
    if slugs:
        query = query.where(Tenant.slug.in_(slugs))
    total = db.session.scalar(query) or 0
    problems: list[str] = []
    with click.progressbar(length=total, label="refreshing figures", file=sys.stderr) as bar:
        def on_done(slug: str, error: str | None) -> None:
            if error:
                problems.append(f"{slug}: {error}")
            bar.update(1)

        failures = metrics.refresh_all(slugs=list(slugs) or None, years=list(years) or None,
                                       jobs=jobs, on_done=on_done)
    click.echo(f"{total - len(failures)} bureaus refreshed, {len(failures)} failed")
    for line in problems:
        click.secho(f"FAILED {line}", fg="red", err=True)
    if failures:
        sys.exit(1)
