"""Supervision findings (督查整改) and the catalog tables of reminders.

Bureau database:

* :class:`Finding` — one problem found by an inspection (or by the bureau itself), the
  person responsible, the measures and the rectification status.  The three lists of
  rectification (问题清单 · 责任清单 · 整改清单) are views of these rows.
* :class:`FindingEvent` — the finding's history: every step with who and when
  (append-only, shown on the finding's page; the audit trail records the same changes
  with before/after snapshots).
* :class:`FindingNote` — a progress note of the rectification (append-only).
* :class:`FindingEvidence` — an evidence file of a note.  Uploads follow the rules of
  :mod:`app.evidence` (same allow-list, sniffing and size limit); a file can also be
  linked from the evidence of a duty record (``attachment_id``).  See ``blob_key``.

Catalog:

* :class:`CityFinding` — the city's register of the findings it raised in bureaus
  (bureau, id, status, dates), kept in step by the findings services so that city pages
  and the city's reminders never open every bureau's database.
* :class:`ReminderDigest` — one row per user and day a reminder e-mail was sent
  (``flask reminders send`` is idempotent per day).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.evidence.models import Attachment
from app.models import BigId, CatalogModel, IdMixin, TenantModel, TimestampMixin, VersionMixin, utcnow
from app.people.models import Person


class Finding(IdMixin, TimestampMixin, VersionMixin, TenantModel):
    """A problem to rectify.  ``year`` (the year it was found) is what the city's year
    lock and the roll-up use."""

    __tablename__ = "findings"
    lock_year_path = "year"
    __table_args__ = (Index("ix_findings_status_due", "status", "due_on"),)

    year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    source: Mapped[str] = mapped_column(String(30), nullable=False)
    batch: Mapped[str] = mapped_column(String(200), nullable=False, default="", index=True)
    batch_date: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    area: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    severity: Mapped[str] = mapped_column(String(20), nullable=False, default="general")
    person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id", ondelete="SET NULL"), index=True)
    duty_item_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("duty_items.id", ondelete="SET NULL"),
                                                     index=True)
    found_on: Mapped[date] = mapped_column(Date, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    measures: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(30), nullable=False, default="open")
    # Who raised it.  A finding the city raised is verified and closed only by the city.
    raised_by_city: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    raised_by_id: Mapped[int | None] = mapped_column(BigId)
    raised_by_name: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    submitted_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    verification_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    verified_by_id: Mapped[int | None] = mapped_column(BigId)
    verified_by_name: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    person: Mapped[Person | None] = relationship(lazy="joined")
    # The duty item (app.duties.models.DutyItem), named by string: findings read duty
    # items through duties' services only, never its models.
    duty_item = relationship("DutyItem", lazy="select")
    events: Mapped[list["FindingEvent"]] = relationship(
        back_populates="finding", cascade="all, delete-orphan", passive_deletes=True,
        order_by="FindingEvent.id")
    notes: Mapped[list["FindingNote"]] = relationship(
        back_populates="finding", cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: (FindingNote.occurred_on.desc(), FindingNote.id.desc()))


class FindingEvent(IdMixin, TenantModel):
    """One step of a finding's history."""

    __tablename__ = "finding_events"
    lock_year_path = "finding.year"

    finding_id: Mapped[int] = mapped_column(BigId, ForeignKey("findings.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    # Copied id and name: no foreign key from a bureau's database into the catalog.
    actor_id: Mapped[int | None] = mapped_column(BigId)
    actor_name: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    side: Mapped[str] = mapped_column(String(10), nullable=False, default="bureau")  # bureau / city / system
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    finding: Mapped[Finding] = relationship(back_populates="events")


class FindingNote(IdMixin, TimestampMixin, TenantModel):
    """A progress note of the rectification, with its evidence files."""

    __tablename__ = "finding_notes"
    lock_year_path = "finding.year"

    finding_id: Mapped[int] = mapped_column(BigId, ForeignKey("findings.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[int | None] = mapped_column(BigId)
    author_name: Mapped[str] = mapped_column(String(60), nullable=False, default="")

    finding: Mapped[Finding] = relationship(back_populates="notes")
    evidence: Mapped[list["FindingEvidence"]] = relationship(
        back_populates="note", cascade="all, delete-orphan", passive_deletes=True,
        order_by="FindingEvidence.id", lazy="selectin")


class FindingEvidence(IdMixin, TimestampMixin, TenantModel):
    """An evidence file of a progress note.

    ``sha256`` is the digest of the content.  The bytes are stored in the bureau's blob
    store under ``blob_key`` (:func:`app.findings.services.evidence_key`, derived from the
    digest).  ``blob_key`` is a registered blob reference (see :mod:`app.evidence.services`):
    a blob is deleted only when neither this column nor any other registered one holds
    its key.  ``attachment_id`` names the duty attachment a file was linked from, if any.
    """

    __tablename__ = "finding_evidence"
    lock_year_path = "note.finding.year"

    finding_id: Mapped[int] = mapped_column(BigId, ForeignKey("findings.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    note_id: Mapped[int] = mapped_column(BigId, ForeignKey("finding_notes.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    attachment_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("attachments.id", ondelete="SET NULL"),
                                                      index=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    blob_key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    uploaded_by: Mapped[str] = mapped_column(String(60), nullable=False, default="")

    note: Mapped[FindingNote] = relationship(back_populates="evidence")
    attachment: Mapped[Attachment | None] = relationship(lazy="select")


# -- catalog ---------------------------------------------------------------------------
class CityFinding(IdMixin, CatalogModel):
    """The city's register entry of a finding it raised in a bureau (a copy of the
    figures city pages need; the finding itself lives in the bureau's database)."""

    __tablename__ = "city_findings"
    __table_args__ = (UniqueConstraint("tenant_id", "finding_id", name="uq_city_findings_tenant_finding"),
                      Index("ix_city_findings_status_due", "status", "due_on"))

    tenant_id: Mapped[int] = mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    finding_id: Mapped[int] = mapped_column(BigId, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str] = mapped_column(String(30), nullable=False)
    batch: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    summary: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(30), nullable=False)
    found_on: Mapped[date] = mapped_column(Date, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow,
                                                 onupdate=utcnow)

    tenant = relationship("Tenant", lazy="joined")


class ReminderDigest(IdMixin, CatalogModel):
    """A reminder e-mail sent to a user on a day (the day in the configured time zone)."""

    __tablename__ = "reminder_digests"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_reminder_digests_user_day"),)

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    address: Mapped[str] = mapped_column(String(254), nullable=False)
    items: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
