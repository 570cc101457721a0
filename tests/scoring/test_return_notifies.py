"""A score sheet returned to the bureau notifies its administrators and editors."""
from __future__ import annotations

from app.notifications import services as notifications
from app.scoring import services
from app.tenancy.session import tenant_context
from tests.helpers import city_of, start_and_fill

YEAR = 2026


def test_a_returned_sheet_notifies_the_bureau(client, bureau_a, assigned, city_admin):
    start_and_fill(client, bureau_a, submit=True)
    with tenant_context(bureau_a.tenant):
        sheet = services.get_sheet(YEAR)
        services.reopen(sheet, target="draft", reason="自评依据不足，请补充佐证材料", version=sheet.version,
                        actor=city_of(city_admin))
    rows, _total = notifications.page_for(bureau_a.editor.id)
    assert [r.kind for r in rows] == ["sheet_returned"]
    assert "自评依据不足" in rows[0].title and rows[0].link == "/b/bureau-a/scoring/"
    assert notifications.unread_count(bureau_a.admin.id) == 1
    assert notifications.unread_count(bureau_a.viewer.id) == 0
