"""Demo data of supervision findings: per bureau a dozen findings from several inspection
batches (the city's special inspection, the bureau's internal patrol and self-check, an
inspection tour's feedback), in every state of the workflow — some closed quickly, some
overdue, some awaiting verification, a few raised by the city — with measures, progress
notes, evidence files and a history spread over the year.

Dates are relative to today, so the demo shows overdue and due-soon findings whenever it
is built.  Bureaus early in the demo city rectify promptly, later ones fall behind.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record_bureau
from app.duties import services as duties
from app.evidence.demo import minimal_pdf
from app.extensions import db
from app.people.models import Person
from app.tenancy.models import Tenant

from . import services
from . import status as rules
from .models import Finding, FindingEvent, FindingEvidence, FindingNote

#: (area, problem, measures, progress notes)
PROBLEMS = [
    ("political", "“第一议题”制度落实不够到位，部分党组会议传达学习后未研究具体贯彻落实措施。",
     "修订党组会议议事规则，明确“第一议题”学习后须研究贯彻落实措施并列入督办；对本年度会议记录逐一复核补正。",
     ["修订《党组会议议事规则》，经党组会议审议通过后印发。", "对本年度党组会议记录逐一复核，补充完善贯彻落实措施。"]),
    ("ideological", "党组理论学习中心组学习计划执行不严格，个别专题学习未按计划开展，研讨交流不够深入。",
     "制定中心组学习计划执行清单，按月调度；每次专题学习安排2名以上成员重点发言，形成研讨纪要。",
     ["召开中心组专题学习会，4名班子成员作重点发言。", "建立中心组学习按月调度机制，印发学习计划执行清单。"]),
    ("ideological", "意识形态工作责任制落实不够到位，阵地管理台账不健全，网络平台审核把关不严。",
     "建立意识形态阵地管理台账，明确审核责任人；每半年开展一次意识形态工作专题研判。",
     ["梳理宣传思想文化阵地12个，建立管理台账。", "召开意识形态工作专题研判会议，形成研判报告。"]),
    ("organisational", "个别党支部“三会一课”记录不规范，组织生活会会前谈心谈话不够全面。",
     "开展“三会一课”记录规范化检查，组织支部书记专题培训，统一记录模板。",
     ["举办党支部书记专题培训班，讲解“三会一课”记录规范。", "对各党支部记录开展交叉检查，反馈问题并督促补正。"]),
    ("organisational", "党员发展工作程序不够严谨，部分入党积极分子培养考察材料不完整。",
     "对近三年发展党员档案逐一审核，补齐缺失材料；建立发展党员全程纪实制度。",
     ["完成近三年发展党员档案审核，补齐缺失材料。", "印发发展党员全程纪实工作办法。"]),
    ("organisational", "基层党支部换届工作不及时，1个党支部超期未换届。",
     "指导超期支部于限期内完成换届选举，建立支部换届提醒台账。",
     ["指导该党支部召开党员大会完成换届选举。", "建立基层党组织换届提醒台账，按季度更新。"]),
    ("organisational", "党费收缴使用管理不规范，个别党员未按标准足额交纳党费。",
     "开展党费收缴专项检查，督促补交；规范党费使用审批程序。",
     ["完成党费收缴情况专项核查，督促3名党员补交党费。"]),
    ("conduct", "落实中央八项规定精神还有薄弱环节，个别公务接待审批手续不完备。",
     "修订公务接待管理办法，对本年度接待审批单据全面自查，实行接待清单制度。",
     ["修订《公务接待管理办法》并组织学习。", "对本年度公务接待审批单据全面自查，整改不规范问题。"]),
    ("integrity", "廉政风险点排查不够全面，工程建设领域防控措施针对性不强。",
     "重新梳理岗位廉政风险点，针对工程建设项目制定风险防控清单，开展专项监督检查。",
     ["梳理岗位廉政风险点86个，制定防控措施。", "对在建工程项目开展专项监督检查。"]),
    ("discipline", "警示教育开展频次不足，以案促改措施落实不够扎实。",
     "制定年度警示教育计划，每季度至少开展一次；对典型案例逐项制定以案促改措施。",
     ["召开警示教育大会，通报典型案例。", "针对典型案例制定以案促改措施5项并落实。"]),
    ("institutional", "机关党建制度修订滞后，部分制度与新要求不相适应。",
     "全面梳理现行党建制度，废止、修订、新建一批制度，汇编成册。",
     ["梳理现行党建制度32项，提出修订意见。", "印发修订后的机关党建制度汇编。"]),
    ("young_cadres", "青年干部理论学习形式单一，“青年理论学习提升工程”推进不够有力。",
     "制定青年理论学习小组活动计划，开展读书分享、调研实践等活动，党组成员定期联系指导。",
     ["举办青年干部读书分享会。", "组织青年干部赴基层开展调研实践活动，形成调研报告。"]),
    ("organisational", "班子成员“一岗双责”落实不够到位，对分管领域党建工作指导督促不够。",
     "制定班子成员党建工作责任清单，每季度听取分管领域党建工作汇报并记录在案。",
     ["印发班子成员党建工作责任清单。", "班子成员分别听取分管领域党建工作汇报。"]),
    ("assessment", "对基层党组织书记抓党建述职评议结果运用不充分，问题整改跟踪不及时。",
     "建立述职评议问题清单和整改台账，将评议结果纳入年度考核。",
     ["建立述职评议问题清单和整改台账。", "将述职评议结果纳入基层党组织年度考核。"]),
    ("supervision", "督促检查发现问题的整改跟踪不及时，部分问题整改台账更新滞后。",
     "建立整改台账月度更新和销号审核制度，明确专人负责。",
     ["建立整改台账月度更新机制，明确专人负责。"]),
]

SEVERITY_WEIGHTS = (("general", 6), ("major", 3), ("serious", 1))
VERIFY_NOTES = ["经核查，整改措施已落实，佐证材料齐全，同意销号。",
                "整改到位，相关制度已印发执行，予以销号。",
                "经现场检查和查阅资料，问题已整改完成，同意销号。"]
RETURN_NOTES = ["佐证材料不够充分，请补充相关会议记录后再提交。", "整改措施落实情况说明不够具体，请补充完善。"]


def _at(day: date, hour: int = 10) -> datetime:
    # 10:00 in Beijing, stored in UTC.
    return datetime.combine(day, time(hour)).replace(tzinfo=timezone.utc) - timedelta(hours=8)


def _event(finding: Finding, day: date, action: str, name: str, side: str, *, note: str = "",
           from_status: str | None = None, to_status: str | None = None) -> None:
    db.session.add(FindingEvent(finding=finding, at=_at(day), actor_name=name, side=side, action=action,
                                from_status=from_status, to_status=to_status, note=note))


def _batches(year: int, anchor: date, rng: random.Random) -> list[dict]:
    return [
        {"batch": f"{year}年机关党建专项督查", "source": "special_inspection", "city": True,
         "date": anchor - timedelta(days=150 + rng.randrange(10)), "count": 3},
        {"batch": f"{year}年度内部巡视第二轮", "source": "internal_patrol", "city": False,
         "date": anchor - timedelta(days=95 + rng.randrange(10)), "count": 4},
        {"batch": f"{year}年上半年党建工作自查", "source": "self_check", "city": False,
         "date": anchor - timedelta(days=125 + rng.randrange(10)), "count": 2},
        {"batch": f"{year}年市直机关工委党建工作督查", "source": "special_inspection", "city": True,
         "date": anchor - timedelta(days=40 + rng.randrange(6)), "count": 2},
        {"batch": "市委第三巡察组反馈意见", "source": "inspection_tour", "city": False,
         "date": anchor - timedelta(days=70 + rng.randrange(6)), "count": 1},
    ]


def _plan(rng: random.Random, diligence: float, age: int) -> str:
    """The state a finding of ``age`` days has reached in a bureau of this diligence."""
    roll = rng.random()
    if age < 45:
        return "open" if roll < 0.5 else "rectifying"
    if roll < 0.25 + 0.5 * diligence:
        return "closed"
    if roll < 0.45 + 0.4 * diligence:
        return "awaiting"
    if roll < 0.55 + 0.4 * diligence:
        return "returned"
    return "rectifying"


def seed(tenant: Tenant, rng: random.Random, index: int, count: int) -> None:
    """Findings of one demo bureau (see the module's description)."""
    anchor = services.today()
    year = anchor.year
    people = list(db.session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.sort_order)))
    items = duties.all_items()
    by_area: dict[str, list] = {}
    for item in items:
        by_area.setdefault(item.area, []).append(item)
    liaison = next((p for p in people if p.user_id is not None), None)
    city_user = db.session.scalar(select(User).where(User.username == "city"))
    city_name = city_user.display_name if city_user is not None else "市直机关工委"
    admin = db.session.scalar(select(User).where(User.username == f"{tenant.slug}-admin"))
    admin_name = admin.display_name if admin is not None else "机关党委"
    editor = db.session.scalar(select(User).where(User.username == f"{tenant.slug}-editor"))
    editor_name = editor.display_name if editor is not None else "党建联络员"
    spread = index / max(count - 1, 1)
    diligence = max(0.2, min(1.0, 0.95 - 0.6 * spread + rng.uniform(-0.08, 0.08)))
    problems = rng.sample(PROBLEMS, k=min(len(PROBLEMS), 12))
    made = 0
    for batch in _batches(year, anchor, rng):
        for _n in range(batch["count"]):
            if made >= len(problems):
                break
            area, text, measures, notes = problems[made]
            made += 1
            found = batch["date"]
            # Deadlines: 30 to 120 days; the last one in a bureau is due within the week.
            due = found + timedelta(days=rng.choice((30, 45, 60, 90, 120)))
            age = (anchor - found).days
            state = _plan(rng, diligence, age)
            if made == 1:
                state = "awaiting"  # every bureau has a city finding waiting for the city's verification
            elif made == 3 and liaison is not None:
                state, due = "rectifying", anchor + timedelta(days=rng.randint(2, 6))  # the liaison's reminder
            elif made == 4:
                state = "closed"  # every bureau has closed at least one
            person = liaison if (liaison is not None and made in (3, 7)) else (rng.choice(people) if people else None)
            candidates = by_area.get(area) or []
            raiser, side = (city_name, "city") if batch["city"] else (admin_name, "bureau")
            finding = Finding(
                year=found.year, source=batch["source"], batch=batch["batch"], batch_date=found,
                description=text, area=area,
                severity=rng.choices([s for s, _w in SEVERITY_WEIGHTS], [w for _s, w in SEVERITY_WEIGHTS])[0],
                person_id=person.id if person else None,
                duty_item_id=rng.choice(candidates).id if candidates and rng.random() < 0.6 else None,
                found_on=found, due_on=due, measures="", status=rules.OPEN, raised_by_city=batch["city"],
                raised_by_id=city_user.id if batch["city"] and city_user else None, raised_by_name=raiser)
            db.session.add(finding)
            db.session.flush()
            _event(finding, found, "create", raiser, side, to_status=rules.OPEN)
            if state != "open":
                _work(finding, state, rng, anchor, measures, notes, person, admin_name, raiser, side, tenant.slug,
                      editor_name)
            services.sync_register(finding)
    db.session.flush()
    record_bureau("finding.import", "finding", None, summary=f"导入督查整改台账（演示数据，{made}条）", actor=None)


