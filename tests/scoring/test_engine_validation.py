"""Invalid templates and score documents are rejected, each problem with its path."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from app.scoring.engine import (
    ScoringError,
    evaluate,
    load_document,
    validate_scores,
    validate_template,
)


def minimal_template() -> dict[str, Any]:
    """A small valid template using all three methods, a ballot, a gate and rules."""
    return {
        "name": "校验用模板",
        "year": 2026,
        "dimensions": [
            {
                "code": "D1",
                "title": "政治建设",
                "indicators": [
                    {"code": "P1", "title": "理论学习", "max_points": 40, "method": "points"},
                    {
                        "code": "X1",
                        "title": "组织生活",
                        "max_points": 30,
                        "method": "deduct",
                        "rules": [
                            {"code": "R1", "title": "三会一课缺项", "points": 1},
                            {"code": "R2", "title": "未开组织生活会", "points": 3},
                        ],
                    },
                ],
            },
            {
                "code": "D2",
                "title": "作风建设",
                "indicators": [
                    {
                        "code": "L1",
                        "title": "为民办实事",
                        "max_points": 30,
                        "method": "levels",
                        "levels": [
                            {"label": "好", "fraction": 1},
                            {"label": "一般", "fraction": 0.6},
                        ],
                    }
                ],
            },
        ],
        "grades": [{"label": "好", "min": 90}, {"label": "较好", "min": 80}, {"label": "差", "min": 0}],
        "composite": {"self": 0.2, "reviewer": 0.6, "ballot": 0.2},
        "ballot_levels": [
            {"label": "好", "weight": 1},
            {"label": "较好", "weight": 0.8},
            {"label": "差", "weight": 0.6},
        ],
        "bonus_cap": 5,
        "veto_rules": [{"code": "V1", "title": "严重违纪"}],
        "adjustment_rules": [{"code": "D-JM", "title": "诫勉", "kind": "deduction", "points": 1}],
        "gates": [{"ballot_approval_below": 0.9, "max_grade": "较好"}],
    }


def minimal_scores() -> dict[str, Any]:
    return {
        "self": {"P1": 40, "X1": {}, "L1": "好"},
        "reviewer": {"P1": 35, "X1": {"R1": 2}, "L1": "一般"},
        "ballot": {"好": 8, "较好": 1, "差": 1},
        "adjustments": [{"kind": "deduction", "rule": "D-JM", "reason": "诫勉一人"}],
    }


def paths(problems: list[Any]) -> list[str]:
    return [problem.path for problem in problems]


def test_the_minimal_fixtures_are_valid() -> None:
    template = minimal_template()
    assert validate_template(template) == []
    assert validate_scores(template, minimal_scores()) == []


# ---------------------------------------------------------------- templates


def test_weights_not_summing_to_one_are_reported_on_composite() -> None:
    template = minimal_template()
    template["composite"] = {"self": 0.3, "reviewer": 0.6, "ballot": 0.2}
    problems = validate_template(template)
    assert paths(problems) == ["composite"]
    assert "1.1" in problems[0].message


def test_weight_outside_zero_one_and_missing_weight_are_reported() -> None:
    template = minimal_template()
    template["composite"] = {"self": -0.2, "reviewer": 1.2}
    assert set(paths(validate_template(template))) == {"composite.self", "composite.reviewer", "composite.ballot"}


def test_deduct_indicator_without_rules() -> None:
    template = minimal_template()
    del template["dimensions"][0]["indicators"][1]["rules"]
    assert paths(validate_template(template)) == ["dimensions[0].indicators[1].rules"]
    template["dimensions"][0]["indicators"][1]["rules"] = []
    assert paths(validate_template(template)) == ["dimensions[0].indicators[1].rules"]


def test_rules_or_levels_on_the_wrong_method() -> None:
    template = minimal_template()
    points = template["dimensions"][0]["indicators"][0]
    points["rules"] = [{"code": "R9", "title": "x", "points": 1}]
    points["levels"] = [{"label": "好", "fraction": 1}]
    assert paths(validate_template(template)) == [
        "dimensions[0].indicators[0].rules",
        "dimensions[0].indicators[0].levels",
    ]


def test_levels_indicator_without_levels() -> None:
    template = minimal_template()
    del template["dimensions"][1]["indicators"][0]["levels"]
    assert paths(validate_template(template)) == ["dimensions[1].indicators[0].levels"]


@pytest.mark.parametrize("fraction", [-0.1, 1.01, 2])
def test_level_fraction_outside_zero_one(fraction: float) -> None:
    template = minimal_template()
    template["dimensions"][1]["indicators"][0]["levels"][1]["fraction"] = fraction
    assert paths(validate_template(template)) == ["dimensions[1].indicators[0].levels[1].fraction"]


def test_duplicate_codes_everywhere() -> None:
    template = minimal_template()
    template["dimensions"][1]["code"] = "D1"
    # An indicator code repeated in another dimension is a duplicate too: scores refer
    # to indicators by code alone.
    template["dimensions"][1]["indicators"][0]["code"] = "P1"
    template["dimensions"][0]["indicators"][1]["rules"][1]["code"] = "R1"
    template["dimensions"][1]["indicators"][0]["levels"][1]["label"] = "好"
    template["grades"][2]["label"] = "较好"
    template["ballot_levels"][2]["label"] = "较好"
    template["adjustment_rules"][0]["code"] = "V1"
    problems = validate_template(template)
    assert sorted(paths(problems)) == sorted(
        [
            "dimensions[1].code",
            "dimensions[1].indicators[0].code",
            "dimensions[0].indicators[1].rules[1].code",
            "dimensions[1].indicators[0].levels[1].label",
            "grades[2].label",
            "ballot_levels[2].label",
            "adjustment_rules[0].code",
        ]
    )
    first_use = next(problem for problem in problems if problem.path == "dimensions[1].indicators[0].code")
    assert "dimensions[0].indicators[0]" in first_use.message


def test_grades_must_descend_strictly_and_end_at_zero() -> None:
    template = minimal_template()
    template["grades"] = [{"label": "好", "min": 80}, {"label": "较好", "min": 80}, {"label": "差", "min": 10}]
    assert paths(validate_template(template)) == ["grades[1].min", "grades[2].min"]


def test_gate_must_name_a_grade_and_needs_ballot_levels() -> None:
    template = minimal_template()
    template["gates"][0]["max_grade"] = "一般"
    del template["ballot_levels"]
    assert sorted(paths(validate_template(template))) == ["ballot_levels", "gates", "gates[0].max_grade"]


def test_ballot_levels_run_best_first() -> None:
    template = minimal_template()
    template["ballot_levels"][2]["weight"] = 0.9
    assert paths(validate_template(template)) == ["ballot_levels[2].weight"]


def test_negative_and_zero_points_are_rejected() -> None:
    template = minimal_template()
    template["dimensions"][0]["indicators"][0]["max_points"] = 0
    template["dimensions"][0]["indicators"][1]["rules"][0]["points"] = -1
    template["bonus_cap"] = -5
    template["grades"][0]["min"] = -1
    assert sorted(paths(validate_template(template))) == sorted(
        [
            "dimensions[0].indicators[0].max_points",
            "dimensions[0].indicators[1].rules[0].points",
            "bonus_cap",
            "grades[0].min",
            # -1 is also no longer above the next band's 80.
            "grades[1].min",
        ]
    )


def test_shape_errors_name_the_missing_or_unknown_key() -> None:
    template = minimal_template()
    del template["dimensions"][0]["indicators"][0]["max_points"]
    template["dimensions"][0]["indicators"][0]["method"] = "score"
    template["bonus_caps"] = 5
    template["x-issued-by"] = "市直机关工委"  # extension keys are allowed
    problems = validate_template(template)
    assert sorted(paths(problems)) == sorted(
        ["dimensions[0].indicators[0].max_points", "dimensions[0].indicators[0].method", "bonus_caps"]
    )
    assert all(" / " in problem.message for problem in problems), "messages are Chinese / English"


def test_a_yaml_number_where_a_code_belongs_gets_a_quoting_hint() -> None:
    template = load_document(
        """
