"""What the engine returns: frozen dataclasses at full precision (:class:`Result` of
:func:`~.evaluation.evaluate`, :class:`PartScore` and :class:`Completeness` of a sheet
still being filled in) and :func:`result_to_json`, the result as reported figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .decimals import HUNDRED, round_figure
from .problems import Problem


@dataclass(frozen=True)
class RuleDeduction:
    """What one deduction rule took off a ``deduct`` indicator (before the floor at 0)."""

    rule: str
    title: str
    occurrences: int
    points_each: Decimal
    points: Decimal


@dataclass(frozen=True)
class IndicatorScore:
    """One part's (self or reviewer) score on one indicator, with how it was reached."""

    score: Decimal
    explanation: str
    level: str | None = None
    deductions: tuple[RuleDeduction, ...] = ()


@dataclass(frozen=True)
class IndicatorResult:
    """An indicator (二级指标) with the self and reviewer scores (None when absent)."""

    code: str
    title: str
    method: str
    max_points: Decimal
    self_score: IndicatorScore | None
    reviewer_score: IndicatorScore | None

    def score_for(self, part: str) -> IndicatorScore | None:
        """Return the ``self`` or ``reviewer`` score of this indicator."""
        return {"self": self.self_score, "reviewer": self.reviewer_score}[part]


@dataclass(frozen=True)
class DimensionResult:
    """A dimension (一级指标) with its subtotals per part (None when the part is absent)."""

    code: str
    title: str
    max_points: Decimal
    self_score: Decimal | None
    reviewer_score: Decimal | None
    indicators: tuple[IndicatorResult, ...]

    def score_for(self, part: str) -> Decimal | None:
        """Return the ``self`` or ``reviewer`` subtotal of this dimension."""
        return {"self": self.self_score, "reviewer": self.reviewer_score}[part]


@dataclass(frozen=True)
class Parts:
    """The three part scores that the composite weights combine (None when absent).

    ``self_score`` and ``reviewer_score`` are sheet totals (sums of indicator scores);
    ``ballot_score`` is the democratic rating converted to 0–100.
    """

    self_score: Decimal | None
    reviewer_score: Decimal | None
    ballot_score: Decimal | None

    def get(self, part: str) -> Decimal | None:
        """Return the score of ``part`` (``self``, ``reviewer`` or ``ballot``)."""
        return {"self": self.self_score, "reviewer": self.reviewer_score, "ballot": self.ballot_score}[part]


@dataclass(frozen=True)
class BallotResult:
    """The democratic rating (民主测评): votes per level in template order.

    ``score`` and ``approval`` (a fraction, not a percentage) are None when no vote was
    cast.
    """

    votes: tuple[tuple[str, int], ...]
    total_votes: int
    score: Decimal | None
    approval: Decimal | None


@dataclass(frozen=True)
class AdjustmentResult:
    """A bonus, deduction or veto as applied; ``points`` is 0 for a veto."""

    kind: str
    points: Decimal
    rule: str | None
    rule_title: str | None
    reason: str
    document: str | None


@dataclass(frozen=True)
class GateOutcome:
    """What one gate did: ``applied`` is None when it could not apply (no ballot)."""

    approval_below: Decimal
    max_grade: str
    applied: bool | None


@dataclass(frozen=True)
class Result:
    """Everything :func:`evaluate` worked out, at full precision.

    Use :func:`round_figure` (or :func:`result_to_json`) to report figures. ``grade`` is
    final (after gates and vetoes); ``grade_by_score`` is the band the composite alone
    reached. ``reasons`` explains, in Chinese, how the composite and the grade came about.
    """

    template_name: str
    year: int
    parts: Parts
    dimensions: tuple[DimensionResult, ...]
    ballot: BallotResult | None
    weighted: Decimal
    bonus_claimed: Decimal
    bonus: Decimal
    deductions: Decimal
    adjustments: tuple[AdjustmentResult, ...]
    composite: Decimal
    grade_by_score: str
    grade: str
    vetoes: tuple[str, ...]
    gates: tuple[GateOutcome, ...]
    reasons: tuple[str, ...]

    @property
    def composite_rounded(self) -> Decimal:
        """The composite as reported and as graded: rounded to 0.01 half-up."""
        return round_figure(self.composite)


@dataclass(frozen=True)
class PartScore:
    """One part (self or reviewer) scored as far as it goes: the running totals of a sheet
    that is still being filled in.

    ``indicators`` maps every indicator code, in template order, to its score or ``None``
    when it has no entry yet (or its value is invalid); ``dimensions`` maps dimension
    codes to the sum of their scored indicators; ``total`` is the sum of every scored
    indicator. ``unscored`` lists the indicators without an entry — of every method: a
    ``deduct`` indicator needs an entry too (``{}``, "nothing to deduct", is one; no key
    at all is not), so an untouched sheet is never worth the full points of its
    deduction items. ``problems`` lists invalid values, with the paths :func:`evaluate`
    would report under ``self``/``reviewer``.

    ``total`` and the subtotals of an incomplete part are sums of what is there, never a
    score: see :func:`completeness`.
    """

    indicators: tuple[tuple[str, IndicatorScore | None], ...]
    dimensions: tuple[tuple[str, Decimal], ...]
    total: Decimal
    unscored: tuple[str, ...]
    problems: tuple[Problem, ...]
    #: Per dimension: (code, indicators scored, indicators), in template order.
    dimension_progress: tuple[tuple[str, int, int], ...] = ()

    @property
    def complete(self) -> bool:
        """Every indicator has a valid entry (the part's total is a score)."""
        return not self.unscored and not self.problems

    @property
    def scored(self) -> int:
        """How many indicators have a valid entry."""
        return sum(1 for _code, score in self.indicators if score is not None)

    @property
    def count(self) -> int:
        """How many indicators the part has (every leaf of the template)."""
        return len(self.indicators)

    def dimension_complete(self, code: str) -> bool:
        """Every indicator of dimension ``code`` has a valid entry."""
        return any(dimension == code and scored == total for dimension, scored, total in self.dimension_progress)

    def dimension_counts(self, code: str) -> tuple[int, int]:
        """(indicators scored, indicators) of dimension ``code``."""
        for dimension, scored, total in self.dimension_progress:
            if dimension == code:
                return scored, total
        return 0, 0

    def score_of(self, code: str) -> IndicatorScore | None:
        """The score of indicator ``code`` (``None`` when unscored)."""
        return dict(self.indicators).get(code)

    def subtotal_of(self, code: str) -> Decimal:
        """The running subtotal of dimension ``code``."""
        return dict(self.dimensions)[code]


