"""City-side rules that span several packages (creating a bureau with its first admin)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts.models import Membership, User
from app.errors import ValidationError
from app.extensions import db
from app.tenancy import services as tenancy
from app.tenancy.models import Tenant


def create_bureau(*, slug: str, name: str, category: str, admin_username: str | None,
                  admin_display_name: str | None, admin_password: str | None, actor) -> Tenant:
    """Create a bureau and, when a user name is given, its first administrator.

    The administrator's input is checked before the bureau is built, so a bad password
    does not leave a bureau without its admin.
    """
    if admin_username:
        problems = accounts.password_problems(admin_password or "", admin_username)
        if problems:
            raise ValidationError(_("The bureau could not be created."), {"admin_password": problems})
        if not accounts.USERNAME_PATTERN.fullmatch(accounts.normalise_username(admin_username)):
            raise ValidationError(_("The bureau could not be created."), {"admin_username": [
                _("Use 2–60 characters: lower-case letters, digits, dot, hyphen or underscore.")]})
        if db.session.scalar(select(User.id).where(User.username == accounts.normalise_username(admin_username))):
            raise ValidationError(_("The bureau could not be created."),
                                  {"admin_username": [_("This user name is already taken.")]})
    tenant = tenancy.create_tenant(slug, name, category=category, actor=actor)
    if admin_username:
        accounts.create_user(admin_username, admin_display_name or "", admin_password or "",
                             actor=actor, tenant=tenant, role="bureau_admin")
    return tenant


def bureau_overview() -> list[dict]:
    """Every bureau with its member count, for the city's bureau list."""
    counts = dict(db.session.execute(
        select(Membership.tenant_id, func.count()).where(Membership.tenant_id.is_not(None)).group_by(Membership.tenant_id)
    ).all())
    head = tenancy.tenant_head()
    return [{"tenant": t, "members": counts.get(t.id, 0), "current": t.revision == head}
            for t in tenancy.list_tenants()]