name: t
year: 2026
dimensions:
  - code: 1.1
    title: 一级
    indicators: [{code: A, title: a, max_points: 100, method: points}]
grades: [{label: 好, min: 0}]
composite: {self: 0, reviewer: 1, ballot: 0}
"""
    )
    problems = validate_template(template)
    assert paths(problems) == ["dimensions[0].code"]
    assert "引号" in problems[0].message


def test_not_a_mapping() -> None:
    assert paths(validate_template(["not", "a", "template"])) == [""]


# ---------------------------------------------------------------- scores


@pytest.mark.parametrize(
    ("mutate", "expected_paths"),
    [
        pytest.param(lambda s: s["reviewer"].update(P1=40.5), ["reviewer.P1"], id="points above max"),
        pytest.param(lambda s: s["reviewer"].update(P1=-1), ["reviewer.P1"], id="negative points"),
        pytest.param(lambda s: s["reviewer"].update(P1="35"), ["reviewer.P1"], id="points as text"),
        pytest.param(lambda s: s["reviewer"].update(P1=True), ["reviewer.P1"], id="points as boolean"),
        pytest.param(lambda s: s["reviewer"].pop("P1"), ["reviewer.P1"], id="points indicator not scored"),
        pytest.param(lambda s: s["reviewer"].update(Q9=3), ["reviewer.Q9"], id="unknown indicator"),
        pytest.param(lambda s: s["reviewer"].update(L1="较好"), ["reviewer.L1"], id="unknown level label"),
        pytest.param(lambda s: s["reviewer"].update(X1={"R1": -1}), ["reviewer.X1.R1"], id="negative occurrences"),
        pytest.param(lambda s: s["reviewer"].update(X1={"R1": 1.5}), ["reviewer.X1.R1"], id="fractional occurrences"),
        pytest.param(lambda s: s["reviewer"].update(X1={"R7": 1}), ["reviewer.X1.R7"], id="unknown deduct rule"),
        pytest.param(lambda s: s["reviewer"].update(X1=3), ["reviewer.X1"], id="deduct given as a number"),
        pytest.param(lambda s: s.pop("reviewer"), ["reviewer"], id="weighted part missing"),
        pytest.param(lambda s: s.pop("ballot"), ["ballot"], id="weighted ballot missing"),
        pytest.param(lambda s: s.update(ballot={"好": 0, "较好": 0, "差": 0}), ["ballot"], id="zero votes"),
        pytest.param(lambda s: s["ballot"].update(优秀=3), ["ballot.优秀"], id="unknown ballot level"),
        pytest.param(lambda s: s["ballot"].update(差=-1), ["ballot.差"], id="negative votes"),
        pytest.param(lambda s: s.update(extra=1), ["extra"], id="unknown top-level key"),
        pytest.param(
            lambda s: s["adjustments"].append({"kind": "veto", "rule": "V9"}),
            ["adjustments[1].rule"],
            id="unknown veto rule",
        ),
        pytest.param(
            lambda s: s["adjustments"].append({"kind": "veto"}), ["adjustments[1].rule"], id="veto without rule"
        ),
        pytest.param(
            lambda s: s["adjustments"].append({"kind": "veto", "rule": "V1", "points": 5}),
            ["adjustments[1].points"],
            id="veto with points",
        ),
        pytest.param(
            lambda s: s["adjustments"].append({"kind": "bonus", "rule": "D-JM"}),
            ["adjustments[1].rule"],
            id="rule of other kind",
        ),
        pytest.param(
            lambda s: s["adjustments"].append({"kind": "deduction", "rule": "D-JM", "points": 2}),
            ["adjustments[1].points"],
            id="points differ from rule",
        ),
        pytest.param(
            lambda s: s["adjustments"].append({"kind": "bonus"}), ["adjustments[1].points"], id="bonus without points"
        ),
        pytest.param(
            lambda s: s["adjustments"].append({"kind": "deduction", "points": -3}),
            ["adjustments[1].points"],
            id="negative deduction",
        ),
        pytest.param(
            lambda s: s["adjustments"].append({"kind": "penalty", "points": 1}),
            ["adjustments[1].kind"],
            id="unknown kind",
        ),
        pytest.param(
            lambda s: s["adjustments"].append({"kind": "bonus", "points": 1, "why": "x"}),
            ["adjustments[1].why"],
            id="unknown adjustment key",
        ),
    ],
)
def test_invalid_scores_are_reported_with_their_path(mutate: Any, expected_paths: list[str]) -> None:
    template = minimal_template()
    scores = minimal_scores()
    mutate(scores)
    assert paths(validate_scores(template, scores)) == expected_paths
    with pytest.raises(ScoringError) as raised:
        evaluate(template, scores)
    assert paths(list(raised.value.problems)) == expected_paths


def test_absent_deduct_entry_means_no_deduction_but_absent_points_is_an_error() -> None:
    template = minimal_template()
    scores = minimal_scores()
    del scores["self"]["X1"]
    assert validate_scores(template, scores) == []
    assert evaluate(template, scores).dimensions[0].indicators[1].self_score.score == Decimal(30)


def test_a_part_with_weight_zero_may_be_absent() -> None:
    template = minimal_template()
    template["composite"] = {"self": 0, "reviewer": 1, "ballot": 0}
    scores = minimal_scores()
    del scores["self"]
    del scores["ballot"]
    result = evaluate(template, scores)
    assert result.parts.self_score is None and result.parts.ballot_score is None
    assert result.dimensions[0].self_score is None


def test_zero_votes_with_ballot_weight_zero_leaves_the_gate_unapplied() -> None:
    template = minimal_template()
    template["composite"] = {"self": 0.2, "reviewer": 0.8, "ballot": 0}
    scores = minimal_scores()
    scores["ballot"] = {"好": 0}
    result = evaluate(template, scores)
    assert result.parts.ballot_score is None
    assert result.ballot is not None and result.ballot.total_votes == 0
    assert [gate.applied for gate in result.gates] == [None]
    assert any("不适用" in reason for reason in result.reasons)


def test_ballot_given_to_a_template_without_ballot_levels() -> None:
    template = minimal_template()
    template["composite"] = {"self": 0.2, "reviewer": 0.8, "ballot": 0}
    del template["ballot_levels"]
    del template["gates"]
    assert paths(validate_scores(template, minimal_scores())) == ["ballot"]


def test_scores_against_an_invalid_template_raise() -> None:
    template = minimal_template()
    template["composite"]["self"] = 0.5
    with pytest.raises(ScoringError) as raised:
        validate_scores(template, minimal_scores())
    assert paths(list(raised.value.problems)) == ["composite"]
    assert "模板" in str(raised.value)


def test_invalid_scores_do_not_mutate_inputs() -> None:
    template = minimal_template()
    scores = minimal_scores()
    before = (copy.deepcopy(template), copy.deepcopy(scores))
    evaluate(template, scores)
    assert (template, scores) == before


# ---------------------------------------------------------------- documents


def test_load_document_reads_json_and_yaml_text_with_exact_decimals() -> None:
    from_json = load_document('{"a": 0.1, "b": [1, 2]}')
    from_yaml = load_document("a: 0.1\nb: [1, 2]\n")
    assert from_json == from_yaml == {"a": Decimal("0.1"), "b": [1, 2]}
    assert isinstance(from_yaml["a"], Decimal)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        "a: 1\na: 2\n",
        "a: [1, 2\n",
        "- just\n- a list\n",
        "a: .nan\n",
        "a: .inf\n",
    ],
)
def test_load_document_rejects_bad_documents(text: str) -> None:
    with pytest.raises(ScoringError):
        load_document(text)


def test_json_nan_never_becomes_a_number() -> None:
    # Invalid JSON starting with "{" is retried as a YAML flow mapping, where NaN is text,
    # so validation later rejects it as "not a number" instead of scoring NaN.
    assert load_document('{"a": NaN}') == {"a": "NaN"}
    assert load_document("{a: 1.5}") == {"a": Decimal("1.5")}


def test_load_document_reports_the_line_of_a_yaml_error() -> None:
    with pytest.raises(ScoringError) as raised:
        load_document("name: a\nyear: 2026\ndimensions: [\n")
    assert "line 4" in raised.value.problems[0].message or "line 3" in raised.value.problems[0].message


def test_load_document_missing_file(tmp_path: Any) -> None:
    with pytest.raises(ScoringError) as raised:
        load_document(tmp_path / "absent.yaml")
    assert "absent.yaml" in str(raised.value)