@dataclass(frozen=True)
class Completeness:
    """How complete the figures of one sheet are (:func:`completeness`).

    ``self`` and ``reviewer`` are the parts as far as they go (``reviewer`` is ``None``
    when the document has no reviewer part); ``final`` is the sheet's status.
    """

    self: PartScore
    reviewer: PartScore | None
    final: bool

    @property
    def self_complete(self) -> bool:
        """The self-assessment total is a score: every leaf indicator has a self entry."""
        return self.self.complete

    @property
    def reviewer_complete(self) -> bool:
        """The review team's total is a score: every leaf indicator has a reviewer entry."""
        return self.reviewer is not None and self.reviewer.complete

    @property
    def scores_complete(self) -> bool:
        """Every part the composite weighs is complete (the composite can be computed
        from a complete sheet; it is still provisional until the sheet is final)."""
        return self.self_complete and (self.reviewer is None or self.reviewer.complete)

    @property
    def composite_complete(self) -> bool:
        """The composite and the grade are the result: the sheet is final (finalising
        requires every part complete)."""
        return self.final and self.scores_complete


# --------------------------------------------------------------------------- JSON output


def _figure(value: Decimal | None) -> int | float | None:
    """A reported figure as a JSON number: rounded to 0.01 half-up; whole numbers as int."""
    if value is None:
        return None
    rounded = round_figure(value)
    if rounded == rounded.to_integral_value():
        return int(rounded)
    # A two-decimal Decimal converts to the float whose repr is those same digits.
    return float(rounded)


def _indicator_score_json(score: IndicatorScore | None) -> dict[str, Any] | None:
    if score is None:
        return None
    return {
        "score": _figure(score.score),
        "level": score.level,
        "deductions": [
            {
                "rule": item.rule,
                "title": item.title,
                "occurrences": item.occurrences,
                "points_each": _figure(item.points_each),
                "points": _figure(item.points),
            }
            for item in score.deductions
        ],
        "explanation": score.explanation,
    }


def result_to_json(result: Result) -> dict[str, Any]:
    """The result as JSON-ready data: every figure rounded to 0.01 half-up.

    Keys: ``template`` {name, year}, ``parts`` {self, reviewer, ballot}, ``dimensions``
    [{code, title, max_points, self, reviewer, indicators}], ``ballot``, ``weighted``,
    ``bonus_claimed``, ``bonus``, ``deductions``, ``adjustments``, ``composite``,
    ``grade_by_score``, ``grade``, ``vetoes``, ``gates``, ``reasons``. Absent parts are
    ``null``.
    """
    ballot = result.ballot
    return {
        "template": {"name": result.template_name, "year": result.year},
        "parts": {
            "self": _figure(result.parts.self_score),
            "reviewer": _figure(result.parts.reviewer_score),
            "ballot": _figure(result.parts.ballot_score),
        },
        "dimensions": [
            {
                "code": dimension.code,
                "title": dimension.title,
                "max_points": _figure(dimension.max_points),
                "self": _figure(dimension.self_score),
                "reviewer": _figure(dimension.reviewer_score),
                "indicators": [
                    {
                        "code": indicator.code,
                        "title": indicator.title,
                        "method": indicator.method,
                        "max_points": _figure(indicator.max_points),
                        "self": _indicator_score_json(indicator.self_score),
                        "reviewer": _indicator_score_json(indicator.reviewer_score),
                    }
                    for indicator in dimension.indicators
                ],
            }
            for dimension in result.dimensions
        ],
        "ballot": None
        if ballot is None
        else {
            "votes": dict(ballot.votes),
            "total_votes": ballot.total_votes,
            "score": _figure(ballot.score),
            "approval_percent": None if ballot.approval is None else _figure(ballot.approval * HUNDRED),
        },
        "weighted": _figure(result.weighted),
        "bonus_claimed": _figure(result.bonus_claimed),
        "bonus": _figure(result.bonus),
        "deductions": _figure(result.deductions),
        "adjustments": [
            {
                "kind": item.kind,
                "points": _figure(item.points),
                "rule": item.rule,
                "rule_title": item.rule_title,
                "reason": item.reason,
                "document": item.document,
            }
            for item in result.adjustments
        ],
        "composite": _figure(result.composite),
        "grade_by_score": result.grade_by_score,
        "grade": result.grade,
        "vetoes": list(result.vetoes),
        "gates": [
            {
                "ballot_approval_below": _figure(gate.approval_below),
                "max_grade": gate.max_grade,
                "applied": gate.applied,
            }
            for gate in result.gates
        ],
        "reasons": list(result.reasons),
    }
