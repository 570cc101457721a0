"""Account rules: passwords, log-in, users and their roles."""
from __future__ import annotations

import re
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.actor import Actor
from app.audit.services import record_city
from app.core.loading import load
from app.core.unit_of_work import writes
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.models import utcnow
from app.tenancy.models import Tenant

from .models import BUREAU_ROLES, CITY_ROLES, ROLES, Membership, User, new_session_token
# password_problems and random_password are also used from here by other packages.
from app.text import has_control_characters

from .passwords import password_problems, random_password

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
EMAIL_PATTERN = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
# A hash to compare against when the user does not exist, so that a wrong username takes
# as long as a wrong password (no user enumeration by timing).
_DUMMY_HASH: str | None = None


def _who(user: User) -> str:
    """A user as the audit log names someone acted upon: the person, then the account."""
    if user.display_name and user.display_name != user.username:
        return f"{user.display_name}（{user.username}）"
    return user.username


def hash_password(password: str) -> str:
    """Werkzeug scrypt hash (parameters configurable for the test-suite only)."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or ``None``.

    With a directory configured (``LDAP_URL``) the directory is asked first, and a local
    password is checked only where its fallback rule allows (``app.directory.services``).
    """
    if current_app.config.get("LDAP_URL"):
        from app.directory import services as directory  # it builds on this module

        return directory.authenticate(username, password, local=_local_authenticate)
    return _local_authenticate(username, password)


def _local_authenticate(username: str, password: str) -> User | None:
    global _DUMMY_HASH
    username = normalise_username(username)
    # A NUL (or any control character) can be in no user name, and PostgreSQL refuses it
    # in a query: such a name is an unknown user, answered in the same time.
    user = None if has_control_characters(username) else db.session.scalar(
        select(User).where(User.username == username))
    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password(random_password())
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


@writes
def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    record_city("user.login", "user", user.id, summary=f"{user.username} 登录", actor=user)


@writes
def end_all_sessions(user: User, *, reason: str = "logout") -> None:
    """Invalidate every login of this user (the token is part of the session id)."""
    user.session_token = new_session_token()
    record_city(f"user.{reason}", "user", user.id, summary=f"{user.username} 注销全部会话", actor=user)


@writes
def change_password(user: User, current: str, new: str) -> None:
    """Change one's own password; every other session of the user ends.

    Every reason is reported at once: a wrong current password and each rule the new one
    breaks (:func:`app.accounts.passwords.password_problems`, the current password
    included).  Choosing one's own password ends a one-time password's obligation.
    """
    errors: dict[str, list[str]] = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current_password"] = [_("The current password is not correct.")]
    problems = password_problems(new, user.username, current_hash=user.password_hash)
    if problems:
        errors["new_password"] = problems
    if errors:
        raise ValidationError(_("The password was not changed."), errors)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_token = new_session_token()
    record_city("user.password", "user", user.id, summary=f"{user.username} 修改密码", actor=user)


def clean_email(email: str | None) -> str | None:
    """A normalised e-mail address, ``None`` when blank; raises ``ValueError`` when malformed."""
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > 254 or not EMAIL_PATTERN.fullmatch(email):
        raise ValueError(email)
    return email


@writes
def set_email(user: User, email: str | None) -> None:
    """Save ``user``'s own reminder address (audited in the catalog); raises
    ``ValueError`` for a malformed address."""
    before = user.email
    user.email = clean_email(email)
    if before != user.email:
        record_city("user.email", "user", user.id, summary=f"{user.username} 设置提醒邮箱",
                    before={"email": before}, after={"email": user.email}, actor=user)


def new_user_problems(username: str, display_name: str | None, password: str,
                      email: str | None = None) -> dict[str, list[str]]:
    """Every reason why an account with these details cannot be created, by field
    (``username``, ``display_name``, ``password``, ``email``); empty when it can.

    Callers that create other things along with the account (a bureau and its first
    administrator) check this first, so that nothing is left half-made.
    """
    username = normalise_username(username)
    errors: dict[str, list[str]] = {}
    if not USERNAME_PATTERN.fullmatch(username):
        errors["username"] = [_("Use 2–60 characters: lower-case letters, digits, dot, hyphen or underscore.")]
    elif db.session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = [_("This user name is already taken.")]
    display_name = (display_name or "").strip()
    if len(display_name) > 60:
        errors["display_name"] = [_("At most 60 characters.")]
    elif has_control_characters(display_name):
        errors["display_name"] = [_("Line breaks and other control characters are not allowed.")]
    problems = password_problems(password, username)
    if problems:
        errors["password"] = problems
    try:
        clean_email(email)
    except ValueError:
        errors["email"] = [_("Enter an e-mail address such as name@example.gov.cn.")]
    return errors


