"""The demo city has city tasks in different states and notifications for its users."""
from __future__ import annotations

from sqlalchemy import func, select

from app.citytasks import services
from app.citytasks.models import CityTask, TaskAssignment
from app.extensions import db
from app.notifications.models import Notification


def test_demo_tasks_in_varied_states(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--bureaus", "6", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    tasks = db.session.scalars(select(CityTask).order_by(CityTask.id)).all()
    assert len(tasks) == 4
    report, form, cases, branches = tasks
    assert report.due_on < services.today() < form.due_on
    states = set(db.session.scalars(select(TaskAssignment.state).where(TaskAssignment.task_id.in_([report.id, form.id]))))
    assert {"unread", "read", "signed", "submitted", "returned", "accepted"} <= states
    board = services.board(report)
    assert board.overdue >= 1 and board.late >= 1 and board.counts["accepted"] >= 1
    assert {a.tenant_slug for a in cases.assignments} <= {t for t in db.session.scalars(
        select(services.Tenant.slug).where(services.Tenant.category == "social"))}
    # every branch answered and the bureau submitted / some branches still missing / not signed
    assert branches.per_branch
    stages = {(a.state, a.branches_done == a.branches_total) for a in branches.assignments}
    assert {("submitted", True), ("signed", False)} <= stages and any(a.state == "read" or a.state == "unread"
                                                                     for a in branches.assignments)
    assert all(a.branches_total >= 6 for a in branches.assignments if a.state != "unread")
    kinds = set(db.session.scalars(select(Notification.kind)))
    assert {"task_received", "task_returned", "task_accepted", "task_urged", "task_branch_part"} <= kinds
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.read_at.is_(None))) > 10
