"""City tasks: the task and its attachments, one state row per bureau (catalog), and each
bureau's answers with their files (the bureau's own database)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models import BigId, CatalogModel, IdMixin, TenantModel, TimestampMixin, VersionMixin, utcnow

# Each bureau's state on a task (the board's columns; "late" is read from the dates).
UNREAD = "unread"
READ = "read"
SIGNED = "signed"
SUBMITTED = "submitted"
RETURNED = "returned"
ACCEPTED = "accepted"
STATES = (UNREAD, READ, SIGNED, SUBMITTED, RETURNED, ACCEPTED)
#: States of bureaus still owing an answer (urged by 督办, overdue after the deadline).
OWING = (UNREAD, READ, SIGNED, RETURNED)

ALL = "all"
CATEGORY = "category"
CHOSEN = "chosen"
SCOPES = (ALL, CATEGORY, CHOSEN)

NOTICE = "notice"
FORM = "form"


class CityTask(IdMixin, TimestampMixin, VersionMixin, CatalogModel):
    """What the city asks of bureaus, by when."""

    __tablename__ = "city_tasks"

    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    due_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    file_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    scope: Mapped[str] = mapped_column(String(10), nullable=False, default=ALL)
    category: Mapped[str | None] = mapped_column(String(40))
    issued_by: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    # Every 党支部 of a bureau answers its own part; the bureau submits them together.
    per_branch: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    files: Mapped[list["CityTaskFile"]] = relationship(back_populates="task", cascade="all, delete-orphan",
                                                       order_by="CityTaskFile.id", lazy="selectin")
    assignments: Mapped[list["TaskAssignment"]] = relationship(back_populates="task", cascade="all, delete-orphan",
                                                               order_by="TaskAssignment.tenant_name")


class CityTaskFile(IdMixin, TimestampMixin, CatalogModel):
    """A file the city attached to a task: the notice, or a form to fill in.  The bytes are
    in the blob store's city folder (:data:`app.citytasks.services.CITY_FILES`)."""

    __tablename__ = "city_task_files"

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("city_tasks.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    role: Mapped[str] = mapped_column(String(10), nullable=False, default=NOTICE)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)

    task: Mapped[CityTask] = relationship(back_populates="files")


class TaskAssignment(IdMixin, TimestampMixin, VersionMixin, CatalogModel):
    """One bureau's state on one task (what the board shows)."""

    __tablename__ = "city_task_assignments"
    __table_args__ = (UniqueConstraint("task_id", "tenant_id"),)

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("city_tasks.id", ondelete="CASCADE"), nullable=False)
    tenant_id: Mapped[int] = mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    # Copied: the board sorts and shows bureaus without joining (and names a renamed one as issued).
    tenant_slug: Mapped[str] = mapped_column(String(40), nullable=False)
    tenant_name: Mapped[str] = mapped_column(String(120), nullable=False)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=UNREAD, index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_by: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    # The latest answer came after the deadline.
    late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    rounds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    return_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    urged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    urge_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # A per-branch task: the bureau's branches that have written their part, of how many.
    branches_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    branches_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    task: Mapped[CityTask] = relationship(back_populates="assignments")


class TaskAnswer(IdMixin, TimestampMixin, TenantModel):
    """One submission of the bureau's answer to a city task (a resubmission is a new row;
    the city's verdict is kept on the row it judged)."""

    __tablename__ = "task_answers"
    lock_year_path = None  # a task is dated, not of a duty year

    # The catalog's task id (copied: bureau rows never reference catalog rows).
    task_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    # A branch's part of a per-branch task (the 党支部 it was written for); empty on the
    # bureau's own answer to the city.
    org_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("org_units.id", ondelete="RESTRICT"), index=True)
    round: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # "" while awaiting the city, then returned / accepted.
    outcome: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    files: Mapped[list["TaskAnswerFile"]] = relationship(back_populates="answer", cascade="all, delete-orphan",
                                                         order_by="TaskAnswerFile.id", lazy="selectin")


class TaskAnswerFile(IdMixin, TimestampMixin, TenantModel):
    """A file of an answer, in the bureau's evidence store under its sha256 (a registered
    blob reference)."""

    __tablename__ = "task_answer_files"
    lock_year_path = None

    answer_id: Mapped[int] = mapped_column(BigId, ForeignKey("task_answers.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    uploaded_by: Mapped[str] = mapped_column(String(60), nullable=False, default="")

    answer: Mapped[TaskAnswer] = relationship(back_populates="files")


def is_overdue(assignment: TaskAssignment, day: date | None = None) -> bool:
    """Still owing an answer after the task's deadline (``day``: today by default)."""
    if day is None:
        from app.core.clock import today

        day = today()
    return assignment.state in OWING and day > assignment.task.due_on
