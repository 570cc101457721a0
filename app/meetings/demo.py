"""Demo data of the meeting ledger: every branch, 党总支 and 党小组 of a demo bureau gets
this year's meetings up to today — 支委会, 党小组会 and 主题党日 monthly, 党课 and 党员大会
quarterly — with topics, attendance and short minutes.  Some periods are missed (more
in later bureaus and in a few weak branches), so ledgers show "not held" warnings.
"""
from __future__ import annotations

import random
from datetime import date

from app.audit.services import record_bureau
from app.core.actor import Actor
from app.extensions import db
from app.orgs import services as orgs
from app.tenancy.models import Tenant

from . import services
from .models import Meeting, MeetingAbsence, MeetingCadence

TOPICS = {
    "committee": ["研究本月党建工作安排", "研究发展党员工作", "研究党员教育管理事项", "研究主题党日活动方案",
                  "研究支部年度工作计划", "研究党费收缴情况", "研究组织生活会准备工作", "研究评先评优推荐人选"],
    "group": ["学习习近平新时代中国特色社会主义思想", "交流学习党章党规体会", "传达支部委员会会议精神",
              "开展谈心谈话", "学习《中国共产党纪律处分条例》"],
    "lecture": ["书记讲党课：坚定理想信念 勇于担当作为", "专题党课：深入学习贯彻党的二十大精神",
                "党课：以案为鉴 筑牢廉洁防线", "党课：践行全心全意为人民服务的根本宗旨"],
    "general_assembly": ["支部党员大会：通报上半年工作", "支部党员大会：讨论接收预备党员", "支部党员大会：民主评议党员",
                         "支部党员大会：学习传达上级会议精神"],
    "theme_day": ["重温入党誓词", "参观红色教育基地", "开展志愿服务进社区", "学习先进典型事迹", "“我为群众办实事”实践活动",
                  "观看警示教育片", "开展红色经典诵读"],
}
REASONS = ["因公出差", "病假", "事假", "外出培训", "在外地学习"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def seed(tenant: Tenant, rng: random.Random, index: int, count: int) -> None:
    """Give every ledger-keeping unit its meetings of this year so far."""
    day = services.today()
    if index % 2:
        # Some bureaus have set their own cadence: the defaults, with 党课 monthly in one.
        for kind, months in services.DEFAULT_CADENCE.items():
            db.session.add(MeetingCadence(kind=kind, months=1 if kind == "lecture" and index == 1 else months,
                                          note="按市直机关工委要求"))
        db.session.flush()
    cadence = services.cadences()
    made = 0
    for row in orgs.tree(Actor.system()).rows:
        unit = row.unit
        weak = rng.random() < 0.15 + 0.05 * index
        for kind in services.kinds_for(unit):
            months = cadence.get(kind, 0)
            if not months:
                continue
            for period in range(services.period_of(day, months) + 1):
                # bureaus ahead rarely miss a meeting, those behind more often
                miss = rng.random() < (0.25 if weak else 0.005 + 0.012 * index)
                if miss:
                    continue
                month = period * months + 1 + rng.randrange(months)
                last = 28 if month != day.month else min(28, day.day)
                if month > day.month or (month == day.month and day.day < 2):
                    continue
                held = date(day.year, month, rng.randint(1, max(1, last)))
                expected = unit.member_count or rng.randint(5, 20)
                absent = [(rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), rng.choice(REASONS))
                          for _ in range(rng.randint(0, min(3, expected)))]
                topic = rng.choice(TOPICS[kind])
                db.session.add(Meeting(
                    unit_id=unit.id, kind=kind, year=held.year, held_on=held, topic=topic, expected=expected,
                    present=expected - len(absent), recorded_by="支部组织委员",
                    minutes=f"会议由支部书记主持。{topic}。与会党员结合工作实际进行了交流发言，会议明确了下步工作安排。",
                    absences=[MeetingAbsence(name=n, reason=r) for n, r in absent]))
                made += 1
    db.session.flush()
    orgs.refresh_figures()
    record_bureau("meeting.import", "meeting", None, summary=f"登记本年度三会一课 {made} 次", after={"meetings": made})
    _linked_item(tenant, day)


def _linked_item(tenant: Tenant, day: date) -> None:
    """An item of the bureau's list that counts its first branch's 支委会 (issue 15): the
    branch's ledger is its record, nothing is written twice."""
    from sqlalchemy import select

    from app.accounts.models import User
    from app.duties import services as duties

    duty_list = duties.list_for_year(day.year)
    branch = next((u for u in orgs.branch_units() if "committee" in services.kinds_for(u)), None)
    admin = db.session.scalar(select(User).where(User.username == f"{tenant.slug}-admin"))
    if duty_list is None or branch is None or admin is None:
        return
    item = duties.add_item(duty_list, {
        "category": "party_group", "area": (duty_list.areas or [{"code": ""}])[0]["code"],
        "content": f"{branch.name}每月召开支委会，研究支部建设和党员教育管理工作。",
        "measures": "支委会按月召开，会议情况记入三会一课台账。", "cadence": "monthly", "expected_count": "12",
        "due_date": "", "lead_unit": branch.name, "owner_id": str(branch.secretary_id or ""),
        "meeting_kind": "committee", "meeting_unit_id": str(branch.id)},
        actor=Actor.bureau(admin, "bureau_admin"))
    # In the demo the item was on the list from its publication (owed from January).
    if duty_list.published_at is not None:
        item.created_at = duty_list.published_at
