"""Append-only audit trail: one table in the catalog (city actions) and one in every
bureau database (bureau actions), each a hash chain of its own (``audit/chain.py``).

Rows are never updated or deleted by the application (``audit/guard.py`` refuses it; on
PostgreSQL a trigger refuses it too); only the archive removes events, after writing them
to a signed file.  Each database has one ``audit_chain_head`` row: the last event's
sequence number and hash (locked by every append, so two writers never fork the chain)
and the anchor, the last archived event, from which the remaining chain is verified."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models import BigId, CatalogModel, IdMixin, TenantModel, utcnow

from .chain import GENESIS


class _AuditColumns(IdMixin):
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False, index=True)
    # The actor is copied (id + name) because tenant rows may not reference catalog rows.
    actor_id: Mapped[int | None] = mapped_column(BigId)
    actor_name: Mapped[str] = mapped_column(String(60), nullable=False, default="system", index=True)
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    entity_id: Mapped[str | None] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
    # The chain: position, the previous event's hash, this event's hash (audit/chain.py).
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class _HeadColumns:
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, default=GENESIS)
    anchor_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    anchor_hash: Mapped[str] = mapped_column(String(64), nullable=False, default=GENESIS)


class CatalogAuditEvent(_AuditColumns, CatalogModel):
    """A city-level action (bureaus, accounts, templates, scoring, locks), a log-in, a download."""

    __tablename__ = "audit_events"
    # Which bureau the city action concerned, if any (a slug: bureaus may be deleted).
    tenant_slug: Mapped[str | None] = mapped_column(String(40), index=True)
    # The audit administrator's page: one bureau's events, newest first.
    __table_args__ = (Index("ix_audit_events_tenant_slug_at", "tenant_slug", "at"),)


class TenantAuditEvent(_AuditColumns, TenantModel):
    """An action inside one bureau."""

    __tablename__ = "audit_events"
    lock_year_path = None  # the trail records refused and allowed actions of every year


class CatalogAuditHead(_HeadColumns, CatalogModel):
    """The catalog chain's head and anchor (one row, ``id`` 1)."""

    __tablename__ = "audit_chain_head"


class TenantAuditHead(_HeadColumns, TenantModel):
    """A bureau chain's head and anchor (one row, ``id`` 1)."""

    __tablename__ = "audit_chain_head"
    lock_year_path = None  # the head moves with every event, of whatever year
