"""Reminders: the list and the navigation count agree; the daily digest e-mail through a
local SMTP sink (aiosmtpd), its content and its once-a-day idempotency."""
from __future__ import annotations

import email
import socket
from datetime import date, timedelta
from email.policy import default as default_policy

import pytest
from sqlalchemy import select

from app.core.actor import Actor
from app.evidence.models import Attachment
from app.duties.models import DutyItem, DutyList, ProgressRecord
from app.extensions import db
from app.findings import reminders, services
from app.findings.models import ReminderDigest
from app.tenancy.session import tenant_context

from tests.helpers import add_evidence, admin_of, city_of, make_finding


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """Collects the messages an aiosmtpd server receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_FROM="zeren@jgswj.example.gov.cn",
                      SMTP_STARTTLS=False, SMTP_USER=None)
    try:
        yield sink
    finally:
        controller.stop()


def _duty_items(bureau, people, day: date) -> dict:
    """Duty items in every state the reminder rules care about."""
    with tenant_context(bureau.tenant):
        current = DutyList(year=day.year, title="本年度主体责任清单", status="published", areas=[])
        archived = DutyList(year=day.year - 1, title="上年度主体责任清单", status="archived", areas=[])

        def item(duty_list, content, due, owner=people.liaison, expected=1, **extra):
            row = DutyItem(duty_list=duty_list, category="party_group", area="organisational", content=content,
                           due_date=due, owner_id=owner, expected_count=expected, **extra)
            db.session.add(row)
            return row

        due_soon = item(current, "召开党建工作领导小组会议", day + timedelta(days=5))
        overdue = item(current, "完成党支部换届", day - timedelta(days=3), owner=people.secretary)
        later = item(current, "年度述职评议", day + timedelta(days=40))
        done = item(current, "制定年度工作要点", day + timedelta(days=2))
        db.session.add(ProgressRecord(item=done, occurred_on=day, summary="已印发", count=1))
        marked = item(current, "开展警示教育", day + timedelta(days=2), expected=4, marked_done=True)
        record = ProgressRecord(item=marked, occurred_on=day, summary="已开展", count=1)
        record.attachments.append(Attachment(sha256="a" * 64, size=10, kind="pdf", original_name="a.pdf"))
        db.session.add(record)
        marked_no_evidence = item(current, "开展谈心谈话", day + timedelta(days=1), expected=4, marked_done=True)
        item(archived, "上年度遗留事项", day - timedelta(days=100))
        db.session.add_all([current, archived])
        db.session.commit()
        return {"due_soon": due_soon.id, "overdue": overdue.id, "later": later.id, "done": done.id,
                "marked": marked.id, "marked_no_evidence": marked_no_evidence.id}


@pytest.fixture
def scenario(app, bureau_a, people, city_admin):
    day = services.today()
    items = _duty_items(bureau_a, people, day)
    findings = {
        "mine_soon": make_finding(bureau_a, person_id=people.liaison, description="主题党日活动内容单一",
                                  due_on=day + timedelta(days=7)),
        "mine_late": make_finding(bureau_a, person_id=people.liaison, description="党费收缴不规范",
                                  found_on=day - timedelta(days=40), due_on=day - timedelta(days=10)),
        "other_soon": make_finding(bureau_a, person_id=people.secretary, description="警示教育频次不足",
                                   due_on=day),
        "far": make_finding(bureau_a, person_id=people.liaison, description="远期问题", due_on=day + timedelta(days=8)),
        "city": make_finding(bureau_a, actor=city_of(city_admin), person_id=people.member,
                             description="工委督查：三会一课记录不规范", measures="规范记录"),
    }
    # a submitted finding is the verifier's turn, not a reminder for the bureau
    admin = admin_of(bureau_a)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(findings["city"])
        services.transition(finding, "start", version=finding.version, actor=admin)
    add_evidence(bureau_a, findings["city"], admin)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(findings["city"])
        services.transition(finding, "submit", version=finding.version, actor=admin)
    return {"day": day, "items": items, "findings": findings}


def test_the_list_follows_the_rules_and_the_count_agrees(app, bureau_a, scenario):
    day, items, found = scenario["day"], scenario["items"], scenario["findings"]
    with tenant_context(bureau_a.tenant):
        mine = reminders.reminders_for(day, user_id=bureau_a.editor.id, role="bureau_editor")
        everything = reminders.reminders_for(day, user_id=bureau_a.admin.id, role="bureau_admin")
        viewer = reminders.reminders_for(day, user_id=bureau_a.viewer.id, role="bureau_viewer")
        assert {(r.kind, r.id) for r in mine} == {
            ("finding", found["mine_soon"]), ("finding", found["mine_late"]),
            ("duty_item", items["due_soon"]), ("duty_item", items["marked_no_evidence"])}
        assert {(r.kind, r.id) for r in everything} == {(r.kind, r.id) for r in mine} | {
            ("finding", found["other_soon"]), ("duty_item", items["overdue"])}
        assert viewer == []
        assert everything[0].overdue and not everything[-1].overdue  # overdue first
        for user, role, listed in ((bureau_a.editor.id, "bureau_editor", mine),
                                   (bureau_a.admin.id, "bureau_admin", everything),
                                   (bureau_a.viewer.id, "bureau_viewer", viewer)):
            assert reminders.count_for(day, user_id=user, role=role) == len(listed)
        assert reminders.count_for(day, user_id=bureau_a.admin.id, role="reader") == 0
        # a week later the far one is overdue too and the count still agrees
        later = day + timedelta(days=9)
        listed = reminders.reminders_for(later, user_id=bureau_a.editor.id, role="bureau_editor")
        assert ("finding", found["far"]) in {(r.kind, r.id) for r in listed}
        assert reminders.count_for(later, user_id=bureau_a.editor.id, role="bureau_editor") == len(listed)


def test_items_without_a_due_date_are_due_at_the_end_of_their_year(app, bureau_a, people):
    with tenant_context(bureau_a.tenant):
        duty_list = DutyList(year=2026, title="2026年度清单", status="published", areas=[])
        db.session.add(DutyItem(duty_list=duty_list, category="party_group", area="political", content="全年事项",
                                owner_id=people.liaison))
        db.session.commit()
        for day, expected in ((date(2026, 12, 23), 0), (date(2026, 12, 24), 1), (date(2027, 1, 5), 1)):
            listed = reminders.duty_reminders(day)
            assert len(listed) == expected, day
            assert reminders.count_for(day, user_id=bureau_a.admin.id, role="bureau_admin") == expected, day


def test_an_item_started_mid_year_is_done_at_its_share_in_the_list_and_the_badge(app, bureau_a, people):
    from datetime import datetime, timezone

    with tenant_context(bureau_a.tenant):
        duty_list = DutyList(year=2026, title="2026年度清单", status="published", areas=[],
                             published_at=datetime(2026, 1, 5, tzinfo=timezone.utc))
        october = datetime(2026, 10, 10, tzinfo=timezone.utc)  # added when a member joined: owes 3 of 12
        shares = {}
        for name, recorded in (("done_at_share", 3), ("one_short", 2)):
            item = DutyItem(duty_list=duty_list, category="party_group", area="political", content=name,
                            cadence="monthly", expected_count=12, due_date=date(2026, 12, 31),
                            owner_id=people.liaison, created_at=october)
            db.session.add(item)
            db.session.flush()
            db.session.add(ProgressRecord(item_id=item.id, occurred_on=date(2026, 11, 20), summary="学习记录",
                                          count=recorded, author_name="联络员"))
            shares[name] = item.id
        db.session.commit()
        day = date(2027, 1, 5)
        listed = {r.id for r in reminders.duty_reminders(day)}
        assert listed == {shares["one_short"]}
        assert reminders.count_for(day, user_id=bureau_a.admin.id, role="bureau_admin") == len(listed)


def _set_email(user, address):
    user = db.session.merge(user)
    user.email = address
    db.session.commit()


def test_the_daily_digest(app, bureau_a, city_admin, scenario, smtp):
    _set_email(bureau_a.editor, "liaison@czj.example.gov.cn")
    _set_email(bureau_a.admin, "admin@czj.example.gov.cn")
    _set_email(city_admin, "duchaz@gw.example.gov.cn")
    runner = app.test_cli_runner()
    day = scenario["day"].isoformat()

    dry = runner.invoke(args=["reminders", "send", "--dry-run", "--date", day])
    assert dry.exit_code == 0, dry.output
    assert "would send   bureau-a-editor <liaison@czj.example.gov.cn>: 4 reminders (1 overdue)" in dry.output
    assert "党费收缴不规范" in dry.output and "dry run: 3 digests would be sent" in dry.output
    assert smtp.messages == [] and db.session.scalar(select(ReminderDigest.id)) is None

    sent = runner.invoke(args=["reminders", "send", "--date", day])
    assert sent.exit_code == 0, sent.output
    assert "3 sent, 0 already sent today, 0 failed" in sent.output
    by_address = {m["To"].addresses[0].addr_spec: m for m in smtp.messages}
    assert set(by_address) == {"liaison@czj.example.gov.cn", "admin@czj.example.gov.cn", "duchaz@gw.example.gov.cn"}

    liaison = by_address["liaison@czj.example.gov.cn"]
    assert liaison["From"] == "zeren@jgswj.example.gov.cn"
    assert "逾期 1 项，共 4 项" in liaison["Subject"]
    text = liaison.get_content()
    assert "【市财政局】" in text
    assert "[督查问题] 党费收缴不规范" in text and "已逾期 10 天" in text
    assert "[督查问题] 主题党日活动内容单一" in text and "剩余 7 天" in text
    assert "[责任事项] 召开党建工作领导小组会议" in text and "[责任事项] 开展谈心谈话" in text
    assert "警示教育频次不足" not in text and "远期问题" not in text and "制定年度工作要点" not in text
    assert text.index("党费收缴不规范") < text.index("主题党日活动内容单一")  # overdue first

    admin = by_address["admin@czj.example.gov.cn"].get_content()
    assert "警示教育频次不足" in admin and "今日" in admin and "完成党支部换届" in admin
    city = by_address["duchaz@gw.example.gov.cn"].get_content()
    assert "工委督查：三会一课记录不规范" in city and "待工委核验" in city and "【市财政局】" in city

    again = runner.invoke(args=["reminders", "send", "--date", day])
    assert again.exit_code == 0 and "0 sent, 3 already sent today, 0 failed" in again.output
    assert len(smtp.messages) == 3
    # Four reminders, and the notification of the finding the city raised in the bureau.
    assert db.session.scalar(select(ReminderDigest).where(ReminderDigest.user_id == bureau_a.editor.id)).items == 5

    tomorrow = (scenario["day"] + timedelta(days=1)).isoformat()
    next_day = runner.invoke(args=["reminders", "send", "--date", tomorrow])
    assert "3 sent" in next_day.output and len(smtp.messages) == 6


def test_no_address_no_mail_and_a_broken_server_is_reported(app, bureau_a, scenario):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "0 sent" in result.output
    _set_email(bureau_a.editor, "liaison@czj.example.gov.cn")
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port())
    failed = runner.invoke(args=["reminders", "send"])
    assert failed.exit_code == 1 and "cannot reach the SMTP server" in failed.output
    assert db.session.scalar(select(ReminderDigest.id)) is None  # nothing recorded: the next run retries
    assert runner.invoke(args=["reminders", "send", "--date", "26/11/2026"]).exit_code == 2


def test_users_set_their_own_address(app, client, bureau_a):
    from tests.helpers import login

    login(client, bureau_a.editor.username)
    bad = client.post(f"/b/{bureau_a.slug}/reminders/email", data={"email": "not an address"})
    assert bad.status_code == 400
    ok = client.post(f"/b/{bureau_a.slug}/reminders/email", data={"email": "sun@czj.example.gov.cn"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(bureau_a.editor), bureau_a.editor.id).email == "sun@czj.example.gov.cn"
    client.post(f"/b/{bureau_a.slug}/reminders/email", data={"email": ""})
    db.session.expire_all()
    assert db.session.get(type(bureau_a.editor), bureau_a.editor.id).email is None


def test_new_users_can_get_an_address(app, client, bureau_a, city_admin):
    from tests.helpers import login

    login(client, bureau_a.admin.username)
    response = client.post(f"/b/{bureau_a.slug}/users", data={
        "username": "zhou", "display_name": "周同志", "role": "bureau_editor", "email": "zhou@czj.example.gov.cn",
        "password": "Long-enough-password"})
    assert response.status_code == 302
    bad = client.post(f"/b/{bureau_a.slug}/users", data={
        "username": "wu", "display_name": "吴同志", "role": "bureau_editor", "email": "wu at czj",
        "password": "Long-enough-password"})
    assert bad.status_code == 200 and "name@example.gov.cn" in bad.get_data(as_text=True)
    from app.accounts.models import User

    assert db.session.scalar(select(User.email).where(User.username == "zhou")) == "zhou@czj.example.gov.cn"
    assert db.session.scalar(select(User.id).where(User.username == "wu")) is None


def test_the_digest_carries_the_days_notifications(app, bureau_a, bureau_b, smtp):
    """The e-mail is built from the same events as the notification centre: a user with
    unread notifications and no reminder gets one; notifications already read are left out."""
    from app.notifications import services as notifications

    _set_email(bureau_b.editor, "liaison@jyj.example.gov.cn")
    notifications.notify([bureau_b.editor.id], "task_received", "市委下发新任务：报送党建工作总结（截止 2026-12-20）", "/",
                         tenant=bureau_b.tenant)
    read = notifications.notify([bureau_b.editor.id], "task_urged", "已读的督办", "/", tenant=bureau_b.tenant)[0]
    notifications.mark_read(read.id, actor=Actor.bureau(bureau_b.editor, "bureau_editor"))
    sent = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert sent.exit_code == 0, sent.output
    (message,) = smtp.messages
    text = message.get_content()
    assert "1 条新通知" in message["Subject"]
    assert "【新通知】" in text and "[新任务] 市委下发新任务：报送党建工作总结" in text
    assert "已读的督办" not in text
