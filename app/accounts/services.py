"""Account rules: passwords, log-in, users and their roles."""
from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta, timezone

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.core import clock
from app.core.actor import Actor
from app.audit.services import changes, record_city
from app.core.loading import load
from app.core.unit_of_work import writes
from app.errors import Conflict, NotFound, ValidationError, check_version
from app.extensions import db
from app.tenancy.models import Tenant

from . import policy, twofactor
from .models import (ADMIN_WORK_ROLES, AUDIT_ADMIN, BUREAU_ROLES, BUSINESS_CITY_ROLES, CITY_ADMIN, CITY_ROLES, ROLES,
                     SECURITY_ADMIN, SYSTEM_ADMIN, Membership, PasswordHistory, RecoveryCode, SecuritySettings, User,
                     new_session_token)
# password_problems and random_password are also used from here by other packages.
from app.text import has_control_characters

from .passwords import password_problems, random_password

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
EMAIL_PATTERN = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
# A hash to compare against when the user does not exist, so that a wrong username takes
# as long as a wrong password (no user enumeration by timing).
_DUMMY_HASH: str | None = None
log = logging.getLogger(__name__)


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


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite gives back the stored UTC time without its zone.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def _safe_name(username: str) -> str | None:
    """A typed user name fit for a query and the audit log, ``None`` when it can be no
    account's (control characters, far too long)."""
    name = normalise_username(username)
    if not name or len(name) > 60 or has_control_characters(name):
        return None
    return name


def _unknown_lock_key(name: str) -> str:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return f"{prefix}zeren-lockout:{name}"


def _unknown_failures_key(name: str) -> str:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return f"{prefix}zeren-failures:{name}"


def lock_ends(username: str) -> datetime | None:
    """When the lock on this user name ends, ``None`` when it is not locked.

    Names of no account are locked the same way, after as many failures and for as long
    (counted in the log-in limiter's shared storage), so the answer never tells whether
    an account exists.
    """
    name = _safe_name(username)
    if name is None:
        return None
    now = clock.now()
    user = db.session.scalar(select(User).where(User.username == name))
    if user is not None:
        until = _aware(user.locked_until)
        return until if until is not None and until > now else None
    from app.extensions import limiter

    storage = limiter.storage
    key = _unknown_lock_key(name)
    if storage.get(key) > 0:
        return datetime.fromtimestamp(storage.get_expiry(key), tz=timezone.utc)
    return None


@writes
def register_failure(user: User | None, username: str = "") -> None:
    """Count a failed log-in (wrong password or wrong second factor) and lock the account
    after ``lockout_attempts`` in a row, for ``lockout_minutes``; audited both.

    The count is one ``UPDATE … SET failed_logins = failed_logins + 1``: failures in
    several processes at once are all counted, and the lock is a column every process reads.
    """
    rules = policy.current()
    if user is None:
        name = _safe_name(username)
        if name is None:
            return
        from app.extensions import limiter

        storage = limiter.storage
        window = rules.lockout_minutes * 60
        if storage.incr(_unknown_failures_key(name), window) >= rules.lockout_attempts:
            storage.clear(_unknown_failures_key(name))
            storage.incr(_unknown_lock_key(name), window)
        record_city("user.login_failed", "user", None, summary=f"登录失败：{name}（无此账号）", actor=None)
        return
    failures = db.session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)).scalar_one()
    record_city("user.login_failed", "user", user.id, summary=f"{_who(user)} 登录失败（第 {failures} 次）",
                actor=None)
    if failures >= rules.lockout_attempts:
        until = clock.now() + timedelta(minutes=rules.lockout_minutes)
        db.session.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=until))
        record_city("user.lockout", "user", user.id,
                    summary=f"{_who(user)} 连续登录失败 {failures} 次，锁定 {rules.lockout_minutes} 分钟",
                    after={"locked_until": until.isoformat(timespec="seconds")}, actor=None)
    db.session.expire(user, ["failed_logins", "locked_until", "version"])


