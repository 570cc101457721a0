"""Issue 11, items 1 and 2: the bureau's clerk records progress for the leaders, the record
says who recorded it for whom (audit too), a refusal says why; the home page starts with
the account's own items and links every truncated list to the full filtered list."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from app.audit.models import TenantAuditEvent
from app.duties import services
from app.duties.models import DutyItem, ProgressRecord
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import login

from .test_records import _liaison_item, _post_record


def _text(response) -> str:
    return response.get_data(as_text=True)


def _secretary_item(bureau, ids) -> int:
    with tenant_context(bureau.tenant):
        return next(i.id for i in services.get_list(ids["list_id"]).items
                    if i.owner_id == ids["people"]["secretary"])


def test_the_clerk_records_for_the_secretary_and_the_record_says_so(app, client, bureau_a, bureau_list, today):
    item_id = _secretary_item(bureau_a, bureau_list)
    login(client, bureau_a.editor.username)
    page = _text(client.get(f"/b/{bureau_a.slug}/duties/items/{item_id}"))
    assert 'id="record-card"' in page and "本条记录计入王建国（党组书记、局长）名下" in page
    assert _post_record(client, bureau_a.slug, item_id, summary="代书记记录：主持党建工作领导小组会议").status_code == 302
    with tenant_context(bureau_a.tenant):
        record = db.session.scalars(select(ProgressRecord)).one()
        assert (record.author_id, record.for_person_id) == (bureau_a.editor.id, bureau_list["people"]["secretary"])
        assert record.for_person_name == "王建国" and record.author_name == bureau_a.editor.display_name
        event = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.action == "duty_record.create")).one()
        assert event.summary.startswith("为王建国记录履责情况")
        assert event.after["for_person"] == "王建国" and event.after["recorded_by"] == bureau_a.editor.display_name
        assert event.actor_name == bureau_a.editor.username
    page = _text(client.get(f"/b/{bureau_a.slug}/duties/items/{item_id}"))
    assert f"为王建国记录 · 记录人：{bureau_a.editor.display_name}" in page
    # the clerk may change the record they wrote, on the secretary's item
    with tenant_context(bureau_a.tenant):
        record_id, version = record.id, record.version
    assert client.get(f"/b/{bureau_a.slug}/duties/records/{record_id}/edit").status_code == 200
    assert client.post(f"/b/{bureau_a.slug}/duties/records/{record_id}/edit",
                       data={"occurred_on": "2026-03-11", "summary": "改", "count": "1",
                             "version": version}).status_code == 302


def test_own_records_read_plainly_and_the_counts_follow_the_owner(app, client, bureau_a, bureau_list, today):
    item_id = _liaison_item(bureau_a, bureau_list)
    login(client, bureau_a.editor.username)
    assert _post_record(client, bureau_a.slug, item_id).status_code == 302
    page = _text(client.get(f"/b/{bureau_a.slug}/duties/items/{item_id}"))
    assert f"记录人：{bureau_a.editor.display_name}" in page and "为杨晓东记录" not in page
    with tenant_context(bureau_a.tenant):
        event = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.action == "duty_record.create")).one()
        assert event.summary.startswith("记录履责情况")  # the owner's own account: no "为…"


def test_who_may_not_record_is_told_why(app, client, city_viewer, bureau_a, bureau_list, today):
    item_id = _secretary_item(bureau_a, bureau_list)
    login(client, bureau_a.viewer.username)
    page = _text(client.get(f"/b/{bureau_a.slug}/duties/items/{item_id}"))
    assert 'id="record-card"' not in page
    assert "您的账号在本单位只能查看" in page and "单位填报人" in page
    assert _post_record(client, bureau_a.slug, item_id).status_code == 403
    client.post("/logout")
    login(client, "leader")
    page = _text(client.get(f"/b/{bureau_a.slug}/duties/items/{item_id}"))
    assert "市直机关工委的账号只能查看各单位的履责纪实" in page and 'id="record-card"' not in page


def test_an_editor_cannot_change_another_ones_record(app, client, bureau_a, bureau_list, today):
    from tests.helpers import admin_of

    item_id = _secretary_item(bureau_a, bureau_list)
    with tenant_context(bureau_a.tenant):
        theirs = services.add_record(db.session.get(DutyItem, item_id), {"occurred_on": "2026-04-01", "summary": "管理员补录"},
                                     actor=admin_of(bureau_a))
        record_id, version = theirs.id, theirs.version
        assert services.change_refusal(theirs, services.Actor.bureau(bureau_a.editor, "bureau_editor")).startswith(
            "本条由")
    login(client, bureau_a.editor.username)
    page = _text(client.get(f"/b/{bureau_a.slug}/duties/items/{item_id}"))
    assert f"/records/{record_id}/edit" not in page
    assert "他人记录的条目，由记录人本人或本单位管理员修改" in page
    assert client.post(f"/b/{bureau_a.slug}/duties/records/{record_id}/delete",
                       data={"version": version}).status_code == 403


def _home(client, bureau) -> str:
    return _text(client.get(f"/b/{bureau.slug}/"))


def test_home_starts_with_my_items_then_the_rest_with_links_to_all(app, client, bureau_a, bureau_list, today):
    with tenant_context(bureau_a.tenant):
        duty_list = services.get_list(bureau_list["list_id"])
        # twenty items due this month: four of them the liaison's (the editor's person)
        month = [i for i in duty_list.items][:20]
        for n, item in enumerate(month):
            item.due_date = date(2026, 5, 20 + n % 10)
            item.owner_id = bureau_list["people"]["liaison"] if n < 4 else bureau_list["people"]["secretary"]
        db.session.commit()
        mine = {i.id for i in month[:4]}
    login(client, bureau_a.editor.username)
    home = _home(client, bureau_a)
    assert home.index('id="home-mine"') < home.index('id="home-bureau"')
    mine_due = home[home.index('id="mine-due"'):home.index('id="home-bureau"')]
    assert {int(i) for i in re.findall(r"/duties/items/(\d+)", mine_due)} == mine
    rest_due = home[home.index('id="bureau-due"'):]
    shown = re.findall(r"/duties/items/(\d+)", rest_due.split("</ul>")[0])
    assert len(shown) == 15 and not mine & {int(i) for i in shown}
    # the truncated list links to the whole filtered list, which shows all of them
    link = re.search(r'href="([^"]*due=month[^"]*)"', rest_due).group(1).replace("&amp;", "&")
    assert "查看本单位全部20项（含我的）" in rest_due
    full = _text(client.get(link))
    assert full.count('<tr id="item-') == 20
    mine_link = re.search(r'href="([^"]*due=month[^"]*)"', mine_due)
    assert mine_link is None  # four rows: nothing truncated, no link
    # an account with no person: the whole bureau, no "mine" section
    client.post("/logout")
    login(client, bureau_a.admin.username)
    home = _home(client, bureau_a)
    assert 'id="home-mine"' not in home and "查看全部" in home


def test_the_due_this_month_filter(app, client, bureau_a, bureau_list, today):
    with tenant_context(bureau_a.tenant):
        items = services.get_list(bureau_list["list_id"]).items
        items[0].due_date, items[1].due_date, items[2].due_date = date(2026, 5, 31), date(2026, 5, 2), date(2026, 6, 1)
        db.session.commit()
        ids = [i.id for i in items[:3]]
    login(client, bureau_a.admin.username)
    page = _text(client.get(f"/b/{bureau_a.slug}/duties/{bureau_list['list_id']}?due=month"))
    assert f'id="item-{ids[0]}"' in page  # due 31 May
    assert f'id="item-{ids[1]}"' not in page  # due 2 May: overdue on 15 May
    assert f'id="item-{ids[2]}"' not in page  # June
    assert _text(client.get(f"/b/{bureau_a.slug}/duties/{bureau_list['list_id']}?due=%00x")).count('<tr id="item-') > 3


def test_the_migration_attributes_older_records_to_the_items_owner(app, bureau_a, bureau_list, today):
    """Revision 0005 fills in for whom the records written before it were (the owner)."""
    from app.tenancy import migrations
    from tests.helpers import admin_of

    item_id = _secretary_item(bureau_a, bureau_list)
    with tenant_context(bureau_a.tenant):
        services.add_record(db.session.get(DutyItem, item_id), {"occurred_on": "2026-04-01", "summary": "旧记录"},
                            actor=admin_of(bureau_a))
    store, ref, where = app.extensions["zeren.tenant_store"], bureau_a.tenant.ref, app.config["MIGRATIONS_DIR"]
    migrations.downgrade_tenant(store, ref, where, "0004_findings")
    with tenant_context(bureau_a.tenant):
        # The inspector reads the catalog's schema unless told the bureau's (PostgreSQL).
        assert "for_person_name" not in {c["name"] for c in db.inspect(db.session.connection(
            bind_arguments={"mapper": DutyItem})).get_columns("progress_records", schema=ref.schema)}
    migrations.upgrade_tenant(store, ref, where)
    with tenant_context(bureau_a.tenant):
        record = db.session.scalars(select(ProgressRecord)).one()
        assert (record.for_person_id, record.for_person_name) == (bureau_list["people"]["secretary"], "王建国")
