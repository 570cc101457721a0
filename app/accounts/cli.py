"""``flask accounts unlock``, ``grant-role`` and ``reset-two-factor``: the security
administrator's work from the server's shell (audited as the system)."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.core.actor import Actor
from app.errors import DomainError
from app.tenancy import services as tenancy

from . import services
from .models import ROLES

accounts_cli = AppGroup("accounts", help="Accounts: unlock, roles, two-factor resets.")


def _user(username: str):
    try:
        return services.find_user(username)
    except DomainError as error:
        click.secho(f"{username}: {error.message}", fg="red", err=True)
        sys.exit(1)


def _fail(error: DomainError) -> None:
    details = [str(m) for messages in getattr(error, "errors", {}).values() for m in messages]
    click.secho(" ".join([str(error.message), *details]), fg="red", err=True)
    sys.exit(1)


@accounts_cli.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """End the lock of USERNAME after too many failed log-ins."""
    user = _user(username)
    services.unlock(user, actor=Actor.system())
    click.echo(f"{user.username} unlocked")


@accounts_cli.command("grant-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--bureau", help="the bureau's short name (for a bureau role)")
def grant_role(username: str, role: str, bureau: str | None) -> None:
    """Give USERNAME the ROLE (a city role, one of the three administrators', or a bureau
    role with --bureau)."""
    user = _user(username)
    try:
        tenant = tenancy.get_tenant(bureau) if bureau else None
        services.grant_role(user, role, tenant=tenant, actor=Actor.system())
    except DomainError as error:
        _fail(error)
    click.echo(f"{user.username}: {role}" + (f" @ {bureau}" if bureau else ""))


@accounts_cli.command("reset-two-factor")
@click.argument("username")
def reset_two_factor(username: str) -> None:
    """Remove USERNAME's second factor (a lost phone): they set it up again."""
    user = _user(username)
    try:
        services.reset_two_factor(user, actor=Actor.system())
    except DomainError as error:
        _fail(error)
    click.echo(f"{user.username}: two-factor log-in reset")
