"""Append-only audit trail: one table in the catalog (city actions) and one in every
bureau database (bureau actions).  Rows are never updated or deleted by the application."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models import BigId, CatalogModel, IdMixin, TenantModel, utcnow


class _AuditColumns(IdMixin):
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False, index=True)
    # The actor is copied (id + name) because tenant rows may not reference catalog rows.
    actor_id: Mapped[int | None] = mapped_column(BigId)
    actor_name: Mapped[str] = mapped_column(String(60), nullable=False, default="system")
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_id: Mapped[str | None] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))


class CatalogAuditEvent(_AuditColumns, CatalogModel):
    """A city-level action (bureaus, accounts, templates, scoring, locks)."""

    __tablename__ = "audit_events"
    # Which bureau the city action concerned, if any (a slug: bureaus may be deleted).
    tenant_slug: Mapped[str | None] = mapped_column(String(40), index=True)


class TenantAuditEvent(_AuditColumns, TenantModel):
    """An action inside one bureau."""

    __tablename__ = "audit_events"
    lock_year_path = None  # the trail records refused and allowed actions of every year
