"""An audit event as a story a clerk can read: who (the person's name), what they did to
which thing (the event's summary), and field by field what changed, in Chinese."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db

from . import labels

#: Longest value shown in full; longer text is cut (the full text stays in the trail).
VALUE_LIMIT = 160


@dataclass(frozen=True)
class Change:
    """One field of an event: its name and the value before and after, as text."""

    field: str
    label: str
    before: str | None  # None: the field was not in the "before" snapshot (a creation)
    after: str | None   # None: not in "after" (a deletion)


@dataclass
class Story:
    """One event for the log page."""

    event: Any
    who: str
    what: str
    kind: str
    changes: list[Change] = field(default_factory=list)


def text_of(field_name: str, value: Any) -> str:
    """A snapshot value as a reader sees it."""
    if value is None or value == "":
        return _("(empty)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        # nested values: named fields, or codes (indicator codes, ballot levels) as they are
        parts = [f"{labels.field_label(str(k))}：{text_of(str(k), v)}" for k, v in value.items()]
        return "；".join(parts) or _("(empty)")
    if isinstance(value, (list, tuple)):
        return "、".join(text_of(field_name, v) for v in value) or _("(empty)")
    text = str(labels.value_label(field_name, value))
    return text if len(text) <= VALUE_LIMIT else text[:VALUE_LIMIT] + "…"


def changes_of(before: dict | None, after: dict | None) -> list[Change]:
    """The fields of an event's snapshots, in the order recorded: what changed (or, for a
    creation or deletion, what was there)."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    keys = list(dict.fromkeys([*before, *after]))
    shown = []
    for key in keys:
        if key in labels.HIDDEN_FIELDS:
            continue
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        shown.append(Change(field=key, label=labels.field_label(key),
                            before=text_of(key, old) if key in before else None,
                            after=text_of(key, new) if key in after else None))
    return shown


def display_names(ids: Iterable[int | None]) -> dict[int, str]:
    """Account ids → the people's names (catalog accounts; the trail stores ids and
    user names, and pages show names)."""
    from app.accounts.models import User  # accounts sits beside audit: read its table, no feature

    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {uid: name for uid, name in db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(wanted))).all() if name}


def stories(events: list[Any]) -> list[Story]:
    """The page's events as stories."""
    names = display_names(e.actor_id for e in events)
    told = []
    for event in events:
        if event.actor_id is None and event.actor_name in ("system", "", None):
            who = _("System")
        else:
            who = names.get(event.actor_id) or event.actor_name
        told.append(Story(event=event, who=who, what=event.summary or labels.entity_label(event.entity_type),
                          kind=labels.entity_label(event.entity_type),
                          changes=changes_of(event.before, event.after)))
    return told
