"""The catalog's record of every job: what it is for, where it stands, how it ended."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models import CatalogModel, utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATES = (QUEUED, RUNNING, DONE, FAILED)


class Job(CatalogModel):
    """One unit of background work (a report to lay out, a bureau's figures to recompute,
    a nightly backup), handed to the queue by id.

    ``dedup`` holds ``key`` while the job is queued or running, so that a second request
    for the same work finds this job instead of starting another (a unique index;
    ``NULL``s never collide): thirty clicks on one report, one rendering; fifty writes in
    one bureau, one recompute of its figures.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_kind", "state", "kind"), Index("ix_jobs_key_created", "key", "created_at"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    dedup: Mapped[str | None] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=QUEUED)
    params: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON)
    tenant_slug: Mapped[str | None] = mapped_column(String(40), index=True)
    requested_by: Mapped[str | None] = mapped_column(String(80))
    #: ``host:pid`` of the process running it (a dead one on this host frees it at once).
    worker: Mapped[str | None] = mapped_column(String(120))
    stage: Mapped[str | None] = mapped_column(String(40))
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def pending(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def seconds(self) -> float | None:
        """Run time so far (running) or in all (ended)."""
        if self.started_at is None:
            return None
        return max(0.0, (aware(self.finished_at or utcnow()) - aware(self.started_at)).total_seconds())


def aware(moment: datetime) -> datetime:
    """A stored time as UTC (SQLite hands timezone-aware columns back without a zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
