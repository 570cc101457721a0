"""Reminders: what a user must act on soon, in the navigation and as a daily e-mail.

A **reminder** is a finding or a duty item that is due within ``DUE_SOON_DAYS`` (7) days
or overdue, and that the user owns or administers:

* a bureau administrator is reminded of every such finding and duty item of the bureau;
* any other member of the bureau of those whose responsible person (``Person``) is linked
  to their account (``Person.user_id``);
* a city administrator is reminded (by e-mail) of the findings the city raised that are
  awaiting its verification, or overdue / due soon in the bureau.

Findings follow :func:`app.findings.status.is_due_soon` (still the bureau's turn: open or
being rectified).  Duty items follow the duties rules: not done, and their effective due
date (the item's own, else 31 December of the list's year) within the window.

The digest also lists the user's unread notifications of the last day (the notification
centre's events, :func:`app.notifications.services.for_digest`): a user with notifications
and no reminder gets a digest too.

The navigation shows a count computed by **one** SQL statement on the bureau's database
(:func:`count_for`), cached for the request.  ``flask reminders send`` sends one digest
per user and day; sent digests are recorded in the catalog (:class:`ReminderDigest`), so
running it twice a day sends nothing the second time.
"""
from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Callable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import CITY_ADMIN, Membership, User
from app.duties import services as duties
from app.duties import status as duty_rules
from app.deadlines import services as deadlines
from app.deadlines.labels import WARNING_LABELS
from app.duties.labels import STATUS_LABELS as DUTY_STATUS_LABELS
from app.extensions import db
from app.notifications import services as notifications
from app.notifications.labels import kind_label
from app.people.models import Person
from app.tenancy.models import Tenant
from app.tenancy.session import tenant_context

from . import services
from . import status as rules
from .labels import STATUS_LABELS, label
from .models import CityFinding, Finding, ReminderDigest
from .services import due_soon_clause, short, today

FINDING = "finding"
DUTY_ITEM = "duty_item"


@dataclass(frozen=True)
class Reminder:
    """One thing to act on."""

    kind: str              # finding / duty_item
    id: int
    title: str
    due_on: date
    days_left: int
    overdue: bool
    person: str
    status: str            # a human label
    bureau_slug: str = ""
    bureau_name: str = ""
    owner_user_id: int | None = None
    awaiting: bool = False  # a city finding waiting for the city's verification
    warning: str = "none"   # blue / yellow / red (app.deadlines.status)

    @property
    def sort_key(self) -> tuple:
        return (not self.overdue, self.due_on, self.kind, self.id)


def horizon(day: date, days: int = rules.DUE_SOON_DAYS) -> date:
    """The last due date that is "due soon" on ``day``."""
    return day + timedelta(days=days)


# -- in a bureau (current session) ----------------------------------------------------
def _owned_people(user_id: int):
    return select(Person.id).where(Person.user_id == user_id)


def finding_reminders(day: date, *, user_id: int | None = None) -> list[Reminder]:
    """Findings of the current bureau due soon or overdue; only those of ``user_id``'s
    people when given (``None``: all, as an administrator sees them)."""
    query = select(Finding).where(due_soon_clause(day))
    if user_id is not None:
        query = query.where(Finding.person_id.in_(_owned_people(user_id)))
    result = []
    cfg = deadlines.settings()
    for finding in db.session.scalars(query.order_by(Finding.due_on, Finding.id)).unique():
        result.append(Reminder(
            warning=services.warning_of(finding.status, finding.due_on, day, finding.submitted_on, cfg),
            kind=FINDING, id=finding.id, title=short(finding.description, 80), due_on=finding.due_on,
            days_left=(finding.due_on - day).days,
            overdue=rules.is_overdue(finding.status, finding.due_on, day, finding.submitted_on),
            person=finding.person.name if finding.person else "", status=label(STATUS_LABELS, finding.status),
            owner_user_id=finding.person.user_id if finding.person else None))
    return result


def duty_reminders(day: date, *, user_id: int | None = None) -> list[Reminder]:
    """Duty items of the current bureau (lists not archived) that are not done and due
    within the window or overdue, by the duties package's own rules."""
    lists = [l for l in duties.list_lists() if not l.is_archived]
    if not lists:
        return []
    last = horizon(day)
    result = []
    for row in duties.item_rows(lists, day):
        item = row.item
        if row.status == duty_rules.DONE:
            continue
        due = duty_rules.effective_due(item.duty_list.year, item.due_date)
        if due > last:
            continue
        owner_user = item.owner.user_id if item.owner else None
        if user_id is not None and owner_user != user_id:
            continue
        result.append(Reminder(
            kind=DUTY_ITEM, id=item.id, title=short(item.content, 80), due_on=due, days_left=(due - day).days,
            overdue=row.status == duty_rules.OVERDUE, person=item.owner.name if item.owner else "", warning=row.warning,
            status=label(DUTY_STATUS_LABELS, row.status), owner_user_id=owner_user))
    return result


