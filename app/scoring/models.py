"""Score sheets (考核评分): the city's templates (catalog) and each bureau's sheets.

Catalog: :class:`ScoreTemplate`, one row per *edition* of the city's score-sheet template
for a year (the body is a template as described in ``docs/score-templates.md``), and
:class:`TemplateAssignment`, which edition a bureau is assessed on in a year.  A
published edition never changes; a change is the next edition.

Bureau database: :class:`ScoreSheet` (one per year and assessee) with its
:class:`ScoreEntry` rows (one per indicator: the self-assessment and the reviewer's
score), :class:`Adjustment` rows (加分 / 扣分 / 一票否决) and its :class:`Ballot`
(民主测评).  The sheet copies the template's id, edition, name and whole body: no
foreign key crosses from a bureau's database into the catalog, and a sheet keeps being
scored on exactly the body it was started with.

Scores are ``Numeric(7, 2)``: exact decimals on both backends (never floats in
arithmetic — the engine computes with ``Decimal``).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Column, Date, DateTime, ForeignKey, Integer, Numeric, String, Table, Text,
                        UniqueConstraint, event, inspect)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.evidence.models import Attachment  # the evidence linked to a ScoreEntry
from app.models import BigId, CatalogModel, IdMixin, TenantModel, TimestampMixin, VersionMixin

# ScoreSheet.status, in workflow order.
DRAFT, SELF_SUBMITTED, REVIEWED, FINAL = "draft", "self_submitted", "reviewed", "final"
SHEET_STATUSES = (DRAFT, SELF_SUBMITTED, REVIEWED, FINAL)
ADJUSTMENT_KINDS = ("bonus", "deduction", "veto")
#: The assessee of a bureau's own sheet.  Later issues add the bureau's branches
#: (党支部) as further assessees of the same year.
BUREAU_ASSESSEE = "bureau"
SCORE = Numeric(7, 2)


class ScoreTemplate(IdMixin, TimestampMixin, VersionMixin, CatalogModel):
    """One edition of the city's score-sheet template for a year.

    ``edition`` counts the editions of a year: 1, 2, 3 … (``version`` is the optimistic
    locking counter every editable row has).  ``body`` is the template document; while
    ``published_at`` is empty it is a draft the city edits; once published, the row never
    changes again (see :func:`_refuse_published_change`).
    """

    __tablename__ = "score_templates"
    __table_args__ = (UniqueConstraint("year", "edition", name="uq_score_templates_edition"),)

    year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    edition: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_by: Mapped[str] = mapped_column(String(60), nullable=False, default="system")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(60))
    published_by_id: Mapped[int | None] = mapped_column(BigId)

    assignments: Mapped[list["TemplateAssignment"]] = relationship(
        back_populates="template", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def label(self) -> str:
        """``name（第N版）`` as lists show it."""
        return f"{self.name}（第{self.edition}版）"


class TemplateImmutable(RuntimeError):
    """Code tried to change a published score template (a programming error)."""


@event.listens_for(ScoreTemplate, "before_update")
def _refuse_published_change(_mapper, _connection, target: ScoreTemplate) -> None:
    # Defence in depth: the services refuse already, but bureaus have copied published
    # editions, so no code path may rewrite one.
    state = inspect(target)
    history = state.attrs.published_at.history
    was_published = bool(history.deleted and history.deleted[0] is not None) or (
        not history.has_changes() and target.published_at is not None)
    if not was_published:
        return
    changed = [a.key for a in state.attrs
               if a.key not in ("updated_at", "version", "assignments") and a.history.has_changes()]
    if changed:
        raise TemplateImmutable(f"published score template {target.id} cannot change ({', '.join(changed)})")


class TemplateAssignment(IdMixin, TimestampMixin, CatalogModel):
    """Bureau ``tenant_id`` is assessed on ``template`` in ``year`` (one edition per year)."""

    __tablename__ = "score_template_assignments"
    __table_args__ = (UniqueConstraint("tenant_id", "year", name="uq_score_template_assignments_year"),)

    template_id: Mapped[int] = mapped_column(BigId, ForeignKey("score_templates.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    tenant_id: Mapped[int] = mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    assigned_by: Mapped[str] = mapped_column(String(60), nullable=False, default="system")

    template: Mapped[ScoreTemplate] = relationship(back_populates="assignments")


# -- bureau database -------------------------------------------------------------------
score_evidence = Table(
    "score_evidence",
    TenantModel.metadata,
    Column("entry_id", BigId, ForeignKey("score_entries.id", ondelete="CASCADE"), primary_key=True),
    Column("attachment_id", BigId, ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class ScoreSheet(IdMixin, TimestampMixin, VersionMixin, TenantModel):
    """A bureau's score sheet for one year and assessee: draft → self_submitted →
    reviewed → final.  Every change of the sheet or of its entries, adjustments and ballot
    bumps ``version``, so a form rendered before any of them is refused as stale."""

    __tablename__ = "score_sheets"
    lock_year_path = "year"
    __table_args__ = (UniqueConstraint("year", "assessee_key", name="uq_score_sheets_assessee"),)

    year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    assessee_key: Mapped[str] = mapped_column(String(40), nullable=False, default=BUREAU_ASSESSEE)
    assessee_name: Mapped[str] = mapped_column(String(100), nullable=False)
    # The template edition it was copied from (plain values: no FK into the catalog).
    template_id: Mapped[int | None] = mapped_column(BigId)
    template_edition: Mapped[int] = mapped_column(Integer, nullable=False)
    template_name: Mapped[str] = mapped_column(Text, nullable=False)
    template_body: Mapped[dict] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=DRAFT)
    self_summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The review team's overall opinion (考核意见); shown to the bureau once final.
    reviewer_comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    self_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    self_submitted_by: Mapped[str | None] = mapped_column(String(60))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(60))
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finalised_by: Mapped[str | None] = mapped_column(String(60))

    entries: Mapped[list["ScoreEntry"]] = relationship(
        back_populates="sheet", cascade="all, delete-orphan", passive_deletes=True, order_by="ScoreEntry.id")
    adjustments: Mapped[list["Adjustment"]] = relationship(
        back_populates="sheet", cascade="all, delete-orphan", passive_deletes=True, order_by="Adjustment.id")
    ballot: Mapped["Ballot | None"] = relationship(
        back_populates="sheet", cascade="all, delete-orphan", passive_deletes=True, uselist=False)

    @property
    def is_final(self) -> bool:
        return self.status == FINAL

    def entry_for(self, code: str) -> "ScoreEntry | None":
        """The entry of indicator ``code``, if any."""
        for entry in self.entries:
            if entry.indicator_code == code:
                return entry
        return None


class ScoreEntry(IdMixin, TimestampMixin, VersionMixin, TenantModel):
    """One indicator of a sheet: the bureau's self-assessment and the reviewer's score.

    Per part the value that counts depends on the indicator's method: ``*_points`` for
    ``points``, ``*_level`` for ``levels``, ``*_deductions`` ({rule code: occurrences})
    for ``deduct``.  Evidence links the bureau's attachments (:class:`app.evidence.models.Attachment`).
    """

    __tablename__ = "score_entries"
    lock_year_path = "sheet.year"
    __table_args__ = (UniqueConstraint("sheet_id", "indicator_code", name="uq_score_entries_indicator"),)

    sheet_id: Mapped[int] = mapped_column(BigId, ForeignKey("score_sheets.id", ondelete="CASCADE"), nullable=False)
    indicator_code: Mapped[str] = mapped_column(String(64), nullable=False)
    self_points: Mapped[Decimal | None] = mapped_column(SCORE)
    self_level: Mapped[str | None] = mapped_column(String(64))
    self_deductions: Mapped[dict | None] = mapped_column(JSON)
    self_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    reviewer_points: Mapped[Decimal | None] = mapped_column(SCORE)
    reviewer_level: Mapped[str | None] = mapped_column(String(64))
    reviewer_deductions: Mapped[dict | None] = mapped_column(JSON)
    reviewer_comment: Mapped[str] = mapped_column(Text, nullable=False, default="")

    sheet: Mapped[ScoreSheet] = relationship(back_populates="entries")
    evidence: Mapped[list[Attachment]] = relationship(
        secondary=score_evidence, order_by=Attachment.id, lazy="selectin")


class Adjustment(IdMixin, TimestampMixin, VersionMixin, TenantModel):
    """A bonus (加分), deduction (扣分) or veto (一票否决) decided by the review team.

    ``points`` is a positive amount for bonuses and deductions (copied from the rule when
    one is named) and empty for a veto; ``document`` is the 文号 of the decision.
    """

    __tablename__ = "score_adjustments"
    lock_year_path = "sheet.year"

    sheet_id: Mapped[int] = mapped_column(BigId, ForeignKey("score_sheets.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    rule: Mapped[str | None] = mapped_column(String(64))
    rule_title: Mapped[str | None] = mapped_column(Text)
    points: Mapped[Decimal | None] = mapped_column(SCORE)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    document: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_by: Mapped[str] = mapped_column(String(60), nullable=False, default="system")

    sheet: Mapped[ScoreSheet] = relationship(back_populates="adjustments")


class Ballot(IdMixin, TimestampMixin, VersionMixin, TenantModel):
    """The democratic rating (民主测评) of a sheet: votes per ballot level."""

    __tablename__ = "score_ballots"
    lock_year_path = "sheet.year"

    sheet_id: Mapped[int] = mapped_column(BigId, ForeignKey("score_sheets.id", ondelete="CASCADE"),
                                          nullable=False, unique=True)
    counts: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # {level label: votes}
    eligible: Mapped[int | None] = mapped_column(Integer)  # 应到人数
    present: Mapped[int | None] = mapped_column(Integer)  # 实到人数
    held_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    sheet: Mapped[ScoreSheet] = relationship(back_populates="ballot")
