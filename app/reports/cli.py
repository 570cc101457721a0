"""``flask reports``: render reports from the command line and warm the caches.

    flask reports bureau SLUG --year Y --out FILE [--html FILE] [--kind report|scores|ledger] [--as bureau]
    flask reports city --year Y --out FILE [--html FILE] [--docx FILE]
    flask reports warm [--year Y]

``--html`` writes the exact HTML given to WeasyPrint (the parts joined; each part starts a
page), for comparison and debugging.  The commands read through the same services as the
pages and use the same disk cache (``--fresh`` renders anyway).
"""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.errors import NotFound

from . import pdf, render, services

reports_cli = AppGroup("reports", help="Render PDF/docx reports and warm their caches.")


def _year(year: int | None) -> int:
    if year is None:
        return services.today().year
    if not 2000 <= year <= 2100:
        raise click.BadParameter("the year must be between 2000 and 2100", param_hint="--year")
    return year


def _write(path: str | None, data: bytes | str) -> None:
    if path:
        target = Path(path)
        if isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(data)


def _fonts_or_exit() -> None:
    try:
        pdf.check_fonts(current_app.config)
    except pdf.FontsMissing as error:
        raise click.ClickException(str(error)) from None


@reports_cli.command("bureau")
@click.argument("slug")
@click.option("--year", type=int, help="Year of the report (default: this year).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="PDF file to write.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False), help="Also write the HTML given to WeasyPrint.")
@click.option("--kind", type=click.Choice(["report", "scores", "ledger"]), default="report", show_default=True,
              help="Annual report, score-sheet printout or rectification ledger.")
@click.option("--as", "audience", type=click.Choice(["city", "bureau"]), default="city", show_default=True,
              help="Whose view: the bureau sees the review only once the sheet is final.")
@click.option("--fresh", is_flag=True, help="Render even if the report is cached.")
def bureau_command(slug: str, year: int | None, out: str, html_out: str | None, kind: str, audience: str,
                   fresh: bool) -> None:
    """Render a bureau's report to FILE."""
    from app.findings.services import Filters
    from app.tenancy import services as tenancy
    from app.tenancy.session import tenant_context

    year = _year(year)
    _fonts_or_exit()
    try:
        tenant = tenancy.get_tenant(slug)
    except NotFound:
        raise click.ClickException(f"no such bureau: {slug}") from None
    with tenant_context(tenant):
        from app.extensions import db
        from app.tenancy.models import Tenant

        tenant = db.session.get(Tenant, tenant.id)
        city = audience == "city"
        if kind == "report":
            html = services.bureau_report_html(tenant, year, city=city) if html_out else None
            rendered = services.bureau_report(tenant, year, city=city, use_cache=not fresh)
        elif kind == "scores":
            html = services.score_sheet_html(year)
            if html is None:
                raise click.ClickException(f"{slug} has no score sheet for {year}")
            rendered = services.score_sheet(tenant, year, use_cache=not fresh)
        else:
            html = services.ledger_html(tenant, Filters(year=year)) if html_out else None
            rendered = services.ledger(tenant, Filters(year=year), use_cache=not fresh)
    _write(html_out, html or "")
    _write(out, rendered.data)
    click.echo(f"{out}: {len(rendered.data):,} bytes in {rendered.seconds:.2f} s"
               f"{' (from the cache)' if rendered.cached else ''}")


@reports_cli.command("city")
@click.option("--year", type=int, help="Year of the summary (default: this year).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="PDF file to write.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False), help="Also write the HTML given to WeasyPrint.")
@click.option("--docx", "docx_out", type=click.Path(dir_okay=False), help="Also write the editable .docx.")
@click.option("--fresh", is_flag=True, help="Render even if the summary is cached.")
@click.option("--bureau", "chosen", multiple=True, metavar="SLUG",
              help="Profile this bureau (repeatable): beyond REPORTS_CITY_PROFILES_MAX bureaus only the "
                   "chosen ones are profiled.")
def city_command(year: int | None, out: str, html_out: str | None, docx_out: str | None, fresh: bool,
                 chosen: tuple[str, ...]) -> None:
    """Render the city summary to FILE."""
    year = _year(year)
    _fonts_or_exit()
    unknown = sorted(set(chosen) - {t.slug for t in services.active_tenants()})
    if unknown:
        raise click.UsageError(f"no active bureau {', '.join(unknown)} (see flask tenants list)")
    if html_out:
        _write(html_out, services.city_summary_html(services.city_summary(year, chosen=chosen)))
    rendered = services.city_pdf(year, use_cache=not fresh, chosen=chosen)
    _write(out, rendered.data)
    click.echo(f"{out}: {len(rendered.data):,} bytes in {rendered.seconds:.2f} s"
               f"{' (from the cache)' if rendered.cached else ''}")
    if docx_out:
        document = services.city_docx(year, use_cache=not fresh, chosen=chosen)
        _write(docx_out, document.data)
        click.echo(f"{docx_out}: {len(document.data):,} bytes in {document.seconds:.2f} s")


@reports_cli.command("warm")
@click.option("--year", type=int, help="Year to prepare (default: this year).")
def warm_command(year: int | None) -> None:
    """Check the fonts and fill the disk cache: every active bureau's annual report (city
    view) and the city summary (PDF and docx), so that the day's first downloads are
    instant.  Run it after deployments or from a nightly job."""
    from app.tenancy.session import tenant_context

    year = _year(year)
    _fonts_or_exit()
    started = time.perf_counter()
    render.warm(current_app._get_current_object())
    click.echo(f"fonts and WeasyPrint: {time.perf_counter() - started:.2f} s")
    for tenant in services.active_tenants():
        with tenant_context(tenant):
            from app.extensions import db
            from app.tenancy.models import Tenant

            rendered = services.bureau_report(db.session.get(Tenant, tenant.id), year, city=True)
        click.echo(f"{tenant.slug}: {rendered.seconds:.2f} s{' (cached)' if rendered.cached else ''}")
    for kind, make in (("city summary (PDF)", services.city_pdf), ("city summary (docx)", services.city_docx)):
        rendered = make(year)
        click.echo(f"{kind}: {rendered.seconds:.2f} s{' (cached)' if rendered.cached else ''}")
    click.echo(f"done in {time.perf_counter() - started:.1f} s")
