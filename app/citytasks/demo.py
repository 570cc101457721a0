"""Demo data of city tasks: three tasks in different states across the demo bureaus.

* a report past its deadline — most bureaus answered and were accepted, one was returned
  and answered again late, one answered late and awaits review, the last ones are
  overdue (one never opened it) and were urged;
* a statistics form to fill in, due within the week — some bureaus have not read it,
  some read or signed it, some submitted, one was returned with a reason;
* case studies asked of the social-affairs bureaus only, just issued;
* a task asked of every 党支部 (a part per branch): in some bureaus every branch has
  written its part and the bureau submitted, in others some branches are still missing.

Each step goes through the services, so the notification centre of every demo user
holds the notices those steps sent (task received, returned, accepted, urged).  The
deadline of the first task is moved into the past afterwards (no one may issue a task
that is overdue already).
"""
from __future__ import annotations

import io
import random
from datetime import datetime, time, timedelta

from openpyxl import Workbook
from sqlalchemy import select

from app.accounts.models import User
from app.core.actor import Actor
from app.core.clock import local_zone, today
from app.core.unit_of_work import unit_of_work
from app.evidence.demo import minimal_pdf
from app.evidence.services import Upload
from app.extensions import db
from app.models import utcnow
from app.tenancy.models import Tenant
from app.tenancy.session import tenant_context

from . import services
from app.notifications import demo as notices_demo

from .models import CityTask, TaskAssignment


