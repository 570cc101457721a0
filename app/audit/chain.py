"""The hash chain of an audit trail, as pure functions (no Flask, no database): the
canonical form of an event, its hash, and the walk that checks a chain.

Each event carries its sequence number, the hash of the event before it (``prev_hash``)
and its own ``hash``: SHA-256 over the canonical JSON of its fields, ``prev_hash`` and
``seq`` included.  Changing any field of any event, removing one or slipping one in breaks
the chain at that point.  The migrations import this module to give old events their
hashes, so what it computes must never change for an existing field set.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

#: The ``prev_hash`` of a chain's first event (nothing was before it).
GENESIS = "0" * 64

#: Fields of every event that the hash covers, besides ``seq`` and ``prev_hash``.
FIELDS = ("at", "actor_id", "actor_name", "action", "entity_type", "entity_id", "summary", "before", "after", "ip")
#: The catalog's events also name the bureau concerned.
CATALOG_FIELDS = FIELDS + ("tenant_slug",)


def utc_text(moment: datetime | None) -> str | None:
    """A stored time as canonical text (UTC, microseconds; SQLite returns naive UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values: Mapping[str, Any], fields: Iterable[str]) -> bytes:
    """The bytes an event's hash is taken over: its fields, ``seq`` and ``prev_hash`` as
    JSON with sorted keys, no spaces, Chinese kept as UTF-8."""
    document = {name: values.get(name) for name in fields}
    document["at"] = utc_text(document.get("at"))
    document["seq"] = int(values["seq"])
    document["prev_hash"] = values["prev_hash"]
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def event_hash(values: Mapping[str, Any], fields: Iterable[str]) -> str:
    """The SHA-256 (hex) of an event's canonical form."""
    return hashlib.sha256(canonical(values, fields)).hexdigest()


@dataclass
class Finding:
    """One thing wrong with a chain, by sequence number."""

    kind: str  # "altered", "removed", "inserted", "head"
    seq: int
    detail: str = ""
    #: The last sequence number of a run of removed events (``seq`` alone when one).
    to_seq: int | None = None

    def numbers(self) -> str:
        """The sequence number(s) concerned, as text ("17" or "17-20")."""
        return f"{self.seq}-{self.to_seq}" if self.to_seq and self.to_seq != self.seq else str(self.seq)


@dataclass
class Report:
    """What a walk over a chain found."""

    checked: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings


def walk(rows: Iterable[Mapping[str, Any]], fields: Iterable[str], *, anchor_seq: int = 0,
         anchor_hash: str = GENESIS, head_seq: int | None = None, head_hash: str | None = None) -> Report:
    """Check a chain given as rows in ``seq`` order, starting after the anchor (the last
    archived event, or nothing).

    An event whose hash is not that of its fields, or whose ``prev_hash`` is not the hash
    of the event before it, is *altered*; missing sequence numbers are *removed*; events
    past the head (the chain's own record of its last event) are *inserted*; a head that
    does not name the last event is reported too (events removed from the end)."""
    fields = tuple(fields)
    report = Report(last_seq=anchor_seq, last_hash=anchor_hash)
    expected_seq, previous_hash = anchor_seq + 1, anchor_hash
    for row in rows:
        seq = int(row["seq"])
        report.checked += 1
        gap = seq > expected_seq
        if gap:
            report.findings.append(Finding("removed", expected_seq, to_seq=seq - 1))
        if seq < expected_seq:
            report.findings.append(Finding("inserted", seq, "out of order or duplicate"))
        if event_hash(row, fields) != row["hash"]:
            report.findings.append(Finding("altered", seq, "fields do not match the hash"))
        elif row["prev_hash"] != previous_hash and not gap:
            report.findings.append(Finding("altered", seq, "not linked to the event before it"))
        if head_seq is not None and seq > head_seq:
            report.findings.append(Finding("inserted", seq, "after the chain's head"))
        expected_seq, previous_hash = max(expected_seq, seq + 1), row["hash"]
        report.last_seq, report.last_hash = seq, row["hash"]
    if head_seq is not None:
        if expected_seq <= head_seq:
            report.findings.append(Finding("removed", expected_seq, "at the end", to_seq=head_seq))
        if head_seq == report.last_seq and head_hash is not None and head_hash != report.last_hash:
            report.findings.append(Finding("head", head_seq, "the head names another hash"))
    return report
