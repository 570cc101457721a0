"""Retention of the audit trail: events older than the retention period leave the
database only through a signed archive file, written, read back and verified first.

An archive is a JSON-lines file: a header (scope, first and last sequence numbers, count,
the hash the first event links to, and the *anchor*, the hash of the last event) and one
line per event with every hashed field and its chain columns.  Beside it, ``<file>.sig``
holds an HMAC-SHA256 of the file's bytes under ``AUDIT_ARCHIVE_KEY``.  Once the file
verifies, the archived events are deleted in one transaction that also moves the chain's
anchor to the last of them and records an ``audit.archive`` event: the remaining chain
verifies from that anchor, and the file continues it backwards.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from flask import current_app
from sqlalchemy import delete, func, inspect, select, text, update

from app.core.unit_of_work import writes
from app.extensions import db
from app.models import utcnow

from . import chain, guard
from .models import CatalogAuditEvent, TenantAuditEvent

FORMAT = "zeren-audit-archive/1"
ALGORITHM = "HMAC-SHA256"
MIN_RETENTION_DAYS = 180
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class ArchiveRefused(RuntimeError):
    """The events could not be archived safely; nothing was removed."""


@dataclass
class Archived:
    """One archive written and the events it removed."""

    path: Path
    first_seq: int
    last_seq: int
    count: int
    anchor: str


@dataclass
class ArchiveCheck:
    """What reading an archive file back found."""

    header: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the signature and the chain inside the file hold."""
        return not self.problems


def retention_days() -> int:
    """The configured retention, never below the 180 days the trail must be kept."""
    return max(MIN_RETENTION_DAYS, int(current_app.config.get("AUDIT_RETENTION_DAYS") or MIN_RETENTION_DAYS))


def archive_key() -> bytes:
    """The signing key: ``AUDIT_ARCHIVE_KEY``, or one derived from the secret key."""
    configured = current_app.config.get("AUDIT_ARCHIVE_KEY")
    if configured:
        return configured.encode("utf-8")
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(secret, b"zeren audit archive", hashlib.sha256).digest()


def archive_folder() -> Path:
    """Where archive files go (``AUDIT_ARCHIVE_DIR`` or ``<TENANTS_DIR>/audit-archive``)."""
    folder = current_app.config.get("AUDIT_ARCHIVE_DIR") or Path(current_app.config["TENANTS_DIR"]) / "audit-archive"
    return Path(folder)


def _line(values: dict) -> str:
    document = dict(values)
    document["at"] = chain.utc_text(document["at"])
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def _signature(data: bytes, key: bytes) -> dict:
    return {"algorithm": ALGORITHM, "key_id": hashlib.sha256(key).hexdigest()[:12],
            "sha256": hashlib.sha256(data).hexdigest(), "signature": hmac.new(key, data, hashlib.sha256).hexdigest()}


def _last_archivable(model: type, cutoff: datetime, head) -> int:
    """The last sequence number of the chain's oldest run of events all older than ``cutoff``."""
    first_young = db.session.scalar(select(func.min(model.seq)).where(model.at >= cutoff))
    return head.seq if first_young is None else int(first_young) - 1


def archive_events(model: type, scope: str, *, now: datetime | None = None) -> Archived | None:
    """Archive the current database's events of ``model`` older than the retention period:
    write them to a signed file, verify the file, then remove them (``None``: nothing is old
    enough).  Raises :class:`ArchiveRefused`, removing nothing, if the chain does not verify."""
    head = db.session.get(guard.HEADS[model], 1)
    if head is None:
        return None
    cutoff = (now or utcnow()) - timedelta(days=retention_days())
    last = _last_archivable(model, cutoff, head)
    if last <= head.anchor_seq:
        return None
    folder = archive_folder()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    name = f"audit-{scope.replace(':', '-')}-{head.anchor_seq + 1}-{last}-{stamp}.jsonl"
    path, partial = folder / name, folder / (name + ".partial")
    fields = guard.fields_of(model)
    columns = [getattr(model, n) for n in (*fields, "seq", "prev_hash", "hash")]
    rows = db.session.execute(select(*columns).where(model.seq <= last).order_by(model.seq)
                              .execution_options(yield_per=2000)).mappings()
    with partial.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"format": FORMAT, "scope": scope, "first_seq": head.anchor_seq + 1, "last_seq": last,
                              "previous_anchor": head.anchor_hash, "created_at": chain.utc_text(utcnow())},
                             sort_keys=True, ensure_ascii=False) + "\n")

        def written() -> Iterator[dict]:
            for row in rows:
                out.write(_line(dict(row)))
                yield row

        report = chain.walk(written(), fields, anchor_seq=head.anchor_seq, anchor_hash=head.anchor_hash)
    if not report.ok or report.last_seq != last or report.checked != last - head.anchor_seq:
        partial.unlink()
        problems = "; ".join(f"{f.kind} {f.numbers()}" for f in report.findings) or "events missing"
        raise ArchiveRefused(f"{scope}: the chain does not verify ({problems}); nothing was archived")
    data = partial.read_bytes()
    key = archive_key()
    Path(str(path) + ".sig").write_text(json.dumps(_signature(data, key), sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, path)
    check = verify_archive(path, key)
    if not check.ok:
        raise ArchiveRefused(f"{path.name} does not verify after writing ({'; '.join(check.problems)}); "
                             "nothing was removed")
    remove_archived(model, last, report.last_hash, report.checked, path.name)
    return Archived(path=path, first_seq=head.anchor_seq + 1, last_seq=last, count=report.checked,
                    anchor=report.last_hash)


@writes
def remove_archived(model: type, last_seq: int, anchor: str, count: int, file_name: str) -> None:
    """Remove the events up to ``last_seq`` (just archived and verified), move the chain's
    anchor to them and record the archive in the same chain."""
    from .services import record_bureau, record_city

    heads = guard.HEADS[model].__table__
    moved = db.session.execute(update(heads).where(heads.c.id == 1, heads.c.anchor_seq < last_seq)
                               .values(anchor_seq=last_seq, anchor_hash=anchor).returning(heads.c.id)).first()
    if moved is None:
        raise ArchiveRefused("another archive moved the anchor meanwhile; nothing was removed")
    bind = {"mapper": inspect(model)}
    postgres = db.session.get_bind(**bind).dialect.name == "postgresql"
    if postgres:
        db.session.execute(text(f"SELECT set_config('{guard.TRIGGER_SETTING}', 'on', true)"), bind_arguments=bind)
    removed = db.session.execute(delete(model).where(model.seq <= last_seq),
                                 execution_options={guard.ARCHIVE_OPTION: True}).rowcount
    if postgres:
        db.session.execute(text(f"SELECT set_config('{guard.TRIGGER_SETTING}', 'off', true)"), bind_arguments=bind)
    if removed != count:
        raise ArchiveRefused(f"{removed} events matched where {count} were archived; nothing was removed")
    after = {"file": file_name, "last_seq": last_seq, "count": count, "anchor": anchor}
    summary = f"归档审计记录 {count} 条（至第 {last_seq} 条），存档文件 {file_name}"
    if model is CatalogAuditEvent:
        record_city("audit.archive", "audit_archive", file_name, summary=summary, after=after)
    else:
        record_bureau("audit.archive", "audit_archive", file_name, summary=summary, after=after)


def _parse_time(value):
    if not isinstance(value, str):
        raise ValueError("no time")
    return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=timezone.utc)


