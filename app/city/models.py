"""Catalog tables of the city's roll-up: the latest figures and daily snapshots."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models import BigId, CatalogModel, IdMixin, utcnow


#: The list figures the trends page plots (``app.city.services.TREND_FIGURES``).
TREND_COLUMNS = ("completion_rate", "closure_rate", "composite", "items_overdue")


class ListFigures:
    """The figures the city's lists and trends sort, count and average over thousands of
    bureaus, read from ``figures`` by the roll-up's rule (:func:`app.city.rollup.list_values`:
    list figures once the list is published, scores once complete) and written with them,
    so that a page's aggregates read plain columns rather than every bureau's JSON."""

    completion_rate: Mapped[float | None] = mapped_column(Float)
    items_done: Mapped[float | None] = mapped_column(Float)
    items_total: Mapped[float | None] = mapped_column(Float)
    items_overdue: Mapped[float | None] = mapped_column(Float)
    evidence_count: Mapped[float | None] = mapped_column(Float)
    findings_open: Mapped[float | None] = mapped_column(Float)
    findings_overdue: Mapped[float | None] = mapped_column(Float)
    closure_rate: Mapped[float | None] = mapped_column(Float)
    days_to_close: Mapped[float | None] = mapped_column(Float)
    self_total: Mapped[float | None] = mapped_column(Float)
    reviewer_total: Mapped[float | None] = mapped_column(Float)
    composite: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(40))
    last_activity: Mapped[str | None] = mapped_column(String(40))
    # Issue 16: items at each warning level, records awaiting review.
    warn_red: Mapped[float | None] = mapped_column(Float)
    warn_yellow: Mapped[float | None] = mapped_column(Float)
    warn_blue: Mapped[float | None] = mapped_column(Float)
    records_pending: Mapped[float | None] = mapped_column(Float)
    # Issue 15: the bureau's 党支部 and those behind (a meeting missed, an election overdue).
    branches_behind: Mapped[float | None] = mapped_column(Float)
    branches: Mapped[float | None] = mapped_column(Float)


class TenantMetrics(ListFigures, IdMixin, CatalogModel):
    """The latest figures of one bureau for one year, pushed after each of its commits.

    ``figures`` is ``{source: {name: value}}`` as returned by the features' ``metrics``
    functions (see :mod:`app.city.metrics`); ``data_version`` is the bureau's
    ``Tenant.data_version`` the figures were computed from (stale when behind it).
    """

    __tablename__ = "tenant_metrics"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)

    tenant_id: Mapped[int] = mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    figures: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    data_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    tenant = relationship("Tenant", lazy="joined")


class MetricSnapshot(ListFigures, IdMixin, CatalogModel):
    """One bureau's figures as they stood at the end of a day (history for trends), with
    the list figures as plain columns (the trends page averages them over every bureau)."""

    __tablename__ = "metric_snapshots"
    # The trends page's city average reads the figures it plots from this index alone
    # (:func:`app.city.rollup.city_average_by_day`), never the rows' JSON.
    __table_args__ = (UniqueConstraint("tenant_id", "year", "day"),
                      Index("ix_metric_snapshots_trends", "year", "tenant_id", "day", *TREND_COLUMNS))

    tenant_id: Mapped[int] = mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    figures: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
