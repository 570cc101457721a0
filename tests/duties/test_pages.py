"""The acceptance path in the browser's shoes, and what each page shows."""
from __future__ import annotations

import io
import re

from sqlalchemy import select

from app.duties import catalog, services
from app.duties.models import DutyItem, DutyList
from app.people.models import Person
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import SYSTEM, add_people, login, pdf_bytes


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_admin_creates_the_2026_list_assigns_an_owner_records_with_a_pdf_and_sees_progress(
        app, client, city_admin, bureau_a, bureau_b, today):
    # the city publishes its template (in the browser too)
    login(client, "city")
    client.post("/city/duty-templates/new", data={"year": "2026", "source": "default"})
    template = catalog.list_templates()[0]
    client.post(f"/city/duty-templates/{template.id}/publish", data={"version": template.version})
    client.post("/logout")

    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/duties"
    assert "尚未建立责任清单" in _text(client.get(f"{base}/"))
    assert client.post(f"{base}/people", data={"name": "王建国", "post": "党组书记、局长", "kind": "secretary",
                                               "user_id": "", "sort_order": "", "active": "y"}).status_code == 302
    form = _text(client.get(f"{base}/new"))
    assert "2026年度落实全面从严治党（机关党建）主体责任清单（第 1 版）" in form
    response = client.post(f"{base}/new", data={"year": "2026", "template_id": str(template.id), "title": ""})
    assert response.status_code == 302
    list_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    page = _text(client.get(f"{base}/{list_id}"))
    assert "党组（党委）主体责任" in page and "纪检监督责任" in page and "未明确责任人" in page

    with tenant_context(bureau_a.tenant):
        item = db.session.scalars(select(DutyItem).where(DutyItem.source_key == "PG-02")).one()
        person = db.session.scalars(select(Person)).one()
        item_id, version = item.id, item.version
        values = {"category": item.category, "area": item.area, "content": item.content, "measures": item.measures,
                  "lead_unit": item.lead_unit, "cadence": item.cadence, "expected_count": str(item.expected_count),
                  "due_date": item.due_date.isoformat()}
    response = client.post(f"{base}/items/{item_id}/edit", data={**values, "owner_id": str(person.id), "version": version})
    assert response.status_code == 302
    page = _text(client.get(f"{base}/items/{item_id}"))
    assert "王建国（党组书记、局长）" in page and "逾期" in page and "尚无履责记录" in page  # due 31 March

    response = client.post(f"{base}/items/{item_id}/records", content_type="multipart/form-data", data={
        "occurred_on": "2026-03-20", "summary": "党组会议审议通过年度主体责任清单并印发", "count": "1",
        "files": [(io.BytesIO(pdf_bytes("清单印发通知")), "关于印发2026年度主体责任清单的通知.pdf")]})
    assert response.status_code == 302
    page = _text(client.get(f"{base}/items/{item_id}"))
    assert "已完成" in page and "关于印发2026年度主体责任清单的通知.pdf" in page
    list_page = _text(client.get(f"{base}/{list_id}"))
    done_tile = re.search(r"已完成</div><div class=\"fs-4 text-success\">(\d+)", list_page)
    assert done_tile and int(done_tile.group(1)) == 1
    overview = _text(client.get(f"{base}/"))
    assert "2026" in overview and "草稿" in overview

    # another bureau's administrator gets 404 on every one of these URLs
    client.post("/logout")
    login(client, bureau_b.admin.username)
    with tenant_context(bureau_a.tenant):
        attachment_id = db.session.scalars(select(DutyItem).where(DutyItem.id == item_id)).one().records[0].attachments[0].id
    for url in (f"{base}/", f"{base}/new", f"{base}/{list_id}", f"{base}/items/{item_id}",
                f"{base}/items/{item_id}/edit", f"{base}/files/{attachment_id}", f"{base}/{list_id}/export.xlsx"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{base}/items/{item_id}/records", data={"summary": "x"}).status_code == 404


def test_list_filters_and_search(app, client, bureau_a, bureau_list, today):
    with tenant_context(bureau_a.tenant):
        duty_list = services.get_list(bureau_list["list_id"])
        services.add_record(next(i for i in duty_list.items if i.source_key == "PG-04"),
                            {"occurred_on": "2026-02-10", "summary": "中心组集中学习", "count": "4"}, actor=SYSTEM)
        items = [(i.id, i.source_key, i.owner_id, i.category, i.area) for i in services.get_list(duty_list.id).items]
    overdue = next(i[0] for i in items if i[1] == "PG-02")  # due 31 March, nothing recorded
    studied = next(i[0] for i in items if i[1] == "PG-04")
    total = len(items)
    login(client, bureau_a.viewer.username)
    base = f"/b/{bureau_a.slug}/duties/{bureau_list['list_id']}"
    page = _text(client.get(base))
    assert page.count('<tr id="item-') == total
    only_overdue = _text(client.get(f"{base}?status=overdue"))
    assert f'id="item-{overdue}"' in only_overdue and f'id="item-{studied}"' not in only_overdue
    secretary = bureau_list["people"]["secretary"]
    by_owner = _text(client.get(f"{base}?owner={secretary}"))
    assert by_owner.count('<tr id="item-') == sum(1 for i in items if i[2] == secretary) > 0
    unassigned = _text(client.get(f"{base}?owner=none&category=party_group"))
    assert unassigned.count('<tr id="item-') == sum(1 for i in items if i[2] is None and i[3] == "party_group") > 0
    searched = _text(client.get(f"{base}?q=廉政谈话"))
    assert 0 < searched.count('<tr id="item-') < total
    attention = _text(client.get(f"{base}?attention=1"))
    assert f'id="item-{overdue}"' in attention and f'id="item-{studied}"' not in attention
    area = _text(client.get(f"{base}?area=young_cadres"))
    assert area.count('<tr id="item-') == sum(1 for i in items if i[4] == "young_cadres") > 0
    nothing = _text(client.get(f"{base}?q=不存在的内容xyz"))
    assert "没有符合筛选条件的事项" in nothing
    junk = client.get(f"{base}?status=%00<script>&owner=abc&category=" + "x" * 500 + "&attention=maybe")
    assert junk.status_code == 200 and "<script>" not in _text(junk)


def test_my_items_and_the_home_page(app, client, bureau_a, bureau_list, today):
    login(client, bureau_a.editor.username)
    base = f"/b/{bureau_a.slug}"
    assert "由您负责的事项" in _text(client.get(f"{base}/duties/mine"))  # linked, but owns nothing yet
    with tenant_context(bureau_a.tenant):
        item = services.get_list(bureau_list["list_id"]).items[0]
        item.owner_id = bureau_list["people"]["liaison"]
        db.session.commit()
        content = item.content
    mine = _text(client.get(f"{base}/duties/mine"))
    assert content in mine and "杨晓东（机关党委专职副书记）" in mine
    home = _text(client.get(f"{base}/"))
    assert "逾期" in home and "本月到期" in home and "市财政局" in home
    assert "PG-02" not in home and "研究制定年度落实全面从严治党主体责任清单" in home  # overdue since 1 April
    client.post("/logout")
    login(client, bureau_a.viewer.username)
    assert "尚未关联责任人" in _text(client.get(f"{base}/duties/mine"))


def test_home_page_without_any_list(app, client, bureau_a):
    login(client, bureau_a.admin.username)
    page = _text(client.get(f"/b/{bureau_a.slug}/"))
    assert "暂无现行责任清单" in page and "创建本年度清单" in page


def test_people_page_links_accounts(app, client, bureau_a, today):
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/duties/people"
    page = _text(client.get(base))
    assert "尚未添加责任人" in page and bureau_a.editor.username in page
    response = client.post(base, data={"name": "李海燕", "post": "党组成员、副局长", "kind": "member",
                                       "user_id": str(bureau_a.editor.id), "active": "y"})
    assert response.status_code == 302
    with tenant_context(bureau_a.tenant):
        person = db.session.scalars(select(Person)).one()
        assert person.user_id == bureau_a.editor.id
        person_id, version = person.id, person.version
    # an account from elsewhere cannot be linked
    outsider = client.post(base, data={"name": "外人", "kind": "staff", "user_id": "999999"})
    assert outsider.status_code == 200 and "请选择本单位的用户账号" in _text(outsider)
    stale = client.post(f"{base}/{person_id}", data={"name": "李海燕", "post": "副局长", "kind": "member",
                                                     "user_id": "", "version": str(version - 1)})
    assert "已被他人修改" in _text(stale)
    assert client.post(f"{base}/{person_id}/delete", data={"version": version}).status_code == 302


def test_list_settings_publish_and_archive(app, client, bureau_a, bureau_list, today):
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/duties/{bureau_list['list_id']}"
    with tenant_context(bureau_a.tenant):
        version = db.session.get(DutyList, bureau_list["list_id"]).version
    # publishing goes through the publish check (tests/duties/test_setup.py)
    response = client.post(f"{base}/status", data={"target": "published", "version": version})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{base}/publish")
    assert "草稿" in _text(client.get(base))
    assert client.post(f"{base}/publish", data={"version": version, "acknowledge": "y"}).status_code == 302
    assert "已发布" in _text(client.get(base))
    assert client.post(f"{base}/status", data={"target": "archived", "version": version + 1}).status_code == 302
    item_id = bureau_list["item_ids"][0]
    archived = _text(client.get(f"/b/{bureau_a.slug}/duties/items/{item_id}"))
    assert "记录履责情况" not in archived and "修改事项" not in archived
    refused = client.post(f"/b/{bureau_a.slug}/duties/items/{item_id}/records", follow_redirects=True,
                          data={"occurred_on": "2026-05-01", "summary": "归档后补录"})
    assert "已归档" in _text(refused)


def test_arranging_the_order_on_the_list_page(app, client, bureau_a, bureau_list, today):
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/duties"
    with tenant_context(bureau_a.tenant):
        group = [i.id for i in services.get_list(bureau_list["list_id"]).items if i.category == "secretary"]
    page = _text(client.get(f"{base}/{bureau_list['list_id']}?arrange=1"))
    assert f'action="{base}/items/{group[1]}/move"' in page
    response = client.post(f"{base}/items/{group[1]}/move", data={"direction": "up"})
    assert response.status_code == 302 and "arrange=1" in response.headers["Location"]
    with tenant_context(bureau_a.tenant):
        order = [i.id for i in services.get_list(bureau_list["list_id"]).items if i.category == "secretary"]
    assert order[:2] == [group[1], group[0]]
    client.post("/logout")
    login(client, bureau_a.viewer.username)  # viewers never see the arranging controls
    assert "/move" not in _text(client.get(f"{base}/{bureau_list['list_id']}?arrange=1"))
