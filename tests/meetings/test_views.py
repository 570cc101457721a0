"""The ledger page: a branch secretary records a 支委会 and sees the warning go."""
from __future__ import annotations

from app.core import clock
from tests.helpers import csrf_token_from, login


def test_a_secretary_records_a_meeting_on_the_ledger_page(client, bureau_a, tree):
    login(client, tree.branch1.username)
    url = f"/b/{bureau_a.slug}/meetings/units/{tree.first}"
    page = client.get(url).get_data(as_text=True)
    assert "本月尚未召开" in page and "支委会" in page
    response = client.post(url, data={"csrf_token": csrf_token_from(page), "kind": "committee",
                                      "held_on": clock.today().isoformat(),
                                      "topic": "研究发展党员工作", "expected": "18", "present": "17",
                                      "absences": "王五 外出培训", "minutes": "会议研究了发展对象人选。"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "研究发展党员工作" in page


def test_hostile_values_get_messages_not_errors(client, bureau_a, tree):
    login(client, bureau_a.admin.username)
    url = f"/b/{bureau_a.slug}/meetings/units/{tree.first}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token_from(page), "kind": "lecture",
                                      "held_on": "2026-02-30", "topic": "x" * 5000, "expected": "9" * 500,
                                      "present": "1e309", "absences": "\u202e坏人 " + "理" * 300})
    assert response.status_code == 400


def test_the_cadence_page_is_read_by_all_and_changed_by_administrators(app, client, bureau_a, tree):
    login(client, bureau_a.viewer.username)
    assert client.get(f"/b/{bureau_a.slug}/meetings/cadence").status_code == 200
    assert client.post(f"/b/{bureau_a.slug}/meetings/cadence", data={"committee": "3"}).status_code == 403
    branch = app.test_client()
    login(branch, tree.branch1.username)
    assert branch.get(f"/b/{bureau_a.slug}/meetings/cadence").status_code == 404
