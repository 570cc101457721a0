"""Directory and unified-identity log-in: the rules.

- The directory decides who a person is; Zeren keeps the account (made at the first
  log-in, display name from the directory) and never the directory's password.
- Roles follow the directory's groups (or the identity service's claims) through the
  configured map, on every log-in: the roles the directory granted before and grants no
  longer are taken away, roles an administrator gave by hand are left alone.
- An account linked to the directory or the identity service is never let in by a
  password of Zeren's own; a local account (made in Zeren) logs in with its password when
  the directory does not know its name or cannot be reached, unless
  ``LDAP_LOCAL_FALLBACK`` is off.
- A name already used by an account that is not linked to this identity is refused (the
  directory cannot take over somebody's local account).
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from flask import current_app, g, has_request_context
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import BUREAU_ROLES, ROLES, Membership, User, new_session_token
from app.audit.services import record_city
from app.core.unit_of_work import writes
from app.errors import DomainError
from app.extensions import db
from app.models import utcnow
from app.tenancy.models import Tenant
from app.text import has_control_characters

from . import ldap
from .models import LDAP, OIDC, DirectoryIdentity

log = logging.getLogger(__name__)

#: Notices the log-in page shows (texts in ``labels.NOTICES``).
UNREACHABLE = "unreachable"
UNREACHABLE_NO_FALLBACK = "unreachable_no_fallback"
NAME_TAKEN = "name_taken"
NAME_INVALID = "name_invalid"
SSO_FAILED = "sso_failed"
SSO_UNREACHABLE = "sso_unreachable"
SSO_CANCELLED = "sso_cancelled"

#: How long after a failed contact the log-in page (GET) still says the directory is down.
UNREACHABLE_NOTICE_SECONDS = 120
#: Directory URL setting → when this process last failed to reach it.
_last_unreachable: dict[str, float] = {}


@dataclass(frozen=True)
class Person:
    """Who the directory or the identity service vouches for."""

    source: str
    subject: str
    username: str
    display_name: str
    email: str | None
    grants: tuple[str, ...]  # "role" or "role@slug", from the map
    dn: str | None = None


def ldap_enabled() -> bool:
    """Whether a directory is configured."""
    return bool(current_app.config.get("LDAP_URL"))


def oidc_enabled() -> bool:
    """Whether a unified identity service is configured."""
    return bool(current_app.config.get("OIDC_ISSUER") and current_app.config.get("OIDC_CLIENT_ID"))


def role_map(setting: str) -> dict[str, str]:
    """The ``LDAP_ROLE_MAP`` / ``OIDC_ROLE_MAP`` setting (checked at start by the config)."""
    raw = current_app.config.get(setting) or ""
    mapping = json.loads(raw) if raw.strip() else {}
    if setting == "LDAP_ROLE_MAP":
        return {ldap.normalise_dn(k): v.strip() for k, v in mapping.items()}
    return {k: v.strip() for k, v in mapping.items()}


def grants_for(names: Iterable[str], mapping: dict[str, str]) -> tuple[str, ...]:
    """The roles that ``names`` (groups, claim values) map to, sorted."""
    return tuple(sorted({mapping[n] for n in names if n in mapping}))


def note(code: str) -> None:
    """Tell the log-in page of this request something (see ``labels.NOTICES``)."""
    if has_request_context():
        g.directory_notice = code


def notice() -> str | None:
    """What the log-in page should say about the directory now, if anything."""
    code = g.get("directory_notice") if has_request_context() else None
    if code:
        return code
    failed = _last_unreachable.get(current_app.config.get("LDAP_URL") or "")
    if ldap_enabled() and failed is not None and time.monotonic() - failed < UNREACHABLE_NOTICE_SECONDS:
        return UNREACHABLE if current_app.config.get("LDAP_LOCAL_FALLBACK", True) else UNREACHABLE_NO_FALLBACK
    return None


def _mark_reachable(reachable: bool) -> None:
    url = current_app.config["LDAP_URL"]
    if reachable:
        _last_unreachable.pop(url, None)
    else:
        _last_unreachable[url] = time.monotonic()


def is_linked(user: User) -> bool:
    """Whether ``user`` comes from the directory or the identity service."""
    return db.session.scalar(select(DirectoryIdentity.id).where(DirectoryIdentity.user_id == user.id)
                             .limit(1)) is not None


# -- LDAP ------------------------------------------------------------------------------
def authenticate(username: str, password: str, *, local: Callable[[str, str], User | None]) -> User | None:
    """``accounts.services.authenticate`` when a directory is configured: the account the
    directory vouches for, else a local account by ``local`` (its own password check)
    where the fallback rule allows it, else ``None``."""
    username = accounts.normalise_username(username)
    fallback = current_app.config.get("LDAP_LOCAL_FALLBACK", True)
    if has_control_characters(username) or not username:
        return _local_only(local, username, password)
    answer = ldap.verify(ldap.Settings.from_config(current_app.config), username, password or "")
    _mark_reachable(answer.status != ldap.UNREACHABLE)
    if answer.status == ldap.ACCEPTED:
        entry = answer.entry
        person = Person(source=LDAP, subject=username, username=username,
                        display_name=entry.display_name, email=entry.email, dn=entry.dn,
                        grants=grants_for(entry.groups, role_map("LDAP_ROLE_MAP")))
        return log_in_refusing(person)
    if answer.status == ldap.UNREACHABLE:
        log.warning("directory log-in of %s: %s", username, answer.detail)
        note(UNREACHABLE if fallback else UNREACHABLE_NO_FALLBACK)
    # A wrong directory password may still be the password of a local account of the same
    # name (a different person's account, which the directory cannot take over).
    return _local_only(local, username, password)


def _local_only(local: Callable[[str, str], User | None], username: str, password: str) -> User | None:
    if not current_app.config.get("LDAP_LOCAL_FALLBACK", True):
        local(username, "")  # the same time as a checked password, and no local way in
        return None
    user = local(username, password)
    if user is not None and is_linked(user):
        return None
    return user


# -- both --------------------------------------------------------------------------------
@writes
def log_in(person: Person) -> User | None:
    """The account of ``person``: found by their identity, or made now; its display name
    and the directory's roles brought up to date (each change audited).  ``None`` (with a
    notice for the page) when the account cannot be made or is disabled."""
    identity = db.session.scalar(select(DirectoryIdentity).where(DirectoryIdentity.source == person.source,
                                                                 DirectoryIdentity.subject == person.subject))
    if identity is None:
        user = _new_account(person)
        if user is None:
            return None
        identity = DirectoryIdentity(user_id=user.id, source=person.source, subject=person.subject,
                                     dn=person.dn, managed_roles=[])
        db.session.add(identity)
        db.session.flush()
        record_city("directory.link", "user", user.id, summary=f"{_label(user)} 首次通过{_source(person)}登录，建立账号",
                    after={"source": person.source, "subject": person.subject}, actor=user)
    else:
        user = db.session.get(User, identity.user_id)
    if not user.active:
        return None
    name = _clean_name(person.display_name) or user.display_name
    if name != user.display_name:
        record_city("user.display_name", "user", user.id, summary=f"{_source(person)}更新 {user.username} 的姓名",
                    before={"display_name": user.display_name}, after={"display_name": name}, actor=user)
        user.display_name = name
    identity.dn = person.dn
    identity.last_login_at = utcnow()
    identity.managed_roles = sync_roles(user, person.grants, list(identity.managed_roles or []), person)
    record_city("directory.login", "user", user.id, summary=f"{_label(user)} 通过{_source(person)}登录",
                after={"source": person.source, "roles": list(identity.managed_roles)}, actor=user)
    return user


def log_in_refusing(person: Person) -> User | None:
    """:func:`log_in`, with a refusal of the accounts' rules (an account that cannot be
    made as the directory describes it) answered as a failed log-in with a notice."""
    try:
        return log_in(person)
    except DomainError as error:
        log.warning("%s log-in of %s refused: %s", person.source, person.username, error)
        note(NAME_INVALID)
        return None


def _new_account(person: Person) -> User | None:
    username = person.username
    if not accounts.USERNAME_PATTERN.fullmatch(username or ""):
        note(NAME_INVALID)
        log.warning("%s log-in refused: %r is not a valid user name", person.source, username)
        return None
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        note(NAME_TAKEN)
        record_city("directory.refused", "user", None, summary=f"{_source(person)}用户 {username} 与本地账号同名，未登录",
                    after={"source": person.source, "subject": person.subject})
        return None
    try:
        email = accounts.clean_email(person.email)
    except ValueError:
        email = None
    # A password nobody knows: the account logs in through the directory only.
    return accounts.create_user(username, _clean_name(person.display_name) or username, accounts.random_password(),
                                email=email, one_time_password=False)


def _clean_name(name: str | None) -> str:
    name = "".join(ch for ch in (name or "") if not has_control_characters(ch)).strip()
    return name[:60]


def _label(user: User) -> str:
    if user.display_name and user.display_name != user.username:
        return f"{user.display_name}（{user.username}）"
    return user.username


def _source(person: Person) -> str:
    return "统一目录" if person.source == LDAP else "统一身份认证"


def _parse_grant(grant: str) -> tuple[str | None, str]:
    role, _, slug = grant.partition("@")
    return (slug.strip() or None), role.strip()


def _rank(role: str) -> int:
    return ROLES.index(role) if role in ROLES else len(ROLES)


@writes
def sync_roles(user: User, grants: Iterable[str], managed: list[str], person: Person) -> list[str]:
    """Give ``user`` the roles of ``grants`` and take away those of ``managed`` (what the
    directory granted before) that it grants no longer; returns what it now manages.

    One role per scope (the city, each bureau): the strongest when several groups map to
    one.  A grant naming an unknown role or bureau is skipped with a warning in the log;
    a refusal of the accounts' rules (the last administrator of a bureau) keeps the role.
    """
    wanted: dict[str | None, str] = {}
    for grant in grants:
        slug, role = _parse_grant(grant)
        if role not in ROLES or (slug is None) != (role not in BUREAU_ROLES):
            log.warning("directory role map: %r is not a role of Zeren (role, or role@bureau)", grant)
            continue
        if slug not in wanted or _rank(role) < _rank(wanted[slug]):
            wanted[slug] = role
    tenants = {t.slug: t for t in db.session.scalars(select(Tenant).where(
        Tenant.slug.in_([s for s in wanted if s] + [_parse_grant(m)[0] for m in managed if _parse_grant(m)[0]])))}
    now_managed: list[str] = []
    for slug, role in sorted(wanted.items(), key=lambda pair: pair[0] or ""):
        tenant = tenants.get(slug) if slug else None
        if slug and tenant is None:
            log.warning("directory role map: no bureau %r", slug)
            continue
        if _held(user, tenant) != [role]:
            try:
                accounts.grant_role(user, role, tenant=tenant, actor=user)
            except DomainError as error:
                log.warning("directory role %s of %s refused: %s", role, user.username, error)
                continue
        now_managed.append(f"{role}@{slug}" if slug else role)
    for grant in managed:
        slug, role = _parse_grant(grant)
        if slug in wanted:
            continue
        tenant = tenants.get(slug) if slug else None
        if slug and tenant is None:
            continue
        if role not in _held(user, tenant):
            continue  # changed by hand since: no longer the directory's to take
        try:
            _revoke(user, tenant, role, person)
        except DomainError as error:
            log.warning("directory could not take %s from %s: %s", grant, user.username, error)
            now_managed.append(grant)
    return sorted(now_managed)


def _held(user: User, tenant: Tenant | None) -> list[str]:
    scope = Membership.tenant_id.is_(None) if tenant is None else Membership.tenant_id == tenant.id
    return sorted(db.session.scalars(select(Membership.role).where(Membership.user_id == user.id, scope)))


def _revoke(user: User, tenant: Tenant | None, role: str, person: Person) -> None:
    if tenant is not None:
        accounts.revoke_bureau_role(user, tenant, actor=user)
        return
    rows = list(db.session.scalars(select(Membership).where(Membership.user_id == user.id,
                                                           Membership.tenant_id.is_(None),
                                                           Membership.role == role)))
    for row in rows:
        db.session.delete(row)
    user.session_token = new_session_token()
    record_city("membership.revoke", "user", user.id, summary=f"{_source(person)}收回 {_label(user)} 的市级角色",
                before={"roles": [role]}, after={"roles": []}, actor=user)
    db.session.flush()
    db.session.expire(user, ["memberships"])


# -- OIDC --------------------------------------------------------------------------------
def person_from_claims(claims: dict, issuer: str) -> Person:
    """Who an identity service's verified ID token (and user info) names."""
    config = current_app.config
    username = accounts.normalise_username(str(claims.get(config["OIDC_USERNAME_CLAIM"]) or ""))
    values = claims.get(config["OIDC_ROLE_CLAIM"]) or []
    if isinstance(values, str):
        values = [values]
    names = [str(v) for v in values if isinstance(v, (str, int))] if isinstance(values, list) else []
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    return Person(source=OIDC, subject=f"{issuer} {claims['sub']}", username=username,
                  display_name=str(claims.get(config["OIDC_NAME_CLAIM"]) or ""), email=email,
                  grants=grants_for(names, role_map("OIDC_ROLE_MAP")))
