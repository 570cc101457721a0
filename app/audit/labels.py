"""The words of the audit trail: what each recorded field is called, what each kind of
thing is, and (registered by ``create_app`` from the features' own ``labels`` modules)
what the codes stored in a field mean.

The trail stores plain snapshots (``before``/``after``: field → value); the log pages turn
them into "字段：原值 → 新值" with these names.  The audit package imports no feature: a
feature's value labels reach it through :func:`register_values`, called from
``app._register_audit_labels``.  A field not named here is shown by its stored key, so a
new field is never hidden, only less well worded until it is added.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

#: Field names of the snapshots every feature records (its services' ``snapshot``s).
FIELD_LABELS: dict[str, Any] = {
    # duty items and lists
    "category": _l("Category"), "area": _l("Area"), "content": _l("Content"), "measures": _l("Measures"),
    "owner_id": _l("Owner (number)"), "owner": _l("Owner"), "lead_unit": _l("Lead unit"),
    "cadence": _l("Cadence"), "expected_count": _l("Expected count"), "due_date": _l("Due date"),
    "marked_done": _l("Marked done"), "year": _l("Year"), "title": _l("Title"), "status": _l("Status"),
    "items": _l("Items"), "template_id": _l("Template (number)"), "template_edition": _l("Template edition"),
    "edition": _l("Edition"), "published": _l("Published"), "sort_order": _l("Order"),
    # progress records and evidence
    "occurred_on": _l("Date"), "summary": _l("Summary"), "count": _l("Count"), "author_name": _l("Recorded by"),
    "original_name": _l("File name"), "size": _l("Size"), "files": _l("Files"),
    # people
    "name": _l("Name"), "post": _l("Post"), "kind": _l("Kind"), "active": _l("Active"), "user_id": _l("Account"),
    # findings
    "source": _l("Source"), "batch": _l("Batch"), "batch_date": _l("Batch date"), "description": _l("Description"),
    "severity": _l("Severity"), "person_id": _l("Person (number)"), "person": _l("Person responsible"),
    "duty_item_id": _l("Linked item (number)"), "found_on": _l("Found on"), "due_on": _l("Deadline"),
    "raised_by_city": _l("Raised by the city"), "submitted_on": _l("Submitted on"), "closed_on": _l("Closed on"),
    "verification_note": _l("Verification note"), "verified_by": _l("Verified by"),
    # score sheets
    "self_total": _l("Self score"), "composite": _l("Final score"), "grade": _l("Grade"),
    "self": _l("Self-assessment"), "reviewer": _l("Review team"), "comment": _l("Comment"),
    "counts": _l("Votes"), "eligible": _l("Eligible voters"), "present": _l("Voters present"),
    "held_on": _l("Held on"), "note": _l("Note"), "points": _l("Points"), "reason": _l("Reason"),
    "rule": _l("Rule"), "document": _l("Document number"), "id": _l("Number"),
    "added": _l("Added"), "removed": _l("Removed"),
    # bureaus, accounts, years
    "slug": _l("Short name"), "placement": _l("Storage"), "display_name": _l("Full name"),
    "username": _l("User name"), "roles": _l("Roles"), "email": _l("E-mail"), "locked": _l("Locked"),
}

#: What kind of thing an event is about (``entity_type``).
ENTITY_LABELS: dict[str, Any] = {
    "duty_item": _l("Responsibility item"), "duty_list": _l("Responsibility list"),
    "duty_record": _l("Progress record"), "duty_template": _l("List template"), "attachment": _l("Evidence file"),
    "person": _l("Person responsible"), "finding": _l("Finding"), "score_sheet": _l("Score sheet"),
    "score_template": _l("Score template"), "tenant": _l("Bureau"), "user": _l("Account"), "year": _l("Year lock"),
    "year_lock": _l("Year lock"),
    "export": _l("Exported file"), "audit_archive": _l("Audit archive"), "security_settings": _l("Security settings"),
}

#: The audit administrator's "what" filter: kinds of event, beyond the kinds of thing above
#: (``audit.services.what_condition`` says which events each one is).
WHAT_LABELS: dict[str, Any] = {
    "session": _l("Log-ins, log-outs and lockouts"), "download": _l("Evidence downloads"),
    "export": _l("Exports"), "account": _l("Accounts and roles"),
}

#: Fields that hold an internal number next to a field with its name: the name tells the story.
HIDDEN_FIELDS = frozenset({"owner_id", "person_id", "template_id", "user_id", "id", "duty_item_id"})


def register_values(field: str, labels: Mapping[str, Any]) -> None:
    """Say what the codes stored in ``field`` mean (a feature's labels, from ``create_app``)."""
    registry = current_app.extensions.setdefault("zeren.audit_values", {})
    registry.setdefault(field, {}).update(labels)


def field_label(field: str) -> str:
    """The Chinese name of a snapshot field (its key when it has none)."""
    label = FIELD_LABELS.get(field)
    return str(label) if label is not None else field


def entity_label(entity_type: str) -> str:
    """The Chinese name of a kind of thing, or ``""``."""
    label = ENTITY_LABELS.get(entity_type)
    return str(label) if label is not None else ""


def value_label(field: str, value: Any) -> Any:
    """A stored code as its label, when a feature registered labels for ``field``."""
    if not has_app_context() or not isinstance(value, str):
        return value
    labels = current_app.extensions.get("zeren.audit_values", {}).get(field) or {}
    label = labels.get(value)
    return str(label) if label is not None else value


#: Fields whose codes may also appear inside a summary sentence ("角色设为 bureau_viewer").
SUMMARY_CODE_FIELDS = ("roles",)


def readable_codes(summary: str | None) -> str:
    """A summary with the codes of :data:`SUMMARY_CODE_FIELDS` replaced by their labels
    (summaries written before their writers named things in Chinese)."""
    text = summary or ""
    if not text or not has_app_context():
        return text
    registry = current_app.extensions.get("zeren.audit_values", {})
    for name in SUMMARY_CODE_FIELDS:
        for code, label in sorted((registry.get(name) or {}).items(), key=lambda kv: -len(kv[0])):
            if code in text:
                text = re.sub(rf"(?<![A-Za-z0-9_-]){re.escape(code)}(?![A-Za-z0-9_-])", str(label), text)
    return text
