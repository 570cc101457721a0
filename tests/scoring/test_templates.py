"""The city's score-sheet templates: tree editor, import (JSON/YAML/Excel), validation
with paths, publication (immutable), editions, assignment, export."""
from __future__ import annotations

import copy
import io
import json

import openpyxl
import pytest
import yaml
from sqlalchemy import select

from app.core.actor import Actor
from app.audit.models import CatalogAuditEvent
from app.errors import Conflict
from app.extensions import db
from app.scoring import services, xlsx
from app.scoring.engine import load_document
from app.scoring.models import ScoreTemplate, TemplateAssignment, TemplateImmutable
from tests.helpers import EXAMPLES, login


def invalid_body() -> dict:
    """The example sheet broken in the four ways the acceptance criteria name."""
    body = services.example_body()
    body["composite"] = {"self": 0.2, "reviewer": 0.6, "ballot": 0.3}  # sums to 1.1
    body["dimensions"][0]["indicators"][0]["rules"] = []  # a deduct indicator without rules
    body["dimensions"][0]["indicators"][1]["levels"][0]["fraction"] = 1.5  # level outside [0, 1]
    body["dimensions"][1]["indicators"][0]["code"] = "ZZ2"  # duplicate indicator code
    return body


EXPECTED_PATHS = {"composite", "dimensions[0].indicators[0].rules", "dimensions[0].indicators[1].levels[0].fraction",
                  "dimensions[1].indicators[0].code"}


