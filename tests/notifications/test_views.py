"""The notification centre page: unread count in the navigation, list, mark read, open."""
from __future__ import annotations

from app.notifications import services as notifications
from tests.helpers import csrf_token_from, login


def _two_for_the_editor(bureau):
    notifications.notify([bureau.editor.id], "task_received", "新任务：报送上半年党建工作总结", "/b/bureau-a/",
                         tenant=bureau.tenant)
    return notifications.notify([bureau.editor.id], "record_returned", "记录被退回：请补充会议纪要", "/b/bureau-a/duties/",
                                tenant=bureau.tenant)[0]


def test_the_bell_shows_the_unread_count_and_the_list_shows_them(client, bureau_a):
    _two_for_the_editor(bureau_a)
    login(client, "bureau-a-editor")
    home = client.get("/b/bureau-a/", follow_redirects=True).get_data(as_text=True)
    assert 'id="nav-unread">2' in home
    page = client.get("/notifications/").get_data(as_text=True)
    assert "新任务：报送上半年党建工作总结" in page and "记录被退回" in page
    assert page.count('data-unread="1"') == 2


def test_open_marks_read_and_follows_the_link(client, bureau_a):
    row = _two_for_the_editor(bureau_a)
    login(client, "bureau-a-editor")
    token = csrf_token_from(client.get("/notifications/").get_data(as_text=True))
    answer = client.post(f"/notifications/{row.id}/open", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/b/bureau-a/duties/")
    assert notifications.unread_count(bureau_a.editor.id) == 1
    client.post("/notifications/read-all", data={"csrf_token": token})
    assert notifications.unread_count(bureau_a.editor.id) == 0


def test_filters(client, bureau_a):
    _two_for_the_editor(bureau_a)
    login(client, "bureau-a-editor")
    page = client.get("/notifications/?kind=record_returned").get_data(as_text=True)
    assert "记录被退回" in page and "新任务：报送" not in page
    assert client.get("/notifications/?kind=%00<script>&page=99999999999999999999&unread=x").status_code == 200


def test_another_users_notification_is_not_found(client, bureau_a, bureau_b):
    row = _two_for_the_editor(bureau_a)
    login(client, "bureau-b-editor")
    token = csrf_token_from(client.get("/notifications/").get_data(as_text=True))
    assert client.post(f"/notifications/{row.id}/read", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/notifications/{row.id}/open", data={"csrf_token": token}).status_code == 404
    assert notifications.unread_count(bureau_a.editor.id) == 2


def test_anonymous_users_are_sent_to_log_in(client):
    answer = client.get("/notifications/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
