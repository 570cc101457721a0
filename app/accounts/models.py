"""Global user accounts and their memberships (catalog)."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models import BigId, CatalogModel, IdMixin, TimestampMixin, VersionMixin

CITY_ADMIN = "city_admin"
CITY_VIEWER = "city_viewer"
BUREAU_ADMIN = "bureau_admin"
BUREAU_EDITOR = "bureau_editor"
BUREAU_VIEWER = "bureau_viewer"
#: A branch's secretary or 组织委员: sees and edits their own branch only (app/orgs).
BRANCH_EDITOR = "branch_editor"

CITY_ROLES = (CITY_ADMIN, CITY_VIEWER)
BUREAU_ROLES = (BUREAU_ADMIN, BUREAU_EDITOR, BUREAU_VIEWER, BRANCH_EDITOR)
ROLES = CITY_ROLES + BUREAU_ROLES


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(IdMixin, TimestampMixin, VersionMixin, UserMixin, CatalogModel):
    """One person's login.  Roles come from :class:`Membership` rows."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    # Optional: where the daily reminder e-mail goes (``flask reminders send``).
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Part of the id kept in the login cookie; changing it logs out every other session
    # (password change, logout everywhere, deactivation).
    session_token: Mapped[str] = mapped_column(String(32), nullable=False, default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when someone else chose the password (an administrator creating the account or
    # resetting it): the user must choose their own before using any page; cleared when
    # they do (see ``services.change_password`` and ``views.require_own_password``).
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                       server_default=false())

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login ------------------------------------------------------------------
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.active)

    # Roles --------------------------------------------------------------------------
    @property
    def city_role(self) -> str | None:
        """``city_admin``, ``city_viewer`` or ``None``."""
        roles = {m.role for m in self.memberships if m.tenant_id is None}
        if CITY_ADMIN in roles:
            return CITY_ADMIN
        return CITY_VIEWER if CITY_VIEWER in roles else None

    @property
    def is_city_admin(self) -> bool:
        return self.city_role == CITY_ADMIN

    def bureau_role(self, tenant_id: int) -> str | None:
        """This user's own role in a bureau (city roles not included)."""
        for m in self.memberships:
            if m.tenant_id == tenant_id:
                return m.role
        return None

    @property
    def label(self) -> str:
        return self.display_name or self.username


class Membership(IdMixin, TimestampMixin, CatalogModel):
    """A role of a user: a city role (``tenant_id`` is NULL) or a role in one bureau."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id", "role"),)

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    tenant_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)

    user: Mapped[User] = relationship(back_populates="memberships")
    tenant = relationship("Tenant", lazy="joined")


class RateLimitCounter(CatalogModel):
    """One fixed-window counter of the log-in rate limit (see :mod:`app.accounts.ratelimit`).

    Kept in the catalog so that every worker process of every server counts together.
    """

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)
    # Seconds since the epoch (UTC) at which the window ends.
    expires_at: Mapped[float] = mapped_column(Float, nullable=False, index=True)
