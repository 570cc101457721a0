"""Duty lists (责任清单): the city's templates (catalog) and each bureau's own records.

Catalog: :class:`DutyTemplate`, one row per published or draft *edition* of the city's
template for a year.  A published edition is immutable (see :func:`_refuse_published_change`);
changing it means starting the next edition.

Bureau database: :class:`DutyList`, :class:`DutyItem` and :class:`ProgressRecord`; an
item's owner is a :class:`app.people.models.Person`, a record's evidence files are
:class:`app.evidence.models.Attachment` rows.  A list created from a template copies
the items (and the template's id, edition and title as plain values: no foreign key
crosses from a bureau's database into the catalog).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, event, inspect)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.evidence.models import Attachment
from app.models import BigId, CatalogModel, IdMixin, TenantModel, TimestampMixin, VersionMixin
from app.people.models import Person

TEMPLATE_KIND = "duty_list"
LIST_STATUSES = ("draft", "published", "archived")
PENDING = "pending"
APPROVED = "approved"
RETURNED = "returned"
REVIEW_STATES = (PENDING, APPROVED, RETURNED)


class DutyTemplate(IdMixin, TimestampMixin, VersionMixin, CatalogModel):
    """One edition of the city's duty-list template for a year.

    ``edition`` counts the editions of one (kind, year): 1, 2, 3 …  (``version`` is the
    optimistic-locking counter every editable row has.)  ``body`` holds the areas and
    items, see :mod:`app.duties.catalog`.  Once ``published_at`` is set the row
    never changes again.
    """

    __tablename__ = "duty_templates"
    __table_args__ = (UniqueConstraint("kind", "year", "edition", name="uq_duty_templates_edition"),)

    kind: Mapped[str] = mapped_column(String(20), nullable=False, default=TEMPLATE_KIND)
    year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    edition: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[dict] = mapped_column(JSON, nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(60))

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def items(self) -> list[dict]:
        return list((self.body or {}).get("items", []))

    @property
    def areas(self) -> list[dict]:
        return list((self.body or {}).get("areas", []))


class TemplateImmutable(RuntimeError):
    """Code tried to change a published template edition."""


@event.listens_for(DutyTemplate, "load")
def _remember_published_on_load(target: DutyTemplate, _context) -> None:
    target._published_in_db = target.__dict__.get("published_at") is not None


@event.listens_for(DutyTemplate, "refresh")
def _remember_published_on_refresh(target: DutyTemplate, _context, attrs) -> None:
    if attrs is None or "published_at" in attrs:
        target._published_in_db = target.__dict__.get("published_at") is not None


@event.listens_for(DutyTemplate, "before_update")
def _refuse_published_change(_mapper, _connection, target: DutyTemplate) -> None:
    # Defence in depth: the services already refuse, but no code path may rewrite an
    # edition that bureaus have copied from.  "Published" means published in the
    # database as loaded, so publishing itself (several flushes, one transaction) works.
    if not getattr(target, "_published_in_db", False):
        return
    state = inspect(target)
    changed = [a.key for a in state.attrs if a.key not in ("updated_at", "version") and a.history.has_changes()]
    if changed:
        raise TemplateImmutable(f"published duty template {target.id} cannot change ({', '.join(changed)})")


class DutyList(IdMixin, TimestampMixin, VersionMixin, TenantModel):
    """A bureau's responsibility list for one year."""

    __tablename__ = "duty_lists"
    lock_year_path = "year"

    year: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    # Areas offered by this list: [{"code": ..., "label": ...}], copied from the template.
    areas: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # The template edition the list was copied from (plain values: no FK to the catalog).
    template_id: Mapped[int | None] = mapped_column(BigId)
    template_edition: Mapped[int | None] = mapped_column(Integer)
    template_title: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    items: Mapped[list["DutyItem"]] = relationship(
        back_populates="duty_list", cascade="all, delete-orphan", passive_deletes=True,
        order_by="DutyItem.sort_order")

    @property
    def is_archived(self) -> bool:
        return self.status == "archived"

    def area_label(self, code: str) -> str:
        for area in self.areas or []:
            if area.get("code") == code:
                return area.get("label") or code
        return code


class DutyItem(IdMixin, TimestampMixin, VersionMixin, TenantModel):
    """One responsibility of the list (责任事项)."""

    __tablename__ = "duty_items"
    lock_year_path = "duty_list.year"
    __table_args__ = (Index("ix_duty_items_list_order", "list_id", "sort_order"),)

    list_id: Mapped[int] = mapped_column(BigId, ForeignKey("duty_lists.id", ondelete="CASCADE"), nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    area: Mapped[str] = mapped_column(String(40), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    measures: Mapped[str] = mapped_column(Text, nullable=False, default="")
    owner_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id", ondelete="SET NULL"), index=True)
    lead_unit: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    cadence: Mapped[str] = mapped_column(String(20), nullable=False, default="once")
    expected_count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    due_date: Mapped[date | None] = mapped_column(Date)
    # "Marked done": counts as done only while evidence is attached (see status.is_done).
    marked_done: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Key of the template item it was copied from; copies of a per-member item share it.
    source_key: Mapped[str | None] = mapped_column(String(40))
    # Meetings that count as records (issue 15): the kind (支委会, 党课 …) held by the unit
    # (an organisation of the bureau's tree, named by id: app.orgs owns the table).
    meeting_kind: Mapped[str | None] = mapped_column(String(20))
    meeting_unit_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("org_units.id", ondelete="RESTRICT"),
                                                        index=True)

    duty_list: Mapped[DutyList] = relationship(back_populates="items")
    owner: Mapped[Person | None] = relationship(lazy="joined")
    records: Mapped[list["ProgressRecord"]] = relationship(
        back_populates="item", cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: (ProgressRecord.occurred_on.desc(), ProgressRecord.id.desc()))


class ProgressRecord(IdMixin, TimestampMixin, VersionMixin, TenantModel):
    """What was done for an item, and when (履责纪实)."""

    __tablename__ = "progress_records"
    lock_year_path = "item.duty_list.year"

    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("duty_items.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # The account that wrote it (copied id and name: no FK into the catalog).
    author_id: Mapped[int | None] = mapped_column(BigId)
    author_name: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    # For whom it was recorded: the item's owner when the record was written (the clerk
    # keeps the 台账 for the leaders).  The name is copied so that the record still says
    # whose work it was after the item changes hands or the person is removed.
    for_person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id", ondelete="SET NULL"))
    for_person_name: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    # Review (issue 16): only ``approved`` records count.  With review off a record is
    # approved when written; records written before review existed are approved.
    review_state: Mapped[str] = mapped_column(String(20), nullable=False, default="approved", index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(BigId)
    reviewed_by_name: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # 补录: written after its period closed, with the reason the author gave; it waits for
    # the 补录 approver instead of the reviewer and stays marked late once approved.
    late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    late_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    item: Mapped[DutyItem] = relationship(back_populates="records")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="record", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Attachment.id", lazy="selectin")
