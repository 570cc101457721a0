"""Events of other features that ask someone to act notify them."""
from __future__ import annotations

from app.notifications import services as notifications
from tests.helpers import admin_of, city_of, make_finding


def test_a_finding_raised_by_the_city_notifies_the_bureau(bureau_a, city_admin, people):
    finding_id = make_finding(bureau_a, actor=city_of(city_admin))
    rows, _total = notifications.page_for(bureau_a.admin.id)
    assert [(r.kind, r.link) for r in rows] == [("finding_raised", f"/b/bureau-a/findings/{finding_id}")]
    assert notifications.unread_count(bureau_a.editor.id) == 1


def test_the_bureaus_own_finding_notifies_no_one(bureau_a, people):
    make_finding(bureau_a, actor=admin_of(bureau_a))
    assert notifications.unread_count(bureau_a.editor.id) == 0