@writes
def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or ``None`` (the first factor only).

    A locked account is refused whatever the password; a wrong local password counts
    towards the lock (:func:`register_failure`).  In production the demo's accounts are
    refused (and the refusal logged).  The caller tells a locked name by :func:`lock_ends`.
    With a directory configured (``LDAP_URL``) the directory is asked first, and a local
    password is checked only where its fallback rule allows (``app.directory.services``).
    """
    if current_app.config.get("LDAP_URL"):
        if lock_ends(username) is not None:
            return None
        directory = current_app.extensions["zeren.directory_first_factor"]  # set by create_app
        return directory(username, password, local=_local_authenticate)
    return _local_authenticate(username, password)


def _local_authenticate(username: str, password: str) -> User | None:
    global _DUMMY_HASH
    name = _safe_name(username)
    # A NUL (or any control character) can be in no user name, and PostgreSQL refuses it
    # in a query: such a name is an unknown user, answered in the same time.
    user = None if name is None else db.session.scalar(select(User).where(User.username == name))
    if user is None or lock_ends(user.username) is not None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password(random_password())
        check_password_hash(_DUMMY_HASH, password or "")
        if user is None and lock_ends(username) is None:
            register_failure(None, username)
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        register_failure(user)
        return None
    if user.demo_account and current_app.config.get("ENV_NAME") == "production":
        log.warning("log-in of the demo account %s refused: demo accounts cannot log in in production "
                    "(ZEREN_ENV=production); delete them or give real accounts", user.username)
        return None
    return user


def must_enrol(user: User) -> bool:
    """Whether ``user`` must set up two-factor log-in before using any page."""
    return policy.two_factor_required(user) and not user.has_two_factor


def asks_second_factor(user: User) -> bool:
    """Whether the log-in of ``user`` needs a code after the password (or directory) step."""
    return policy.two_factor_enabled() and user.has_two_factor


def password_expired(user: User) -> bool:
    """Whether ``user``'s password is older than ``PASSWORD_MAX_AGE_DAYS`` (0: never)."""
    days = policy.current().password_max_age_days
    if days <= 0:
        return False
    since = _aware(user.password_changed_at or user.created_at)
    return since is not None and clock.now() - since > timedelta(days=days)


@writes
def record_login(user: User) -> tuple[datetime | None, str | None]:
    """A completed log-in (every factor): clears the failure count, remembers when and from
    where, audited.  Returns the previous log-in's time and address (shown to the user)."""
    previous = (_aware(user.last_login_at), user.last_login_ip)
    user.last_login_at = clock.now()
    user.last_login_ip = request.remote_addr if has_request_context() else None
    user.failed_logins = 0
    user.locked_until = None
    record_city("user.login", "user", user.id, summary=f"{user.username} 登录", actor=user)
    return previous


@writes
def record_logout(user: User, *, reason: str = "logout") -> None:
    """An ended log-in: the user logged out (``logout``) or the session expired
    (``idle``, ``expired``); every session of the user ends."""
    user.session_token = new_session_token()
    words = {"logout": "退出登录", "idle": "空闲超时，自动退出", "expired": "登录时间到期，自动退出"}
    record_city(f"user.{reason}", "user", user.id, summary=f"{user.username} {words.get(reason, reason)}", actor=user)


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
    if not problems and used_before(user, new):
        problems.append(_("This password was used recently: choose one you have not used for your last "
                          "%(n)d passwords.", n=policy.current().password_history))
    if problems:
        errors["new_password"] = problems
    if errors:
        raise ValidationError(_("The password was not changed."), errors)
    _remember_password(user)
    user.password_hash = hash_password(new)
    user.password_changed_at = clock.now()
    user.must_change_password = False
    user.session_token = new_session_token()
    record_city("user.password", "user", user.id, summary=f"{user.username} 修改密码", actor=user)


def _history(user: User) -> list[PasswordHistory]:
    return list(db.session.scalars(select(PasswordHistory).where(PasswordHistory.user_id == user.id)
                                   .order_by(PasswordHistory.replaced_at.desc(), PasswordHistory.id.desc())))


