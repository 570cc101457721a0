"""Table tests from the published schemes in domain/SCORING-EXAMPLES.md.

Every expected figure is worked out by hand in the comment next to it, so a failure
shows whether the engine or the arithmetic in the comment is wrong.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.scoring.engine import (
    Result,
    evaluate,
    load_document,
    result_to_json,
    round_figure,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "app" / "scoring" / "examples"

THREE_LEVEL_BALLOT = [{"label": "好", "weight": 1}, {"label": "一般", "weight": 0.8}, {"label": "差", "weight": 0.6}]
FOUR_LEVEL_BALLOT = [
    {"label": "好", "weight": 1},
    {"label": "较好", "weight": 0.9},
    {"label": "一般", "weight": 0.7},
    {"label": "差", "weight": 0.5},
]
FOUR_GRADES = [
    {"label": "好", "min": 90},
    {"label": "较好", "min": 80},
    {"label": "一般", "min": 60},
    {"label": "差", "min": 0},
]


def d(text: str) -> Decimal:
    return Decimal(text)


def sheet(
    indicators: list[dict[str, Any]],
    composite: dict[str, float],
    **extra: Any,
) -> dict[str, Any]:
    """A one-dimension template around ``indicators`` with the four usual grades."""
    template: dict[str, Any] = {
        "name": "测试评分表",
        "year": 2026,
        "dimensions": [{"code": "D", "title": "考核内容", "indicators": indicators}],
        "grades": FOUR_GRADES,
        "composite": composite,
    }
    template.update(extra)
    return template


def points_indicator(code: str, max_points: float, title: str = "考核项目") -> dict[str, Any]:
    return {"code": code, "title": title, "max_points": max_points, "method": "points"}


def composite_of(result: Result) -> Decimal:
    return round_figure(result.composite)


# ---------------------------------------------------------------- §1 classification


@pytest.fixture(scope="module")
def classification() -> dict[str, Any]:
    return load_document(EXAMPLES / "classification.yaml")


NO_DEDUCTION = {code: {} for code in ("FL1", "FL2", "FL3", "FL4", "FL5", "FL6", "FL7")}


def test_classification_template_has_the_published_seven_indicators(classification: dict[str, Any]) -> None:
    indicators = {
        indicator["title"]: indicator["max_points"]
        for dimension in classification["dimensions"]
        for indicator in dimension["indicators"]
    }
    assert indicators == {
        "带头人": 15,
        "工作思路": 10,
        "工作制度": 10,
        "活动阵地": 10,
        "保障机制": 10,
        "工作业绩": 20,
        "群众反映": 25,
    }
    assert sum(indicators.values()) == 100
    assert [(grade["label"], grade["min"]) for grade in classification["grades"]] == [
        ("好", 90),
        ("较好", 80),
        ("一般", 60),
        ("较差", 0),
    ]


def test_classification_deductions_give_较好(classification: dict[str, Any]) -> None:
    reviewer = {
        **NO_DEDUCTION,
        "FL1": {"FL1-2": 1},  # 15 − 3 = 12
        "FL3": {"FL3-1": 3, "FL3-3": 1},  # 10 − 3×1 − 1 = 6
        "FL4": {"FL4-2": 1},  # 10 − 2 = 8
        "FL7": {"FL7-1": 1},  # 25 − 5 = 20
    }
    # 满意 40 + 基本满意 6 of 50 votes: approval 46/50 = 92% ≥ 90%, the gate does not bite.
    ballot = {"满意": 40, "基本满意": 6, "不满意": 4}
    result = evaluate(classification, {"reviewer": reviewer, "ballot": ballot})
    # 12 + 10 + 6 + 8 + 10 + 20 + 20 = 86 → 较好 (80–89).
    assert result.parts.reviewer_score == 86
    assert composite_of(result) == 86
    assert (result.grade_by_score, result.grade) == ("较好", "较好")
    assert result.dimensions[0].reviewer_score == 86
    # The ballot is converted and reported even though its weight is 0:
    # (40×1 + 6×0.8 + 4×0) ÷ 50 × 100 = 44.8 ÷ 50 × 100 = 89.6.
    assert result.parts.ballot_score == d("89.6")
    assert result.ballot is not None and result.ballot.approval == d("0.92")
    fl3 = result.dimensions[0].indicators[2].reviewer_score
    assert fl3 is not None and fl3.score == 6
    assert [(item.rule, item.occurrences, item.points) for item in fl3.deductions] == [("FL3-1", 3, 3), ("FL3-3", 1, 1)]


def test_classification_gate_keeps_a_low_approval_at_一般(classification: dict[str, Any]) -> None:
    reviewer = {**NO_DEDUCTION, "FL7": {"FL7-1": 1}}  # 100 − 5 = 95 → 好 by score
    # approval (800 + 99) ÷ 1000 = 89.9% < 90%: neither 好 nor 较好, so 一般.
    result = evaluate(classification, {"reviewer": reviewer, "ballot": {"满意": 800, "基本满意": 99, "不满意": 101}})
    assert composite_of(result) == 95
    assert (result.grade_by_score, result.grade) == ("好", "一般")
    assert [gate.applied for gate in result.gates] == [True]
    assert any("89.9%" in reason and "一般" in reason for reason in result.reasons)
    # Exactly 90% is not "below 90%": (850 + 50) ÷ 1000.
    at_threshold = evaluate(
        classification, {"reviewer": reviewer, "ballot": {"满意": 850, "基本满意": 50, "不满意": 100}}
    )
    assert at_threshold.grade == "好"


def test_classification_gate_does_not_apply_without_a_ballot(classification: dict[str, Any]) -> None:
    result = evaluate(classification, {"reviewer": NO_DEDUCTION})
    assert result.grade == "好"  # 100 points, no ballot → the gate cannot be judged
    assert [gate.applied for gate in result.gates] == [None]
    assert any("未提供民主测评" in reason and "不适用" in reason for reason in result.reasons)


def test_classification_deduction_stops_at_zero(classification: dict[str, Any]) -> None:
    # 群众反映 25: 2 × 10 + 2 × 5 = 30 > 25, "扣完为止" → 0, not −5.
    result = evaluate(classification, {"reviewer": {**NO_DEDUCTION, "FL7": {"FL7-3": 2, "FL7-1": 2}}})
    fl7 = result.dimensions[0].indicators[6].reviewer_score
    assert fl7 is not None and fl7.score == 0
    assert "扣完为止" in fl7.explanation
    # 75 from the six untouched indicators + 0 = 75 → 一般 (not 70).
    assert composite_of(result) == 75
    assert result.grade == "一般"


def test_classification_veto_forces_较差(classification: dict[str, Any]) -> None:
    scores = {
        "reviewer": NO_DEDUCTION,  # 100 points
        "ballot": {"满意": 50},  # approval 100%
        "adjustments": [{"kind": "veto", "rule": "V1", "reason": "班子成员被立案审查"}],
    }
    result = evaluate(classification, scores)
    assert composite_of(result) == 100
    assert (result.grade_by_score, result.grade) == ("好", "较差")
    assert result.vetoes == ("V1",)
    assert any("一票否决" in reason and "V1" in reason for reason in result.reasons)


# ---------------------------------------------------------------- §2 ballot conversion


def ballot_only(levels: list[dict[str, Any]]) -> dict[str, Any]:
    return sheet([points_indicator("A", 100)], {"self": 0, "reviewer": 0, "ballot": 1}, ballot_levels=levels)


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        # (30×1 + 8×0.8 + 2×0.6) ÷ 40 × 100 = 37.6 ÷ 40 × 100 = 94
        ({"好": 30, "一般": 8, "差": 2}, "94"),
        # (20 + 4 + 1.2) ÷ 27 × 100 = 93.333… → 93.33
        ({"好": 20, "一般": 5, "差": 2}, "93.33"),
        # (157 + 2.4) ÷ 160 × 100 = 99.625 exactly → 99.63 half-up (half-even would give 99.62)
        ({"好": 157, "一般": 3, "差": 0}, "99.63"),
        # (1 + 0.8 + 0.6) ÷ 3 × 100 = 80
        ({"好": 1, "一般": 1, "差": 1}, "80"),
        # only 差: 0.6 × 100 = 60; a level with no votes may be left out
        ({"差": 12}, "60"),
    ],
)
def test_three_level_ballot_conversion(votes: dict[str, int], expected: str) -> None:
    result = evaluate(ballot_only(THREE_LEVEL_BALLOT), {"ballot": votes})
    assert round_figure(result.parts.ballot_score) == d(expected)  # type: ignore[arg-type]
    assert composite_of(result) == d(expected)
    assert result_to_json(result)["parts"]["ballot"] == float(d(expected))


@pytest.mark.parametrize(
    ("votes", "expected_score", "expected_approval"),
    [
        # (38 + 9×0.9 + 2×0.7 + 1×0.5) ÷ 50 × 100 = 48 ÷ 50 × 100 = 96; approval 47/50 = 94%
        ({"好": 38, "较好": 9, "一般": 2, "差": 1}, "96", "0.94"),
        # (10 + 9 + 7 + 5) ÷ 40 × 100 = 77.5; approval 20/40 = 50%
        ({"好": 10, "较好": 10, "一般": 10, "差": 10}, "77.5", "0.5"),
        # (2 + 0.9) ÷ 3 × 100 = 96.666… → 96.67; approval 100%
        ({"好": 2, "较好": 1}, "96.67", "1"),
    ],
)
def test_four_level_ballot_conversion(votes: dict[str, int], expected_score: str, expected_approval: str) -> None:
    result = evaluate(ballot_only(FOUR_LEVEL_BALLOT), {"ballot": votes})
    assert round_figure(result.parts.ballot_score) == d(expected_score)  # type: ignore[arg-type]
    assert result.ballot is not None and result.ballot.approval == d(expected_approval)


# ---------------------------------------------------------------- §3 composite weights


def test_daily_work_to_review_four_to_one() -> None:
    template = sheet(
        [points_indicator("PS", 100, "平时考核")],
        {"self": 0, "reviewer": 0.8, "ballot": 0.2},
        ballot_levels=THREE_LEVEL_BALLOT,
    )
    result = evaluate(template, {"reviewer": {"PS": 85.5}, "ballot": {"好": 20, "一般": 5, "差": 2}})
    # 0.8 × 85.5 + 0.2 × 93.333… = 68.4 + 18.666… = 87.0666… → 87.07 → 较好
    assert composite_of(result) == d("87.07")
    assert result.grade == "较好"


def test_first_secretary_scheme_target_work_70_rating_20_inspection_10() -> None:
    # The sheet carries the two scored parts on a 100-point scale that the reviewer weight
    # 0.8 brings back to the published points: 87.5 × 0.8 = 70 and 12.5 × 0.8 = 10; the
    # democratic rating weighs 0.2 = 20 points.
    template = sheet(
        [points_indicator("MB", 87.5, "目标工作"), points_indicator("DC", 12.5, "督查检查")],
        {"self": 0, "reviewer": 0.8, "ballot": 0.2},
        ballot_levels=FOUR_LEVEL_BALLOT,
    )
    result = evaluate(
        template, {"reviewer": {"MB": 80, "DC": 10}, "ballot": {"好": 10, "较好": 10, "一般": 10, "差": 10}}
    )
    # target work 80 × 0.8 = 64 of 70; inspection 10 × 0.8 = 8 of 10; rating 77.5 × 0.2 = 15.5 of 20
    # 64 + 8 + 15.5 = 87.5 → 较好
    assert result.parts.reviewer_score == 90
    assert composite_of(result) == d("87.5")
    assert result.grade == "较好"


def test_three_parts_weighted_70_20_10() -> None:
    template = sheet(
        [points_indicator("A", 100)],
        {"self": 0.1, "reviewer": 0.7, "ballot": 0.2},
        ballot_levels=FOUR_LEVEL_BALLOT,
    )
    result = evaluate(
        template, {"self": {"A": 95}, "reviewer": {"A": 88}, "ballot": {"好": 38, "较好": 9, "一般": 2, "差": 1}}
    )
    # 0.1 × 95 + 0.7 × 88 + 0.2 × 96 = 9.5 + 61.6 + 19.2 = 90.3 → 好
    assert composite_of(result) == d("90.3")
    assert result.grade == "好"


def test_report_and_review_counts_ten_percent() -> None:
    template = sheet(
        [points_indicator("A", 100, "年度考核")],
        {"self": 0, "reviewer": 0.9, "ballot": 0.1},
        ballot_levels=THREE_LEVEL_BALLOT,
    )
    result = evaluate(template, {"reviewer": {"A": 86}, "ballot": {"好": 20, "一般": 5, "差": 2}})
    # 0.9 × 86 + 0.1 × 93.333… = 77.4 + 9.333… = 86.7333… → 86.73 → 较好
    assert composite_of(result) == d("86.73")
    assert result.grade == "较好"


@pytest.mark.parametrize(
    ("score", "reported", "grade"),
    [
        # The grade is read from the reported figure: 89.995 is printed 90.00 and is 好.
        ("89.995", "90.00", "好"),
        ("89.994", "89.99", "较好"),
    ],
)
def test_grade_follows_the_rounded_composite(score: str, reported: str, grade: str) -> None:
    template = sheet([points_indicator("A", 100)], {"self": 0, "reviewer": 1, "ballot": 0})
    result = evaluate(template, {"reviewer": {"A": Decimal(score)}})
    assert result.composite == d(score)
    assert result.composite_rounded == d(reported)
    assert result.grade == grade


# ---------------------------------------------------------------- annual 2026 example


@pytest.fixture(scope="module")
def annual() -> dict[str, Any]:
    return load_document(EXAMPLES / "annual-2026.yaml")


@pytest.fixture()
def annual_scores() -> dict[str, Any]:
    return load_document(EXAMPLES / "annual-2026-scores.yaml")


def test_annual_example_sums_to_100_with_six_dimensions(annual: dict[str, Any]) -> None:
    assert [dimension["title"] for dimension in annual["dimensions"]] == [
        "政治建设",
        "思想建设",
        "组织建设",
        "作风建设",
        "纪律建设",
        "制度建设",
    ]
    total = sum(Decimal(str(i["max_points"])) for dim in annual["dimensions"] for i in dim["indicators"])
    assert total == 100
    assert {i["method"] for dim in annual["dimensions"] for i in dim["indicators"]} == {"points", "deduct", "levels"}


def test_annual_example_scores(annual: dict[str, Any], annual_scores: dict[str, Any]) -> None:
    result = evaluate(annual, annual_scores)
    # self: 20 + 15 + (7 + 6 + 6) + 15 + 15 + 15 = 99 (one 三会一课 miss in ZJ1)
    # reviewer by dimension:
    #   政治 ZZ1 8−1 = 7, ZZ2 较好 7×0.85 = 5.95, ZZ3 5          → 17.95
    #   思想 SX1 5.5, SX2 5−1 = 4, SX3 较好 4×0.85 = 3.4         → 12.9
    #   组织 ZJ1 8−2−1 = 5, ZJ2 好 6, ZJ3 5.5                    → 16.5
    #   作风 ZF1 8, ZF2 6                                       → 14
    #   纪律 JL1 8−1 = 7, JL2 较好 7×0.85 = 5.95                → 12.95
    #   制度 ZD1 7.5, ZD2 7−2 = 5                                → 12.5
    #   total 86.8
    # ballot (38 + 9×0.9 + 2×0.7 + 1×0.5) ÷ 50 × 100 = 96
    # weighted 0.2×99 + 0.6×86.8 + 0.2×96 = 19.8 + 52.08 + 19.2 = 91.08
    # bonus 1 (B3) + 1 (B4) = 2 ≤ 5; deduction 诫勉 1 → 91.08 + 2 − 1 = 92.08 → 好
    assert (result.parts.self_score, result.parts.reviewer_score, result.parts.ballot_score) == (99, d("86.8"), 96)
    assert [(dim.code, dim.reviewer_score) for dim in result.dimensions] == [
        ("ZZ", d("17.95")),
        ("SX", d("12.9")),
        ("ZJ", d("16.5")),
        ("ZF", 14),
        ("JL", d("12.95")),
        ("ZD", d("12.5")),
    ]
    assert result.weighted == d("91.08")
    assert (result.bonus, result.deductions) == (2, 1)
    assert composite_of(result) == d("92.08")
    assert result.grade == "好"


@pytest.mark.parametrize(
    ("ballot", "composite", "grade"),
    [
        # approval (40 + 3) ÷ 50 = 86% < 90% → no better than 较好
        ({"好": 40, "较好": 3, "一般": 5, "差": 2}, "95.76", "较好"),
        # approval (30 + 2) ÷ 50 = 64% < 70% → both gates bite, the stricter one wins: 一般
        ({"好": 30, "较好": 2, "一般": 16, "差": 2}, "94.48", "一般"),
    ],
)
def test_annual_gates(
    annual: dict[str, Any], annual_scores: dict[str, Any], ballot: dict[str, int], composite: str, grade: str
) -> None:
    scores = {**annual_scores, "adjustments": [{"kind": "bonus", "rule": "B1"}, {"kind": "bonus", "rule": "B2"}]}
    scores["ballot"] = ballot
    result = evaluate(annual, scores)
    # 0.2×99 + 0.6×86.8 = 71.88, and bonus 3 + 2 = 5, put both rows above 90 by score:
    # (a) 71.88 + 0.2 × (40 + 2.7 + 3.5 + 1) ÷ 50 × 100 = 71.88 + 18.88 = 90.76, + 5 = 95.76
    # (b) 71.88 + 0.2 × (30 + 1.8 + 11.2 + 1) ÷ 50 × 100 = 71.88 + 17.6 = 89.48, + 5 = 94.48
    assert composite_of(result) == d(composite)
    assert result.grade_by_score == "好"
    assert result.grade == grade


# ---------------------------------------------------------------- §4 deductions and bonuses


def test_disciplinary_deductions_per_case(annual: dict[str, Any], annual_scores: dict[str, Any]) -> None:
    scores = copy.deepcopy(annual_scores)
    scores["adjustments"] = [
        {"kind": "deduction", "rule": "D1", "reason": "诫勉 张某"},  # −1
        {"kind": "deduction", "rule": "D1", "reason": "诫勉 李某"},  # −1
        {"kind": "deduction", "rule": "D2", "reason": "警告处分"},  # −3
        {"kind": "deduction", "rule": "D3", "reason": "撤职处分"},  # −5
        {"kind": "deduction", "rule": "D4", "reason": "移送司法机关"},  # −8
    ]
    result = evaluate(annual, scores)
    # 91.08 − (1 + 1 + 3 + 5 + 8 = 18) = 73.08 → 一般
    assert result.deductions == 18
    assert composite_of(result) == d("73.08")
    assert result.grade == "一般"
    assert [item.points for item in result.adjustments] == [1, 1, 3, 5, 8]
    assert result.adjustments[3].rule_title is not None and "重处分" in result.adjustments[3].rule_title


def test_deductions_by_rank_of_the_person() -> None:
    template = sheet(
        [points_indicator("A", 100)],
        {"self": 0, "reviewer": 1, "ballot": 0},
        adjustment_rules=[
            {"code": "SJ", "title": "党组书记被问责", "kind": "deduction", "points": 10},
            {"code": "BZ", "title": "班子成员被问责", "kind": "deduction", "points": 5},
            {"code": "ZB", "title": "支部书记被问责", "kind": "deduction", "points": 2},
        ],
    )
    scores = {
        "reviewer": {"A": 95},
        "adjustments": [
            {"kind": "deduction", "rule": "SJ"},
            {"kind": "deduction", "rule": "BZ"},
            {"kind": "deduction", "rule": "ZB"},
            {"kind": "deduction", "rule": "ZB"},
        ],
    }
    result = evaluate(template, scores)
    # 95 − 10 − 5 − 2 × 2 = 76 → 一般
    assert composite_of(result) == 76
    assert result.grade == "一般"


def test_deductions_never_push_the_composite_below_zero() -> None:
    template = sheet([points_indicator("A", 100)], {"self": 0, "reviewer": 1, "ballot": 0})
    result = evaluate(template, {"reviewer": {"A": 10}, "adjustments": [{"kind": "deduction", "points": 18}]})
    # 10 − 18 = −8 → 0
    assert result.composite == 0
    assert result.grade == "差"
    assert any("按 0 分计" in reason for reason in result.reasons)


def test_commendation_bonus_capped_at_5(annual: dict[str, Any], annual_scores: dict[str, Any]) -> None:
    scores = copy.deepcopy(annual_scores)
    scores["adjustments"] = [
        {"kind": "bonus", "rule": "B1"},  # +3
        {"kind": "bonus", "rule": "B2"},  # +2
        {"kind": "bonus", "rule": "B3"},  # +1
    ]
    result = evaluate(annual, scores)
    # claimed 3 + 2 + 1 = 6, capped at 5: 91.08 + 5 = 96.08
    assert (result.bonus_claimed, result.bonus) == (6, 5)
    assert composite_of(result) == d("96.08")
    assert any("超过上限 5 分" in reason for reason in result.reasons)


@pytest.mark.parametrize(
    ("bonuses", "expected_bonus", "expected_composite"),
    [
        ([8, 10], 15, "95"),  # 18 claimed → 15; 80 + 15 = 95
        ([4], 4, "84"),  # under the cap: 80 + 4 = 84
        ([10, 10], 15, "95"),  # 20 claimed → 15
    ],
)
def test_ranking_bonus_capped_at_15(bonuses: list[int], expected_bonus: int, expected_composite: str) -> None:
    template = sheet([points_indicator("A", 100)], {"self": 0, "reviewer": 1, "ballot": 0}, bonus_cap=15)
    scores = {
        "reviewer": {"A": 80},
        "adjustments": [{"kind": "bonus", "points": points, "reason": "排名加分"} for points in bonuses],
    }
    result = evaluate(template, scores)
    assert result.bonus == expected_bonus
    assert composite_of(result) == d(expected_composite)


def test_bonus_can_lift_the_composite_above_100() -> None:
    template = sheet([points_indicator("A", 100)], {"self": 0, "reviewer": 1, "ballot": 0}, bonus_cap=5)
    result = evaluate(template, {"reviewer": {"A": 100}, "adjustments": [{"kind": "bonus", "points": 5}]})
    # 100 + 5 = 105: the cap bounds the bonus, not the composite.
    assert composite_of(result) == 105


def test_template_without_bonus_cap_ignores_bonus() -> None:
    template = sheet([points_indicator("A", 100)], {"self": 0, "reviewer": 1, "ballot": 0})
    result = evaluate(template, {"reviewer": {"A": 70}, "adjustments": [{"kind": "bonus", "points": 3}]})
    # bonus_cap defaults to 0: 70 + min(3, 0) = 70
    assert (result.bonus_claimed, result.bonus, composite_of(result)) == (3, 0, 70)


# ---------------------------------------------------------------- the documented worked example


def documented_block(marker: str) -> dict[str, Any]:
    """The YAML block that follows ``<!-- marker -->`` in docs/score-templates.md."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "score-templates.md").read_text(encoding="utf-8")
    after_marker = text.split(f"<!-- {marker} -->", 1)[1]
    block = after_marker.split("```yaml\n", 1)[1].split("```", 1)[0]
    return load_document(block)


