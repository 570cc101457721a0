"""Demo data of the organisation tree: per bureau a 机关党委 with 6–15 branches (some
under a 党总支, a few with 党小组), secretaries and 组织委员 drawn from the bureau's
people (new staff people are added for the branches), member counts, and elections
spread over the last few years so that some are overdue and some are due soon.  The
demo branch account ``<slug>-branch`` is the secretary of 机关第一党支部.
"""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record_bureau
from app.demo.data import person_name
from app.extensions import db
from app.people.models import Person
from app.tenancy.models import Tenant

from . import services
from .models import BRANCH, GENERAL_BRANCH, GROUP, PARTY_COMMITTEE, OrgCommitteeMember, OrgUnit

BRANCH_NAMES = ["机关第一党支部", "办公室党支部", "机关第二党支部", "人事教育科党支部", "财务审计科党支部",
                "政策法规科党支部", "机关第三党支部", "综合业务科党支部", "信息中心党支部", "执法支队党支部",
                "服务中心党支部", "机关后勤服务党支部", "直属事业单位党支部"]
RETIRED = ("离退休干部党总支", ["离退休干部第一党支部", "离退休干部第二党支部"])
PORTFOLIOS = ["宣传委员", "纪检委员", "青年委员", "统战委员"]
POSTS = ["科长", "副科长", "主任", "副主任", "一级主任科员", "二级主任科员", "四级调研员", "支队长"]


def _person(rng: random.Random, order: int, post: str) -> Person:
    person = Person(name=person_name(rng), post=post, kind="staff", sort_order=900 + order, active=True)
    db.session.add(person)
    db.session.flush()
    return person


def seed(tenant: Tenant, rng: random.Random, index: int, count: int) -> None:
    """Give the bureau its organisation tree."""
    day = services.today()
    people = list(db.session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.sort_order)))
    committee_head = next((p for p in people if "机关党委" in p.post), people[0] if people else None)
    branches = 6 + (index * 5 + rng.randint(0, 3)) % 10
    names = BRANCH_NAMES[:max(4, branches - 2)]
    retired = branches - len(names)
    order = 0

    def unit(name: str, kind: str, parent: OrgUnit | None, secretary: Person | None, elected_years_ago: float,
             members: int, term: int) -> OrgUnit:
        nonlocal order
        order += 10
        made = OrgUnit(name=name, kind=kind, parent_id=parent.id if parent else None, secretary_id=secretary.id if
                       secretary else None, member_count=members, term_years=term, sort_order=order,
                       elected_on=day - timedelta(days=int(elected_years_ago * 365)) if elected_years_ago else None)
        db.session.add(made)
        db.session.flush()
        return made

    top = unit(f"{tenant.name}机关党委", PARTY_COMMITTEE, None, committee_head, rng.uniform(0.5, 4.5), 0, 5)
    top.deputy_id = people[1].id if len(people) > 1 else None
    staff_order = 0
    branch_units: list[OrgUnit] = []
    for position, name in enumerate(names):
        staff_order += 2
        secretary = _person(rng, staff_order, f"{name.replace('党支部', '')}{rng.choice(POSTS)}")
        organiser = _person(rng, staff_order + 1, rng.choice(POSTS))
        db.session.flush()
        # Later bureaus let more branch elections run over their three years.
        overdue = rng.random() < 0.08 + 0.04 * index
        ago = rng.uniform(3.05, 3.8) if overdue else rng.uniform(0.2, 2.9)
        branch = unit(name, BRANCH, top, secretary, ago, rng.randint(6, 48), 3)
        branch.organiser_id = organiser.id
        branch.committee = [OrgCommitteeMember(person_id=secretary.id, portfolio="书记"),
                            OrgCommitteeMember(person_id=organiser.id, portfolio="组织委员")]
        if rng.random() < 0.7:
            deputy = _person(rng, 500 + staff_order, rng.choice(POSTS))
            db.session.flush()
            branch.deputy_id = deputy.id
            branch.committee.append(OrgCommitteeMember(person_id=deputy.id, portfolio=rng.choice(PORTFOLIOS)))
        branch_units.append(branch)
    if retired > 0:
        general = unit(RETIRED[0], GENERAL_BRANCH, top, _person(rng, 800, "原调研员"), rng.uniform(0.5, 3.5), 0, 3)
        db.session.flush()
        for name in RETIRED[1][:retired]:
            branch = unit(name, BRANCH, general, _person(rng, 801 + order, "退休干部"), rng.uniform(0.5, 3.4),
                          rng.randint(12, 60), 3)
            db.session.flush()
            branch_units.append(branch)
        general.member_count = 0
    for branch in branch_units[:2]:
        for number in (1, 2):
            unit(f"{branch.name}第{'一二'[number - 1]}党小组", GROUP, branch, _person(rng, 700 + order, "党小组长"),
                 0, max(3, branch.member_count // 2), 3)
    db.session.flush()
    first = branch_units[0]
    account = db.session.scalar(select(User).where(User.username == f"{tenant.slug}-branch"))
    if account is not None:
        secretary = db.session.get(Person, first.secretary_id)
        secretary.user_id, secretary.name = account.id, account.display_name or secretary.name
    record_bureau("org_unit.import", "org_unit", top.id, summary=f"建立党组织 {len(branch_units)} 个党支部",
                  after={"branches": len(branch_units)})
