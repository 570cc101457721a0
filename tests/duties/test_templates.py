"""City templates: the default content, drafts, publishing, immutability, editions."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import CatalogAuditEvent
from app.duties import catalog, services
from app.duties.models import DutyItem, DutyTemplate, TemplateImmutable
from app.errors import Conflict, Locked, ValidationError
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import SYSTEM, login


def test_the_default_template_covers_every_category_and_the_usual_areas():
    title, body = catalog.default_body()
    assert "主体责任清单" in title
    items = body["items"]
    assert len(items) >= 25
    assert {i["category"] for i in items} == {"party_group", "secretary", "member", "organ_committee", "discipline"}
    areas = {a["code"] for a in body["areas"]}
    assert {"political", "ideological", "organisational", "conduct", "discipline", "institutional",
            "integrity", "young_cadres"} <= areas
    assert {i["area"] for i in items} <= areas
    assert len({i["key"] for i in items}) == len(items)
    assert any("一岗双责" in i["content"] for i in items)


def test_validation_names_the_bad_item_and_field():
    with pytest.raises(ValidationError) as error:
        catalog.validate_body({"areas": [{"code": "political", "label": "政治建设"}],
                               "items": [{"key": "A-1", "category": "party_group", "area": "political",
                                          "content": "x", "cadence": "monthly"},
                                         {"key": "A-1", "category": "nope", "area": "elsewhere", "content": "",
                                          "cadence": "daily", "expected_count": "many", "due_month": 13}]})
    errors = error.value.errors
    assert set(errors) == {"items[1].key", "items[1].category", "items[1].area", "items[1].content",
                           "items[1].cadence", "items[1].expected_count", "items[1].due_month"}
    assert catalog.validate_body({"areas": [{"code": "a", "label": "甲"}], "items": []})["items"] == []
    with pytest.raises(ValidationError):
        catalog.validate_body(["not", "a", "mapping"])


def test_draft_edit_publish_and_immutability(app, city_admin):
    draft = catalog.create_template(2026, actor=city_admin)
    assert draft.edition == 1 and not draft.is_published and len(draft.items) >= 25
    with pytest.raises(Conflict):
        catalog.create_template(2026, actor=city_admin)  # one draft per year
    item = catalog.save_item(draft, {"category": "secretary", "area": "political", "content": "新增的书记职责",
                                     "cadence": "quarterly", "due_month": "6"}, key=None,
                             version=draft.version, actor=city_admin)
    assert item["key"].startswith("SE-") and item["expected_count"] == 4
    with pytest.raises(Conflict):  # a stale form
        catalog.save_item(draft, {"category": "secretary", "area": "political", "content": "改"}, key=item["key"],
                          version=draft.version - 1, actor=city_admin)
    catalog.publish(draft, version=draft.version, actor=city_admin)
    assert draft.is_published and draft.published_by == "city"

    frozen = dict(draft.body)
    with pytest.raises(Locked):
        catalog.save_item(draft, {"category": "secretary", "area": "political", "content": "改"},
                          key=item["key"], version=draft.version, actor=city_admin)
    with pytest.raises(Locked):
        catalog.remove_item(draft, item["key"], version=draft.version, actor=city_admin)
    with pytest.raises(Locked):
        catalog.update_header(draft, title="新标题", areas_text="political 政治建设", version=draft.version)
    # even code that bypasses the services cannot rewrite a published edition
    draft.title = "被篡改的标题"
    with pytest.raises(TemplateImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(DutyTemplate, draft.id)
    assert stored.title != "被篡改的标题" and stored.body == frozen

    actions = set(db.session.scalars(select(CatalogAuditEvent.action)))
    assert {"duty_template.create", "duty_template.item", "duty_template.publish"} <= actions


def test_a_new_edition_does_not_change_lists_already_copied(app, city_admin, bureau_a):
    first = catalog.ensure_default_published(2026)
    with tenant_context(bureau_a.tenant):
        duty_list = services.create_list(2026, template_id=first.id, actor=SYSTEM)
        copied = sorted((i.source_key, i.content) for i in duty_list.items)
        list_id = duty_list.id
    second = catalog.new_edition(first, actor=city_admin)
    assert second.edition == 2 and not second.is_published and second.items == first.items
    assert catalog.new_edition(first, actor=city_admin).id == second.id  # the existing draft
    key = second.items[0]["key"]
    catalog.save_item(second, {**second.items[0], "content": "第二版改写的内容"}, key=key,
                      version=second.version, actor=city_admin)
    catalog.remove_item(second, second.items[-1]["key"], version=second.version, actor=city_admin)
    catalog.publish(second, version=second.version, actor=city_admin)
    assert [t.edition for t in catalog.published_templates(2026)] == [2, 1]
    db.session.expire_all()
    assert db.session.get(DutyTemplate, first.id).body["items"][0]["content"] != "第二版改写的内容"
    with tenant_context(bureau_a.tenant):
        kept = services.get_list(list_id)
        assert (kept.template_id, kept.template_edition) == (first.id, 1)
        assert sorted((i.source_key, i.content) for i in kept.items) == copied


def test_header_and_area_rules(app, city_admin):
    draft = catalog.create_template(2027, source="empty", actor=city_admin)
    assert draft.items == [] and draft.areas
    with pytest.raises(ValidationError):
        catalog.publish(draft, version=draft.version, actor=city_admin)  # nothing to publish
    catalog.update_header(draft, title="2027年度测试清单", areas_text="political：政治建设\nyouth 青年工作\n",
                          version=draft.version, actor=city_admin)
    assert [a["code"] for a in draft.areas] == ["political", "youth"]
    catalog.save_item(draft, {"category": "party_group", "area": "youth", "content": "青年工作事项"}, key=None,
                      version=draft.version, actor=city_admin)
    with pytest.raises(ValidationError) as error:  # an area still in use cannot disappear
        catalog.update_header(draft, title="2027年度测试清单", areas_text="political 政治建设",
                              version=draft.version, actor=city_admin)
    assert "youth" in str(error.value.errors["areas"])
    with pytest.raises(ValidationError):
        catalog.update_header(draft, title="x", areas_text="Bad Code 名称\npolitical 政治建设\nyouth 青年",
                              version=draft.version, actor=city_admin)


def test_move_and_delete_draft(app, city_admin):
    draft = catalog.create_template(2026, actor=city_admin)
    keys = [i["key"] for i in draft.items if i["category"] == "secretary"]
    catalog.move_item(draft, keys[1], "up", version=draft.version, actor=city_admin)
    assert [i["key"] for i in draft.items if i["category"] == "secretary"][:2] == [keys[1], keys[0]]
    catalog.move_item(draft, keys[1], "up", version=draft.version, actor=city_admin)  # already first: no-op
    catalog.delete_draft(draft, version=draft.version, actor=city_admin)
    assert catalog.list_templates() == []


def test_city_pages(app, client, city_admin, city_viewer, bureau_a):
    login(client, "city")
    assert "还没有" in client.get("/city/duty-templates/").get_data(as_text=True) or \
        "尚无模板" in client.get("/city/duty-templates/").get_data(as_text=True)
    response = client.post("/city/duty-templates/new", data={"year": "2026", "source": "default", "title": ""})
    assert response.status_code == 302
    template = catalog.list_templates()[0]
    page = client.get(f"/city/duty-templates/{template.id}").get_data(as_text=True)
    assert "党组（党委）主体责任" in page and "PG-01" in page
    assert client.post(f"/city/duty-templates/{template.id}/items/new", data={
        "category": "discipline", "area": "discipline", "content": "新增纪检事项", "cadence": "yearly",
        "expected_count": "", "due_month": "9", "version": template.version}).status_code == 302
    db.session.expire_all()
    template = db.session.get(DutyTemplate, template.id)
    stale = client.post(f"/city/duty-templates/{template.id}/items/PG-01", data={
        "category": "party_group", "area": "political", "content": "我的改写", "cadence": "monthly",
        "version": template.version - 1})
    assert stale.status_code == 200 and "已被他人修改" in stale.get_data(as_text=True)
    assert "我的改写" in stale.get_data(as_text=True)  # shown next to the current values
    assert client.post(f"/city/duty-templates/{template.id}/publish",
                       data={"version": template.version}).status_code == 302
    db.session.expire_all()
    assert db.session.get(DutyTemplate, template.id).is_published
    # a published version offers "edit as a new version", which makes edition 2
    response = client.post(f"/city/duty-templates/{template.id}/new-version")
    assert response.status_code == 302
    assert [t.edition for t in catalog.list_templates()] == [2, 1]

    client.post("/logout")
    login(client, "leader")  # a city viewer reads, never changes
    assert client.get(f"/city/duty-templates/{template.id}").status_code == 200
    assert client.post("/city/duty-templates/new", data={"year": "2028", "source": "default"}).status_code == 403
    assert client.post(f"/city/duty-templates/{template.id}/new-version").status_code == 403
    client.post("/logout")
    login(client, bureau_a.admin.username)  # bureau users do not see the city's pages at all
    assert client.get("/city/duty-templates/").status_code == 404
    assert client.post("/city/duty-templates/new", data={"year": "2028"}).status_code == 404


def test_cli_loads_the_default_template(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["duties", "default-template", "--year", "2026"])
    assert result.exit_code == 0 and "published" in result.output
    again = runner.invoke(args=["duties", "default-template", "--year", "2026"])
    assert again.exit_code == 0 and len(catalog.list_templates()) == 1
    draft = runner.invoke(args=["duties", "default-template", "--year", "2027", "--draft"])
    assert draft.exit_code == 0 and "draft" in draft.output
