"""The bureau's Party organisation tree (bureau database).

* :class:`OrgUnit` — one organisation: 机关党委, 党组, 党总支, 党支部 or 党小组, with its
  parent, its secretary, deputy and 组织委员 (people of the bureau, :mod:`app.people`),
  its member count and its last election (换届).
* :class:`OrgCommitteeMember` — a member of the unit's committee (委员), a person of the
  bureau.

The people are the bureau's shared people, never copies: a person who holds a post in a
unit cannot be removed (the columns are registered as person holders in
:func:`app.create_app`).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models import BigId, IdMixin, TenantModel, TimestampMixin, VersionMixin
from app.people.models import Person

PARTY_COMMITTEE = "party_committee"
LEADING_GROUP = "leading_group"
GENERAL_BRANCH = "general_branch"
BRANCH = "branch"
GROUP = "group"
UNIT_KINDS = (PARTY_COMMITTEE, LEADING_GROUP, GENERAL_BRANCH, BRANCH, GROUP)


class OrgUnit(IdMixin, TimestampMixin, VersionMixin, TenantModel):
    """One Party organisation of the bureau."""

    __tablename__ = "org_units"
    __table_args__ = (UniqueConstraint("name", name="uq_org_units_name"),)
    lock_year_path = None

    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("org_units.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    secretary_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id", ondelete="SET NULL"), index=True)
    deputy_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id", ondelete="SET NULL"), index=True)
    organiser_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id", ondelete="SET NULL"), index=True)
    member_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    elected_on: Mapped[date | None] = mapped_column(Date)
    term_years: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    parent: Mapped["OrgUnit | None"] = relationship(remote_side="OrgUnit.id", lazy="select", back_populates="children")
    # No delete cascade: the services refuse to remove a unit with units under it.
    children: Mapped[list["OrgUnit"]] = relationship(back_populates="parent", lazy="select")
    secretary: Mapped[Person | None] = relationship(foreign_keys=[secretary_id], lazy="joined")
    deputy: Mapped[Person | None] = relationship(foreign_keys=[deputy_id], lazy="joined")
    organiser: Mapped[Person | None] = relationship(foreign_keys=[organiser_id], lazy="joined")
    committee: Mapped[list["OrgCommitteeMember"]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin",
        order_by="OrgCommitteeMember.id")


class OrgCommitteeMember(IdMixin, TenantModel):
    """A committee member (委员) of a unit."""

    __tablename__ = "org_committee_members"
    __table_args__ = (UniqueConstraint("unit_id", "person_id", name="uq_org_committee_members_unit_person"),)
    lock_year_path = None

    unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("org_units.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("people.id", ondelete="RESTRICT"), nullable=False,
                                           index=True)
    #: The member's portfolio (分工): 宣传委员, 纪检委员, 青年委员 …
    portfolio: Mapped[str] = mapped_column(String(40), nullable=False, default="")

    unit: Mapped[OrgUnit] = relationship(back_populates="committee")
    person: Mapped[Person] = relationship(lazy="joined")


class BranchFigure(IdMixin, TenantModel):
    """A unit's figures of a year, recomputed when the unit's data change (pushed by the
    writing services, never computed on page view): the bureau's dashboard over its
    branches reads these rows only.  Sources of figures are registered in
    :func:`app.create_app` (``zeren.branch_figure_sources``)."""

    __tablename__ = "branch_figures"
    __table_args__ = (UniqueConstraint("unit_id", "year", name="uq_branch_figures_unit_year"),)
    lock_year_path = None

    unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("org_units.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    meetings_held: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    meetings_due: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    kinds_behind: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    election_overdue: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    behind: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    computed_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str] = mapped_column(String(200), nullable=False, default="")
