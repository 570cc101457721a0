"""The notification service: recipients, the unit of work, own notifications only."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import NotFound, ValidationError
from app.core.unit_of_work import writes
from app.extensions import db
from app.notifications import services as notifications
from app.notifications.models import Notification
from app.tenancy.session import tenant_context
from tests.helpers import admin_of, city_of, editor_of


def _count(**where) -> int:
    query = select(func.count(Notification.id))
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return db.session.scalar(query)


def test_roles_resolve_to_the_members_of_that_bureau_only(bureau_a, bureau_b, city_admin):
    rows = notifications.notify(notifications.bureau_role(bureau_a.tenant, "bureau_admin", "bureau_editor"),
                                "task_received", "新任务：报送材料", "/b/bureau-a/", tenant=bureau_a.tenant)
    assert sorted(r.user_id for r in rows) == sorted([bureau_a.admin.id, bureau_a.editor.id])
    assert _count(user_id=bureau_b.admin.id) == 0
    everyone = notifications.notify(notifications.bureau_role(bureau_b.tenant), "task_urged", "督办", "/")
    assert sorted(r.user_id for r in everyone) == sorted([bureau_b.admin.id, bureau_b.editor.id, bureau_b.viewer.id])
    city = notifications.notify(notifications.city_role(), "task_answered", "已提交", "/city/")
    assert [r.user_id for r in city] == [city_admin.id]
    assert city[0].tenant_id is None


def test_the_actor_is_not_told_of_their_own_act_and_inactive_users_never(bureau_a):
    bureau_a.viewer.active = False
    db.session.commit()
    rows = notifications.notify(notifications.bureau_role(bureau_a.tenant), "record_returned", "退回", "/",
                                tenant=bureau_a.tenant, actor=admin_of(bureau_a))
    assert [r.user_id for r in rows] == [bureau_a.editor.id]


def test_the_bound_bureau_is_the_default_and_titles_and_links_are_tidied(bureau_a):
    with tenant_context(bureau_a.tenant):
        rows = notifications.notify([bureau_a.editor.id], "record_returned", "  退回\n\n原因：材料不全  " + "长" * 300,
                                    "https://evil.example/")
        row_id = rows[0].id
    row = db.session.get(Notification, row_id)
    assert row.tenant_slug == "bureau-a" and row.tenant_id == bureau_a.tenant.id
    assert row.title.startswith("退回 原因：材料不全") and len(row.title) == 200
    assert row.link == ""  # only same-site paths are kept


def test_a_notification_rolls_back_with_the_event_that_caused_it(bureau_a):
    @writes
    def refused_event():
        notifications.notify([bureau_a.editor.id], "task_returned", "退回", "/")
        raise ValidationError("refused", {"reason": ["x"]})

    with pytest.raises(ValidationError):
        refused_event()
    assert _count(user_id=bureau_a.editor.id) == 0


def test_a_user_reads_and_marks_only_their_own(bureau_a, bureau_b):
    mine = notifications.notify([bureau_a.editor.id, bureau_a.admin.id], "task_received", "新任务", "/")
    theirs = notifications.notify([bureau_b.editor.id], "task_received", "新任务", "/")
    editor = editor_of(bureau_a)
    assert notifications.unread_count(bureau_a.editor.id) == 1
    with pytest.raises(NotFound):
        notifications.mark_read(theirs[0].id, actor=editor)
    with pytest.raises(NotFound):
        notifications.mark_read(10 ** 30, actor=editor)
    own = next(r for r in mine if r.user_id == bureau_a.editor.id)
    notifications.mark_read(own.id, actor=editor)
    assert notifications.unread_count(bureau_a.editor.id) == 0
    assert notifications.unread_count(bureau_a.admin.id) == 1
    assert notifications.unread_count(bureau_b.editor.id) == 1


def test_mark_all_read_touches_only_the_actor(bureau_a, bureau_b, city_admin):
    notifications.notify([bureau_a.editor.id] * 3 + [city_admin.id], "task_received", "新任务", "/")
    for _ in range(3):
        notifications.notify([bureau_a.editor.id, city_admin.id], "task_received", "新任务", "/")
    assert notifications.mark_all_read(actor=editor_of(bureau_a)) == 4
    assert notifications.unread_count(bureau_a.editor.id) == 0
    assert notifications.unread_count(city_admin.id) == 4
    assert notifications.mark_all_read(actor=city_of(city_admin)) == 4


def test_page_filters_and_counts(bureau_a):
    for n in range(35):
        notifications.notify([bureau_a.editor.id], "task_received" if n % 2 else "task_urged", f"第{n}条", "/")
    rows, total = notifications.page_for(bureau_a.editor.id, 1)
    assert total == 35 and len(rows) == notifications.PAGE_SIZE and rows[0].title == "第34条"
    rows, total = notifications.page_for(bureau_a.editor.id, 1, kind="task_urged")
    assert total == 18
    assert notifications.kinds_for(bureau_a.editor.id) == ["task_received", "task_urged"]
