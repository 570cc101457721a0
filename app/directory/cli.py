"""``flask directory check`` and ``flask directory demo-ldif``."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from . import demo, ldap, services

directory_cli = AppGroup("directory", help="The city's directory (LDAP) log-in.")


@directory_cli.command("check")
@click.argument("username")
@click.password_option("--password", confirmation_prompt=False, help="The person's directory password.")
def check(username: str, password: str) -> None:
    """Ask the directory about USERNAME: the entry, its groups and the roles they map to.

    Nothing is written: no account is made, no role changed.
    """
    if not services.ldap_enabled():
        raise click.ClickException("ZEREN_LDAP_URL is not set.")
    answer = ldap.verify(ldap.Settings.from_config(current_app.config), username.strip().lower(), password)
    click.echo(f"directory: {answer.status}" + (f" ({answer.detail})" if answer.detail else ""))
    if answer.entry is None:
        raise SystemExit(1)
    entry = answer.entry
    click.echo(f"entry:     {entry.dn}\nname:      {entry.display_name}\ne-mail:    {entry.email or '-'}")
    for group in entry.groups or ("-",):
        click.echo(f"group:     {group}")
    mapping = services.role_map("LDAP_ROLE_MAP")
    for role in services.grants_for(entry.groups, mapping) or ("(none: an account with no role)",):
        click.echo(f"role:      {role}")


@directory_cli.command("demo-ldif")
@click.option("--bureaus", default=8, show_default=True, help="As many bureaus as `flask demo seed` made.")
@click.option("--password", default="Demo-directory-2026", show_default=True, help="Every demo person's password.")
@click.argument("output", type=click.File("w", encoding="utf-8"), default="-")
def demo_ldif(bureaus: int, password: str, output) -> None:
    """Write the demo city's directory as LDIF (to load with slapadd or ldapadd) and print
    the ZEREN_LDAP_ROLE_MAP that goes with it."""
    text, role_map = demo.demo_directory(bureaus, password)
    output.write(text)
    click.echo(f"ZEREN_LDAP_ROLE_MAP={demo.role_map_json(role_map)}", err=True)
