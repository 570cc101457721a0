"""The audit log reads as a story (issue 11, item 12): the person's name, what they did to
which item, and field by field what changed, with Chinese field names and labels."""
from __future__ import annotations

import re

from app.audit import story
from app.duties import services as duties
from app.duties.models import DutyItem
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import admin_of, login


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_an_item_change_reads_as_a_story(app, client, bureau_a, bureau_list):
    with tenant_context(bureau_a.tenant):
        item = db.session.get(DutyItem, bureau_list["item_ids"][0])
        data = duties.item_snapshot(item)
        data.update(cadence="quarterly", expected_count="4", due_date="2026-12-20",
                    owner_id=bureau_list["people"]["secretary"])
        duties.update_item(item, data, version=item.version, actor=admin_of(bureau_a))
        db.session.commit()
        content = item.content
    login(client, bureau_a.admin.username)
    page = client.get(f"/b/{bureau_a.slug}/audit/").get_data(as_text=True)
    entry = re.search(r'<li class="card mb-2">.*?</li>', page, re.S).group(0)
    text = _text(entry)
    assert "市财政局管理员" in text  # the account's display name, not "bureau-a-admin"
    assert "bureau-a-admin" not in text
    assert "修改事项" in text and content[:10] in text
    assert "责任事项" in text  # what kind of thing
    assert re.search(r"频次 每月 → (改为 )?每季度", text), text  # field by field, in Chinese
    assert re.search(r"完成时限 2026-12-31 → (改为 )?2026-12-20", text)
    assert "cadence" not in text and "owner_id" not in text and "duty_item.update" not in text


def test_values_as_a_reader_sees_them(app):
    with app.test_request_context():
        assert story.text_of("marked_done", True) == "是"
        assert story.text_of("summary", None) == "（空）"
        assert story.text_of("counts", {"好": 8, "较好": 1}) == "好：8；较好：1"
        assert story.text_of("cadence", "monthly") == "每月"
        assert story.text_of("summary", "长" * 500).endswith("…")
        changes = story.changes_of({"owner_id": 1, "owner": "王", "cadence": "once"},
                                   {"owner_id": 2, "owner": "李", "cadence": "once"})
        assert [(c.label, c.before, c.after) for c in changes] == [("责任人", "王", "李")]
        created = story.changes_of(None, {"title": "清单"})
        assert created[0].before is None and created[0].after == "清单"


def test_system_and_city_events_name_people(app, client, city_admin, bureau_a):
    login(client, "city")
    page = client.get("/city/audit/").get_data(as_text=True)
    assert "创建单位" in page and "<code>tenant.create</code>" not in page
    assert "市财政局" in page  # the bureau by name, not by slug


def test_year_locks_show_who_by_name(app, client, city_admin):
    from app.years import services as years
    from tests.helpers import city_of

    years.lock_year(2025, reason="年度考核结束", actor=city_of(city_admin))
    db.session.commit()
    login(client, "city")
    page = client.get("/city/years/").get_data(as_text=True)
    row = re.search(r"<td class=\"fw-bold\">2025</td>.*?</tr>", page, re.S).group(0)
    assert city_admin.display_name in row and ">city<" not in row


def test_log_ins_are_left_out_unless_asked(app, client, city_admin, bureau_a):
    login(client, "city")
    page = client.get("/city/audit/").get_data(as_text=True)
    assert 'id="show-logins"' in page and not re.search(r"audit-who\">[^<]*</strong> 登录", page)
    shown = client.get("/city/audit/?logins=1").get_data(as_text=True)
    assert re.search(r"audit-who\">[^<]*</strong> 登录", shown)


def test_codes_in_summaries_and_empty_fields(app):
    from app.audit import labels

    with app.test_request_context():
        assert labels.readable_codes("sfj-viewer 角色设为 bureau_viewer") == "sfj-viewer 角色设为 单位查看人"
        assert story.changes_of({"removed": []}, {"removed": [], "added": ["sfj"]})[0].label == "新增"
        assert len(story.changes_of({"removed": []}, {"removed": [], "added": ["sfj"]})) == 1


def test_an_account_acted_upon_is_named_by_its_person(app, bureau_a):
    from app.audit.models import CatalogAuditEvent
    from sqlalchemy import select

    created = db.session.scalars(select(CatalogAuditEvent).where(CatalogAuditEvent.action == "user.create")).all()
    summaries = [event.summary for event in created]
    assert f"创建用户 {bureau_a.admin.display_name}（{bureau_a.admin.username}）" in summaries, summaries
