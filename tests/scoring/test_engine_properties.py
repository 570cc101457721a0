"""Property tests of the scoring engine over generated valid templates and scores.

The generated templates have max points summing to exactly 100 (as every published
sheet does), all three methods, random weights, ballots, bands, gates and adjustments.
The composite is checked against an independent oracle written with exact fractions.
"""

from __future__ import annotations

import copy
import itertools
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.scoring.engine import (
    ScoringError,
    evaluate,
    result_to_json,
    validate_scores,
    validate_template,
)

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BALLOT_LABELS = ["好", "较好", "一般", "差"]
GRADE_LABELS = ["优秀", "良好", "合格", "不合格"]
LEVEL_LABELS = ["A", "B", "C", "D"]
PARTS = ("self", "reviewer", "ballot")


def cents(value: int) -> Decimal:
    return Decimal(value) / 100


# ---------------------------------------------------------------- strategies


@st.composite
def indicator_strategy(draw: st.DrawFn, code: str, max_points: Decimal) -> dict[str, Any]:
    method = draw(st.sampled_from(["points", "deduct", "levels"]))
    indicator: dict[str, Any] = {"code": code, "title": f"指标{code}", "max_points": max_points, "method": method}
    if method == "deduct":
        rule_count = draw(st.integers(1, 3))
        indicator["rules"] = [
            {"code": f"{code}-R{index}", "title": f"扣分情形{index}", "points": Decimal(draw(st.integers(1, 20))) / 2}
            for index in range(rule_count)
        ]
    elif method == "levels":
        level_count = draw(st.integers(1, 4))
        indicator["levels"] = [
            {"label": LEVEL_LABELS[index], "fraction": cents(draw(st.integers(0, 100)))} for index in range(level_count)
        ]
    return indicator


@st.composite
def template_strategy(draw: st.DrawFn) -> dict[str, Any]:
    """A valid template whose indicators' max points sum to exactly 100."""
    indicator_count = draw(st.integers(1, 8))
    # Split 100.00 points into indicator_count positive shares, to the cent.
    cuts = sorted(
        draw(st.lists(st.integers(1, 9999), min_size=indicator_count - 1, max_size=indicator_count - 1, unique=True))
    )
    bounds = [0, *cuts, 10000]
    shares = [cents(high - low) for low, high in itertools.pairwise(bounds)]
    indicators = [draw(indicator_strategy(f"I{index}", share)) for index, share in enumerate(shares)]

    # Group consecutive indicators into dimensions.
    dimension_cuts = []
    if indicator_count > 1:
        dimension_cuts = sorted(
            draw(st.lists(st.integers(1, indicator_count - 1), max_size=indicator_count - 1, unique=True))
        )
    edges = [0, *dimension_cuts, indicator_count]
    dimensions = [
        {"code": f"D{index}", "title": f"一级指标{index}", "indicators": indicators[start:end]}
        for index, (start, end) in enumerate(itertools.pairwise(edges))
    ]

    first = draw(st.integers(0, 100))
    second = draw(st.integers(0, 100 - first))
    weights = draw(st.permutations([first, second, 100 - first - second]))
    ballot_level_count = draw(st.integers(2, 4))
    ballot_weights = sorted((draw(st.integers(0, 100)) for _ in range(ballot_level_count)), reverse=True)
    grade_count = draw(st.integers(1, 4))
    grade_minimums = sorted(
        draw(st.lists(st.integers(1, 100), min_size=grade_count - 1, max_size=grade_count - 1, unique=True)),
        reverse=True,
    )
    grade_labels = GRADE_LABELS[:grade_count]
    return {
        "name": "生成的模板",
        "year": 2026,
        "dimensions": dimensions,
        "grades": [
            {"label": label, "min": minimum} for label, minimum in zip(grade_labels, [*grade_minimums, 0], strict=True)
        ],
        "composite": {part: cents(weight) for part, weight in zip(PARTS, weights, strict=True)},
        "ballot_levels": [
            {"label": label, "weight": cents(weight)}
            for label, weight in zip(BALLOT_LABELS, ballot_weights, strict=False)
        ],
        "bonus_cap": Decimal(draw(st.integers(0, 15))),
        "veto_rules": [{"code": f"V{index}", "title": f"否决情形{index}"} for index in range(draw(st.integers(0, 2)))],
        "adjustment_rules": [
            {"code": "JM", "title": "诫勉", "kind": "deduction", "points": 1},
            {"code": "BZ", "title": "表彰", "kind": "bonus", "points": 2},
        ],
        "gates": [
            {
                "ballot_approval_below": cents(draw(st.integers(1, 100))),
                "max_grade": draw(st.sampled_from(grade_labels)),
            }
            for _ in range(draw(st.integers(0, 2)))
        ],
    }