def verify_archive(path: Path, key: bytes | None = None) -> ArchiveCheck:
    """Read an archive file back: its signature (``<file>.sig``) and the chain inside it,
    from the hash its first event links to up to its anchor."""
    check = ArchiveCheck()
    path = Path(path)
    try:
        data = path.read_bytes()
        signed = json.loads(Path(str(path) + ".sig").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        check.problems.append(f"cannot read the archive or its signature: {error}")
        return check
    key = archive_key() if key is None else key
    expected = hmac.new(key, data, hashlib.sha256).hexdigest()
    if not isinstance(signed, dict) or signed.get("algorithm") != ALGORITHM \
            or not hmac.compare_digest(str(signed.get("signature", "")), expected):
        check.problems.append("the signature does not match (altered file, or another key)")
    lines = data.decode("utf-8", errors="replace").splitlines()
    try:
        check.header = header = json.loads(lines[0]) if lines else {}
        if header.get("format") != FORMAT:
            raise ValueError("not a Zeren audit archive")
        events = [json.loads(line) for line in lines[1:]]
        for values in events:
            values["at"] = _parse_time(values.get("at"))
        fields = chain.CATALOG_FIELDS if header.get("scope") == "catalog" else chain.FIELDS
        first, last = int(header["first_seq"]), int(header["last_seq"])
        report = chain.walk(events, fields, anchor_seq=first - 1, anchor_hash=str(header["previous_anchor"]),
                            head_seq=last)
    except (ValueError, KeyError, TypeError, IndexError) as error:
        check.problems.append(f"the archive cannot be read: {error}")
        return check
    check.problems.extend(f"{f.kind} {f.numbers()} {f.detail}".strip() for f in report.findings)
    check.header["anchor"] = report.last_hash
    check.header["count"] = report.checked
    return check


def scopes(slug: str | None = None, *, everything: bool = True) -> Iterator[tuple[str, object | None]]:
    """The chains to work on: ``("catalog", None)`` and ``("bureau:<slug>", tenant)`` for
    each bureau (one bureau when ``slug`` is given; the catalog alone when neither)."""
    from app.tenancy import services as tenancy  # tenancy records into the trail: import when used

    if slug:
        yield f"bureau:{slug}", tenancy.get_tenant(slug)
        return
    yield "catalog", None
    if everything:
        for tenant in tenancy.list_tenants():
            yield f"bureau:{tenant.slug}", tenant


def archive_everywhere(echo, slug: str | None = None) -> int:
    """Archive every chain (or one bureau's); ``echo(scope, outcome, text)`` tells each
    outcome.  Returns the number of chains that could not be archived."""
    from app.core.unit_of_work import unit_of_work
    from app.tenancy.session import tenant_context

    failures = 0
    for scope, tenant in list(scopes(slug)):
        if tenant is not None and getattr(tenant, "status", "active") != "active":
            echo(scope, "skipped", "archived bureau: read-only, its events stay")
            continue
        try:
            if tenant is None:
                with unit_of_work():
                    done = archive_events(CatalogAuditEvent, scope)
            else:
                with tenant_context(tenant), unit_of_work():
                    done = archive_events(TenantAuditEvent, scope)
        except ArchiveRefused as error:
            failures += 1
            echo(scope, "refused", str(error))
            continue
        if done is None:
            echo(scope, "nothing", "no event older than the retention period")
        else:
            echo(scope, "archived", f"{done.count} events ({done.first_seq}-{done.last_seq}) to {done.path}")
    return failures