@writes
def create_user(username: str, display_name: str, password: str, *, actor: Actor | None = None,
                tenant: Tenant | None = None, role: str | None = None, email: str | None = None,
                one_time_password: bool | None = None) -> User:
    """Create an account, optionally with a first role (city role, or role in ``tenant``)
    and an e-mail address for reminders.

    A password chosen by someone else is one-time: the user must replace it at the first
    log-in.  ``one_time_password`` defaults to "an ``actor`` created the account" (an
    administrator on the city's or a bureau's pages); accounts made without one (the
    demo seed, the test fixtures) keep their password.
    """
    errors = new_user_problems(username, display_name, password, email)
    if role is not None and role not in ROLES:
        errors["role"] = [_("Choose a role from the list.")]
    if errors:
        raise ValidationError(_("The user could not be created."), errors)
    username = normalise_username(username)
    display_name = (display_name or "").strip()
    email = clean_email(email)
    if one_time_password is None:
        one_time_password = actor is not None
    user = User(username=username, display_name=display_name or username, password_hash=hash_password(password),
                email=email, must_change_password=one_time_password)
    db.session.add(user)
    db.session.flush()
    record_city("user.create", "user", user.id, summary=f"创建用户 {_who(user)}",
                after={"username": username, "display_name": user.display_name},
                tenant_slug=tenant.slug if tenant else None, actor=actor)
    if role is not None:
        grant_role(user, role, tenant=tenant, actor=actor)
    return user


@writes
def grant_role(user: User, role: str, *, tenant: Tenant | None = None, actor: Actor | None = None) -> Membership:
    """Give ``user`` a city role (``tenant`` None) or a role in ``tenant`` (replacing the old one)."""
    if role in CITY_ROLES and tenant is not None or role in BUREAU_ROLES and tenant is None or role not in ROLES:
        raise ValidationError(_("Choose a role from the list."), {"role": [_("Choose a role from the list.")]})
    scope = Membership.tenant_id.is_(None) if tenant is None else Membership.tenant_id == tenant.id
    existing = list(db.session.scalars(select(Membership).where(Membership.user_id == user.id, scope)))
    before = [m.role for m in existing]
    for m in existing:
        db.session.delete(m)
    db.session.flush()
    membership = Membership(user_id=user.id, tenant_id=tenant.id if tenant else None, role=role)
    db.session.add(membership)
    record_city("membership.grant", "user", user.id, summary=f"{_who(user)} 角色设为 {role}",
                before={"roles": before}, after={"roles": [role]},
                tenant_slug=tenant.slug if tenant else None, actor=actor)
    db.session.flush()
    db.session.expire(user, ["memberships"])
    return membership


@writes
def revoke_bureau_role(user: User, tenant: Tenant, *, actor: Actor | None = None) -> None:
    """Remove a user from a bureau (the account itself stays)."""
    rows = list(db.session.scalars(select(Membership).where(Membership.user_id == user.id,
                                                           Membership.tenant_id == tenant.id)))
    if not rows:
        raise NotFound(_("This user is not a member of the bureau."))
    if any(m.role == "bureau_admin" for m in rows) and count_bureau_admins(tenant) <= 1:
        raise Conflict(_("A bureau must keep at least one administrator."))
    for m in rows:
        db.session.delete(m)
    record_city("membership.revoke", "user", user.id, summary=f"{_who(user)} 移出 {tenant.name}",
                before={"roles": [m.role for m in rows]}, after={"roles": []}, tenant_slug=tenant.slug, actor=actor)
    user.session_token = new_session_token()
    db.session.expire(user, ["memberships"])


def count_bureau_admins(tenant: Tenant) -> int:
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.tenant_id == tenant.id, Membership.role == "bureau_admin")) or 0


@writes
def reset_password(user: User, *, actor: Actor, tenant: Tenant | None = None) -> str:
    """Give ``user`` a new random, one-time password (shown once to the admin) and end
    their sessions; they must choose their own at the next log-in."""
    password = random_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.session_token = new_session_token()
    record_city("user.reset_password", "user", user.id, summary=f"重置 {_who(user)} 的密码",
                tenant_slug=tenant.slug if tenant else None, actor=actor)
    return password


@writes
def set_active(user: User, active: bool, *, actor: Actor, tenant: Tenant | None = None) -> None:
    """Disable or re-enable an account (disabling ends its sessions)."""
    if user.id == actor.id and not active:
        raise Conflict(_("You cannot disable your own account."))
    user.active = active
    if not active:
        user.session_token = new_session_token()
    record_city("user.enable" if active else "user.disable", "user", user.id,
                summary=f"{'启用' if active else '停用'}用户 {_who(user)}",
                before={"active": not active}, after={"active": active},
                tenant_slug=tenant.slug if tenant else None, actor=actor)


def get_user(user_id: int) -> User:
    """The account with this id (:class:`NotFound` otherwise)."""
    return load(User, user_id, _("No such user."))


def bureau_members(tenant: Tenant) -> list[tuple[User, str]]:
    """(user, role) for every member of a bureau, admins first."""
    order = {r: i for i, r in enumerate(BUREAU_ROLES)}
    rows = db.session.execute(select(User, Membership.role).join(Membership).where(
        Membership.tenant_id == tenant.id))
    return sorted(((u, r) for u, r in rows), key=lambda pair: (order.get(pair[1], 9), pair[0].username))


def city_members() -> list[tuple[User, str]]:
    rows = db.session.execute(select(User, Membership.role).join(Membership).where(Membership.tenant_id.is_(None)))
    return sorted(((u, r) for u, r in rows), key=lambda pair: (pair[1], pair[0].username))


def load_user(session_id: str) -> User | None:
    """Flask-Login user loader: ``<id>:<session token>``; a stale token logs the user out."""
    user_id, sep, token = (session_id or "").partition(":")
    if not sep or not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user
