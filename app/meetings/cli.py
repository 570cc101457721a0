"""``flask meetings periods SLUG``: each branch's meetings held against expected."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.core.actor import Actor
from app.orgs import services as orgs
from app.tenancy import services as tenancy
from app.tenancy.session import tenant_context

from . import services
from .labels import kind_label

meetings_cli = AppGroup("meetings", help="The branches' meeting ledger (三会一课).")


@meetings_cli.command("periods")
@click.argument("slug")
@click.option("--year", type=int, default=None)
def show_periods(slug: str, year: int | None) -> None:
    """Print, per unit and kind, the periods held of those started this year."""
    tenant = tenancy.get_tenant(slug)
    with tenant_context(tenant):
        year = year or services.today().year
        for row in orgs.tree(Actor.system()).rows:
            for kind in services.periods(row.unit, year):
                click.echo(f"{row.unit.name} {kind_label(kind.kind)} {kind.held}/{kind.started}"
                           f"{' missed ' + ','.join(str(p + 1) for p in kind.missed) if kind.missed else ''}")