def _form_workbook(title: str, headers: list[str]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.append(headers)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _pdf(name: str, lines: list[str]) -> Upload:
    return Upload(stream=io.BytesIO(minimal_pdf(lines)), filename=name)


def _xlsx(name: str, title: str, headers: list[str]) -> Upload:
    return Upload(stream=io.BytesIO(_form_workbook(title, headers)), filename=name)


def _actor(username: str, role: str) -> Actor:
    user = db.session.scalar(select(User).where(User.username == username))
    return Actor.city(user) if role.startswith("city") else Actor.bureau(user, role)


def _assignment(task_id: int, tenant: Tenant) -> TaskAssignment:
    return services.assignment_for(task_id, tenant.id)


def _act(tenant: Tenant, task_id: int, steps: str, *, text: str, files=(), reason: str = "") -> None:
    """Walk bureau ``tenant`` through ``steps``: r(ead), s(ign), a(nswer), R(eturn),
    A(ccept) — the city's steps as the demo city administrator."""
    editor = _actor(f"{tenant.slug}-editor", "bureau_editor")
    city = _actor("city", "city_admin")
    for step in steps:
        with tenant_context(tenant), unit_of_work():
            assignment = _assignment(task_id, tenant)
            if step == "r":
                services.mark_read(assignment, actor=editor)
            elif step == "s":
                services.sign(assignment, actor=editor)
            elif step == "a":
                services.submit_answer(assignment, {"text": text}, files=[f() for f in files], actor=editor)
            elif step == "R":
                services.review(assignment, "returned", reason, actor=city)
            elif step == "A":
                services.review(assignment, "accepted", "", actor=city)


def seed(bureaus: list[Tenant], rng: random.Random) -> None:
    """The city's tasks across the demo ``bureaus`` (after every bureau's own data)."""
    if not bureaus:
        return
    with unit_of_work():  # a rebuilt demo (--force) starts without the old city's tasks
        for old in db.session.scalars(select(CityTask)):
            db.session.delete(old)
    city = _actor("city", "city_admin")
    day = today()
    report_task = services.issue_task({
        "title": "报送2026年度落实全面从严治党主体责任情况报告",
        "body": "请各单位党组（党委）对照年度主体责任清单，总结本年度履行全面从严治党主体责任情况，"
                "重点写明“第一议题”制度落实、意识形态工作、基层党组织建设和作风建设等方面的主要做法、"
                "存在问题及下一步打算。报告经党组（党委）会议审议后加盖公章报送，字数控制在3000字以内。",
        "due_on": day.isoformat(), "scope": "all", "file_required": True},
        notice_files=[_pdf("关于报送2026年度落实全面从严治党主体责任情况报告的通知.pdf",
                           ["关于报送2026年度落实全面从严治党主体责任情况报告的通知", "市直机关工委"])], actor=city)
    form_task = services.issue_task({
        "title": "填报基层党组织按期换届情况统计表",
        "body": "请各单位填写附件统计表，逐个列明所属党支部（总支）上次换届时间、应换届时间和本年度换届完成情况，"
                "由机关党委审核后上传。尚未按期换届的，请在报送说明中写明原因和计划完成时间。",
        "due_on": (day + timedelta(days=5)).isoformat(), "scope": "all", "file_required": True},
        form_files=[_xlsx("基层党组织按期换届情况统计表.xlsx", "基层党组织按期换届情况统计表",
                          ["党组织名称", "上次换届时间", "应换届时间", "本年度是否完成换届", "未按期换届原因"])],
        notice_files=[_pdf("关于开展基层党组织按期换届情况统计的通知.pdf", ["关于开展基层党组织按期换届情况统计的通知"])],
        actor=city)
    social = [t for t in bureaus if t.category == "social"]
    case_task = None
    if social:
        case_task = services.issue_task({
            "title": "报送“我为群众办实事”实践活动典型案例",
            "body": "请社会事业部门各报送1至2个本年度“我为群众办实事”实践活动典型案例，每个案例1500字左右，"
                    "写明群众所急所盼、主要做法和取得的实效，可附图片。",
            "due_on": (day + timedelta(days=15)).isoformat(), "scope": "category", "category": "social",
            "file_required": False}, actor=city)

    report = lambda: _pdf("主体责任情况报告.pdf", ["2026年度落实全面从严治党主体责任情况报告", "（已经党组会议审议）"])
    table = lambda: _xlsx("换届情况统计表（已填）.xlsx", "基层党组织按期换届情况统计表",
                          ["党组织名称", "上次换届时间", "应换届时间", "本年度是否完成换届", "未按期换届原因"])
    count = len(bureaus)
    for index, tenant in enumerate(bureaus):
        share = index / max(1, count - 1)
        # The report: the first bureaus accepted, then returned-and-answered-again, then late, then overdue.
        if share < 0.45:
            _act(tenant, report_task.id, "rsaA", text="报告已经党组会议审议通过，现予报送。", files=[report])
        elif share < 0.6:
            _act(tenant, report_task.id, "rsaR", text="报送年度报告。", files=[report],
                 reason="报告未写明存在问题和下一步打算，且未加盖公章，请修改完善后重新报送。")
            _act(tenant, report_task.id, "a", text="已按要求补充存在问题及整改打算，加盖公章后重新报送。", files=[report])
        elif share < 0.75:
            _act(tenant, report_task.id, "rsa", text="报告已审议，请审阅。", files=[report])
        elif share < 0.9:
            _act(tenant, report_task.id, "rs", text="")
        # else: never opened.
        # The form: spread over every state.
        step = ("", "r", "rs", "rsa", "rsaR", "rsaA")[index % 6]
        if step:
            _act(tenant, form_task.id, step, text="已填写统计表，经机关党委审核。", files=[table],
                 reason="统计表中“应换届时间”填写有误，请核对党支部上次换届时间后重新填报。")
        if case_task is not None and tenant.category == "social" and index % 2 == 0:
            _act(tenant, case_task.id, "r", text="")
    _branch_task(bureaus, city, day)
    # The report's deadline is behind us: answers after it are late, the rest overdue.
    late = []
    with unit_of_work():
        task = services.get_task(report_task.id)
        task.due_on = day - timedelta(days=12)
        for assignment in task.assignments:
            if assignment.state == "submitted":
                assignment.late = True
                late.append(assignment.tenant_id)
    for tenant in bureaus:  # the notices of that task name its (moved) deadline
        notices_demo.retitle("task_received", f"/b/{tenant.slug}/tasks/{task.id}", day.isoformat(),
                             task.due_on.isoformat())
    for tenant in bureaus:
        if tenant.id in late:
            with tenant_context(tenant), unit_of_work():
                services.answers(report_task.id)[0].late = True
    _spread_in_time(bureaus, rng, {report_task.id: 24, form_task.id: 6, **({case_task.id: 1} if case_task else {})})
    task = services.get_task(report_task.id)
    if any(a.state in services.OWING for a in task.assignments):
        with unit_of_work():
            services.urge(task, actor=city)


#: What a demo branch reports on its 主题党日.
BRANCH_PARTS = ["本季度开展主题党日活动3次：重温入党誓词、赴红色教育基地参观学习、进社区开展志愿服务。",
                "开展主题党日活动2次，组织党员学习党的二十届四中全会精神，并到联系社区开展政策宣讲。",
                "围绕“我为群众办实事”开展主题党日活动，走访困难群众5户，解决实际问题3件。"]


def _branch_task(bureaus: list[Tenant], city: Actor, day) -> None:
    """The task of every branch, at different stages across the bureaus."""
    from app.orgs import services as orgs

    task = services.issue_task({
        "title": "报送各党支部第四季度主题党日活动开展情况",
        "body": "请各单位所属党支部分别填报本支部第四季度主题党日活动开展情况（时间、主题、参加人数、活动成效），"
                "可附活动照片或简报；各支部报送后，由机关党委汇总审核，统一报送。",
        "due_on": (day + timedelta(days=8)).isoformat(), "scope": "all", "per_branch": True}, actor=city)
    count = len(bureaus)
    for index, tenant in enumerate(bureaus):
        share = index / max(1, count - 1)
        if share > 0.8:
            continue  # not signed for yet
        editor = _actor(f"{tenant.slug}-editor", "bureau_editor")
        branch_user = _actor(f"{tenant.slug}-branch", "branch_editor")
        _act(tenant, task.id, "rs", text="")
        with tenant_context(tenant):
            units = orgs.branch_units()
            led = orgs.led_unit_ids(branch_user)
        written = units if share < 0.35 else units[: max(1, len(units) // 2)]
        for number, unit in enumerate(written):
            with tenant_context(tenant), unit_of_work():
                services.submit_branch_part(_assignment(task.id, tenant), unit.id,
                                            {"text": BRANCH_PARTS[number % len(BRANCH_PARTS)]},
                                            actor=branch_user if unit.id in led else editor)
        if share < 0.35 and units:
            _act(tenant, task.id, "a", text="各党支部材料已经机关党委审核汇总，现统一报送。")


def _spread_in_time(bureaus: list[Tenant], rng: random.Random, ages: dict[int, int]) -> None:
    """Give each task's steps the days they would have taken: issued ``ages[task]`` days
    ago, read within two days, signed within a day of reading, answered some days later
    (late answers after the deadline); the bureaus' answer rows follow."""
    now = utcnow()
    moments: dict[tuple[int, int], list] = {}
    with unit_of_work():
        for task_id, age in ages.items():
            task = services.get_task(task_id)
            issued = now - timedelta(days=age, hours=rng.randint(1, 6))
            task.created_at = issued
            for a in task.assignments:
                if a.read_at:
                    a.read_at = issued + timedelta(hours=rng.randint(2, 40))
                if a.signed_at:
                    a.signed_at = a.read_at + timedelta(hours=rng.randint(1, 20))
                if a.submitted_at:
                    due = datetime.combine(task.due_on, time(17), tzinfo=local_zone())
                    if a.late:
                        answered = due + timedelta(days=rng.randint(1, 8), hours=rng.randint(0, 6))
                    else:
                        answered = a.signed_at + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 8))
                        answered = min(answered, due, now - timedelta(hours=1))
                    a.submitted_at = max(answered, a.signed_at + timedelta(hours=1))
                    moments[(a.tenant_id, task_id)] = [a.submitted_at, a.rounds]
                if a.reviewed_at:
                    a.reviewed_at = min(a.submitted_at + timedelta(hours=rng.randint(3, 30)), now)
    for tenant in bureaus:
        mine = {task_id: value for (tenant_id, task_id), value in moments.items() if tenant_id == tenant.id}
        if not mine:
            continue
        with tenant_context(tenant), unit_of_work():
            for task_id, (last, rounds) in mine.items():
                for answer in services.answers(task_id):
                    answer.submitted_at = last - timedelta(days=2 * (rounds - answer.round))