def reminders_for(day: date, *, user_id: int, role: str) -> list[Reminder]:
    """Everything ``user_id`` should act on in the current bureau, overdue first."""
    if role == "reader":
        return []
    scope = None if role == "bureau_admin" else user_id
    items = finding_reminders(day, user_id=scope) + duty_reminders(day, user_id=scope)
    return sorted(items, key=lambda r: r.sort_key)


def count_for(day: date, *, user_id: int, role: str) -> int:
    """How many reminders :func:`reminders_for` would list, in two statements (the
    navigation badge); the duty part decides "done" by :func:`app.duties.status.is_done`."""
    if role == "reader":
        return 0
    mine = role != "bureau_admin"
    findings = select(func.count(Finding.id)).where(due_soon_clause(day))
    if mine:
        findings = findings.where(Finding.person_id.in_(_owned_people(user_id)))
    items = duties.count_due_not_done(horizon(day), owners=_owned_people(user_id) if mine else None)
    return int(db.session.scalar(findings) or 0) + items


# -- the city's reminders (catalog only) ------------------------------------------------
def city_reminders(day: date) -> list[Reminder]:
    """City findings awaiting the city's verification, or overdue / due soon in a bureau
    (read from the city's register: no bureau database is opened)."""
    query = (select(CityFinding).join(Tenant, Tenant.id == CityFinding.tenant_id)
             .where(Tenant.status == "active",
                    or_(CityFinding.status == rules.AWAITING,
                        and_(CityFinding.status.in_(rules.ACTIVE), CityFinding.due_on <= horizon(day))))
             .order_by(CityFinding.due_on, CityFinding.id))
    result = []
    for entry in db.session.scalars(query).unique():
        result.append(Reminder(
            kind=FINDING, id=entry.finding_id, title=short(entry.summary, 80), due_on=entry.due_on,
            days_left=(entry.due_on - day).days,
            overdue=rules.is_overdue(entry.status, entry.due_on, day, entry.submitted_on),
            person="", status=label(STATUS_LABELS, entry.status), bureau_slug=entry.tenant.slug,
            bureau_name=entry.tenant.name, awaiting=entry.status == rules.AWAITING))
    return sorted(result, key=lambda r: r.sort_key)


# -- digests ------------------------------------------------------------------------------
@dataclass
class Digest:
    """One user's e-mail of the day."""

    user: User
    reminders: list[Reminder] = field(default_factory=list)
    #: Unread notifications of the last day (the notification centre's events).
    notices: list = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.reminders if r.overdue)


def collect(day: date) -> list[Digest]:
    """Every active user with an e-mail address and at least one reminder on ``day``.

    Opens each active bureau once (members' reminders are filtered from the bureau-wide
    list) and reads the city's register once for the city administrators.
    """
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.active.is_(True), User.email.is_not(None), User.email != "")
        .options(selectinload(User.memberships)))}
    if not users:
        return []
    digests: dict[int, Digest] = {}
    memberships = db.session.execute(
        select(Membership.user_id, Membership.tenant_id, Membership.role).where(Membership.user_id.in_(users))).all()
    roles_by_tenant: dict[int, dict[int, str]] = {}
    city_admins = []
    for user_id, tenant_id, role in memberships:
        if tenant_id is None:
            if role == CITY_ADMIN:
                city_admins.append(user_id)
        else:
            roles_by_tenant.setdefault(tenant_id, {})[user_id] = role
    tenants = db.session.scalars(select(Tenant).where(Tenant.id.in_(roles_by_tenant), Tenant.status == "active")
                                 .order_by(Tenant.name)).all()
    for tenant in tenants:
        members = roles_by_tenant[tenant.id]
        slug, name = tenant.slug, tenant.name
        with tenant_context(tenant):
            everything = finding_reminders(day) + duty_reminders(day)
        everything = [_in_bureau(r, slug, name) for r in everything]
        for user_id, role in members.items():
            mine = everything if role == "bureau_admin" else [r for r in everything if r.owner_user_id == user_id]
            if mine:
                digests.setdefault(user_id, Digest(users[user_id])).reminders.extend(mine)
    if city_admins:
        city = city_reminders(day)
        if city:
            for user_id in city_admins:
                digests.setdefault(user_id, Digest(users[user_id])).reminders.extend(city)
    for user_id, notices in notifications.for_digest(users, day).items():
        digests.setdefault(user_id, Digest(users[user_id])).notices = notices
    for digest in digests.values():
        digest.reminders.sort(key=lambda r: (r.bureau_name,) + r.sort_key)
    return sorted(digests.values(), key=lambda d: d.user.username)


