"""``flask demo seed``."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.errors import DomainError

from . import services

demo_cli = AppGroup("demo", help="The demo city.")


@demo_cli.command("seed")
@click.option("--bureaus", default=8, show_default=True, type=click.IntRange(1, 5000))
@click.option("--password", help="one password for every demo account (default: a random one each, printed)")
@click.option("--force", is_flag=True, help="delete every existing bureau and user first")
@click.option("--if-empty", is_flag=True, help="do nothing (and succeed) when the catalog is not empty")
def seed(bureaus: int, password: str | None, force: bool, if_empty: bool) -> None:
    """Create the demo city and print the accounts to log in with."""
    if if_empty and not services.catalog_is_empty():
        click.echo("the catalog already has data; demo not re-seeded (use --force to rebuild it)")
        return
    if password is not None:
        from app.accounts.passwords import password_problems

        problems = password_problems(password, "city")  # the rule every account's password meets
        if problems:
            click.secho("--password: " + " ".join(problems), fg="red", err=True)
            sys.exit(2)
    click.echo(f"building the demo city with {bureaus} bureaus …")
    try:
        report = services.seed(bureaus=bureaus, password=password, force=force, echo=click.echo)
    except DomainError as error:
        click.secho(error.message, fg="red", err=True)
        sys.exit(1)
    click.echo("\naccounts (user name / password / role):")
    for c in report.credentials:
        where = f" @ {c.bureau}" if c.bureau else ""
        click.echo(f"  {c.username:<22} {c.password:<18} {c.role}{where}")
