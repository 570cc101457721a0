"""``flask orgs list``: a bureau's organisation tree on the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.core.actor import Actor
from app.tenancy import services as tenancy
from app.tenancy.session import tenant_context

from . import services
from .labels import kind_label

orgs_cli = AppGroup("orgs", help="The bureaus' own Party organisations (党组织).")


@orgs_cli.command("list")
@click.argument("slug")
def list_units(slug: str) -> None:
    """Print the organisation tree of bureau SLUG with its election warnings."""
    tenant = tenancy.get_tenant(slug)
    with tenant_context(tenant):
        tree = services.tree(Actor.system())
        for row in tree.rows:
            due = row.due.isoformat() if row.due else "-"
            click.echo(f"{'  ' * row.depth}{row.unit.name} [{kind_label(row.unit.kind)}] "
                       f"{row.unit.member_count} {due} {row.state}")
        click.echo(f"{tree.branches} branches, {tree.members} members, {tree.overdue} elections overdue")
