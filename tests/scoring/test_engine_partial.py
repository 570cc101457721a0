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
    running = score_part(TEMPLATE, {"SX1": 5, "ZZ2": "较好", "ZZ1": {"ZZ1-1": 2}, "ZZ3": {}})
    assert not running.complete
    # ZZ1 8 − 2 = 6, ZZ2 7 × 0.85 = 5.95, ZZ3 (deduct, entered as "nothing deducted") 5; SX1 5.
    assert running.subtotal_of("ZZ") == Decimal("16.95")
    assert running.subtotal_of("SX") == Decimal("5")
    # A deduct indicator without an entry is unscored like any other: no full points.
    assert "ZJ1" in running.unscored and running.score_of("ZJ1") is None
    assert running.unscored == ("SX2", "SX3", "ZJ1", "ZJ2", "ZJ3", "ZF1", "ZF2", "JL1", "JL2", "ZD1", "ZD2")
    assert running.total == Decimal("16.95") + 5
    assert (running.scored, running.count) == (4, 15)
    assert running.dimension_counts("ZZ") == (3, 3) and running.dimension_complete("ZZ")
    assert running.dimension_counts("SX") == (1, 3) and not running.dimension_complete("SX")


def test_invalid_values_are_problems_with_evaluate_paths() -> None:
    running = score_part(TEMPLATE, {"SX1": 7, "ZZ2": "优", "ZZ1": {"ZZ1-9": 1}, "XX": 1}, "reviewer")
    paths = [problem.path for problem in running.problems]
    assert paths == ["reviewer.XX", "reviewer.ZZ1.ZZ1-9", "reviewer.ZZ2", "reviewer.SX1"]
    assert running.score_of("SX1") is None and running.score_of("ZZ2") is None
    assert not running.complete


def test_nothing_entered_is_worth_nothing_and_is_not_complete() -> None:
    # The defect this guards against: an untouched sheet showed the full points of its
    # deduct indicators (49 of the example's 100) as if it were a score.
    running = score_part(TEMPLATE, None)
    assert running.total == 0 and running.scored == 0 and running.count == 15
    assert not running.complete and len(running.unscored) == 15
    assert score_part(TEMPLATE, ["not", "a", "mapping"]).problems[0].path == "self"


def test_completeness_is_defined_per_figure() -> None:
    from app.scoring.engine import completeness

    everything = {**SCORES}
    full = completeness(TEMPLATE, everything, final=False)
    assert full.self_complete and full.reviewer_complete and full.scores_complete
    assert not full.composite_complete  # not final yet
    assert completeness(TEMPLATE, everything, final=True).composite_complete
    # Only the deduction items' defaults: nothing is complete.
    untouched = completeness(TEMPLATE, {"self": {}, "reviewer": {}}, final=False)
    assert not untouched.self_complete and not untouched.reviewer_complete
    assert (untouched.self.scored, untouched.reviewer.scored) == (0, 0)
    # A deduct indicator left out of a document is unscored; {} is an entry.
    without = {code: value for code, value in SCORES["reviewer"].items() if code != "ZZ3"}
    partial = completeness(TEMPLATE, {**SCORES, "reviewer": without}, final=True)
    assert partial.self_complete and not partial.reviewer_complete and not partial.composite_complete
    assert partial.reviewer.unscored == ("ZZ3",)
    assert completeness(TEMPLATE, {"self": SCORES["self"]}).reviewer is None
    assert completeness(TEMPLATE, {"self": SCORES["self"]}).scores_complete


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
