"""Score-template import limits (``docs/score-templates.md``, "Limits"): a document past
them is refused with a clear message on the import form — for JSON, YAML and Excel, and
by ``flask scoring validate|evaluate`` — quickly, never a 500 or a hang, and nothing is
stored.  Each case was a 500, a hang or a 15 MB body before."""
from __future__ import annotations

import copy
import io
import json
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
import yaml
from flask import Flask
from sqlalchemy import select

from app.core.actor import Actor
from app.extensions import db
from app.scoring import engine, services, xlsx
from app.scoring.cli import scoring_cli
from app.scoring.models import ScoreTemplate
from tests.helpers import login

SECONDS = 10


@contextmanager
def deadline(seconds: int = SECONDS):
    """Fail (instead of hanging the suite) when the block takes longer than ``seconds``."""
    def expire(_signum, _frame):
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _laughs(levels: int = 9) -> bytes:
    """A few KB of nested anchors and aliases that expand to billions of items."""
    lines = ["name: 评分表", "year: 2026", 'x-lol0: &a0 ["哈哈哈哈哈哈哈哈"]']
    for level in range(1, levels + 1):
        previous = f"*a{level - 1}"
        lines.append(f"x-lol{level}: &a{level} [{', '.join([previous] * 10)}]")
    return ("\n".join(lines) + "\n").encode()


def _wide_template(count: int) -> dict:
    body = services.example_body()
    indicator = body["dimensions"][1]["indicators"][0]  # SX1, points
    body["dimensions"] = [{"code": "D", "title": "维度", "indicators": [
        dict(indicator, code=f"I{i}") for i in range(count)]}]
    return body


