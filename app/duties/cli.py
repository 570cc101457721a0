"""``flask duties ...``: the default template for a new city, and a bureau's figures."""
from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from app.errors import DomainError
from app.tenancy import services as tenancy
from app.tenancy.session import tenant_context

from . import catalog, services

duties_cli = AppGroup("duties", help="Duty lists: the default template, a bureau's figures.")


@duties_cli.command("default-template")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="the year the template is for")
@click.option("--draft", is_flag=True, help="leave it as a draft for the city to edit instead of publishing it")
def default_template(year: int, draft: bool) -> None:
    """Load the shipped default duty-list template for YEAR (published unless --draft)."""
    try:
        if draft:
            template = catalog.create_template(year, source="default")
        else:
            template = catalog.ensure_default_published(year)
    except DomainError as error:
        click.secho(error.message, fg="red", err=True)
        sys.exit(1)
    state = "published" if template.is_published else "draft"
    click.echo(f"{template.title}: version {template.edition}, {len(template.items)} items, {state}")


@duties_cli.command("metrics")
@click.argument("slug")
@click.option("--year", type=click.IntRange(2000, 2100), required=True)
def metrics(slug: str, year: int) -> None:
    """Print a bureau's duty figures for YEAR as JSON (what the city roll-up receives)."""
    try:
        tenant = tenancy.get_tenant(slug)
    except DomainError as error:
        click.secho(error.message, fg="red", err=True)
        sys.exit(1)
    with tenant_context(tenant):
        click.echo(json.dumps(services.metrics(year), ensure_ascii=False, indent=2))
