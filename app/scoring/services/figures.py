"""Figures of the score sheets for the roll-up, the city's overview and the forms."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any


from .. import engine
from ..models import BUREAU_ASSESSEE, DRAFT, ScoreSheet

from .templates import assigned_years
from .sheets import evaluate_sheet, find_sheet, list_sheets, running, sheet_completeness


def metrics(year: int) -> dict[str, Any]:
    """The current bureau's score figures of ``year``, for the city's roll-up and the reports.

    Returns ``{"year", "status", "template_edition", "indicators", "self_total",
    "self_complete", "reviewer_total", "reviewer_complete", "final", "composite",
    "grade", "grade_by_score", "vetoed", "progress", "dimensions"}`` for the bureau's own
    sheet (``status`` ``None`` when not started).

    A figure is given only when it is complete (``engine.completeness``), else ``None``:

    * ``self_total`` = Σ self indicator scores once every indicator has a self entry
      (a deduction item counts once its occurrences, or "none", were entered);
      ``reviewer_total`` likewise for the reviewer (never before the bureau submits);
    * ``composite`` = Σ weight × part score + min(Σ bonus, bonus_cap) − Σ deductions,
      floored at 0, and ``grade`` after gates and vetoes (``engine.evaluate``): only once
      the sheet is final;
    * ``progress``: ``{"self": {"scored", "total"}, "reviewer": {...} | None}`` — how far
      each part is, which the pages show instead of a missing figure ("评分中 12/20",
      ``app.scoring.progress``);
    * ``dimensions``: per dimension ``{code, title, max_points, count, self,
      self_scored, reviewer, reviewer_scored}``, a subtotal only when every indicator of
      the dimension has an entry of that part.

    Figures are ``Decimal`` rounded to 0.01 half-up.  The roll-up is city-side, so the
    reviewer's figures are included whatever the status.
    """
    sheet = find_sheet(year)
    empty = {"year": year, "status": None, "template_edition": None, "indicators": None, "self_total": None,
             "self_complete": False, "reviewer_total": None, "reviewer_complete": False, "final": False,
             "composite": None, "grade": None, "grade_by_score": None, "vetoed": False,
             "progress": {"self": None, "reviewer": None}, "dimensions": []}
    if sheet is None:
        return empty
    progress = sheet_completeness(sheet)  # the one definition of "complete"
    own = progress.self
    reviewer = None if sheet.status == DRAFT else progress.reviewer or running(sheet, "reviewer")
    figures = dict(empty, status=sheet.status, template_edition=sheet.template_edition, indicators=own.count,
                   self_complete=progress.self_complete, final=progress.final,
                   self_total=engine.round_figure(own.total) if progress.self_complete else None,
                   progress={"self": {"scored": own.scored, "total": own.count},
                             "reviewer": None if reviewer is None else {"scored": reviewer.scored,
                                                                        "total": reviewer.count}})
    figures["dimensions"] = _dimension_figures(sheet, own, reviewer)
    if reviewer is not None:
        figures.update(reviewer_complete=reviewer.complete,
                       reviewer_total=engine.round_figure(reviewer.total) if reviewer.complete else None)
    if progress.composite_complete:
        result, _problems = evaluate_sheet(sheet)
        if result is not None:
            figures.update(composite=result.composite_rounded, grade=result.grade,
                           grade_by_score=result.grade_by_score, vetoed=bool(result.vetoes))
    return figures


def _dimension_figures(sheet: ScoreSheet, own: engine.PartScore, reviewer: engine.PartScore | None) -> list[dict]:
    """Per dimension (一级指标), in template order: code, title, max points, the number of
    indicators, and per part the subtotal (only when every indicator of the dimension
    has an entry) and how many have one (for the city's side-by-side comparison)."""
    own_by_code = dict(own.dimensions)
    reviewer_by_code = dict(reviewer.dimensions) if reviewer is not None else {}
    figures = []
    for dimension in sheet.template_body.get("dimensions", []):
        code = dimension["code"]
        maximum = sum((Decimal(str(i["max_points"])) for i in dimension.get("indicators", [])), Decimal(0))
        self_scored, count = own.dimension_counts(code)
        item = {"code": code, "title": dimension.get("title", code), "max_points": engine.round_figure(maximum),
                "count": count, "self_scored": self_scored,
                "self": engine.round_figure(own_by_code[code]) if own.dimension_complete(code) else None,
                "reviewer_scored": None, "reviewer": None}
        if reviewer is not None:
            item["reviewer_scored"] = reviewer.dimension_counts(code)[0]
            if reviewer.dimension_complete(code):
                item["reviewer"] = engine.round_figure(reviewer_by_code[code])
        figures.append(item)
    return figures


def sheet_overview(tenant_id: int) -> list[dict[str, Any]]:
    """The years a bureau has a sheet or an assigned edition for: ``{year, sheet,
    assigned}``, the latest year first."""
    sheets = {sheet.year: sheet for sheet in list_sheets() if sheet.assessee_key == BUREAU_ASSESSEE}
    assigned = assigned_years(tenant_id)
    return [{"year": year, "sheet": sheets.get(year), "assigned": assigned.get(year)}
            for year in sorted(set(sheets) | set(assigned), reverse=True)]


_DECIMAL_TEXT = re.compile(r"^\d{1,5}(\.\d{1,2})?$")


def parse_points(text: str | None) -> Decimal | None:
    """A score typed in a form: up to 5 digits and 2 decimals; ``None`` when empty.
    Raises ``ValueError`` otherwise (no floats, no exponents, no NaN)."""
    text = (text or "").strip()
    if not text:
        return None
    if not _DECIMAL_TEXT.match(text):
        raise ValueError(text)
    return Decimal(text)