def test_worked_example_in_the_docs() -> None:
    template = documented_block("worked-example-template")
    scores = documented_block("worked-example-scores")
    printed = result_to_json(evaluate(template, scores))
    # The figures of the table in docs/score-templates.md.
    assert printed["parts"] == {"self": 100, "reviewer": 88.5, "ballot": 94.89}
    assert [(dim["code"], dim["reviewer"]) for dim in printed["dimensions"]] == [("ZZ", 54.5), ("ZF", 34)]
    assert printed["ballot"]["approval_percent"] == 91.11
    assert (printed["weighted"], printed["bonus_claimed"], printed["bonus"], printed["deductions"]) == (92.08, 6, 5, 1)
    assert (printed["composite"], printed["grade"]) == (96.08, "好")

    scores["ballot"] = {"好": 25, "较好": 10, "一般": 8, "差": 2}
    gated = result_to_json(evaluate(template, scores))
    assert (gated["parts"]["ballot"], gated["weighted"], gated["composite"]) == (90.22, 91.14, 95.14)
    assert (gated["grade_by_score"], gated["grade"]) == ("好", "较好")

    scores["adjustments"].append({"kind": "veto", "rule": "V1"})
    assert evaluate(template, scores).grade == "差"


def test_a_composite_of_exactly_half_a_cent_rounds_up_despite_a_third_in_the_ballot():
    """Found by the property test: 0.75 × 0.02 + 0.24 × (1 × 0.01 ÷ 3 × 100) is exactly
    0.015 + 0.08 = 0.095, which rounds half-up to 0.10.  Dividing by the 3 votes before
    weighting gave 0.0949…9 and 0.09."""
    template = {
        "name": "回归", "year": 2026,
        "dimensions": [{"code": "D0", "title": "一级指标", "indicators": [
            {"code": "I0", "title": "指标0", "max_points": 0.01, "method": "points"},
            {"code": "I1", "title": "指标1", "max_points": 99.99, "method": "points"}]}],
        "grades": [{"label": "优秀", "min": 0}],
        "composite": {"self": 0.75, "reviewer": 0.01, "ballot": 0.24},
        "ballot_levels": [{"label": "好", "weight": 0.01}, {"label": "较好", "weight": 0},
                          {"label": "一般", "weight": 0}, {"label": "差", "weight": 0}],
        "bonus_cap": 0, "veto_rules": [], "gates": [],
    }
    scores = {"self": {"I0": 0, "I1": 0.02}, "reviewer": {"I0": 0, "I1": 0},
              "ballot": {"好": 1, "较好": 0, "一般": 0, "差": 2}}
    result = evaluate(template, scores)
    assert result.composite_rounded == Decimal("0.10")
    assert result_to_json(result)["parts"]["ballot"] == 0.33