def used_before(user: User, password: str) -> bool:
    """Whether ``password`` is one of the user's last ``PASSWORD_HISTORY`` passwords
    (the current one among them)."""
    keep = policy.current().password_history
    if keep <= 0 or not password or len(password) > 200:
        return False
    previous = [row.password_hash for row in _history(user)[:max(keep - 1, 0)]]
    return any(check_password_hash(h, password) for h in [user.password_hash, *previous])


def _remember_password(user: User) -> None:
    """Keep the password being replaced, and no more of them than the rule compares."""
    keep = max(policy.current().password_history - 1, 0)
    db.session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, replaced_at=clock.now()))
    db.session.flush()
    for row in _history(user)[keep:]:
        db.session.delete(row)


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
                one_time_password: bool | None = None, demo_account: bool = False) -> User:
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
                email=email, must_change_password=one_time_password, password_changed_at=clock.now(),
                demo_account=demo_account)
    db.session.add(user)
    db.session.flush()
    record_city("user.create", "user", user.id, summary=f"创建用户 {_who(user)}",
                after={"username": username, "display_name": user.display_name},
                tenant_slug=tenant.slug if tenant else None, actor=actor)
    if role is not None:
        grant_role(user, role, tenant=tenant, actor=actor)
    return user


ADMIN_WORK = {"system": SYSTEM_ADMIN, "security": SECURITY_ADMIN, "audit": AUDIT_ADMIN}


def does_admin_work(user, kind: str) -> bool:
    """Whether ``user`` may do the ``kind`` ("system", "security", "audit") of the three
    administrators' work: holding that role, or the combined city administrator while
    separation of duties is off."""
    role = ADMIN_WORK[kind]
    if role in getattr(user, "admin_roles", ()):
        return True
    return getattr(user, "city_role", None) == CITY_ADMIN and not policy.current().separation_of_duties


def can_read_audit(actor) -> bool:
    """Whether ``actor`` (an :class:`Actor` or a :class:`User`) may read and export the
    audit trail: the audit administrator, or the city administrator while separation of
    duties is off."""
    user = actor if isinstance(actor, User) else (
        db.session.get(User, actor.id) if getattr(actor, "id", None) is not None else None)
    return user is not None and does_admin_work(user, "audit")


def _role_conflict(user: User, role: str) -> str | None:
    """Why separation of duties forbids ``user`` to get ``role`` (``None`` when it does not)."""
    from .roles import ROLE_LABELS

    if not policy.current().separation_of_duties:
        return None
    if role == CITY_ADMIN:
        return _("With separation of duties on, the combined city administrator cannot be granted: grant the "
                 "system, security or audit administrator instead.")
    if role not in ADMIN_WORK_ROLES:
        return None
    held = [r for r in ADMIN_WORK_ROLES if r != role and r in user.admin_roles]
    if user.city_role == CITY_ADMIN:
        held.append(CITY_ADMIN)
    if held:
        return _("%(user)s is already %(role)s: with separation of duties one account holds at most one of system, "
                 "security and audit administrator.", user=user.username, role=ROLE_LABELS[held[0]])
    return None


@writes
def grant_role(user: User, role: str, *, tenant: Tenant | None = None, actor: Actor | None = None) -> Membership:
    """Give ``user`` a role: in ``tenant`` (replacing their role there), a city role
    (``city_admin``/``city_viewer``, replacing the other) or one of the three
    administrators' roles (added beside the others; with separation of duties refused
    to an account that holds another of them)."""
    if role in CITY_ROLES and tenant is not None or role in BUREAU_ROLES and tenant is None or role not in ROLES:
        raise ValidationError(_("Choose a role from the list."), {"role": [_("Choose a role from the list.")]})
    conflict = _role_conflict(user, role)
    if conflict:
        raise ValidationError(_("The role was not granted."), {"role": [conflict]})
    scope = Membership.tenant_id.is_(None) if tenant is None else Membership.tenant_id == tenant.id
    if tenant is None:
        # A city role replaces the other of its kind only: business or one administrator's.
        scope = scope & Membership.role.in_((role,) if role in ADMIN_WORK_ROLES else BUSINESS_CITY_ROLES)
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
def revoke_city_role(user: User, role: str, *, actor: Actor | None = None) -> None:
    """Take a city role (one of the three administrators', or a business one) from ``user``;
    their sessions end."""
    rows = list(db.session.scalars(select(Membership).where(
        Membership.user_id == user.id, Membership.tenant_id.is_(None), Membership.role == role)))
    if not rows:
        raise NotFound(_("This user does not hold this role."))
    for m in rows:
        db.session.delete(m)
    user.session_token = new_session_token()
    record_city("membership.revoke", "user", user.id, summary=f"{_who(user)} 撤销角色 {role}",
                before={"roles": [role]}, after={"roles": []}, actor=actor)
    db.session.flush()
    db.session.expire(user, ["memberships"])


