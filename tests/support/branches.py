"""A small Party-organisation tree in bureau A with two branch users: the ``tree`` fixture of
the organisation and meeting tests (their conftest files take it from here)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from app.accounts import services as accounts
from app.orgs import services
from app.people.models import Person
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import PASSWORD, admin_of


@dataclass
class Tree:
    committee: int
    first: int
    second: int
    group: int
    people: dict
    branch1: object  # the account of the first branch's secretary
    branch2: object  # the account of the second branch's 组织委员


@pytest.fixture
def tree(app, bureau_a) -> Tree:
    branch1 = accounts.create_user("bureau-a-branch1", "赵一支", PASSWORD, tenant=bureau_a.tenant, role="branch_editor")
    branch2 = accounts.create_user("bureau-a-branch2", "钱二支", PASSWORD, tenant=bureau_a.tenant, role="branch_editor")
    with tenant_context(bureau_a.tenant):
        people = {
            "head": Person(name="刘丽华", post="机关党委书记", kind="organ_committee", sort_order=10),
            "s1": Person(name="赵一支", post="办公室主任", kind="staff", sort_order=20, user_id=branch1.id),
            "d1": Person(name="孙副书", post="科长", kind="staff", sort_order=30),
            "s2": Person(name="李二书", post="科长", kind="staff", sort_order=40),
            "o2": Person(name="钱二支", post="主任科员", kind="staff", sort_order=50, user_id=branch2.id),
            "g": Person(name="周组长", post="科员", kind="staff", sort_order=60),
        }
        db.session.add_all(people.values())
        db.session.commit()
        ids = {k: p.id for k, p in people.items()}
        admin = admin_of(bureau_a)
        committee = services.create_unit({"name": "市财政局机关党委", "kind": "party_committee",
                                          "secretary_id": ids["head"], "elected_on": date(2024, 5, 1),
                                          "term_years": "5"}, actor=admin)
        first = services.create_unit({"name": "机关第一党支部", "kind": "branch", "parent_id": committee.id,
                                      "secretary_id": ids["s1"], "deputy_id": ids["d1"], "member_count": "18",
                                      "elected_on": date(2022, 3, 1), "committee_ids": [ids["s1"], ids["d1"]]},
                                     actor=admin)
        second = services.create_unit({"name": "办公室党支部", "kind": "branch", "parent_id": committee.id,
                                       "secretary_id": ids["s2"], "organiser_id": ids["o2"], "member_count": "9",
                                       "elected_on": date(2025, 6, 1)}, actor=admin)
        group = services.create_unit({"name": "机关第一党支部第一党小组", "kind": "group", "parent_id": first.id,
                                      "secretary_id": ids["g"], "member_count": "7"}, actor=admin)
        return Tree(committee.id, first.id, second.id, group.id, ids, branch1, branch2)

