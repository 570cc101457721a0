"""Jobs of the bureaus' storage: the nightly backup of every bureau with its retention,
and upgrading every bureau's database to the head revision."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from app.jobs.services import daily, every_minute, handler

from . import moves, services

BACKUPS = "backups.nightly"
UPGRADE = "tenants.upgrade"
#: Names the nightly backup gives its files (``backup_tenant``'s own pattern).
BACKUP_NAME = re.compile(r"^(?P<slug>[a-z][a-z0-9-]*)-(?P<stamp>\d{8}-\d{6})\.tar\.gz$")


def nightly_folder() -> Path:
    """Where the nightly backups go: ``<TENANTS_DIR>/backups/nightly``."""
    return Path(current_app.config["TENANTS_DIR"]) / "backups" / "nightly"


def expired(names: list[str], now: datetime, keep_days: int) -> list[str]:
    """The backup files to delete: older than ``keep_days``, except each bureau's newest
    (a bureau whose backups failed for weeks keeps its last good one)."""
    newest: dict[str, str] = {}
    dated: list[tuple[str, str, datetime]] = []
    for name in names:
        match = BACKUP_NAME.match(name)
        if not match:
            continue  # not ours: a file copied here by hand stays
        stamp = datetime.strptime(match["stamp"], "%Y%m%d-%H%M%S")
        dated.append((name, match["slug"], stamp))
        if match["slug"] not in newest or stamp > _stamp(newest[match["slug"]]):
            newest[match["slug"]] = name
    limit = now - timedelta(days=keep_days)
    return sorted(name for name, slug, stamp in dated if stamp < limit and newest[slug] != name)


def _stamp(name: str) -> datetime:
    return datetime.strptime(BACKUP_NAME.match(name)["stamp"], "%Y%m%d-%H%M%S")


@handler(BACKUPS)
def backups(progress) -> dict:
    """Back up every active bureau into :func:`nightly_folder`, then delete the expired files.

    A bureau already backed up today is skipped (a retried job does not redo them); one
    failing bureau does not stop the others, and fails the job (retried) at the end."""
    folder = nightly_folder()
    folder.mkdir(parents=True, exist_ok=True)
    today = datetime.now().strftime("%Y%m%d")
    tenants = services.list_tenants(include_archived=False)
    progress(0, len(tenants), "backing up")
    written, failed = [], {}
    for tenant in tenants:
        if any(folder.glob(f"{tenant.slug}-{today}-*.tar.gz")):
            progress.advance()
            continue
        try:
            written.append(services.backup_tenant(tenant, folder).name)
        except Exception as error:  # noqa: BLE001 - the others are still backed up
            current_app.logger.exception("nightly backup of %s failed", tenant.slug)
            failed[tenant.slug] = f"{type(error).__name__}: {error}"
        progress.advance()
    removed = expired(sorted(p.name for p in folder.iterdir()), datetime.now(),
                      int(current_app.config["BACKUP_RETENTION_DAYS"]))
    for name in removed:
        (folder / name).unlink(missing_ok=True)
    if failed:
        raise RuntimeError("backup failed for " + ", ".join(f"{slug} ({error})" for slug, error in failed.items()))
    return {"written": len(written), "removed": removed}


@handler(UPGRADE)
def upgrade(progress, slugs: list[str] | None = None) -> dict:
    """Upgrade every bureau (or ``slugs``) to the head revision, one at a time (Alembic's
    proxies are process globals)."""
    total = len(slugs) if slugs else len(services.list_tenants())
    progress(0, total, "upgrading")
    report = services.upgrade_all(jobs=1, slugs=slugs, on_done=lambda *_: progress.advance())
    if report.failed:
        raise RuntimeError("upgrade failed for " + ", ".join(f"{s}: {e}" for s, e in report.failed.items()))
    return {"upgraded": report.upgraded, "current": len(report.current)}


daily(BACKUPS, at_setting="BACKUP_AT", default_at="02:00")


@every_minute("tenancy.moves")
def undo_interrupted_moves() -> None:
    """A bureau whose move died with its process is writable again within a minute."""
    moves.recover_interrupted()