HOSTILE = {
    "yaml-aliases": ("sheet.yaml", _laughs()),
    "yaml-one-alias": ("sheet.yaml", b"name: &n x\nyear: 2026\nx-copy: *n\n"),
    "json-deep": ("sheet.json", b'{"x-deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    "yaml-flow-deep": ("sheet.yaml", b"x-deep: " + b"[" * 20_000 + b"]" * 20_000 + b"\n"),
    "yaml-block-deep": ("sheet.yaml", "".join(f"{'  ' * i}k{i}:\n" for i in range(60)).encode() + b"  " * 60 + b"v\n"),
    "yaml-5001-digits": ("sheet.yaml", b"name: x\nyear: " + b"9" * 5001 + b"\n"),
    "json-5001-digits": ("sheet.json", b'{"name": "x", "year": ' + b"9" * 5001 + b"}"),
    "json-1e309": ("sheet.json", b'{"name": "x", "year": 2026, "bonus_cap": 1e309}'),
    "yaml-nan": ("sheet.yaml", b"name: x\nyear: 2026\nbonus_cap: .nan\n"),
    "json-nan": ("sheet.json", b'{"name": "x", "year": 2026, "bonus_cap": NaN}'),
    "yaml-date": ("sheet.yaml", b"name: x\nyear: 2026\nx-when: 2026-01-01\n"),
    "yaml-binary": ("sheet.yaml", b"name: x\nyear: 2026\nx-b: !!binary aGVsbG8=\n"),
    "nul": ("sheet.yaml", b"name: x\x00\nyear: 2026\n"),
    "indicators-10000": ("sheet.json", json.dumps(_wide_template(10_000), ensure_ascii=False).encode()),
    "indicators-600": ("sheet.json", json.dumps(
        dict(_wide_template(1), dimensions=[{"code": f"D{d}", "title": "维度", "indicators": [
            dict(_wide_template(1)["dimensions"][0]["indicators"][0], code=f"D{d}I{i}") for i in range(100)]}
            for d in range(6)]), ensure_ascii=False).encode()),
    "long-title": ("sheet.json", json.dumps(dict(services.example_body(), name="长" * 20_000)).encode()),
    "huge-points": ("sheet.json", json.dumps(services.example_body()).replace('"max_points": 8', '"max_points": 1e300', 1).encode()),
    "grade-label-list": ("sheet.yaml", b"name: x\nyear: 2026\ngrades: [{label: [1], min: 0}]\n"),
}
MESSAGES = {
    "yaml-aliases": "锚点和别名", "yaml-one-alias": "锚点和别名", "json-deep": "嵌套超过", "yaml-flow-deep": "嵌套超过",
    "yaml-block-deep": "嵌套超过", "yaml-5001-digits": "数字超出允许范围", "json-5001-digits": "数字超出允许范围",
    "json-1e309": "数字超出允许范围", "yaml-nan": "不是有限的数字", "json-nan": "类型应为数字", "yaml-date": "不支持的取值类型",
    "yaml-binary": "不支持的取值类型", "nul": "NUL", "indicators-10000": "至多", "indicators-600": "至多 500 项",
    "long-title": "不得超过 500 个字符", "huge-points": "数字超出允许范围", "grade-label-list": "类型应为字符串",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_imports_are_refused_on_the_form_quickly(app, client, city_admin, case):
    filename, content = HOSTILE[case]
    login(client, "city")
    started = time.monotonic()
    with deadline():
        response = client.post("/city/scoring/import", data={"file": (io.BytesIO(content), filename)},
                               content_type="multipart/form-data")
    assert response.status_code == 200, case
    page = response.get_data(as_text=True)
    assert "未能导入" in page and MESSAGES[case] in page, (case, page[page.find("problem"):][:600])
    assert db.session.scalar(select(ScoreTemplate)) is None
    assert time.monotonic() - started < SECONDS


def test_an_upload_over_the_size_limit_is_refused(app, client, city_admin):
    login(client, "city")
    content = b"name: x\nyear: 2026\nx-pad: '" + b"x" * engine.MAX_DOCUMENT_BYTES + b"'\n"
    response = client.post("/city/scoring/import", data={"file": (io.BytesIO(content), "big.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "2 MB" in response.get_data(as_text=True)
    assert db.session.scalar(select(ScoreTemplate)) is None


def test_a_template_at_the_limits_imports_and_its_pages_work(app, client, city_admin):
    body = _wide_template(1)
    indicator = body["dimensions"][0]["indicators"][0]
    body["dimensions"] = [{"code": f"D{d}", "title": "维度", "indicators": [
        dict(indicator, code=f"D{d}I{i}", max_points=0.2) for i in range(100)]} for d in range(5)]
    login(client, "city")
    with deadline(60):
        response = client.post("/city/scoring/import", data={
            "file": (io.BytesIO(json.dumps(body, ensure_ascii=False).encode()), "wide.json")},
            content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        template = db.session.scalar(select(ScoreTemplate))
        assert client.get(f"/city/scoring/templates/{template.id}").status_code == 200
        assert client.get(f"/city/scoring/templates/{template.id}/export.xlsx").status_code == 200


def _workbook_with(cell_value) -> bytes:
    content = xlsx.write_template(services.example_body())
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook[xlsx.INDICATOR_SHEET]
    sheet.cell(row=2, column=5, value=cell_value)  # 分值 of the first indicator
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize("value", ["9" * 5001, "1" + "0" * 400, 1e300, "-0", "NaN", "🙂" * 50, "x\r\ny"])
def test_hostile_excel_cells_are_problems_not_500(app, client, city_admin, value):
    login(client, "city")
    with deadline():
        response = client.post("/city/scoring/import", data={"file": (io.BytesIO(_workbook_with(value)), "t.xlsx")},
                               content_type="multipart/form-data")
    assert response.status_code == 200
    assert "未能导入" in response.get_data(as_text=True)
    assert db.session.scalar(select(ScoreTemplate)) is None


def test_a_workbook_that_unpacks_too_far_is_refused(app, client, city_admin, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_UNPACKED_BYTES", 10_000)
    login(client, "city")
    response = client.post("/city/scoring/import", data={
        "file": (io.BytesIO(xlsx.write_template(services.example_body())), "t.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 200 and "未能导入" in response.get_data(as_text=True)
    assert db.session.scalar(select(ScoreTemplate)) is None


@pytest.mark.parametrize("case", ["yaml-aliases", "json-deep", "yaml-flow-deep", "yaml-5001-digits",
                                  "json-5001-digits", "indicators-10000", "nul"])
def test_the_cli_refuses_the_same_documents(tmp_path, case):
    app = Flask(__name__)
    app.cli.add_command(scoring_cli)
    runner = app.test_cli_runner()
    filename, content = HOSTILE[case]
    path = tmp_path / filename
    path.write_bytes(content)
    scores = tmp_path / "scores.yaml"
    scores.write_bytes(content)
    example = Path(services.EXAMPLES) / "annual-2026.yaml"
    with deadline():
        validated = runner.invoke(args=["scoring", "validate", str(path)])
        evaluated = runner.invoke(args=["scoring", "evaluate", str(example), str(scores)])
    for result in (validated, evaluated):
        assert result.exit_code not in (0, None), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def test_limits_hold_for_parsed_documents_too():
    body = services.example_body()
    deep: dict = {}
    node = deep
    for _ in range(engine.MAX_DEPTH + 5):
        node["x"] = {}
        node = node["x"]
    assert "嵌套超过" in str(engine.validate_template(dict(body, **{"x-deep": deep})))
    assert engine.validate_template(copy.deepcopy(body)) == []
    assert engine.load_document('{"a": -0}') == {"a": 0}
    with pytest.raises(engine.ScoringError):
        engine.load_document(yaml.safe_dump({"a": 1}) + "b: &x 1\nc: *x\n")


def test_a_draft_stored_past_the_limits_is_shown_read_only_and_can_be_deleted(app, client, city_admin):
    # Drafts imported before the limits existed (or made by a script) may be larger than
    # the tree editor: their page shows them with their problems instead of failing.
    template = services.create_from_body(2026, _wide_template(1_000), actor=Actor.city(city_admin))
    login(client, "city")
    with deadline(60):
        response = client.get(f"/city/scoring/templates/{template.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "至多 500 项" in page
    response = client.post(f"/city/scoring/templates/{template.id}/delete", data={"version": template.version})
    assert response.status_code == 302 and db.session.scalar(select(ScoreTemplate)) is None


@pytest.mark.parametrize("filename", ["a\x00.json", "长" * 20_000 + ".yaml", "🙂.yml", "a\r\nb.xlsx", ".json", "x.JSON",
                                      "../../etc/passwd.yaml", "x.exe", ""])
def test_hostile_file_names_are_answered_without_5xx(app, client, city_admin, filename):
    login(client, "city")
    content = (services.EXAMPLES / "annual-2026.yaml").read_bytes()
    response = client.post("/city/scoring/import", data={"file": (io.BytesIO(content), filename)},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 302), filename[:20]
    for template in db.session.scalars(select(ScoreTemplate)):
        assert "\x00" not in template.name and len(template.name) <= 500
