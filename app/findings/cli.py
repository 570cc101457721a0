"""``flask reminders send`` and ``flask findings reindex``."""
from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import delete, select

from app.extensions import db
from app.tenancy import services as tenancy
from app.tenancy.session import tenant_context

from . import reminders
from .models import CityFinding, Finding
from .services import short

reminders_cli = AppGroup("reminders", help="Reminder e-mails of due and overdue findings and duty items.")
findings_cli = AppGroup("findings", help="Supervision findings (督查整改).")


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None


@reminders_cli.command("send")
@click.option("--dry-run", is_flag=True, help="show what would be sent; send nothing and record nothing")
@click.option("--date", "day", help="the day to remind for (YYYY-MM-DD, default: today)")
def send(dry_run: bool, day: str | None) -> None:
    """Send each user one digest of what is due within 7 days or overdue (once a day)."""
    when = _day(day)

    def echo(outcome: str, digest: reminders.Digest, detail: str) -> None:
        who = f"{digest.user.username} <{digest.user.email}>"
        count = len(digest.reminders)
        if outcome == "sent":
            click.echo(f"sent         {who}: {count} reminders ({digest.overdue} overdue)")
        elif outcome == "would_send":
            click.echo(f"would send   {who}: {count} reminders ({digest.overdue} overdue)")
            for line in detail.rstrip().splitlines():
                click.echo(f"    {line}")
        elif outcome == "already_sent":
            click.echo(f"already sent {who}: nothing sent again today")
        else:
            click.secho(f"FAILED       {who}: {detail}", fg="red", err=True)

    try:
        report = reminders.send(when, dry_run=dry_run, echo=echo)
    except OSError as error:  # the SMTP server cannot be reached at all
        click.secho(f"cannot reach the SMTP server: {error}", fg="red", err=True)
        sys.exit(1)
    sent, would, already, failed = (report.count("sent"), report.count("would_send"),
                                    report.count("already_sent"), report.count("failed"))
    if dry_run:
        click.echo(f"dry run: {would} digests would be sent, {already} already sent today")
    else:
        click.echo(f"{sent} sent, {already} already sent today, {failed} failed")
    if failed:
        sys.exit(1)


@findings_cli.command("reindex")
def reindex() -> None:
    """Rebuild the city's register of city-raised findings from every bureau (after a
    restore, for example)."""
    total = 0
    for tenant in tenancy.list_tenants():
        tenant_id = tenant.id
        with tenant_context(tenant):
            rows = list(db.session.scalars(select(Finding).where(Finding.raised_by_city.is_(True))))
            copies = [CityFinding(tenant_id=tenant_id, finding_id=f.id, year=f.year, source=f.source, batch=f.batch,
                                  summary=short(f.description, 200), status=f.status, found_on=f.found_on,
                                  due_on=f.due_on, submitted_on=f.submitted_on, closed_on=f.closed_on)
                      for f in rows]
        db.session.execute(delete(CityFinding).where(CityFinding.tenant_id == tenant_id))
        db.session.add_all(copies)
        db.session.commit()
        total += len(copies)
        click.echo(f"{tenant.slug:<20} {len(copies)} city findings")
    click.echo(f"{total} city findings in the register")
