"""Which account a directory entry or identity-service subject logs in as (catalog)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models import BigId, CatalogModel, IdMixin, TimestampMixin

LDAP = "ldap"
OIDC = "oidc"
SOURCES = (LDAP, OIDC)


class DirectoryIdentity(IdMixin, TimestampMixin, CatalogModel):
    """One outside identity of an account: an LDAP entry (``subject`` is the log-in name,
    ``dn`` its entry) or an OIDC subject (``subject`` is ``<issuer> <sub>``).

    ``managed_roles`` are the roles the directory granted (``role`` or ``role@slug``): a
    log-in changes those only, never a role an administrator gave by hand.  An account with
    an identity has no password of its own that the log-in page accepts.
    """

    __tablename__ = "directory_identities"
    __table_args__ = (UniqueConstraint("source", "subject"),)

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    subject: Mapped[str] = mapped_column(String(500), nullable=False)
    dn: Mapped[str | None] = mapped_column(String(500))
    managed_roles: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
