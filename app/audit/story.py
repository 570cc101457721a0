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


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


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
        if _empty(old) and _empty(new):
            continue  # nothing there before or after: no news
        shown.append(Change(field=key, label=labels.field_label(key),
                            before=text_of(key, old) if key in before else None,
                            after=text_of(key, new) if key in after else None))
    return shown


def display_names(events: Iterable[Any]) -> tuple[dict[int, str], dict[str, str]]:
    """The people's names of the events' accounts, by account id and by user name (the
    trail stores both, and some writers — the demo, commands — only the user name)."""
    from app.accounts.models import User  # accounts sits beside audit: read its table, no feature

    events = list(events)
    ids = {e.actor_id for e in events if e.actor_id is not None}
    usernames = {e.actor_name for e in events if e.actor_id is None and e.actor_name}
    if not ids and not usernames:
        return {}, {}
    rows = db.session.execute(select(User.id, User.username, User.display_name)
                              .where((User.id.in_(ids)) | (User.username.in_(usernames)))).all()
    return ({uid: name for uid, _u, name in rows if name}, {u: name for _i, u, name in rows if name})


def account_name(username: str | None) -> str:
    """The person's name of an account by its user name (what pages show where a row
    kept only the user name: "由 郭杰 于…发布", not "由 city …"); the user name itself
    when no account has it, and "系统" for the system.  Cached for the request."""
    from flask import g, has_request_context

    from app.accounts.models import User

    if not username or username == "system":
        return _("System")
    cache = g.setdefault("zeren_account_names", {}) if has_request_context() else {}
    if username not in cache:
        cache[username] = db.session.scalar(select(User.display_name).where(User.username == username)) or username
    return cache[username]


def stories(events: list[Any]) -> list[Story]:
    """The page's events as stories."""
    by_id, by_username = display_names(events)
    told = []
    for event in events:
        if event.actor_id is None and event.actor_name in ("system", "", None):
            who = _("System")
        elif event.actor_id is not None:
            who = by_id.get(event.actor_id) or event.actor_name
        else:
            who = by_username.get(event.actor_name) or event.actor_name
        what = labels.readable_codes(event.summary) or labels.entity_label(event.entity_type)
        if event.actor_name and what.startswith(event.actor_name + " "):
            what = what[len(event.actor_name) + 1:]  # "czj-admin 登录" told as "陆雨婷 登录"
        told.append(Story(event=event, who=who, what=what,
                          kind=labels.entity_label(event.entity_type),
                          changes=changes_of(event.before, event.after)))
    return told
