"""The meetings of a bureau's branches (bureau database).

* :class:`Meeting` — one 支部党员大会, 支委会, 党小组会, 党课 or 主题党日 of a unit
  (:class:`app.orgs.models.OrgUnit`, named by string: this package reads the tree
  through ``orgs.services``), with its attendance counts and minutes.
* :class:`MeetingAbsence` — a member absent from a meeting, with the reason.
* :class:`MeetingCadence` — how often the bureau expects a kind of meeting (months
  between meetings; 0: not expected); a kind with no row has the default cadence.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models import BigId, IdMixin, TenantModel, TimestampMixin, VersionMixin

MEETING_KINDS = ("general_assembly", "committee", "group", "lecture", "theme_day")


class Meeting(IdMixin, TimestampMixin, VersionMixin, TenantModel):
    """One meeting held by a unit."""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_unit_held", "unit_id", "held_on"),)
    lock_year_path = "year"

    unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("org_units.id", ondelete="RESTRICT"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    topic: Mapped[str] = mapped_column(String(200), nullable=False)
    expected: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    present: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    minutes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by: Mapped[str] = mapped_column(String(60), nullable=False, default="")

    absences: Mapped[list["MeetingAbsence"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin",
        order_by="MeetingAbsence.id")


class MeetingAbsence(IdMixin, TenantModel):
    """A member absent from a meeting, and why."""

    __tablename__ = "meeting_absences"
    lock_year_path = "meeting.year"

    meeting_id: Mapped[int] = mapped_column(BigId, ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    reason: Mapped[str] = mapped_column(String(100), nullable=False, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="absences")


class MeetingCadence(IdMixin, TimestampMixin, VersionMixin, TenantModel):
    """The bureau's expected cadence of one kind of meeting."""

    __tablename__ = "meeting_cadences"
    __table_args__ = (UniqueConstraint("kind", name="uq_meeting_cadences_kind"),)
    lock_year_path = None

    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    months: Mapped[int] = mapped_column(Integer, nullable=False)
    note: Mapped[str] = mapped_column(String(100), nullable=False, default="")