def _work(finding: Finding, state: str, rng: random.Random, anchor: date, measures: str, notes: list[str],
          person: Person | None, admin_name: str, raiser: str, side: str, slug: str, editor_name: str) -> None:
    """Carry a finding along the workflow up to ``state``, with dated steps."""
    worker = person.name if person else admin_name
    started = min(anchor, finding.found_on + timedelta(days=rng.randint(2, 8)))
    finding.measures = measures
    finding.status = rules.RECTIFYING
    _event(finding, started, rules.START, worker, "bureau", from_status=rules.OPEN, to_status=rules.RECTIFYING)
    _event(finding, started, "plan", worker, "bureau", note="整改措施")
    last = started
    for number, text in enumerate(notes, start=1):
        day = min(anchor, last + timedelta(days=rng.randint(5, 25)))
        note = FindingNote(finding_id=finding.id, occurred_on=day, text=text, author_name=worker,
                           created_at=_at(day, 15))
        db.session.add(note)
        if rng.random() < 0.8 or state in ("awaiting", "closed", "returned"):
            name = f"{day.isoformat()}整改佐证{number}.pdf"
            upload, key = services.store_bytes(
                minimal_pdf([f"Zeren demo rectification evidence - {slug}", f"Finding {finding.id}",
                             f"Date {day.isoformat()}"]), name)
            note.evidence.append(FindingEvidence(finding_id=finding.id, sha256=upload.sha256, blob_key=key,
                                                 size=upload.size, kind=upload.kind, original_name=upload.name,
                                                 uploaded_by=worker))
        _event(finding, day, "note", worker, "bureau", note=text)
        last = day
    if state == "rectifying":
        return
    submitted = min(anchor, last + timedelta(days=rng.randint(1, 6)))
    _event(finding, submitted, rules.SUBMIT, worker, "bureau", from_status=rules.RECTIFYING, to_status=rules.AWAITING)
    finding.status, finding.submitted_on = rules.AWAITING, submitted
    verifier = raiser if finding.raised_by_city else admin_name
    vside = side if finding.raised_by_city else "bureau"
    if state == "returned":
        back = min(anchor, submitted + timedelta(days=rng.randint(2, 7)))
        _event(finding, back, rules.RETURN, verifier, vside, note=rng.choice(RETURN_NOTES),
               from_status=rules.AWAITING, to_status=rules.RECTIFYING)
        finding.status, finding.submitted_on = rules.RECTIFYING, None
        return
    if state == "awaiting":
        return
    closed = min(anchor, submitted + timedelta(days=rng.randint(2, 12)))
    note = rng.choice(VERIFY_NOTES)
    _event(finding, closed, rules.CLOSE, verifier, vside, note=note, from_status=rules.AWAITING,
           to_status=rules.CLOSED)
    finding.status, finding.closed_on = rules.CLOSED, closed
    finding.verification_note, finding.verified_by_name, finding.verified_at = note, verifier, _at(closed, 16)
