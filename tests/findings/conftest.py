"""Fixtures of the findings tests: people in bureau A (one linked to its editor) and a
helper that records findings through the services."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.people.models import Person
from app.extensions import db
from app.findings import services
from app.core.actor import Actor
from app.tenancy.session import tenant_context

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class People:
    liaison: int      # linked to bureau A's editor
    secretary: int
    member: int


@pytest.fixture
def people(bureau_a) -> People:
    with tenant_context(bureau_a.tenant):
        liaison = Person(name="孙联络", post="机关党委专职副书记", kind="staff", user_id=bureau_a.editor.id, sort_order=30)
        secretary = Person(name="王书记", post="党组书记、局长", kind="secretary", sort_order=10)
        member = Person(name="李成员", post="党组成员、副局长", kind="member", sort_order=20)
        db.session.add_all([liaison, secretary, member])
        db.session.commit()
        return People(liaison=liaison.id, secretary=secretary.id, member=member.id)


def finding_data(**overrides) -> dict:
    """Valid values of a new finding (found today, due in 30 days)."""
    today = services.today()
    data = {"source": "internal_patrol", "batch": "2026年度内部巡视第二轮", "batch_date": today,
            "description": "个别党支部“三会一课”记录不规范。", "area": "organisational", "severity": "general",
            "found_on": today, "due_on": today + timedelta(days=30), "person_id": None, "duty_item_id": None,
            "measures": ""}
    data.update(overrides)
    return data


def admin_of(bureau) -> Actor:
    return Actor.bureau(bureau.admin, "bureau_admin")


def editor_of(bureau) -> Actor:
    return Actor.bureau(bureau.editor, "bureau_editor")


def city_of(user) -> Actor:
    return Actor.city(user)


def make_finding(bureau, actor: Actor | None = None, **overrides) -> int:
    """Record a finding in ``bureau`` through the services; returns its id."""
    with tenant_context(bureau.tenant):
        return services.create_finding(finding_data(**overrides), actor=actor or admin_of(bureau)).id


def add_evidence(bureau, finding_id: int, actor: Actor, name: str = "整改报告.pdf") -> None:
    """A progress note with one PDF, through the services."""
    import io

    with tenant_context(bureau.tenant):
        finding = services.get_finding(finding_id)
        services.add_note(finding, {"occurred_on": services.today(), "text": "召开专题会议研究整改。"},
                          files=[services.Upload(stream=io.BytesIO(PDF), filename=name)], actor=actor)