def all_indicators(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [indicator for dimension in template["dimensions"] for indicator in dimension["indicators"]]


@st.composite
def indicator_value_strategy(draw: st.DrawFn, indicator: dict[str, Any]) -> Any:
    if indicator["method"] == "points":
        return cents(draw(st.integers(0, int(indicator["max_points"] * 100))))
    if indicator["method"] == "levels":
        return draw(st.sampled_from([level["label"] for level in indicator["levels"]]))
    # Up to 12 occurrences of rules worth up to 10 points: often more than the indicator's
    # points, so the floor at 0 gets exercised.
    return {rule["code"]: draw(st.integers(0, 12)) for rule in indicator["rules"] if draw(st.booleans())}


@st.composite
def scores_strategy(draw: st.DrawFn, template: dict[str, Any]) -> dict[str, Any]:
    weights = template["composite"]
    scores: dict[str, Any] = {}
    for part in ("self", "reviewer"):
        if weights[part] > 0 or draw(st.booleans()):
            scores[part] = {
                indicator["code"]: draw(indicator_value_strategy(indicator)) for indicator in all_indicators(template)
            }
    if weights["ballot"] > 0 or draw(st.booleans()):
        labels = [level["label"] for level in template["ballot_levels"]]
        votes = {label: draw(st.integers(0, 40)) for label in labels}
        if weights["ballot"] > 0 and sum(votes.values()) == 0:
            votes[labels[0]] = 1
        scores["ballot"] = votes
    adjustment_options = [
        st.builds(
            lambda points: {"kind": "bonus", "points": Decimal(points) / 2, "reason": "加分"}, st.integers(0, 20)
        ),
        st.builds(
            lambda points: {"kind": "deduction", "points": Decimal(points) / 2, "reason": "扣分"}, st.integers(0, 20)
        ),
        st.just({"kind": "deduction", "rule": "JM", "reason": "诫勉"}),
        st.just({"kind": "bonus", "rule": "BZ", "reason": "表彰"}),
    ]
    if template["veto_rules"]:
        codes = [rule["code"] for rule in template["veto_rules"]]
        adjustment_options.append(
            st.builds(lambda code: {"kind": "veto", "rule": code, "reason": "否决"}, st.sampled_from(codes))
        )
    scores["adjustments"] = draw(st.lists(st.one_of(adjustment_options), max_size=5))
    return scores


@st.composite
def case_strategy(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    template = draw(template_strategy())
    return template, draw(scores_strategy(template))


# ---------------------------------------------------------------- oracle


def oracle_indicator(indicator: dict[str, Any], value: Any) -> Fraction:
    maximum = Fraction(indicator["max_points"])
    if indicator["method"] == "points":
        return Fraction(value)
    if indicator["method"] == "levels":
        return maximum * Fraction(next(level["fraction"] for level in indicator["levels"] if level["label"] == value))
    points = {rule["code"]: Fraction(rule["points"]) for rule in indicator["rules"]}
    return max(Fraction(0), maximum - sum((points[code] * count for code, count in (value or {}).items()), Fraction(0)))


def oracle_composite(template: dict[str, Any], scores: dict[str, Any]) -> Fraction:
    """The composite by the contract's formula, in exact rational arithmetic."""
    weighted = Fraction(0)
    for part in ("self", "reviewer"):
        if part in scores:
            total = sum(
                oracle_indicator(indicator, scores[part].get(indicator["code"]))
                for indicator in all_indicators(template)
            )
            weighted += Fraction(template["composite"][part]) * total
    ballot = scores.get("ballot")
    if ballot and sum(ballot.values()):
        level_weights = {level["label"]: Fraction(level["weight"]) for level in template["ballot_levels"]}
        score = sum(level_weights[label] * votes for label, votes in ballot.items()) / sum(ballot.values()) * 100
        weighted += Fraction(template["composite"]["ballot"]) * score
    adjustments = scores.get("adjustments", [])
    rule_points = {rule["code"]: Fraction(rule["points"]) for rule in template["adjustment_rules"]}

    def points(item: dict[str, Any]) -> Fraction:
        return Fraction(item["points"]) if "points" in item else rule_points[item["rule"]]

    bonus = min(
        sum((points(item) for item in adjustments if item["kind"] == "bonus"), Fraction(0)),
        Fraction(template["bonus_cap"]),
    )
    deductions = sum((points(item) for item in adjustments if item["kind"] == "deduction"), Fraction(0))
    return max(Fraction(0), weighted + bonus - deductions)


def half_up_cents(value: Fraction) -> Fraction:
    return Fraction(math.floor(value * 100 + Fraction(1, 2)), 100)


def oracle_grade(template: dict[str, Any], scores: dict[str, Any], reported_composite: Decimal) -> str:
    grades = template["grades"]
    index = next(i for i, grade in enumerate(grades) if reported_composite >= grade["min"])
    labels = [grade["label"] for grade in grades]
    ballot = scores.get("ballot")
    if ballot and sum(ballot.values()):
        favourable = sum(ballot.get(level["label"], 0) for level in template["ballot_levels"][:2])
        approval = Fraction(favourable, sum(ballot.values()))
        for gate in template["gates"]:
            if approval < Fraction(gate["ballot_approval_below"]):
                index = max(index, labels.index(gate["max_grade"]))
    if any(item["kind"] == "veto" for item in scores.get("adjustments", [])):
        index = len(labels) - 1
    return labels[index]


# ---------------------------------------------------------------- properties


@PROPERTY_SETTINGS
@given(case_strategy())
def test_generated_cases_are_valid_and_match_the_oracle(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, scores = case
    assert validate_template(template) == []
    assert validate_scores(template, scores) == []
    result = evaluate(template, scores)
    expected = oracle_composite(template, scores)
    assert Fraction(result.composite_rounded) == half_up_cents(expected)
    # The engine's full-precision composite is within rounding noise of the exact value.
    assert abs(Fraction(result.composite) - expected) < Fraction(1, 10**30)
    assert result.grade == oracle_grade(template, scores, result.composite_rounded)


@PROPERTY_SETTINGS
@given(case_strategy())
def test_composite_stays_within_zero_and_100_plus_bonus_cap(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, scores = case
    result = evaluate(template, scores)
    assert 0 <= result.composite <= 100 + template["bonus_cap"]
    assert 0 <= result.bonus <= template["bonus_cap"]
    for part in PARTS:
        value = result.parts.get(part)
        assert value is None or 0 <= value <= 100


@PROPERTY_SETTINGS
@given(case_strategy())
def test_deduct_indicators_never_go_below_zero(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, scores = case
    result = evaluate(template, scores)
    for dimension in result.dimensions:
        for indicator in dimension.indicators:
            for score in (indicator.self_score, indicator.reviewer_score):
                if score is None:
                    continue
                assert 0 <= score.score <= indicator.max_points
                if indicator.method == "deduct":
                    deducted = sum((item.points for item in score.deductions), Decimal(0))
                    assert score.score == max(Decimal(0), indicator.max_points - deducted)


@st.composite
def improvement_strategy(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A case, and a copy of its scores where one indicator (or the ballot) is better."""
    template, scores = draw(case_strategy())
    better = copy.deepcopy(scores)
    present = [part for part in ("self", "reviewer") if part in scores]
    if not present:
        # Only the ballot is weighted: move one vote up a level instead.
        votes = better["ballot"]
        labels = [level["label"] for level in template["ballot_levels"]]
        donors = [index for index, label in enumerate(labels) if index > 0 and votes.get(label, 0) > 0]
        if donors:
            donor = draw(st.sampled_from(donors))
            receiver = draw(st.integers(0, donor - 1))
            votes[labels[donor]] -= 1
            votes[labels[receiver]] = votes.get(labels[receiver], 0) + 1
        return template, scores, better
    part = draw(st.sampled_from(present))
    indicator = draw(st.sampled_from(all_indicators(template)))
    current = better[part].get(indicator["code"])
    if indicator["method"] == "points":
        better[part][indicator["code"]] = cents(
            draw(st.integers(int(current * 100), int(indicator["max_points"] * 100)))
        )
    elif indicator["method"] == "levels":
        fractions = {level["label"]: level["fraction"] for level in indicator["levels"]}
        higher = [label for label, fraction in fractions.items() if fraction >= fractions[current]]
        better[part][indicator["code"]] = draw(st.sampled_from(higher))
    else:
        occurrences = dict(current or {})
        if occurrences:
            rule = draw(st.sampled_from(sorted(occurrences)))
            occurrences[rule] = draw(st.integers(0, occurrences[rule]))
        better[part][indicator["code"]] = occurrences
    return template, scores, better


@PROPERTY_SETTINGS
@given(improvement_strategy())
def test_a_better_score_never_lowers_the_composite(case: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]) -> None:
    template, scores, better = case
    before = evaluate(template, scores)
    after = evaluate(template, better)
    assert after.composite >= before.composite
    for part in PARTS:
        old, new = before.parts.get(part), after.parts.get(part)
        if old is not None and new is not None and part != "ballot":
            assert new >= old


@PROPERTY_SETTINGS
@given(case_strategy(), st.data())
def test_a_veto_always_gives_the_last_grade(case: tuple[dict[str, Any], dict[str, Any]], data: st.DataObject) -> None:
    template, scores = copy.deepcopy(case)
    template["veto_rules"].append({"code": "VX", "title": "弄虚作假"})
    adjustments = scores["adjustments"]
    adjustments.insert(
        data.draw(st.integers(0, len(adjustments))), {"kind": "veto", "rule": "VX", "reason": "弄虚作假"}
    )
    result = evaluate(template, scores)
    assert result.grade == template["grades"][-1]["label"]
    assert "VX" in result.vetoes


@PROPERTY_SETTINGS
@given(case_strategy(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_order_of_dimensions_or_adjustments(
    case: tuple[dict[str, Any], dict[str, Any]], random: Any
) -> None:
    template, scores = case
    shuffled_template = copy.deepcopy(template)
    random.shuffle(shuffled_template["dimensions"])
    for dimension in shuffled_template["dimensions"]:
        random.shuffle(dimension["indicators"])
    shuffled_scores = copy.deepcopy(scores)
    random.shuffle(shuffled_scores["adjustments"])

    original = result_to_json(evaluate(template, scores))
    reordered = result_to_json(evaluate(shuffled_template, shuffled_scores))
    for key in (
        "parts",
        "ballot",
        "weighted",
        "bonus_claimed",
        "bonus",
        "deductions",
        "composite",
        "grade_by_score",
        "grade",
        "vetoes",
        "gates",
        "reasons",
    ):
        assert reordered[key] == original[key], key

    def by_code(dimensions: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            dimension["code"]: {
                **dimension,
                "indicators": sorted(dimension["indicators"], key=lambda item: item["code"]),
            }
            for dimension in dimensions
        }

    assert by_code(reordered["dimensions"]) == by_code(original["dimensions"])
    assert sorted(map(repr, reordered["adjustments"])) == sorted(map(repr, original["adjustments"]))


# Arbitrary JSON-like values, with the keys the contract uses so that the checks go deep.
CONTRACT_KEYS = st.sampled_from(
    [
        "name",
        "year",
        "dimensions",
        "code",
        "title",
        "indicators",
        "max_points",
        "method",
        "rules",
        "levels",
        "label",
        "fraction",
        "points",
        "grades",
        "min",
        "composite",
        "self",
        "reviewer",
        "ballot",
        "ballot_levels",
        "weight",
        "bonus_cap",
        "veto_rules",
        "gates",
        "adjustments",
        "kind",
        "rule",
        "reason",
        "I0",
        "D0",
        "A",
        "好",
    ]
)
JSON_LIKE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 200)
    | st.decimals(-5, 200, places=2)
    | st.sampled_from(["points", "deduct", "levels", "veto", "bonus", "好", ""]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(CONTRACT_KEYS, children, max_size=6),
    max_leaves=30,
)


@PROPERTY_SETTINGS
@given(JSON_LIKE)
def test_template_validation_reports_instead_of_crashing(document: Any) -> None:
    problems = validate_template(document)
    assert isinstance(problems, list)
    assert all(isinstance(problem.path, str) and problem.message for problem in problems)


@PROPERTY_SETTINGS
@given(template_strategy(), st.data())
def test_evaluate_raises_scoring_error_or_scores_for_any_scores_document(
    template: dict[str, Any], data: st.DataObject
) -> None:
    indicator_codes = st.sampled_from([indicator["code"] for indicator in all_indicators(template)] + ["X"])
    junk_part = st.dictionaries(
        indicator_codes, JSON_LIKE | st.dictionaries(st.sampled_from(["I0-R0", "I1-R1", "X"]), JSON_LIKE)
    )
    scores = data.draw(
        JSON_LIKE
        | st.fixed_dictionaries(
            {},
            optional={
                "self": junk_part,
                "reviewer": junk_part,
                "ballot": st.dictionaries(st.sampled_from([*BALLOT_LABELS, "X"]), JSON_LIKE),
                "adjustments": st.lists(
                    st.dictionaries(st.sampled_from(["kind", "points", "rule", "reason"]), JSON_LIKE)
                ),
            },
        )
    )
    try:
        result = evaluate(template, scores)
    except ScoringError as error:
        assert error.problems
    else:
        assert result.grade in [grade["label"] for grade in template["grades"]]