def find_user(username: str) -> User:
    """The account with this user name (:class:`NotFound` otherwise)."""
    name = _safe_name(username)
    user = None if name is None else db.session.scalar(select(User).where(User.username == name))
    if user is None:
        raise NotFound(_("No such user."))
    return user


@writes
def unlock(user: User, *, actor: Actor | None = None) -> None:
    """End the lock of an account (and its count of failures), audited."""
    before = _aware(user.locked_until)
    user.locked_until = None
    user.failed_logins = 0
    record_city("user.unlock", "user", user.id, summary=f"解锁用户 {_who(user)}",
                before={"locked_until": before.isoformat(timespec="seconds") if before else None},
                after={"locked_until": None}, actor=actor)


def locked_users() -> list[User]:
    """Accounts locked now, the longest lock first."""
    now = clock.now()
    users = db.session.scalars(select(User).where(User.locked_until.is_not(None)))
    return sorted((u for u in users if _aware(u.locked_until) > now), key=lambda u: _aware(u.locked_until),
                  reverse=True)


def two_factor_users() -> list[User]:
    """Accounts that log in with a second factor."""
    return list(db.session.scalars(select(User).where(User.totp_confirmed_at.is_not(None)).order_by(User.username)))


def admin_role_holders() -> list[tuple[User, str]]:
    """(user, role) for every holder of the three administrators' roles and of city_admin."""
    rows = db.session.execute(select(User, Membership.role).join(Membership).where(
        Membership.tenant_id.is_(None), Membership.role.in_((CITY_ADMIN, *ADMIN_WORK_ROLES))))
    order = {r: i for i, r in enumerate((SYSTEM_ADMIN, SECURITY_ADMIN, AUDIT_ADMIN, CITY_ADMIN))}
    return sorted(rows, key=lambda pair: (order[pair[1]], pair[0].username))


# -- two-factor log-in -------------------------------------------------------------------
@writes
def enable_two_factor(user: User, secret: str, code: str) -> list[str]:
    """Turn on two-factor log-in for ``user`` with ``secret`` once ``code`` proves their app
    has it; returns the ten recovery codes (shown once: only their hashes are kept)."""
    if not secret or len(secret) > 64:
        raise ValidationError(_("Two-factor log-in was not set up."),
                              {"code": [_("The set-up expired: open the page again and scan the new QR code.")]})
    step = twofactor.matching_step(secret, code, at=clock.now().timestamp())
    if step is None:
        raise ValidationError(_("Two-factor log-in was not set up."),
                              {"code": [_("This is not the current code of your app: enter the six digits it "
                                          "shows now (check that the phone's clock is right).")]})
    user.totp_secret = secret
    user.totp_confirmed_at = clock.now()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    record_city("user.two_factor.enable", "user", user.id, summary=f"{_who(user)} 启用双因素登录", actor=user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = twofactor.new_recovery_codes()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=twofactor.hash_recovery_code(c)) for c in codes)
    db.session.flush()
    return codes


