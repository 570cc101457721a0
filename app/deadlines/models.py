"""Catalog rows of the deadline settings: the city's one settings row and the review
modes chosen per template year or per bureau."""
from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models import CatalogModel, IdMixin, TimestampMixin, VersionMixin

REVIEW_OFF = "off"
REVIEW_BUREAU = "bureau"
REVIEW_CITY = "city"
REVIEW_MODES = (REVIEW_OFF, REVIEW_BUREAU, REVIEW_CITY)
APPROVERS = ("bureau", "city")
SCOPE_TEMPLATE = "template"
SCOPE_BUREAU = "bureau"


class DeadlineSettings(IdMixin, TimestampMixin, VersionMixin, CatalogModel):
    """The city's settings (one row): warning thresholds, grace days, who approves a
    补录 and the review mode of templates and bureaus with no mode of their own.

    ``grace_days`` ``None``: entry never closes (a city that has not decided yet).
    """

    __tablename__ = "deadline_settings"

    blue_days: Mapped[int] = mapped_column(Integer, nullable=False, default=15)
    yellow_days: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    grace_days: Mapped[int | None] = mapped_column(Integer)
    late_approver: Mapped[str] = mapped_column(String(10), nullable=False, default="bureau")
    review_mode: Mapped[str] = mapped_column(String(10), nullable=False, default=REVIEW_OFF)


class ReviewMode(IdMixin, TimestampMixin, CatalogModel):
    """The review mode of one template year (``scope`` template, ``key`` the year) or of
    one bureau (``scope`` bureau, ``key`` its slug); a bureau's own mode wins."""

    __tablename__ = "review_modes"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_review_modes_scope_key"),)

    scope: Mapped[str] = mapped_column(String(10), nullable=False)
    key: Mapped[str] = mapped_column(String(40), nullable=False)
    mode: Mapped[str] = mapped_column(String(10), nullable=False)
