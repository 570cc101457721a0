"""How far a bureau's score sheet is, in words: what every page, chart, PDF, Word file and
spreadsheet shows *instead of* a score figure that is not complete.

A figure computed from an incomplete sheet is never shown, ranked, averaged or printed
as a score.  :func:`app.scoring.services.metrics` gives ``None`` for such a figure and
says how far it is (``progress``); the functions here turn that into "评分中 12/20" and
read figures stored by older versions (``tenant_metrics`` rows written before the
progress was recorded) by the same rule.  The definition of "complete" itself is the
engine's (:func:`app.scoring.engine.completeness`, ``docs/architecture.md``).

No database and no request here: the city's roll-up (catalog JSON), the reports
(profiles cached as JSON) and the bureau's own pages all call these.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from flask_babel import gettext as _

#: The score figures of a sheet and the part whose entries they wait for.
SCORE_FIGURES = ("self_total", "reviewer_total", "composite", "grade")


def read_figures(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """The scoring figures of a roll-up row or snapshot, with every incomplete figure
    ``None``.  Rows written before ``progress`` was recorded held running totals as
    figures: they are read by the flags they have (``self_complete``,
    ``reviewer_complete``, the status) until a refresh recomputes them."""
    figures = dict(stored or {})
    if not figures or "progress" in figures:
        return figures
    final = figures.get("status") == "final"
    self_done, reviewer_done = bool(figures.get("self_complete")), bool(figures.get("reviewer_complete"))
    figures.update(final=final, progress={"self": None, "reviewer": None})
    if not self_done:
        figures["self_total"] = None
    if not reviewer_done:
        figures["reviewer_total"] = None
    if not final:
        figures.update(composite=None, grade=None, grade_by_score=None)
    figures["dimensions"] = [dict(d, self=d.get("self") if self_done else None,
                                  reviewer=d.get("reviewer") if reviewer_done else None)
                             for d in figures.get("dimensions") or [] if isinstance(d, Mapping)]
    return figures


def _count(progress: Mapping[str, Any] | None) -> str:
    if not isinstance(progress, Mapping) or progress.get("total") is None:
        return ""
    return f" {progress.get('scored', 0)}/{progress['total']}"


def figure_state(figures: Mapping[str, Any] | None, key: str) -> str | None:
    """What to show for score figure ``key`` (``self_total``, ``reviewer_total``,
    ``composite``, ``grade``) when it is not a number: ``None`` when the figure is there
    (show it) or when there is no sheet at all; otherwise "自评中 12/20" (the bureau is
    still assessing itself), "待提交" (the review waits for the submission), "评分中
    12/20" (the review team is scoring) or "待定稿" (every score is in, the sheet is not
    final yet)."""
    figures = read_figures(figures)
    status = figures.get("status")
    if not status or key not in SCORE_FIGURES or figures.get(key) is not None:
        return None
    progress = figures.get("progress") or {}
    own, review = progress.get("self"), progress.get("reviewer")
    own_done = bool(figures.get("self_complete"))
    review_done = bool(figures.get("reviewer_complete"))
    if key == "self_total":
        return _("Self-assessment in progress") + _count(own)
    if status == "draft":
        return _("Awaiting submission") if key == "reviewer_total" else _("Self-assessment in progress") + _count(own)
    if key == "reviewer_total" or not review_done:
        return _("Scoring in progress") + _count(review)
    if not own_done:
        return _("Self-assessment in progress") + _count(own)
    return _("Awaiting finalisation")


def dimension_state(dimension: Mapping[str, Any], part: str) -> str | None:
    """Like :func:`figure_state` for a dimension's subtotal of ``part`` (``self`` or
    ``reviewer``): "评分中 2/3" while some of its indicators have no entry."""
    if dimension.get(part) is not None:
        return None
    scored, total = dimension.get(f"{part}_scored"), dimension.get("count")
    if scored is None or total is None:
        return None
    label = _("Self-assessment in progress") if part == "self" else _("Scoring in progress")
    return f"{label} {scored}/{total}"


def display(figures: Mapping[str, Any] | None, number: Callable[[Any], str]) -> dict[str, Any]:
    """The scoring figures with their texts for print (reports, Word): ``shown`` maps
    ``self_total``, ``reviewer_total`` and ``composite`` to ``number(value)`` when the
    figure is complete, else to its state; each dimension gets ``self_shown`` and
    ``reviewer_shown`` likewise.  ``number`` formats a figure (``None`` → "—")."""
    figures = read_figures(figures)
    texts = {}
    for key in ("self_total", "reviewer_total", "composite"):
        state = figure_state(figures, key)
        texts[key] = state if state is not None else number(figures.get(key))
    dimensions = [dict(d, self_shown=dimension_state(d, "self") or number(d.get("self")),
                       reviewer_shown=dimension_state(d, "reviewer") or number(d.get("reviewer")))
                  for d in figures.get("dimensions") or []]
    return dict(figures, shown=texts, dimensions=dimensions)