@writes
def renew_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes for ``user`` (the old ones stop working), audited."""
    if not user.has_two_factor:
        raise Conflict(_("Two-factor log-in is not set up for this account."))
    codes = _new_recovery_codes(user)
    record_city("user.two_factor.recovery_codes", "user", user.id, summary=f"{_who(user)} 重新生成恢复码",
                actor=user)
    return codes


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


@writes
def verify_second_factor(user: User, code: str) -> bool:
    """Whether ``code`` (the app's current code, or an unused recovery code) completes the
    log-in of ``user``.  A code counts once: a TOTP step no earlier than the last one used
    is refused, a recovery code is marked used.  A wrong code counts towards the lock."""
    if lock_ends(user.username) is not None or not user.has_two_factor:
        return False
    if twofactor.looks_like_recovery_code(code):
        digest = twofactor.hash_recovery_code(code)
        row = db.session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest, RecoveryCode.used_at.is_(None)))
        if row is not None:
            # The UPDATE refuses a code another request used meanwhile.
            used = db.session.execute(update(RecoveryCode).where(
                RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None)).values(used_at=clock.now())).rowcount
            if used:
                record_city("user.two_factor.recovery_used", "user", user.id,
                            summary=f"{_who(user)} 使用恢复码登录（剩余 {unused_recovery_codes(user)} 个）", actor=user)
                return True
    else:
        step = twofactor.matching_step(user.totp_secret, code, at=clock.now().timestamp())
        if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
            user.totp_last_step = step
            return True
    register_failure(user)
    return False


@writes
def reset_two_factor(user: User, *, actor: Actor | None = None) -> None:
    """Remove ``user``'s second factor and recovery codes (a lost phone): they enrol again
    at the next log-in where it is required.  Their sessions end; audited."""
    if not user.totp_secret:
        raise Conflict(_("Two-factor log-in is not set up for this account."))
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.session_token = new_session_token()
    record_city("user.two_factor.reset", "user", user.id, summary=f"重置 {_who(user)} 的双因素登录", actor=actor)


# -- security settings -------------------------------------------------------------------
def _whole_number(raw, bounds: tuple[int, int], errors: dict, field: str) -> int | None:
    text = ("" if raw is None else str(raw)).strip()
    low, high = bounds
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        errors[field] = [_("Enter a whole number from %(low)d to %(high)d, or leave it empty for the default.",
                           low=low, high=high)]
        return None
    return int(text)


@writes
def save_security_settings(data: dict, *, actor: Actor, version: int | None = None) -> SecuritySettings:
    """Save the security administrator's settings (``lockout_attempts``,
    ``lockout_minutes``, ``idle_minutes``: whole numbers or empty for the configuration's
    default; ``two_factor``: a policy or empty).  Every error at once; audited."""
    errors: dict[str, list[str]] = {}
    values = {
        "lockout_attempts": _whole_number(data.get("lockout_attempts"), policy.LOCKOUT_ATTEMPTS_RANGE, errors,
                                          "lockout_attempts"),
        "lockout_minutes": _whole_number(data.get("lockout_minutes"), policy.LOCKOUT_MINUTES_RANGE, errors,
                                         "lockout_minutes"),
        "idle_minutes": _whole_number(data.get("idle_minutes"), policy.IDLE_MINUTES_RANGE, errors, "idle_minutes"),
    }
    two_factor = (data.get("two_factor") or "").strip() or None
    if two_factor is not None and two_factor not in policy.TWO_FACTOR_POLICIES:
        errors["two_factor"] = [_("Choose a policy from the list.")]
    values["two_factor"] = two_factor
    if errors:
        raise ValidationError(_("The settings were not saved."), errors)
    row = policy.stored_settings()
    if row is None:
        row = SecuritySettings(id=1)
        db.session.add(row)
        before = {k: None for k in values}
    else:
        if version is not None:
            check_version(row, version)
        before = {k: getattr(row, k) for k in values}
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = clock.now()
    db.session.flush()
    policy.forget()
    changed_before, changed_after = changes(before, values)
    record_city("security.settings", "security_settings", 1, summary="修改安全设置",
                before=changed_before, after=changed_after, actor=actor)
    return row


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
