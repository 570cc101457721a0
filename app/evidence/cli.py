"""``flask evidence ...``: moving the bureaus' evidence folders into the S3 bucket."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from app.errors import DomainError

from .archive import copy_folder

evidence_cli = AppGroup("evidence", help="Evidence files: copy the bureaus' folders into the S3 bucket.")


@evidence_cli.command("copy-to-s3")
@click.argument("slugs", nargs=-1)
def copy_to_s3(slugs: tuple[str, ...]) -> None:
    """Copy every bureau's evidence folder (or those of SLUGS) into the bucket of the
    ZEREN_S3_* settings, skipping what is there already.

    Run it while ZEREN_EVIDENCE_STORE is still local, switch to s3 and restart, then run it
    again for the files uploaded in between; the folders are left as they are.
    """
    from app.tenancy import services as tenancy

    from .s3 import S3BlobStore

    if not current_app.config.get("S3_BUCKET"):
        click.secho("Set ZEREN_S3_BUCKET (and the other ZEREN_S3_* settings) first.", fg="red", err=True)
        sys.exit(1)
    target = S3BlobStore.from_config(current_app.config)
    folders = current_app.extensions["zeren.tenant_store"]
    try:
        tenants = [tenancy.get_tenant(slug) for slug in slugs] or tenancy.list_tenants()
        for tenant in tenants:
            copied, present = copy_folder(tenant.slug, folders.files_dir(tenant.slug), target)
            click.echo(f"{tenant.slug}: {copied} copied, {present} already in the bucket")
    except DomainError as error:
        click.secho(error.message, fg="red", err=True)
        sys.exit(1)
