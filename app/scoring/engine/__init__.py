"""Scoring engine for score sheets (评分表): pure functions over plain data.

No Flask and no database here: the web views, the CLI, the demo seed and the tests all
call these functions with dictionaries (parsed JSON or YAML, or rows turned into
dictionaries) and get frozen dataclasses back. The contract — every key of a template
and of a scores document, the arithmetic and the rounding — is written down in
``docs/score-templates.md``.

The package, by concern (each module imports only those above it):

* :mod:`.problems` — :class:`Problem`, :class:`ScoringError`, paths into a document;
* :mod:`.decimals` — ``Decimal`` conversion, the working precision, :func:`round_figure`;
* :mod:`.documents` — :func:`load_document` (JSON/YAML) and the document limits;
* :mod:`.schema` — the JSON Schema of a template, its errors as bilingual problems;
* :mod:`.contract` — the template's vocabulary and rules, :func:`validate_template`,
  the parsed sheet;
* :mod:`.scores` — :func:`validate_scores`, a scores document against a sheet;
* :mod:`.results` — the result dataclasses and :func:`result_to_json`;
* :mod:`.explanation` — the Chinese sentences that explain a result;
* :mod:`.evaluation` — :func:`evaluate`, :func:`score_part`, :func:`completeness`.

Import from ``app.scoring.engine``: the names below are its public API.
"""

from __future__ import annotations

from .contract import validate_template
from .decimals import round_figure
from .documents import MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_INDICATORS, load_document
from .evaluation import completeness, evaluate, score_part
from .problems import Bilingual, Problem, ScoringError, bi, in_language, problem_path
from .results import (
    AdjustmentResult,
    BallotResult,
    Completeness,
    DimensionResult,
    GateOutcome,
    IndicatorResult,
    IndicatorScore,
    PartScore,
    Parts,
    Result,
    RuleDeduction,
    result_to_json,
)
from .scores import validate_scores

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_INDICATORS",
    "AdjustmentResult",
    "Bilingual",
    "BallotResult",
    "Completeness",
    "DimensionResult",
    "GateOutcome",
    "IndicatorResult",
    "IndicatorScore",
    "PartScore",
    "Parts",
    "Problem",
    "Result",
    "RuleDeduction",
    "ScoringError",
    "completeness",
    "bi",
    "evaluate",
    "in_language",
    "load_document",
    "problem_path",
    "result_to_json",
    "round_figure",
    "score_part",
    "validate_scores",
    "validate_template",
]
