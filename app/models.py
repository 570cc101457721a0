"""The two declarative bases and shared mixins.

``CatalogModel`` tables live in the catalog database (bureaus, users, memberships, city
templates, roll-up).  ``TenantModel`` tables live in each bureau's own database or
schema.  The two have separate ``MetaData`` so that each Alembic environment only sees
its own tables, and so that the routing session can tell them apart
(:mod:`app.tenancy.session`).  Tenant tables never reference catalog tables by foreign
key: a bureau's database must stand on its own (backup, move to another server).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import ClassVar

from sqlalchemy import BigInteger, DateTime, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, INTEGER on SQLite (where only INTEGER PRIMARY KEY autoincrements).
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Timezone-aware current time in UTC (stored as UTC, shown in Asia/Shanghai)."""
    return datetime.now(timezone.utc)


class CatalogModel(DeclarativeBase):
    """Base of every catalog table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TenantModel(DeclarativeBase):
    """Base of every table that belongs to one bureau.

    Every bureau model sets ``lock_year_path``: the dotted path from a row to the year
    whose lock governs it (``"year"``, ``"sheet.year"``, ``"item.duty_list.year"``), or
    ``None`` for rows that belong to no year (people, the audit trail).  The city's year
    lock is enforced on that path when the session flushes (:mod:`app.years.guard`), so
    a new feature's writes are covered without calling anything; a test refuses a model
    that does not say.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    lock_year_path: ClassVar[str | None]


class IdMixin:
    id: Mapped[int] = mapped_column(BigId, primary_key=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class VersionMixin:
    """Optimistic locking: SQLAlchemy adds ``WHERE version = :old`` to every UPDATE and
    raises ``StaleDataError`` when another writer got there first.  Forms carry the
    version they were rendered with (see :func:`app.errors.check_version`)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}
