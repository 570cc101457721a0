"""``score_part``: running totals of a sheet that is still being filled in."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given

from app.scoring.engine import ScoringError, evaluate, load_document, score_part
from tests.scoring.test_engine_properties import PROPERTY_SETTINGS, case_strategy

EXAMPLES = Path(__file__).resolve().parents[2] / "app" / "scoring" / "examples"
TEMPLATE = load_document(EXAMPLES / "annual-2026.yaml")
SCORES = load_document(EXAMPLES / "annual-2026-scores.yaml")


@PROPERTY_SETTINGS
@given(case_strategy())
def test_a_complete_part_scores_exactly_as_evaluate(case) -> None:
    template, scores = case
    result = evaluate(template, scores)
    for part in ("self", "reviewer"):
        if part not in scores:
            continue
        running = score_part(template, scores[part], part)
        assert running.complete
        assert running.total == result.parts.get(part)
        for dimension in result.dimensions:
            assert running.subtotal_of(dimension.code) == dimension.score_for(part)
            for indicator in dimension.indicators:
                assert running.score_of(indicator.code) == indicator.score_for(part)


def test_unscored_indicators_are_listed_and_left_out_of_the_sums() -> None:
    running = score_part(TEMPLATE, {"SX1": 5, "ZZ2": "较好", "ZZ1": {"ZZ1-1": 2}})
    assert not running.complete
    # ZZ1 8 − 2 = 6, ZZ2 7 × 0.85 = 5.95, ZZ3 (deduct, nothing recorded) 5; SX1 5, SX2 5.
    assert running.subtotal_of("ZZ") == Decimal("16.95")
    assert running.subtotal_of("SX") == Decimal("10")
    # deduct indicators never count as unscored: no occurrence means full points
    assert "ZJ1" not in running.unscored and running.score_of("ZJ1").score == 8
    assert running.unscored == ("SX3", "ZJ2", "ZJ3", "ZF2", "JL2", "ZD1")
    assert running.total == Decimal("16.95") + 10 + 8 + 8 + 8 + 7


def test_invalid_values_are_problems_with_evaluate_paths() -> None:
    running = score_part(TEMPLATE, {"SX1": 7, "ZZ2": "优", "ZZ1": {"ZZ1-9": 1}, "XX": 1}, "reviewer")
    paths = [problem.path for problem in running.problems]
    assert paths == ["reviewer.XX", "reviewer.ZZ1.ZZ1-9", "reviewer.ZZ2", "reviewer.SX1"]
    assert running.score_of("SX1") is None and running.score_of("ZZ2") is None
    assert not running.complete


def test_nothing_entered_gives_the_deduct_indicators_full_points() -> None:
    running = score_part(TEMPLATE, None)
    deduct_points = sum(
        Decimal(indicator["max_points"])
        for dimension in TEMPLATE["dimensions"]
        for indicator in dimension["indicators"]
        if indicator["method"] == "deduct"
    )
    assert running.total == deduct_points
    assert score_part(TEMPLATE, ["not", "a", "mapping"]).problems[0].path == "self"


def test_an_invalid_template_is_refused() -> None:
    with pytest.raises(ScoringError):
        score_part({"name": "x"}, {})


def test_the_example_reviewer_part_matches_the_documented_totals() -> None:
    running = score_part(TEMPLATE, SCORES["reviewer"], "reviewer")
    assert running.complete and running.total == Decimal("86.8")
    assert running.subtotal_of("ZZ") == Decimal("17.95")


def test_validation_is_remembered_by_content_and_never_confuses_types() -> None:
    import copy

    from app.scoring.engine import validate_template

    body = copy.deepcopy(TEMPLATE)
    assert validate_template(body) == []
    body["dimensions"][0]["indicators"][0]["max_points"] = "8"  # text, not a number
    problems = validate_template(body)
    assert [problem.path for problem in problems] == ["dimensions[0].indicators[0].max_points"]
    problems.clear()  # the caller's list is a copy
    assert len(validate_template(body)) == 1
    body["dimensions"][0]["indicators"][0]["max_points"] = 8.0
    assert validate_template(body) == []
    body["dimensions"][0]["indicators"][0]["max_points"] = True
    assert len(validate_template(body)) == 1
    body["dimensions"][0]["indicators"][0]["max_points"] = Decimal("8")
    assert score_part(body, {}).total == score_part(TEMPLATE, {}).total
