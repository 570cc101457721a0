"""A directory for the demo city: an LDIF of its people and groups, and the role map that
goes with it (``flask directory demo-ldif``), to try the directory log-in against a
slapd loaded with the demo city's bureaus."""
from __future__ import annotations

import json
import random

from app.demo.data import bureau_for, person_name

BASE = "dc=city,dc=gov"
#: Each bureau's groups and the role each maps to.
BUREAU_GROUPS = (("admins", "bureau_admin"), ("editors", "bureau_editor"), ("viewers", "bureau_viewer"))
POSTS = ("机关党委书记", "机关党委专职副书记", "机关纪委书记", "组织人事科科长", "党建联络员", "办公室主任", "宣传科干事")


def demo_directory(bureaus: int = 8, password: str = "Demo-directory-2026", seed_value: int = 2026) -> tuple[str, dict]:
    """The demo city's directory as LDIF text, and its ``LDAP_ROLE_MAP``.

    Two people in the city committee's groups, and per bureau an administrator, two editors
    and a viewer, under uids ``<slug>-<n>`` (the demo's own accounts are ``<slug>-admin``
    …, so the two never collide); one person of each bureau is in no mapped group.
    """
    rng = random.Random(seed_value)
    blocks = [f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: 市直机关\ndc: city",
              f"dn: ou=people,{BASE}\nobjectClass: organizationalUnit\nou: people",
              f"dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups"]
    members: dict[str, list[str]] = {"city-admins": [], "city-viewers": []}
    role_map = {f"cn=city-admins,ou=groups,{BASE}": "city_admin", f"cn=city-viewers,ou=groups,{BASE}": "city_viewer"}

    def person(uid: str, unit: str, group: str | None) -> None:
        name = person_name(rng)
        dn = f"uid={uid},ou=people,{BASE}"
        blocks.append(f"dn: {dn}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\nsn: {name[0]}\n"
                      f"displayName: {name}\nou: {unit}\ntitle: {rng.choice(POSTS)}\nmail: {uid}@city.gov.cn\n"
                      f"userPassword: {password}")
        if group:
            members.setdefault(group, []).append(dn)

    person("gw-01", "市直机关工委", "city-admins")
    person("gw-02", "市直机关工委", "city-viewers")
    for index in range(bureaus):
        slug, unit, _ = bureau_for(index)
        for suffix, role in BUREAU_GROUPS:
            role_map[f"cn={slug}-{suffix},ou=groups,{BASE}"] = f"{role}@{slug}"
        for n, group in enumerate(("admins", "editors", "editors", "viewers", None), start=1):
            person(f"{slug}-{n:02d}", unit, f"{slug}-{group}" if group else None)
    for group, dns in members.items():
        blocks.append(f"dn: cn={group},ou=groups,{BASE}\nobjectClass: groupOfNames\ncn: {group}\n"
                      + "\n".join(f"member: {dn}" for dn in dns))
    return "\n\n".join(blocks) + "\n", role_map


def role_map_json(role_map: dict) -> str:
    """The role map as the one-line JSON of ``ZEREN_LDAP_ROLE_MAP``."""
    return json.dumps(role_map, ensure_ascii=False)
