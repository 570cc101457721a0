"""Talking to the city's LDAP directory (ldap3): find the person, bind as them, read groups.

Nothing here writes to Zeren's databases or knows its accounts: :func:`verify` answers
what the directory says about a user name and password, and the services decide.  Every
call is bounded by ``LDAP_TIMEOUT`` (connect and each answer), so a dead or black-holed
directory costs a log-in a few seconds, never a worker.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ldap3 import BASE, FIRST, NONE, SUBTREE, Connection, Server, ServerPool
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

log = logging.getLogger(__name__)

#: What the directory said.
ACCEPTED = "accepted"  # the password is the user's
REFUSED = "refused"  # the directory knows the user, the password is wrong
UNKNOWN = "unknown"  # no such user in the directory
UNREACHABLE = "unreachable"  # no answer (down, timed out, TLS failed, service account refused)


@dataclass(frozen=True)
class Settings:
    """The ``LDAP_*`` settings one log-in needs."""

    urls: tuple[str, ...]
    bind_dn: str = ""
    bind_password: str = ""
    user_base: str = ""
    user_filter: str = "(uid={username})"
    user_dn_template: str = ""
    group_base: str = ""
    group_filter: str = "(|(member={dn})(uniqueMember={dn}))"
    name_attribute: str = "displayName"
    starttls: bool = False
    timeout: int = 5

    @classmethod
    def from_config(cls, config) -> "Settings":
        """The settings of an application's configuration."""
        return cls(urls=tuple(u.strip() for u in config["LDAP_URL"].split(",") if u.strip()),
                   bind_dn=config.get("LDAP_BIND_DN") or "", bind_password=config.get("LDAP_BIND_PASSWORD") or "",
                   user_base=config.get("LDAP_USER_BASE") or "",
                   user_filter=config.get("LDAP_USER_FILTER") or cls.user_filter,
                   user_dn_template=config.get("LDAP_USER_DN_TEMPLATE") or "",
                   group_base=config.get("LDAP_GROUP_BASE") or "",
                   group_filter=config.get("LDAP_GROUP_FILTER") or cls.group_filter,
                   name_attribute=config.get("LDAP_NAME_ATTRIBUTE") or cls.name_attribute,
                   starttls=bool(config.get("LDAP_STARTTLS")), timeout=int(config.get("LDAP_TIMEOUT") or 5))


@dataclass(frozen=True)
class Entry:
    """A person as the directory describes them."""

    dn: str
    display_name: str
    email: str | None
    groups: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Answer:
    """The directory's verdict on one user name and password (``entry`` when accepted)."""

    status: str
    entry: Entry | None = None
    detail: str = ""


def normalise_dn(dn: str) -> str:
    """A DN compared as the directory compares it for our purposes: case and the spaces
    around separators do not matter."""
    parts = []
    for rdn in (dn or "").split(","):
        name, _, value = rdn.partition("=")
        parts.append(f"{name.strip().lower()}={value.strip().lower()}")
    return ",".join(parts)


def _server(settings: Settings):
    servers = [Server(url, connect_timeout=settings.timeout, get_info=NONE) for url in settings.urls]
    if len(servers) == 1:
        return servers[0]
    # One pass over the servers, never the endless retry ServerPool does by default.
    return ServerPool(servers, FIRST, active=1, exhaust=False)


def _connection(settings: Settings, user: str | None = None, password: str | None = None) -> Connection:
    connection = Connection(_server(settings), user=user, password=password, auto_bind=False,
                            receive_timeout=settings.timeout, raise_exceptions=False, read_only=True)
    connection.open()
    if settings.starttls and not connection.start_tls():
        raise LDAPException("StartTLS was refused")
    return connection


def _first(values) -> str:
    if isinstance(values, (list, tuple)):
        values = values[0] if values else ""
    return str(values or "").strip()


def verify(settings: Settings, username: str, password: str) -> Answer:
    """What the directory says about ``username`` and ``password``.

    The user's entry is found by the service account (``bind_dn``, or anonymously) with
    ``user_filter``, the user name escaped for a filter, or named by ``user_dn_template``,
    the name escaped for a DN; then the directory checks the password by a bind as that
    entry.  An empty password is never sent (a bind without one is an anonymous bind,
    which many directories accept).
    """
    if not password:
        return Answer(REFUSED, detail="empty password")
    service = None
    try:
        if settings.user_dn_template:
            dn = settings.user_dn_template.format(username=escape_rdn(username))
        else:
            service = _connection(settings, settings.bind_dn or None, settings.bind_password or None)
            if (settings.bind_dn or settings.bind_password) and not service.bind():
                # A refused service account is the deployment's fault, not the user's.
                return Answer(UNREACHABLE, detail=f"service bind refused: {service.result.get('description')}")
            query = settings.user_filter.format(username=escape_filter_chars(username))
            service.search(settings.user_base, query, SUBTREE, attributes=[], size_limit=2)
            if _failed(service):
                return Answer(UNREACHABLE, detail=f"search failed: {service.result.get('description')}")
            found = [e["dn"] for e in service.response or () if e.get("type") == "searchResEntry"]
            if len(found) != 1:
                return Answer(UNKNOWN, detail=f"{len(found)} entries match")
            dn = found[0]
        person = _connection(settings, dn, password)
        try:
            if not person.bind():
                description = person.result.get("description")
                if description in ("invalidCredentials", "invalidDNSyntax", "noSuchObject"):
                    # With a DN template an unknown name cannot be told from a wrong password.
                    return Answer(UNKNOWN if settings.user_dn_template else REFUSED, detail=description)
                return Answer(UNREACHABLE, detail=f"user bind failed: {description}")
            entry = _read_entry(settings, service or person, person, dn)
        finally:
            person.unbind()
    except LDAPException as error:
        log.warning("directory unreachable: %s", error)
        return Answer(UNREACHABLE, detail=type(error).__name__)
    finally:
        if service is not None:
            service.unbind()
    if entry is None:
        return Answer(UNREACHABLE, detail="the entry could not be read")
    return Answer(ACCEPTED, entry=entry)


def _failed(connection: Connection) -> bool:
    # sizeLimitExceeded still returns the entries found: two of them mean "ambiguous".
    return connection.result.get("result") not in (0, 4) and connection.result.get("description") != "noSuchObject"


def _read_entry(settings: Settings, reader: Connection, person: Connection, dn: str) -> Entry | None:
    attributes = [settings.name_attribute, "cn", "mail", "memberOf"]
    person.search(dn, "(objectClass=*)", BASE, attributes=attributes)
    if _failed(person) or not person.response:
        return None
    values = person.response[0].get("attributes", {})
    groups = {normalise_dn(g) for g in (values.get("memberOf") or ()) if isinstance(g, str)}
    if settings.group_base:
        reader.search(settings.group_base, settings.group_filter.format(dn=escape_filter_chars(dn)), SUBTREE,
                      attributes=[])
        if _failed(reader):
            return None
        groups.update(normalise_dn(e["dn"]) for e in reader.response or () if e.get("type") == "searchResEntry")
    name = _first(values.get(settings.name_attribute)) or _first(values.get("cn"))
    return Entry(dn=dn, display_name=name, email=_first(values.get("mail")) or None, groups=tuple(sorted(groups)))
