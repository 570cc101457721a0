"""Rules of the bureau's responsible people: list, add, change, remove.

Every function works on the current bureau's session.  Changes check that the actor is
a bureau administrator and the optimistic-locking version, and write an audit event in
the same unit of work (:mod:`app.core`).

A person who still holds rows of a feature (a duty item's owner …) cannot be removed:
the columns that hold people are registered in :func:`app.create_app`
(``app.extensions["zeren.person_holders"]``), so this package imports no feature.
"""
from __future__ import annotations

from typing import Any, Iterable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.audit.services import changes, record_bureau
from app.core.actor import Actor, require
from app.core.loading import load
from app.core.unit_of_work import writes
from app.errors import ValidationError, check_version
from app.extensions import db
from app.text import parse_int

from .models import PERSON_KINDS, Person


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _require_admin(actor: Actor) -> None:
    """People are managed by bureau administrators."""
    require(actor.is_bureau_admin)


def _held_rows(person_id: int) -> int:
    """How many rows of the registered holder columns name this person.

    Fails closed: with nothing registered a person could be removed from under the rows
    that name them, so refuse rather than guess.
    """
    columns = tuple(current_app.extensions.get("zeren.person_holders") or ())
    if not columns:
        raise RuntimeError("no person holders are registered (app.extensions['zeren.person_holders'])")
    return sum(db.session.scalar(select(func.count()).select_from(column.class_).where(column == person_id)) or 0
               for column in columns)


def list_people(*, active_only: bool = False) -> list[Person]:
    """People of the bureau in their display order."""
    query = select(Person).order_by(Person.sort_order, Person.id)
    if active_only:
        query = query.where(Person.active.is_(True))
    return list(db.session.scalars(query))


def get_person(person_id: int) -> Person:
    """The person with this id, or :class:`NotFound`."""
    return load(Person, person_id, _("No such person."))


def _person_snapshot(person: Person) -> dict:
    return {"name": person.name, "post": person.post, "kind": person.kind, "active": person.active,
            "user_id": person.user_id, "sort_order": person.sort_order}


@writes
def save_person(person: Person | None, data: dict, *, actor: Actor, version: Any = None,
                linkable_user_ids: Iterable[int] | None = None) -> Person:
    """Add (``person=None``) or change a person.

    ``linkable_user_ids`` are the accounts of this bureau a person may be linked to; an
    account is linked to at most one person.
    """
    _require_admin(actor)
    if person is not None:
        check_version(person, version)
    errors: dict[str, list[str]] = {}
    name, post, kind = _text(data.get("name")), _text(data.get("post")), _text(data.get("kind"))
    if not name or len(name) > 60:
        errors["name"] = [_("Enter a name of at most 60 characters.")]
    if len(post) > 100:
        errors["post"] = [_("At most %(n)s characters.", n=100)]
    if kind not in PERSON_KINDS:
        errors["kind"] = [_("Choose a role from the list.")]
    try:
        sort_order = parse_int(data.get("sort_order"), low=0, high=9999)
    except ValueError:
        errors["sort_order"] = [_("Enter a whole number from 0 to 9999.")]
        sort_order = 0
    user_id = None
    raw_user = data.get("user_id")
    if raw_user not in (None, "", "0", 0):
        try:
            user_id = int(raw_user)
        except (TypeError, ValueError):
            user_id = -1
        if linkable_user_ids is not None and user_id not in set(linkable_user_ids):
            errors["user_id"] = [_("Choose an account of this bureau.")]
        elif db.session.scalar(select(Person.id).where(
                Person.user_id == user_id, Person.id != (person.id if person else -1))) is not None:
            errors["user_id"] = [_("This account is already linked to another person.")]
    if errors:
        raise ValidationError(_("The person could not be saved."), errors)
    active = bool(data.get("active", True))
    if sort_order is None:
        sort_order = person.sort_order if person else (db.session.scalar(select(func.max(Person.sort_order))) or 0) + 10
    values = {"name": name, "post": post, "kind": kind, "active": active, "user_id": user_id, "sort_order": sort_order}
    if person is None:
        person = Person(**values)
        db.session.add(person)
        db.session.flush()
        record_bureau("person.create", "person", person.id, summary=f"新增责任人 {person.label}",
                      after=_person_snapshot(person), actor=actor)
    else:
        before = _person_snapshot(person)
        for key, value in values.items():
            setattr(person, key, value)
        old, new = changes(before, _person_snapshot(person))
        if new:
            record_bureau("person.update", "person", person.id, summary=f"修改责任人 {person.label}",
                          before=old, after=new, actor=actor)
    return person


@writes
def delete_person(person: Person, *, actor: Actor, version: Any) -> None:
    """Remove a person who owns no item (otherwise deactivate them)."""
    _require_admin(actor)
    check_version(person, version)
    owned = _held_rows(person.id)
    if owned:
        raise ValidationError(_("%(name)s still owns %(n)s items: give them to someone else or mark the person inactive.",
                                name=person.name, n=owned))
    record_bureau("person.delete", "person", person.id, summary=f"删除责任人 {person.label}",
                  before=_person_snapshot(person), actor=actor)
    db.session.delete(person)


def people_of_user(user_id: int) -> list[Person]:
    """The people linked to an account (normally one)."""
    return list(db.session.scalars(select(Person).where(Person.user_id == user_id)))
