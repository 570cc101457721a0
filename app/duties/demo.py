"""Demo data of the duty lists: the city's 2026 template, and per bureau its people, its
2026 list copied from the template, and a year of progress records with a few PDF files.

Bureaus early in the demo city are diligent, later ones fall behind (``index`` /
``count``), so the city's comparisons have something to show; some items are overdue.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from app.core.actor import Actor
from app.accounts.models import User
from app.audit.services import record_bureau
from app.demo.data import person_name
from app.evidence.models import Attachment
from app.evidence.demo import minimal_pdf
from app.evidence.storage import put_bytes
from app.extensions import db
from app.people.models import Person
from app.tenancy.models import Tenant

from . import catalog, services
from . import status as rules
from .models import DutyItem, ProgressRecord

YEAR = 2026
LAST_DEMO_DAY = date(2026, 11, 25)

#: (kind, post) of the people every demo bureau has, in display order.
PEOPLE = [
    ("secretary", "党组书记、局长"),
    ("member", "党组成员、副局长"),
    ("member", "党组成员、副局长"),
    ("member", "党组成员、副局长"),
    ("member", "党组成员、总会计师"),
    ("organ_committee", "机关党委书记"),
    ("discipline", "派驻纪检监察组组长"),
    ("staff", "机关党委专职副书记"),
    ("staff", "办公室主任"),
]

#: What a record says, by area: {month} and {n} are filled in.
SUMMARIES = {
    "political": ["召开党组会议，传达学习习近平总书记重要讲话和重要指示批示精神，研究贯彻落实措施{n}项。",
                  "落实“第一议题”制度，组织专题学习并结合本单位实际部署贯彻举措。"],
    "ideological": ["开展党组理论学习中心组{month}月集中学习，围绕主题教育成果巩固进行交流研讨。",
                    "举办专题读书班，组织党员干部学习党的创新理论，撰写心得体会{n}篇。"],
    "organisational": ["召开党建工作领导小组会议，听取基层党组织工作汇报，研究部署下一阶段重点任务。",
                       "深入联系点党支部调研，参加支部主题党日活动，帮助解决实际问题{n}个。",
                       "检查各党支部“三会一课”落实情况，反馈问题并督促整改。"],
    "conduct": ["赴基层联系点开展蹲点调研，形成调研报告1篇。",
                "开展节日期间作风建设监督检查，未发现违反中央八项规定精神问题。"],
    "discipline": ["向党组报告监督执纪工作情况，提出加强廉政风险防控意见建议{n}条。",
                   "组织召开警示教育大会，通报典型案例，督促以案促改。"],
    "institutional": ["修订完善机关党建相关制度{n}项，经党组会议审议后印发。",
                      "对制度执行情况开展评估，梳理需修订条款并提出修改意见。"],
    "integrity": ["与分管单位主要负责人开展廉政谈话{n}人次，结合岗位风险点提出要求。",
                  "举办廉洁专题培训班，组织参观廉政教育基地。"],
    "young_cadres": ["召开青年干部座谈会，听取{n}名青年代表的意见建议。",
                     "听取锻炼干部工作汇报，对年轻干部成长提出指导意见。"],
    "supervision": ["开展机关党建专项督查，形成问题清单和整改清单，建立台账跟踪整改。",
                    "对基层党组织落实党建责任制情况开展监督检查，发现问题{n}个并督促整改。"],
    "assessment": ["组织基层党组织书记抓党建述职评议，开展民主测评并通报结果。",
                   "完善考核评价细则，对各基层党组织开展年度考核。"],
}
#: What a record of a default-template item says, by template key (richer than by area).
SUMMARIES_BY_KEY = {
    "PG-01": ["党组会议“第一议题”传达学习习近平总书记最新重要讲话精神，研究提出贯彻落实措施{n}条。",
              "更新学习贯彻落实工作台账，对{n}项落实措施逐项跟踪问效。"],
    "PG-02": ["党组会议审议通过本年度落实全面从严治党主体责任清单，印发各单位执行。"],
    "PG-03": ["召开全面从严治党工作会议，党组与{n}个基层党组织签订主体责任书、监督责任书。"],
    "PG-04": ["党组理论学习中心组{month}月集中学习，{n}名同志作交流发言。",
              "中心组围绕巩固深化主题教育成果开展专题研讨，形成学习纪要。"],
    "PG-05": ["党组会议专题研究意识形态工作，开展风险研判，部署网站和公众号阵地管理。"],
    "PG-06": ["召开党建工作领导小组会议，听取机关党委工作汇报，研究部署{n}项重点任务。",
              "党组会议专题研究机关党建工作，形成会议纪要并明确责任分工。"],
    "PG-07": ["印发党组成员基层联系点和党支部工作联系点安排，明确联系对象和工作要求。"],
    "PG-08": ["修订《党组织理论学习规范》等制度{n}项，经党组会议审议后印发。"],
    "PG-09": ["召开青年干部座谈会，听取{n}名青年代表意见建议，现场协调解决实际困难。"],
    "PG-10": ["开展机关党建专项督查，覆盖{n}个基层党组织，建立问题清单和整改清单。"],
    "PG-11": ["组织基层党组织书记抓党建述职评议，现场开展民主测评，考核结果在一定范围内通报。"],
    "SE-01": ["主持召开党建工作领导小组会议，部署本季度机关党建重点工作。",
              "主持党组会议研究机关党建工作，对{n}项重点任务逐项明确责任人。"],
    "SE-02": ["以“学思想、强党性、重实践、建新功”为题为全体党员讲授专题党课。"],
    "SE-03": ["以普通党员身份参加所在党支部组织生活会，带头开展批评和自我批评。"],
    "SE-04": ["赴基层联系点蹲点调研，召开座谈会听取{n}名党员意见建议，形成调研报告。"],
    "SE-05": ["与班子成员和下级党组织主要负责人逐一开展谈心谈话{n}人次，进行廉政提醒。"],
    "SE-06": ["在市直机关工委述职评议会上报告履行全面从严治党第一责任人职责情况。"],
    "ME-01": ["听取分管单位党建工作汇报，指导落实“三会一课”制度，提出改进意见{n}条。",
              "到分管单位检查党建工作与业务工作同部署、同推进情况。"],
    "ME-02": ["到联系点党支部调研指导，参加支部主题党日活动，帮助解决实际问题{n}个。"],
    "ME-03": ["到联系党支部讲授党课，参加局党校毕业典礼并与学员谈心谈话。"],
    "ME-04": ["与分管单位主要负责人开展廉政谈话，结合岗位风险点提出防控要求。"],
    "ME-05": ["听取分管领域{n}名锻炼干部工作汇报，对年轻干部成长提出指导意见。"],
    "ME-06": ["参加党组民主生活会，会前开展谈心谈话，会上认真开展批评和自我批评。"],
    "OC-01": ["制定“四强”党支部创建工作方案，对{n}个党支部开展年中督导。"],
    "OC-02": ["检查各党支部“三会一课”和主题党日开展情况，通报问题{n}个并督促整改。"],
    "OC-03": ["组织开展党员集中教育活动，更新重点人员日常监管台账。"],
    "OC-04": ["举办党务干部培训班，{n}0余名专兼职党务干部参加培训。",
              "举办新任党支部书记、委员培训班，组织结业测试。"],
    "OC-05": ["开展“两优一先”评选表彰，召开庆祝建党大会，宣传先进典型事迹。"],
    "OC-06": ["举办“学用新思想 奋进新征程”青年理论宣讲活动，{n}个支部派员参加。"],
    "OC-07": ["开展第{n}期“青年砥砺工程”，选拔年轻干部到工程项目一线锻炼。"],
    "OC-08": ["组织青年干部赴基层开展“根在基层”调研实践，形成调研成果{n}篇。"],
    "OC-09": ["会同人事部门完成专兼职党务工作经历记载，开展新任党组织书记任职谈话。"],
    "OC-10": ["修订机关党建工作考核评价细则，对各基层党组织开展年度考核。"],
    "DI-01": ["向党组报告本季度监督执纪工作情况，提出加强廉政风险防控意见建议{n}条。"],
    "DI-02": ["举办廉洁专题培训班，组织参观廉政教育基地，{n}0余名党员干部参加。"],
    "DI-03": ["印发《工程建设管理风险点及法规指引》，建立工程建设项目重大事项备案制度。"],
    "DI-04": ["开展节日期间落实中央八项规定精神监督检查，抽查{n}个单位，未发现违规问题。",
              "对公务接待、公车使用情况开展专项检查，督促整改问题{n}个。"],
    "DI-05": ["召开警示教育大会，通报{n}起典型案例，督促相关单位以案促改。"],
    "DI-06": ["对基层党组织落实党建责任制情况开展监督检查，发现问题{n}个并建立整改台账。"],
}
EVIDENCE_NAMES = ["会议纪要", "学习记录", "签到表", "工作方案", "调研报告", "情况报告", "通报"]


def _record_dates(item: DutyItem, rng: random.Random, upto: date, diligence: float) -> list[date]:
    """Dates of the occurrences a bureau of this diligence recorded for ``item`` by ``upto``."""
    if item.cadence == rules.ONCE:
        if rng.random() > diligence:
            return []
        due = rules.effective_due(YEAR, item.due_date)
        # most are done in the two months before the due date, careless bureaus after it
        latest = due if rng.random() < diligence else due + timedelta(days=45)
        start = date(YEAR, max(1, due.month - 2), 1)
        latest = min(latest, upto)
        if start > latest:
            return []
        return [start + timedelta(days=rng.randrange((latest - start).days + 1))]
    per_year = rules.PERIODS_PER_YEAR[item.cadence]
    months = 12 // per_year
    owed = rules.expected_to_date(item.cadence, item.expected_count, YEAR, item.due_date, upto)
    wanted = round(owed * diligence + rng.uniform(-0.5, 0.5))
    if rng.random() < diligence * 0.6:
        wanted += 1  # the current period's meeting is already held
    # The occurrences begun by ``upto``; a careless bureau skips some of them, not only the
    # latest (a bureau behind still holds this month's meeting now and then).
    begun = [k for k in range(item.expected_count)
             if date(YEAR, (k * per_year // item.expected_count) * months + 1, 1) <= upto]
    dates = []
    for k in sorted(rng.sample(begun, max(0, min(wanted, len(begun))))):
        period = k * per_year // item.expected_count
        start = date(YEAR, period * months + 1, 1)
        end = min(rules.last_day_of_month(YEAR, period * months + months), upto)
        dates.append(start + timedelta(days=rng.randrange((end - start).days + 1)))
    return dates


def _people(tenant: Tenant, rng: random.Random) -> list[Person]:
    editor = db.session.scalar(select(User).where(User.username == f"{tenant.slug}-editor"))
    people = []
    for order, (kind, post) in enumerate(PEOPLE, start=1):
        person = Person(name=person_name(rng), post=post, kind=kind, sort_order=order * 10, active=True)
        if post == "机关党委专职副书记" and editor is not None:
            # the demo editor account is this person: same name, their items under "my items"
            person.user_id, person.name = editor.id, editor.display_name or person.name
        people.append(person)
        db.session.add(person)
    db.session.flush()
    return people


def seed(tenant: Tenant, rng: random.Random, index: int, count: int) -> None:
    """The 2026 duty list of one demo bureau, with records up to late November 2026."""
    city = db.session.scalar(select(User).where(User.username == "city"))
    template = catalog.ensure_default_published(YEAR, actor=city)
    actor = Actor.system()
    people = _people(tenant, rng)
    duty_list = services.create_list(YEAR, template_id=template.id, actor=actor)
    liaison = next(p for p in people if p.user_id is not None) if any(p.user_id for p in people) else people[-1]
    # party-group items go to the secretary or the organ committee, by lead unit
    secretary = next(p for p in people if p.kind == "secretary")
    organ = next(p for p in people if p.kind == "organ_committee")
    for item in duty_list.items:
        if item.owner_id is None:
            item.owner_id = organ.id if "机关党委" in item.lead_unit else secretary.id
    # the organ committee's full-time deputy carries part of its direct responsibility
    organ_items = [i for i in duty_list.items if i.category == "organ_committee"]
    for item in organ_items[1::2]:
        item.owner_id = liaison.id
    services.set_list_status(duty_list, "published", version=duty_list.version, actor=actor)

    # The 党建办's clerk (the demo editor) keeps the 台账 for the leaders, who have no
    # account: their records show "for <leader>, recorded by <clerk>".
    editor = db.session.scalar(select(User).where(User.username == f"{tenant.slug}-editor"))
    clerk_id, clerk_name = (editor.id, liaison.name) if editor is not None else (None, liaison.name)
    upto = min(services.today(), LAST_DEMO_DAY)
    spread = index / max(count - 1, 1)
    diligence = max(0.25, min(1.0, 0.97 - 0.6 * spread + rng.uniform(-0.08, 0.08)))
    slug = tenant.slug
    shared_pdf = None
    by_id = {p.id: p for p in people}
    for item in duty_list.items:
        # (owner_id was set above: the loaded relationship may still say nobody)
        owner = by_id.get(item.owner_id)
        filed = 0
        for number, day in enumerate(_record_dates(item, rng, upto, diligence), start=1):
            text = rng.choice(SUMMARIES_BY_KEY.get(item.source_key or "")
                              or SUMMARIES.get(item.area, SUMMARIES["organisational"]))
            by_clerk = owner is None or owner.user_id is None and owner.kind in ("secretary", "member")
            record = ProgressRecord(item_id=item.id, occurred_on=day, count=1,
                                    summary=text.format(month=day.month, n=rng.randint(2, 6)),
                                    author_id=clerk_id if by_clerk else owner.user_id,
                                    author_name=clerk_name if by_clerk else owner.name,
                                    for_person_id=owner.id if owner else None,
                                    for_person_name=owner.name if owner else "")
            db.session.add(record)
            if rng.random() < 0.18 + 0.2 * diligence:
                kind = rng.choice(EVIDENCE_NAMES)
                if shared_pdf is not None and rng.random() < 0.1:
                    data, name = shared_pdf  # the same minutes filed under two records: stored once
                else:
                    data = minimal_pdf([f"Zeren demo evidence - {slug}", f"Item {item.source_key or item.id}",
                                        f"Date {day.isoformat()}", f"Record {number}"])
                    name = f"{day.isoformat()}{kind}.pdf"
                    shared_pdf = shared_pdf or (data, name)
                upload = put_bytes(slug, data, name)
                record.attachments.append(Attachment(sha256=upload.sha256, size=upload.size, kind=upload.kind,
                                                     original_name=upload.name, uploaded_by=record.author_name))
                filed += 1
        # a yearly training held once but reported done with its evidence
        if item.expected_count > 1 and item.cadence == rules.YEARLY and filed and rng.random() < diligence:
            item.marked_done = True
    db.session.flush()
    record_bureau("duty_record.import", "duty_list", duty_list.id,
                  summary=f"导入{YEAR}年度履责纪实（演示数据）", actor=None)



#: Why a demo reviewer returned a record.
RETURN_REASONS = ["佐证材料不全，请补充会议纪要或签到表。", "记录日期与会议通知不一致，请核实后修改。",
                  "内容过于简略，请写明研究的具体事项和落实措施。"]
LATE_REASONS = ["经办人外出学习，会议纪要归档延误，现按原会议日期补录。",
                "年中系统账号调整期间未能及时录入，现补录。"]


def seed_review(tenant: Tenant, rng: random.Random, index: int, count: int) -> None:
    """Issue 16 in the demo: the clerk's latest records await review, a few were returned
    with a reason, one approved and one pending 补录, and items at every warning level."""
    from app.deadlines import status as warnings

    duty_list = services.list_for_year(YEAR)
    if duty_list is None:
        return
    admin = db.session.scalar(select(User).where(User.username == f"{tenant.slug}-admin"))
    editor = db.session.scalar(select(User).where(User.username == f"{tenant.slug}-editor"))
    records = list(db.session.scalars(select(ProgressRecord).join(DutyItem).where(DutyItem.list_id == duty_list.id)
                                      .order_by(ProgressRecord.occurred_on.desc(), ProgressRecord.id.desc())))
    if not records or admin is None:
        return
    today = services.today()
    pending = 3 + index % 4
    for record in records[:pending]:
        record.review_state = "pending"
    for record, reason in zip(records[pending:pending + 1 + index % 2], RETURN_REASONS[index % 3:] + RETURN_REASONS):
        record.review_state, record.return_reason = "returned", reason
        record.reviewed_by_id, record.reviewed_by_name = admin.id, admin.display_name or admin.username
    for record in records[pending + 2:]:
        if record.author_id is not None and record.author_id != admin.id:
            record.reviewed_by_id, record.reviewed_by_name = admin.id, admin.display_name or admin.username
    # one approved 补录 and, in every other bureau, one waiting for the administrator
    monthly = [i for i in duty_list.items if i.cadence == rules.MONTHLY]
    if monthly and editor is not None:
        item = rng.choice(monthly)
        for number, state in enumerate(("approved", "pending")[: 1 + index % 2]):
            day = date(YEAR, 6 + number, 12)
            db.session.add(ProgressRecord(
                item_id=item.id, occurred_on=day, count=1, author_id=editor.id,
                author_name=editor.display_name or editor.username, for_person_id=item.owner_id,
                for_person_name=item.owner.name if item.owner else "",
                summary=rng.choice(SUMMARIES["organisational"]).format(month=day.month, n=3),
                review_state=state, late=True, late_reason=LATE_REASONS[number],
                reviewed_by_id=admin.id if state == "approved" else None,
                reviewed_by_name=(admin.display_name or admin.username) if state == "approved" else ""))
    # items at every warning level: two items not yet done fall due soon
    year_end = date(YEAR, 12, 31)
    rows = {r.item.id: r for r in services.item_rows(duty_list, today)}
    # (a once or yearly item owes nothing before its due date, so moving that date closer
    # changes its warning and nothing else)
    open_once = [i for i in duty_list.items if i.cadence in (rules.ONCE, rules.YEARLY)
                 and rows[i.id].status != rules.DONE and rows[i.id].warning == warnings.NONE]
    for item, days in zip(open_once, (3, 12)):
        item.due_date = min(today + timedelta(days=days), year_end)
    db.session.flush()
