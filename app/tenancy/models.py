"""Catalog record of a bureau (tenant)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from app.models import CatalogModel, IdMixin, TimestampMixin, VersionMixin

from .store import POSTGRESQL, TenantRef, sqlite_file_name

TENANT_STATUSES = ("active", "archived")

# Bureau categories used by the city to group and filter bureaus (口径参照市直机关分类).
BUREAU_CATEGORIES = {
    "general": "综合管理部门",
    "economic": "经济管理部门",
    "social": "社会事业部门",
    "law": "政法部门",
    "mass": "群团组织",
    "institution": "直属事业单位",
}


class Tenant(IdMixin, TimestampMixin, VersionMixin, CatalogModel):
    """One bureau: its slug, name, status, placement and the state of its database."""

    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False, default="general")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    backend: Mapped[str] = mapped_column(String(20), nullable=False)
    server: Mapped[str] = mapped_column(String(60), nullable=False)
    schema_name: Mapped[str | None] = mapped_column(String(63))
    # Identity of the current incarnation of the bureau's storage (new on provisioning and
    # restore; part of the SQLite file name).  Every process compares it on each request.
    storage_key: Mapped[str | None] = mapped_column(String(16))
    # Alembic revision of the bureau's database, recorded by provisioning and upgrades.
    revision: Mapped[str | None] = mapped_column(String(40))
    # Incremented after every commit that changed the bureau's rows (roll-up staleness).
    data_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The last failed upgrade of the bureau's database (cleared by a successful one), so
    # `flask tenants list` says which bureaus a run left behind and why.
    upgrade_error: Mapped[str | None] = mapped_column(String(500))
    upgrade_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A move to another PostgreSQL server in progress (app.tenancy.moves): the target
    # server, the process (host:pid) moving it and since when.  The bureau is read-only
    # while ``moving_to`` is set.
    moving_to: Mapped[str | None] = mapped_column(String(60))
    moving_by: Mapped[str | None] = mapped_column(String(120))
    moving_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def ref(self) -> TenantRef:
        """The placement the routing session needs."""
        return TenantRef(
            slug=self.slug,
            backend=self.backend,
            server=self.server,
            schema=self.schema_name if self.backend == POSTGRESQL else None,
            storage=self.storage_key,
        )

    @property
    def placement(self) -> str:
        """Human-readable placement, e.g. ``sqlite:<slug>/bureau.sqlite3`` or ``default/t_x``."""
        if self.backend == POSTGRESQL:
            return f"{self.server}/{self.schema_name}"
        return f"sqlite:{self.slug}/{sqlite_file_name(self.storage_key)}"

    @property
    def category_label(self) -> str:
        return BUREAU_CATEGORIES.get(self.category, self.category)

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class TenantChange(CatalogModel):
    """A feature of a bureau changed (``scope``: ``duties``, ``findings``, …) at
    ``version``, the bureau's ``data_version`` after that commit; the latest version per
    scope.  The roll-up recomputes the features marked up to the version it read and then
    deletes those marks, never a mark made after it (its version is higher)."""

    __tablename__ = "tenant_changes"

    tenant_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                           ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)


def upsert_changes(dialect: str, tenant_id: int, scopes: Iterable[str], version: int):
    """The one statement that marks ``scopes`` of a bureau changed at ``version`` (a later
    version replaces an earlier one)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(TenantChange).values([{"tenant_id": tenant_id, "scope": scope, "version": version}
                                             for scope in sorted(scopes)])
    return statement.on_conflict_do_update(index_elements=["tenant_id", "scope"],
                                           set_={"version": statement.excluded.version})

