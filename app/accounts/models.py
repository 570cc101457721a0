"""Global user accounts and their memberships (catalog)."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models import BigId, CatalogModel, IdMixin, TimestampMixin, VersionMixin

CITY_ADMIN = "city_admin"
CITY_VIEWER = "city_viewer"
BUREAU_ADMIN = "bureau_admin"
BUREAU_EDITOR = "bureau_editor"
BUREAU_VIEWER = "bureau_viewer"

# 三员分立 (separation of duties): the city's administration split in three.
SYSTEM_ADMIN = "system_admin"
SECURITY_ADMIN = "security_admin"
AUDIT_ADMIN = "audit_admin"
ADMIN_WORK_ROLES = (SYSTEM_ADMIN, SECURITY_ADMIN, AUDIT_ADMIN)

BUSINESS_CITY_ROLES = (CITY_ADMIN, CITY_VIEWER)
CITY_ROLES = BUSINESS_CITY_ROLES + ADMIN_WORK_ROLES
BUREAU_ROLES = (BUREAU_ADMIN, BUREAU_EDITOR, BUREAU_VIEWER)
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

    # Lockout (catalog 0012): failures since the last success or lock; while ``locked_until``
    # is in the future the account cannot log in, in any process.
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_ip: Mapped[str | None] = mapped_column(String(45))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # TOTP second factor: the base32 secret, set when the first code confirmed it; the last
    # time step used, so that one code cannot log in twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Made by ``flask demo seed``: refused at log-in in production.
    demo_account: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

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
        """The role this user reads the city's pages with: ``city_admin``, ``system_admin``
        (bureaus and accounts), ``city_viewer`` or ``None``.

        The security and audit administrators have no part in the city's work: their role
        alone gives no city or bureau page (:attr:`admin_roles` holds it).
        """
        roles = {m.role for m in self.memberships if m.tenant_id is None}
        for role in (CITY_ADMIN, SYSTEM_ADMIN, CITY_VIEWER):
            if role in roles:
                return role
        return None

    @property
    def admin_roles(self) -> frozenset[str]:
        """Which of the three administrators' roles (三员) this user holds."""
        return frozenset(m.role for m in self.memberships if m.tenant_id is None and m.role in ADMIN_WORK_ROLES)

    @property
    def has_two_factor(self) -> bool:
        return bool(self.totp_secret and self.totp_confirmed_at)

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


class RecoveryCode(IdMixin, CatalogModel):
    """One of a user's ten two-factor recovery codes: only its SHA-256 is kept; used once."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasswordHistory(IdMixin, CatalogModel):
    """A password hash the user had before: a new password may not be one of the last ones."""

    __tablename__ = "password_history"

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class SecuritySettings(VersionMixin, CatalogModel):
    """The security administrator's settings (one row, id 1); an empty column means the
    configuration's default (``ZEREN_LOCKOUT_ATTEMPTS`` …)."""

    __tablename__ = "security_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lockout_attempts: Mapped[int | None] = mapped_column(Integer)
    lockout_minutes: Mapped[int | None] = mapped_column(Integer)
    idle_minutes: Mapped[int | None] = mapped_column(Integer)
    two_factor: Mapped[str | None] = mapped_column(String(30))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
