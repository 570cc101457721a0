"""``flask scoring evaluate|validate`` on the example files, in YAML and in JSON.

The test builds a bare Flask app with only the scoring commands, so it does not depend
on the application factory.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskCliRunner

from app.scoring.cli import scoring_cli
from app.scoring.engine import evaluate, load_document, result_to_json

EXAMPLES = Path(__file__).resolve().parents[2] / "app" / "scoring" / "examples"
TEMPLATE = EXAMPLES / "annual-2026.yaml"
SCORES = EXAMPLES / "annual-2026-scores.yaml"


@pytest.fixture()
def runner() -> FlaskCliRunner:
    app = Flask(__name__)
    app.cli.add_command(scoring_cli)
    return app.test_cli_runner()


def write_json(path: Path, document: dict[str, Any]) -> Path:
    # Decimal → float is exact enough here: every figure in the examples has ≤ 2 decimals.
    path.write_text(json.dumps(document, ensure_ascii=False, default=float), encoding="utf-8")
    return path


def test_evaluate_prints_the_engine_figures_as_one_json_object(runner: FlaskCliRunner) -> None:
    outcome = runner.invoke(args=["scoring", "evaluate", str(TEMPLATE), str(SCORES)])
    assert outcome.exit_code == 0, outcome.output
    printed = json.loads(outcome.stdout)
    expected = result_to_json(evaluate(load_document(TEMPLATE), load_document(SCORES)))
    assert printed == expected
    # The contract's keys and the figures worked out in test_engine_examples.
    assert printed["parts"] == {"self": 99, "reviewer": 86.8, "ballot": 96}
    assert printed["dimensions"][0] | {"indicators": None} == {
        "code": "ZZ",
        "title": "政治建设",
        "max_points": 20,
        "self": 20,
        "reviewer": 17.95,
        "indicators": None,
    }
    assert (printed["bonus"], printed["deductions"], printed["composite"], printed["grade"]) == (2, 1, 92.08, "好")
    assert printed["reasons"][-1] == "最终等次：“好”"
    # ensure_ascii=False: the Chinese is printed as such, not as \\u escapes.
    assert "政治建设" in outcome.stdout


def test_evaluate_accepts_json_and_yaml_alike(runner: FlaskCliRunner, tmp_path: Path) -> None:
    template_json = write_json(tmp_path / "annual.json", load_document(TEMPLATE))
    scores_json = write_json(tmp_path / "scores.json", load_document(SCORES))
    from_yaml = runner.invoke(args=["scoring", "evaluate", str(TEMPLATE), str(SCORES)])
    from_json = runner.invoke(args=["scoring", "evaluate", str(template_json), str(scores_json)])
    mixed = runner.invoke(args=["scoring", "evaluate", str(template_json), str(SCORES)])
    assert from_yaml.exit_code == from_json.exit_code == mixed.exit_code == 0
    assert json.loads(from_json.stdout) == json.loads(from_yaml.stdout) == json.loads(mixed.stdout)


def test_evaluate_classification_example(runner: FlaskCliRunner, tmp_path: Path) -> None:
    scores = tmp_path / "classification-scores.yaml"
    scores.write_text(
        "reviewer:\n  FL1: {FL1-2: 1}\n  FL7: {FL7-1: 1}\nballot: {满意: 40, 基本满意: 3, 不满意: 7}\n",
        encoding="utf-8",
    )
    outcome = runner.invoke(args=["scoring", "evaluate", str(EXAMPLES / "classification.yaml"), str(scores)])
    assert outcome.exit_code == 0, outcome.output
    printed = json.loads(outcome.stdout)
    # 100 − 3 − 5 = 92 → 好 by score; approval 43/50 = 86% < 90% → 一般.
    assert (printed["composite"], printed["grade_by_score"], printed["grade"]) == (92, "好", "一般")
    assert printed["parts"]["self"] is None


def test_evaluate_lists_score_problems_on_stderr_and_exits_1(runner: FlaskCliRunner, tmp_path: Path) -> None:
    scores = load_document(SCORES)
    scores["reviewer"]["SX1"] = Decimal("6.5")  # max 6
    scores["reviewer"]["ZZ2"] = "优秀"  # not a level
    scores["adjustments"].append({"kind": "veto", "rule": "V9"})
    bad_scores = write_json(tmp_path / "bad-scores.json", scores)
    outcome = runner.invoke(args=["scoring", "evaluate", str(TEMPLATE), str(bad_scores)])
    assert outcome.exit_code == 1
    assert outcome.stdout == ""
    assert "bad-scores.json" in outcome.stderr
    for path in ("reviewer.SX1:", "reviewer.ZZ2:", "adjustments[3].rule:"):
        assert path in outcome.stderr


def test_evaluate_names_an_invalid_template(runner: FlaskCliRunner, tmp_path: Path) -> None:
    template = load_document(TEMPLATE)
    template["composite"]["self"] = Decimal("0.3")
    bad_template = write_json(tmp_path / "bad-template.json", template)
    outcome = runner.invoke(args=["scoring", "evaluate", str(bad_template), str(SCORES)])
    assert outcome.exit_code == 1
    assert "bad-template.json" in outcome.stderr and "composite:" in outcome.stderr


def test_evaluate_reports_unparsable_yaml(runner: FlaskCliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("self:\n  ZZ1: {\n", encoding="utf-8")
    outcome = runner.invoke(args=["scoring", "evaluate", str(TEMPLATE), str(broken)])
    assert outcome.exit_code == 1
    assert "broken.yaml" in outcome.stderr and "line" in outcome.stderr


@pytest.mark.parametrize("name", ["annual-2026.yaml", "classification.yaml"])
def test_validate_accepts_the_examples(runner: FlaskCliRunner, name: str) -> None:
    outcome = runner.invoke(args=["scoring", "validate", str(EXAMPLES / name)])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.stdout.strip() == "模板有效 / template is valid"


def test_validate_lists_every_problem_with_its_path(runner: FlaskCliRunner, tmp_path: Path) -> None:
    template = load_document(TEMPLATE)
    template["composite"]["ballot"] = Decimal("0.3")  # weights sum to 1.1
    del template["dimensions"][1]["indicators"][1]["rules"]  # deduct without rules
    template["dimensions"][1]["indicators"][2]["levels"][0]["fraction"] = Decimal("1.2")
    template["grades"][3]["min"] = 10
    template["gates"][0]["max_grade"] = "优秀"
    as_json = json.dumps(template, ensure_ascii=False, default=float)
    as_yaml = yaml.safe_dump(json.loads(as_json), allow_unicode=True, sort_keys=False)
    for suffix, text in ((".json", as_json), (".yaml", as_yaml)):
        bad = tmp_path / f"bad{suffix}"
        bad.write_text(text, encoding="utf-8")
        outcome = runner.invoke(args=["scoring", "validate", str(bad)])
        assert outcome.exit_code == 1
        listed = [line.strip().split(":")[0] for line in outcome.stdout.splitlines()[1:]]
        assert sorted(listed) == sorted(
            [
                "composite",
                "dimensions[1].indicators[1].rules",
                "dimensions[1].indicators[2].levels[0].fraction",
                "grades[3].min",
                "gates[0].max_grade",
            ]
        )
        assert "5 个问题" in outcome.stdout


def test_missing_file_is_a_usage_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    outcome = runner.invoke(args=["scoring", "validate", str(tmp_path / "absent.yaml")])
    assert outcome.exit_code == 2
    assert "absent.yaml" in outcome.stderr
