"""Notifications and their outward deliveries (catalog: a person's notifications span
every bureau they belong to, and the city's)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models import BigId, CatalogModel, IdMixin, utcnow


class Notification(IdMixin, CatalogModel):
    """One thing one user is asked to look at or act on."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "id"),)

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    # The bureau the event concerns (NULL: the city's own matter).  A slug is kept too: the
    # link and the list name the bureau even after it was deleted.
    tenant_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    tenant_slug: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    # A same-site path ("/b/jyj/findings/12"); followed only through ``app.web.safe_next``.
    link: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    actor_name: Mapped[str] = mapped_column(String(60), nullable=False, default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Delivery(IdMixin, CatalogModel):
    """One event sent (or to be sent) through an outward channel, with its outcome."""

    __tablename__ = "notification_deliveries"

    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    link: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    tenant_slug: Mapped[str | None] = mapped_column(String(40), index=True)
    # [{"id": …, "username": …, "name": …}]: the gateway maps accounts to phones or chat ids.
    recipients: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
