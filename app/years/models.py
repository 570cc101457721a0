"""Catalog record of a locked year."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models import BigId, CatalogModel, IdMixin, utcnow


class YearLock(IdMixin, CatalogModel):
    """A year the city has closed: no bureau record of that year may change.

    One row per locked year; unlocking deletes the row (the audit trail keeps the history
    of every lock and unlock with its reason).
    """

    __tablename__ = "year_locks"

    year: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    locked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    # The city admin who locked it (id and name copied, like audit events).
    locked_by_id: Mapped[int | None] = mapped_column(BigId)
    locked_by: Mapped[str] = mapped_column(String(60), nullable=False, default="system")
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
