"""Computing the figures of a sheet: :func:`evaluate` for a complete scores document
(indicator scores, subtotals, the ballot, the composite, gates, vetoes and the grade),
:func:`score_part` for the running totals of a part still being filled in, and
:func:`completeness`, the one definition of a *complete* figure.

All arithmetic runs at the working precision of :mod:`.decimals`; the sentences of the
result come from :mod:`.explanation`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from . import explanation
from .contract import APPROVAL_LEVEL_COUNT, SHEET_PARTS, Dimension, Indicator, Sheet, checked_sheet
from .decimals import HUNDRED, ZERO, round_figure, to_decimal, whole_count, working_precision
from .problems import Problem, ScoringError, bi, key_path
from .results import (AdjustmentResult, BallotResult, Completeness, DimensionResult, GateOutcome, IndicatorResult,
                      IndicatorScore, PartScore, Parts, Result, RuleDeduction)
from .scores import indicator_value_problems, score_problems


def evaluate(template: object, scores: object) -> Result:
    """Score ``scores`` against ``template`` and return the full, explained result.

    Raises :class:`ScoringError` listing the problems when the template or the scores
    are invalid (see :func:`validate_template` and :func:`validate_scores`); in particular
    a part with a non-zero weight must be present, and a ballot with a weight must
    contain at least one vote.
    """
    sheet = checked_sheet(template)
    problems = score_problems(sheet, scores)
    if problems:
        raise ScoringError(bi("评分数据无效", "the scores are invalid"), problems)
    with working_precision():
        return _evaluate(sheet, scores)  # type: ignore[arg-type]


def _evaluate(sheet: Sheet, scores: Mapping[str, Any]) -> Result:
    dimensions = tuple(_dimension_result(dimension, scores) for dimension in sheet.dimensions)
    ballot = _ballot_result(sheet, scores.get("ballot"))
    parts = Parts(
        self_score=_part_total(dimensions, "self", scores),
        reviewer_score=_part_total(dimensions, "reviewer", scores),
        ballot_score=ballot.score if ballot else None,
    )
    # Parts that are absent have weight 0 (validation guarantees it), so skipping them
    # changes nothing but avoids multiplying None.  The ballot's share is computed from its
    # vote sum with the division last, so a composite that is exactly x.xx5 is not nudged
    # below the half by a rounded third (e.g. 0.24 × 1/3 must stay 0.08, not 0.0799…).
    weighted = sum(
        (sheet.weights[part] * value for part in ("self", "reviewer") if (value := parts.get(part)) is not None),
        ZERO,
    )
    if ballot is not None and ballot.score is not None:
        weighted += sheet.weights["ballot"] * _vote_points(sheet, ballot.votes) * HUNDRED / ballot.total_votes

    adjustments = tuple(_adjustment_result(sheet, adjustment) for adjustment in scores.get("adjustments") or [])
    bonus_claimed = sum((item.points for item in adjustments if item.kind == "bonus"), ZERO)
    bonus = min(bonus_claimed, sheet.bonus_cap)
    deductions = sum((item.points for item in adjustments if item.kind == "deduction"), ZERO)
    composite = max(weighted + bonus - deductions, ZERO)

    # The band is looked up with the composite as reported, so the printed figure and
    # the grade never disagree (89.996 is printed 90.00 and graded as 90).
    rounded = round_figure(composite)
    grade_index = next(index for index, (_label, minimum) in enumerate(sheet.grades) if rounded >= minimum)
    grade_by_score = sheet.grades[grade_index][0]

    grade_position = {label: index for index, (label, _minimum) in enumerate(sheet.grades)}
    gate_outcomes: list[GateOutcome] = []
    gate_lowered: list[bool] = []
    for threshold, max_grade in sheet.gates:
        applied = None if ballot is None or ballot.approval is None else ballot.approval < threshold
        lowers = bool(applied) and grade_position[max_grade] > grade_index
        if lowers:
            grade_index = grade_position[max_grade]
        gate_outcomes.append(GateOutcome(threshold, max_grade, applied))
        gate_lowered.append(lowers)

    veto_order = {code: index for index, code in enumerate(sheet.veto_rules)}
    applied_vetoes = sorted(
        (item for item in adjustments if item.kind == "veto"),
        key=lambda item: (veto_order[item.rule or ""], item.reason),
    )
    if applied_vetoes:
        grade_index = len(sheet.grades) - 1

    result = Result(
        template_name=sheet.name,
        year=sheet.year,
        parts=parts,
        dimensions=dimensions,
        ballot=ballot,
        weighted=weighted,
        bonus_claimed=bonus_claimed,
        bonus=bonus,
        deductions=deductions,
        adjustments=adjustments,
        composite=composite,
        grade_by_score=grade_by_score,
        grade=sheet.grades[grade_index][0],
        vetoes=tuple(dict.fromkeys(veto.rule or "" for veto in applied_vetoes)),
        gates=tuple(gate_outcomes),
        reasons=(),
    )
    return dataclasses.replace(result, reasons=explanation.reasons(sheet, result, gate_lowered, applied_vetoes))


def _indicator_score(indicator: Indicator, value: object) -> IndicatorScore:
    maximum = indicator.max_points
    if indicator.method == "points":
        score = to_decimal(value)  # type: ignore[arg-type]
        return IndicatorScore(score, explanation.points_explanation(score, maximum))
    if indicator.method == "levels":
        label = str(value)
        fraction = indicator.levels[label]
        score = maximum * fraction
        return IndicatorScore(score, explanation.level_explanation(label, fraction, maximum, score), level=label)
    occurrences = value if isinstance(value, Mapping) else {}
    deductions = tuple(
        RuleDeduction(code, title, count, points, points * count)
        for code, (title, points) in indicator.rules.items()  # template order, not input order
        if (count := whole_count(occurrences.get(code, 0)) or 0) > 0
    )
    total = sum((item.points for item in deductions), ZERO)
    score = max(maximum - total, ZERO) if deductions else maximum
    return IndicatorScore(
        score, explanation.deduction_explanation(maximum, deductions, total, score), deductions=deductions
    )


def _dimension_result(dimension: Dimension, scores: Mapping[str, Any]) -> DimensionResult:
    indicators = []
    for indicator in dimension.indicators:
        per_part: dict[str, IndicatorScore | None] = {}
        for part in SHEET_PARTS:
            values = scores.get(part)
            per_part[part] = None if values is None else _indicator_score(indicator, values.get(indicator.code))
        indicators.append(
            IndicatorResult(
                code=indicator.code,
                title=indicator.title,
                method=indicator.method,
                max_points=indicator.max_points,
                self_score=per_part["self"],
                reviewer_score=per_part["reviewer"],
            )
        )

    def subtotal(part: str) -> Decimal | None:
        if scores.get(part) is None:
            return None
        return sum((score.score for item in indicators if (score := item.score_for(part)) is not None), ZERO)

    return DimensionResult(
        code=dimension.code,
        title=dimension.title,
        max_points=sum((indicator.max_points for indicator in dimension.indicators), ZERO),
        self_score=subtotal("self"),
        reviewer_score=subtotal("reviewer"),
        indicators=tuple(indicators),
    )


def _part_total(dimensions: Sequence[DimensionResult], part: str, scores: Mapping[str, Any]) -> Decimal | None:
    if scores.get(part) is None:
        return None
    return sum((subtotal for dimension in dimensions if (subtotal := dimension.score_for(part)) is not None), ZERO)


def _vote_points(sheet: Sheet, votes: Sequence[tuple[str, int]]) -> Decimal:
    """Σ votes × weight of their level: the ballot score before dividing by the votes."""
    weights = dict(sheet.ballot_levels)
    return sum((weights[label] * count for label, count in votes), ZERO)


def _ballot_result(sheet: Sheet, ballot: Mapping[str, Any] | None) -> BallotResult | None:
    if ballot is None:
        return None
    votes = tuple((label, whole_count(ballot.get(label, 0)) or 0) for label, _weight in sheet.ballot_levels)
    total = sum(count for _label, count in votes)
    if total == 0:
        return BallotResult(votes, 0, None, None)
    # Multiply before dividing: a single division, last, is exact whenever the true score
    # has a finite decimal expansion (so a score of exactly x.xx5 rounds up, not down).
    score = _vote_points(sheet, votes) * HUNDRED / total
    favourable = sum(count for _label, count in votes[:APPROVAL_LEVEL_COUNT])
    return BallotResult(votes, total, score, Decimal(favourable) / total)


def _adjustment_result(sheet: Sheet, adjustment: Mapping[str, Any]) -> AdjustmentResult:
    kind = adjustment["kind"]
    rule = adjustment.get("rule")
    reason = adjustment.get("reason") or ""
    document = adjustment.get("document")
    if kind == "veto":
        return AdjustmentResult(kind, ZERO, rule, sheet.veto_rules[rule], reason, document)
    rule_title = None
    points = adjustment.get("points")
    if rule is not None:
        rule_title, _kind, rule_points = sheet.adjustment_rules[rule]
        if points is None:
            points = rule_points
    return AdjustmentResult(kind, to_decimal(points), rule, rule_title, reason, document)


# --------------------------------------------------------------------------- running totals


def score_part(template: object, values: object, part: str = "self") -> PartScore:
    """Score one part of a sheet that may be incomplete (running totals while filling in).

    ``values`` is what a scores document holds under ``self`` or ``reviewer`` (indicator
    code → value; ``None`` or no key means nothing entered yet, for a ``deduct``
    indicator too). Unlike :func:`evaluate` this does not require every indicator:
    indicators without an entry and invalid ones are reported and left out of the sums.
    For a complete, valid part the indicator scores, subtotals and total are exactly
    those :func:`evaluate` computes. ``part`` only names the problem paths.
    Raises :class:`ScoringError` when the template is invalid.
    """
    sheet = checked_sheet(template)
    problems: list[Problem] = []
    if values is None:
        values = {}
    elif not isinstance(values, Mapping):
        problems.append(Problem(part, bi("应为“指标代码: 得分”的映射", "must map indicator codes to scores")))
        values = {}
    indicators = sheet.indicators
    problems += [
        Problem(key_path(part, code), bi("模板中没有此指标", "no such indicator in the template"))
        for code in values
        if code not in indicators
    ]
    scored: list[tuple[str, IndicatorScore | None]] = []
    unscored: list[str] = []
    subtotals: list[tuple[str, Decimal]] = []
    counts: list[tuple[str, int, int]] = []
    with working_precision():
        for dimension in sheet.dimensions:
            subtotal = ZERO
            done = 0
            for indicator in dimension.indicators:
                value = values.get(indicator.code)
                score: IndicatorScore | None = None
                if value is None:
                    unscored.append(indicator.code)
                else:
                    invalid = indicator_value_problems(indicator, value, key_path(part, indicator.code))
                    if invalid:
                        problems += invalid
                    else:
                        score = _indicator_score(indicator, value)
                        subtotal += score.score
                        done += 1
                scored.append((indicator.code, score))
            subtotals.append((dimension.code, subtotal))
            counts.append((dimension.code, done, len(dimension.indicators)))
        total = sum((subtotal for _code, subtotal in subtotals), ZERO)
    return PartScore(tuple(scored), tuple(subtotals), total, tuple(unscored), tuple(problems), tuple(counts))


def completeness(template: object, scores: Mapping[str, Any], *, final: bool = False) -> Completeness:
    """The one definition of a *complete* score (``docs/architecture.md``):

    * the **self-assessment total** is complete when every leaf indicator has a self
      entry — a score (points), a level (levels), or for a deduction item an explicit
      entry (occurrences per rule, ``{}`` for "none occurred"); an untouched deduction
      item is not an entry, whatever full points it would give;
    * the **review team's total**: likewise with the reviewer's entries;
    * the **composite and the grade**: the sheet is final (``final``, the sheet's status
      — which the workflow only allows once every weighted part is complete).

    ``scores`` is a scores document, of which only ``self`` and ``reviewer`` are read;
    only the presence and validity of entries count, the arithmetic is :func:`score_part`'s.
    A figure that is not complete is never shown, ranked, averaged or printed as a score.
    """
    reviewer = scores.get("reviewer")
    return Completeness(
        self=score_part(template, scores.get("self"), "self"),
        reviewer=None if reviewer is None else score_part(template, reviewer, "reviewer"),
        final=final,
    )
