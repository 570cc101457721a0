"""Demo data of the duty lists: the city's 2026 template, and per bureau its people, its
2026 list copied from the template, and a year of progress records with a few PDF files.

Bureaus early in the demo city are diligent, later ones fall behind (``index`` /
``count``), so the city's comparisons have something to show; some items are overdue.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record_bureau
from app.demo.data import person_name
from app.extensions import db
from app.tenancy.models import Tenant

from . import catalog, services
from . import status as rules
from .models import Attachment, DutyItem, Person, ProgressRecord
from .storage import put_bytes

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
EVIDENCE_NAMES = ["会议纪要", "学习记录", "签到表", "工作方案", "调研报告", "情况报告", "通报"]


def minimal_pdf(lines: list[str]) -> bytes:
    """A small, valid one-page PDF showing ``lines`` (ASCII) in Helvetica."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = "BT /F1 12 Tf 72 770 Td 16 TL " + " ".join(f"({escape(l)}) '" for l in lines) + " ET"
    stream = body.encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


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
    dates = []
    for k in range(max(0, min(wanted, item.expected_count))):
        period = k * per_year // item.expected_count
        start = date(YEAR, period * months + 1, 1)
        if start > upto:
            break
        end = min(rules.last_day_of_month(YEAR, period * months + months), upto)
        dates.append(start + timedelta(days=rng.randrange((end - start).days + 1)))
    return dates


def _people(tenant: Tenant, rng: random.Random) -> list[Person]:
    editor = db.session.scalar(select(User).where(User.username == f"{tenant.slug}-editor"))
    people = []
    for order, (kind, post) in enumerate(PEOPLE, start=1):
        person = Person(name=person_name(rng), post=post, kind=kind, sort_order=order * 10, active=True)
        if post == "机关党委专职副书记" and editor is not None:
            person.user_id = editor.id
        people.append(person)
        db.session.add(person)
    db.session.flush()
    return people


def seed(tenant: Tenant, rng: random.Random, index: int, count: int) -> None:
    """The 2026 duty list of one demo bureau, with records up to late November 2026."""
    template = catalog.ensure_default_published(YEAR)
    actor = services.Actor.system()
    people = _people(tenant, rng)
    duty_list = services.create_list(YEAR, template_id=template.id, actor=actor)
    liaison = next(p for p in people if p.user_id is not None) if any(p.user_id for p in people) else people[-1]
    # party-group items go to the secretary or the organ committee, by lead unit
    secretary = next(p for p in people if p.kind == "secretary")
    organ = next(p for p in people if p.kind == "organ_committee")
    for item in duty_list.items:
        if item.owner_id is None:
            item.owner_id = organ.id if "机关党委" in item.lead_unit else secretary.id
    if duty_list.items:
        duty_list.items[-1].owner_id = liaison.id  # the liaison's own item ("my items")
    services.set_list_status(duty_list, "published", version=duty_list.version, actor=actor)

    upto = min(services.today(), LAST_DEMO_DAY)
    spread = index / max(count - 1, 1)
    diligence = max(0.25, min(1.0, 0.97 - 0.6 * spread + rng.uniform(-0.08, 0.08)))
    slug = tenant.slug
    shared_pdf = None
    for item in duty_list.items:
        owner = item.owner
        filed = 0
        for number, day in enumerate(_record_dates(item, rng, upto, diligence), start=1):
            text = rng.choice(SUMMARIES.get(item.area, SUMMARIES["organisational"]))
            record = ProgressRecord(item_id=item.id, occurred_on=day, count=1,
                                    summary=text.format(month=day.month, n=rng.randint(2, 6)),
                                    author_name=liaison.name if owner is None else owner.name)
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



# Imported last: app.demo.services imports this module (and others that use
# ``minimal_pdf``) at its end, so everything above must exist before the cycle closes.
from app.demo.services import SEEDERS  # noqa: E402

if seed not in SEEDERS:
    SEEDERS.append(seed)