def test_invalid_templates_are_refused_by_the_cli_with_every_path(app, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(invalid_body(), ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["scoring", "validate", str(path)])
    assert result.exit_code == 1
    for expected in EXPECTED_PATHS:
        assert f"{expected}:" in result.output, expected


@pytest.mark.parametrize("fmt", ["json", "yaml", "xlsx"])
def test_invalid_imports_are_refused_with_every_path(app, client, city_admin, fmt):
    body = invalid_body()
    if fmt == "json":
        content = json.dumps(body, ensure_ascii=False).encode()
    elif fmt == "yaml":
        content = yaml.safe_dump(body, allow_unicode=True).encode()
    else:
        content = xlsx.write_template(body)
    login(client, "city")
    response = client.post("/city/scoring/import", data={"file": (io.BytesIO(content), f"sheet.{fmt}")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for expected in EXPECTED_PATHS:
        assert f'title="{expected}"' in page, expected
    if fmt == "xlsx":
        assert "指标 第 2 行" in page  # the row of the deduct indicator without rules
    assert db.session.scalar(select(ScoreTemplate)) is None


@pytest.mark.parametrize("fmt", ["json", "yaml", "xlsx"])
def test_valid_imports_create_a_draft_for_the_file_s_year(app, client, city_admin, fmt):
    body = services.example_body()
    content = {"json": lambda: json.dumps(body, ensure_ascii=False).encode(),
               "yaml": lambda: (EXAMPLES / "annual-2026.yaml").read_bytes(),
               "xlsx": lambda: xlsx.write_template(body)}[fmt]()
    login(client, "city")
    response = client.post("/city/scoring/import", data={"file": (io.BytesIO(content), f"annual.{fmt}")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    template = db.session.scalar(select(ScoreTemplate))
    assert (template.year, template.edition, template.is_published) == (2026, 1, False)
    assert template.body == body
    assert "score_template.create" in db.session.scalars(select(CatalogAuditEvent.action)).all()


def test_unreadable_uploads_are_form_errors(app, client, city_admin):
    login(client, "city")
    cases = [(b"\xff\xfe\x00garbage", "x.json"), (b"name: [unclosed", "x.yaml"), (b"not a zip", "x.xlsx"),
             (b"{}", "x.txt"), (b"- a\n- b\n", "x.yml"), (b"{\"name\": 1, \"name\": 2}", "x.json")]
    for content, name in cases:
        response = client.post("/city/scoring/import", data={"file": (io.BytesIO(content), name)},
                               content_type="multipart/form-data")
        assert response.status_code == 200, name
        assert "alert-danger" in response.get_data(as_text=True), name
    response = client.post("/city/scoring/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 200
    big = io.BytesIO(b"#" * (3 * 1024 * 1024))
    response = client.post("/city/scoring/import", data={"file": (big, "big.yaml")}, content_type="multipart/form-data")
    assert response.status_code == 200 and "MB" in response.get_data(as_text=True)
    assert db.session.scalar(select(ScoreTemplate)) is None


def test_excel_round_trip_and_formula_escaping(app):
    body = services.example_body()
    body["dimensions"][0]["indicators"][0]["rules"][0]["title"] = "=HYPERLINK(\"http://x\")"
    body["veto_rules"][0]["title"] = "@SUM(A1)"
    data = xlsx.write_template(body)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    cells = [cell for row in workbook["指标"].iter_rows() for cell in row if cell.value == body["dimensions"][0][
        "indicators"][0]["rules"][0]["title"]]
    assert cells and all(cell.data_type == "s" and cell.quotePrefix for cell in cells)
    back, locations = xlsx.read_template(data)
    assert services.plain(back) == body
    assert locations["dimensions[0].indicators[0]"] == "指标!2"


def test_excel_rows_that_cannot_be_read_are_reported_by_row(app):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "指标"
    sheet.append(list(xlsx.INDICATOR_HEADERS))
    sheet.append([None, None, None, None, None, None, None, "R1", "规则", 1])  # a rule before any indicator
    sheet.append([None, None, "A1", "无一级指标", 10, "计分"])  # no dimension code
    settings = workbook.create_sheet("设置")
    settings.append(list(xlsx.SETTINGS_HEADERS))
    settings.append(["不存在的项目", "x"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(services.TemplateInvalid) as caught:
        xlsx.read_template(buffer.getvalue())
    paths = [problem.path for problem in caught.value.problems]
    assert paths == ["设置!2", "指标!2", "指标!3"]


def test_the_editor_builds_the_tree_and_shows_problems_at_their_fields(app, client, city_admin):
    login(client, "city")
    response = client.post("/city/scoring/new", data={"year": "2027", "name": "2027年度考核评分表", "source": "blank"})
    assert response.status_code == 302
    template = db.session.scalar(select(ScoreTemplate))
    url = f"/city/scoring/templates/{template.id}"
    page = client.get(url).get_data(as_text=True)
    assert "dimensions-0-indicators-0-code" in page and "problem-list" in page

    def post(op: str, **fields):
        db.session.expire_all()
        current = db.session.get(ScoreTemplate, template.id)
        from app.scoring.forms import editor_data

        data = flatten(editor_data(current.body))
        data.update(fields, version=str(current.version), op=op)
        return client.post(url, data=data)

    assert post("add:dimensions").status_code == 302
    assert post("add:dimensions/1/indicators/0/rules").status_code == 302
    db.session.expire_all()
    body = db.session.get(ScoreTemplate, template.id).body
    assert len(body["dimensions"]) == 2 and body["dimensions"][1]["indicators"][0]["method"] == "deduct"
    response = post("save", **{"dimensions-0-code": "ZZ", "dimensions-0-title": "政治建设",
                              "dimensions-0-indicators-0-code": "ZZ1", "dimensions-0-indicators-0-title": "理论学习",
                              "dimensions-0-indicators-0-max_points": "abc",
                              "dimensions-1-code": "ZZ"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    # a problem placed on the field itself, and the list of every problem with its path
    assert 'title="dimensions[0].indicators[0].max_points"' in page
    assert 'title="dimensions[1].code"' in page
    assert 'id="dimensions-0-indicators-0-max_points"' in page and "is-invalid" in page
    assert post("up:dimensions/1").status_code == 302
    db.session.expire_all()
    assert db.session.get(ScoreTemplate, template.id).body["dimensions"][1]["title"] == "政治建设"
    assert post("remove:dimensions/0").status_code == 302
    db.session.expire_all()
    assert len(db.session.get(ScoreTemplate, template.id).body["dimensions"]) == 1


def flatten(data, prefix: str = "") -> dict[str, str]:
    """Editor prefill data as the POST fields WTForms expects (dimensions-0-code …)."""
    fields: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    fields.update(flatten(item, f"{name}-{index}-"))
        elif isinstance(value, dict):
            fields.update(flatten(value, f"{name}-"))
        elif value is not None:
            fields[name] = str(value)
    return fields


def test_editing_the_example_round_trips_without_change(app, client, city_admin):
    from app.scoring.forms import editor_data

    template = services.create_from_body(2026, services.example_body(), actor=Actor.city(city_admin))
    login(client, "city")
    data = flatten(editor_data(template.body))
    data.update(version=str(template.version), op="save")
    assert client.post(f"/city/scoring/templates/{template.id}", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(ScoreTemplate, template.id).body == services.example_body()
    assert services.template_problems(db.session.get(ScoreTemplate, template.id).body) == []


def test_editor_rejects_bad_operations_and_stale_versions(app, client, city_admin):
    template = services.create_from_body(2026, services.example_body(), actor=Actor.city(city_admin))
    login(client, "city")
    url = f"/city/scoring/templates/{template.id}"
    for op in ("drop:tables", "add:dimensions/99/indicators", "remove:grades/50", "add:../../etc", "up:name/0",
               "add:dimensions/0"):
        response = client.post(url, data={"version": str(template.version), "op": op, "name": "x"})
        assert response.status_code == 200, op
    stale = client.post(url, data={"version": "0", "op": "save", "name": "过期的表单"})
    assert stale.status_code == 302
    db.session.expire_all()
    assert db.session.get(ScoreTemplate, template.id).name == services.example_body()["name"]


def test_publication_needs_a_valid_body_and_makes_the_edition_immutable(app, client, city_admin):
    draft = services.create_from_body(2026, invalid_body(), actor=Actor.city(city_admin))
    with pytest.raises(services.TemplateInvalid) as caught:
        services.publish(draft, version=draft.version, actor=Actor.city(city_admin))
    assert EXPECTED_PATHS <= {problem.path for problem in caught.value.problems}
    login(client, "city")
    response = client.post(f"/city/scoring/templates/{draft.id}/publish", data={"version": draft.version},
                           follow_redirects=True)
    assert "dimensions[1].indicators[0].code" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(ScoreTemplate, draft.id).is_published

    good = services.create_from_body(2026, services.example_body(), actor=Actor.city(city_admin))
    response = client.post(f"/city/scoring/templates/{good.id}/publish", data={"version": good.version})
    assert response.status_code == 302
    db.session.expire_all()
    good = db.session.get(ScoreTemplate, good.id)
    assert good.is_published and good.published_by == "工委管理员"
    with pytest.raises(Conflict):
        services.save_draft(good, services.example_body(), version=good.version, actor=Actor.city(city_admin))
    with pytest.raises(Conflict):
        services.delete_draft(good, version=good.version, actor=Actor.city(city_admin))
    assert client.post(f"/city/scoring/templates/{good.id}", data={"op": "save"}).status_code == 409
    good.body = dict(good.body, name="偷偷修改")
    with pytest.raises(TemplateImmutable):
        db.session.flush()
    db.session.rollback()

    response = client.post(f"/city/scoring/templates/{good.id}/new-edition", data={})
    assert response.status_code == 302
    editions = db.session.scalars(select(ScoreTemplate.edition).where(ScoreTemplate.year == 2026)
                                  .order_by(ScoreTemplate.edition)).all()
    assert editions == [1, 2, 3]


def test_drafts_can_be_deleted(app, client, city_admin):
    draft = services.create_from_body(2026, services.example_body(), actor=Actor.city(city_admin))
    draft_id, version = draft.id, draft.version
    login(client, "city")
    assert client.post(f"/city/scoring/templates/{draft_id}/delete", data={"version": "99"}).status_code == 302
    assert db.session.get(ScoreTemplate, draft_id) is not None  # stale version: refused
    assert client.post(f"/city/scoring/templates/{draft_id}/delete", data={"version": version}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ScoreTemplate, draft_id) is None
    assert "score_template.delete" in db.session.scalars(select(CatalogAuditEvent.action)).all()


def test_assignment_to_chosen_bureaus_all_bureaus_and_moves_between_editions(app, client, city_admin, bureau_a,
                                                                            bureau_b, template_2026):
    login(client, "city")
    url = f"/city/scoring/templates/{template_2026.id}/assign"
    assert client.post(url, data={"bureaus": [str(bureau_a.tenant.id)]}).status_code == 302
    assigned = db.session.scalars(select(TemplateAssignment.tenant_id)).all()
    assert assigned == [bureau_a.tenant.id]
    assert client.post(url, data={"all": "1"}).status_code == 302
    assert sorted(db.session.scalars(select(TemplateAssignment.tenant_id)).all()) == sorted(
        [bureau_a.tenant.id, bureau_b.tenant.id])
    page = client.get(f"/city/scoring/templates/{template_2026.id}").get_data(as_text=True)
    assert f"/b/{bureau_a.slug}/scoring/2026/review" in page

    second = services.new_edition(template_2026, actor=Actor.city(city_admin))
    second = services.publish(second, version=second.version, actor=Actor.city(city_admin))
    services.set_assignments(second, [bureau_b.tenant.id], actor=Actor.city(city_admin))
    rows = {row.tenant_id: row.template_id for row in db.session.scalars(select(TemplateAssignment))}
    assert rows == {bureau_a.tenant.id: template_2026.id, bureau_b.tenant.id: second.id}
    services.set_assignments(template_2026, [], unassign_all=True, actor=Actor.city(city_admin))
    rows = {row.tenant_id: row.template_id for row in db.session.scalars(select(TemplateAssignment))}
    assert rows == {bureau_b.tenant.id: second.id}
    for bad in ({"bureaus": ["abc"]}, {"bureaus": ["999999"]}):
        response = client.post(url, data=bad)
        assert response.status_code == 400
    draft = services.create_from_body(2026, services.example_body(), actor=Actor.city(city_admin))
    with pytest.raises(Conflict):
        services.set_assignments(draft, [bureau_a.tenant.id], actor=Actor.city(city_admin))


def test_exports(app, client, city_admin, template_2026):
    login(client, "city")
    base = f"/city/scoring/templates/{template_2026.id}/export"
    as_json = client.get(f"{base}.json")
    assert json.loads(as_json.get_data(as_text=True)) == template_2026.body
    as_yaml = client.get(f"{base}.yaml")
    assert load_document(as_yaml.get_data(as_text=True)) == load_document(json.dumps(template_2026.body))
    as_xlsx = client.get(f"{base}.xlsx")
    assert services.plain(xlsx.read_template(as_xlsx.data)[0]) == template_2026.body
    assert client.get(f"{base}.exe").status_code == 404


def test_viewers_read_templates_but_do_not_change_them(app, client, city_viewer, template_2026, bureau_a):
    draft = services.create_from_body(2027, copy.deepcopy(template_2026.body), actor=None)
    login(client, "leader")
    assert client.get("/city/scoring/").status_code == 200
    assert client.get(f"/city/scoring/templates/{draft.id}").status_code == 200
    assert client.post(f"/city/scoring/templates/{draft.id}", data={"op": "save"}).status_code == 403
    for path in ("new", "import"):
        assert client.post(f"/city/scoring/{path}", data={}).status_code == 403
    for action in ("publish", "new-edition", "delete", "assign"):
        assert client.post(f"/city/scoring/templates/{draft.id}/{action}", data={}).status_code == 403
    client.post("/logout")
    login(client, bureau_a.admin.username)
    assert client.get("/city/scoring/").status_code == 404
    assert client.get(f"/city/scoring/templates/{template_2026.id}/export.json").status_code == 404


def test_a_published_template_names_its_publisher_and_keeps_data_formats_aside(client, city_admin, template_2026):
    login(client, city_admin.username)
    page = client.get(f"/city/scoring/templates/{template_2026.id}").get_data(as_text=True)
    assert "工委管理员" in page and "由 city " not in page  # the person, not the account name
    assert "供其他系统导入" in page  # YAML and JSON folded away behind it