def _in_bureau(reminder: Reminder, slug: str, name: str) -> Reminder:
    return Reminder(**{**reminder.__dict__, "bureau_slug": slug, "bureau_name": name})


def _when(reminder: Reminder) -> str:
    if reminder.awaiting:
        return _("awaiting the city's verification, deadline %(date)s", date=reminder.due_on.isoformat())
    if reminder.overdue:
        return _("deadline %(date)s, %(n)s days overdue", date=reminder.due_on.isoformat(),
                 n=max(0, -reminder.days_left))
    if reminder.days_left == 0:
        return _("due today (%(date)s)", date=reminder.due_on.isoformat())
    return _("deadline %(date)s, %(n)s days left", date=reminder.due_on.isoformat(), n=reminder.days_left)


def subject(digest: Digest, day: date) -> str:
    """The e-mail's subject line."""
    text = _("[Zeren] Reminders for %(date)s: %(overdue)s overdue, %(total)s in all",
             date=day.isoformat(), overdue=digest.overdue, total=len(digest.reminders))
    if digest.notices:
        text += _("; %(n)s new notifications", n=len(digest.notices))
    return text


def body(digest: Digest, day: date) -> str:
    """The plain-text digest: one block per bureau, overdue first."""
    lines = [_("Dear %(name)s,", name=digest.user.label), "",
             _("These matters need your attention (as of %(date)s):", date=day.isoformat()), ""]
    current = None
    for reminder in digest.reminders:
        heading = reminder.bureau_name or _("City committee")
        if heading != current:
            if current is not None:
                lines.append("")
            lines.append(f"【{heading}】")
            current = heading
        kind = _("Finding") if reminder.kind == FINDING else _("Duty item")
        person = f" · {reminder.person}" if reminder.person else ""
        level = f"【{WARNING_LABELS[reminder.warning]}】" if reminder.warning in WARNING_LABELS and reminder.warning != "none" else ""
        lines.append(f"  - {level}[{kind}] {reminder.title}（{_when(reminder)}{person}；{reminder.status}）")
    if digest.notices:
        if digest.reminders:
            lines.append("")
        heading = _("New notifications")
        lines.append(f"【{heading}】")
        for notice in digest.notices:
            lines.append(f"  - [{kind_label(notice.kind)}] {notice.title}")
    lines += ["", _("Log in to Zeren to see and record the details."),
              _("This message is sent automatically once a day; please do not reply to it.")]
    return "\n".join(lines) + "\n"


def _message(digest: Digest, day: date) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = subject(digest, day)
    message["From"] = config["SMTP_FROM"]
    message["To"] = formataddr((digest.user.label, digest.user.email))
    message["Message-ID"] = make_msgid(domain=config["SMTP_FROM"].rpartition("@")[2] or None)
    message.set_content(body(digest, day))
    return message


def _connect() -> smtplib.SMTP:
    config = current_app.config
    connection = smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=30)
    if config.get("SMTP_STARTTLS"):
        connection.starttls(context=ssl.create_default_context())
    if config.get("SMTP_USER"):
        connection.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    return connection


@dataclass
class SendReport:
    """What a run did: per user ``sent``, ``would_send``, ``already_sent`` or ``failed``."""

    lines: list[tuple[str, Digest, str]] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for o, _d, _m in self.lines if o == outcome)


def send(day: date | None = None, *, dry_run: bool = False,
         echo: Callable[[str, Digest, str], None] | None = None) -> SendReport:
    """Send each user's digest for ``day`` (default today) unless already sent that day.

    The day is claimed in the catalog before sending (a unique row per user and day), so
    two runs at once cannot both send; a failed send gives the claim back so that the
    next run retries.  ``dry_run`` only reports.
    """
    day = day or today()
    report = SendReport()

    def note(outcome: str, digest: Digest, detail: str = "") -> None:
        report.lines.append((outcome, digest, detail))
        if echo:
            echo(outcome, digest, detail)

    digests = collect(day)
    sent_before = set(db.session.scalars(select(ReminderDigest.user_id).where(ReminderDigest.day == day)))
    pending = []
    for digest in digests:
        if digest.user.id in sent_before:
            note("already_sent", digest)
        elif dry_run:
            note("would_send", digest, body(digest, day))
        else:
            pending.append(digest)
    if not pending:
        return report
    connection = _connect()
    try:
        for digest in pending:
            claim = ReminderDigest(user_id=digest.user.id, day=day, address=digest.user.email,
                                   items=len(digest.reminders) + len(digest.notices))
            db.session.add(claim)
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                note("already_sent", digest)
                continue
            try:
                connection.send_message(_message(digest, day))
            except (smtplib.SMTPException, OSError) as error:
                db.session.delete(claim)
                db.session.commit()
                note("failed", digest, str(error))
            else:
                note("sent", digest)
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):  # the digests are sent already
            connection.quit()
    return report
