"""What the score-sheet services share: limits, text clean-up, who may act."""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping
from flask_babel import get_locale, lazy_gettext as _l

from app.jsonsafe import jsonable, whole_or_float
from app.core.actor import Actor, require

from .. import engine
from ..engine import Problem
from ..models import REVIEWED, SELF_SUBMITTED


EXAMPLES = Path(__file__).parents[1] / "examples"
#: The largest max_points / adjustment points a template may give: scores are stored
#: as Numeric(7, 2).
MAX_STORED_POINTS = Decimal("9999.99")
NOTE_MAX = 2000
REASON_MAX = 500
DOCUMENT_MAX = 100
MAX_VOTES = 100000
EVIDENCE_CHOICES_LIMIT = 500
REVIEW_STATUSES = (SELF_SUBMITTED, REVIEWED)


def plain(value: Any) -> Any:
    """A JSON-safe copy of a template or scores document: ``Decimal`` becomes an ``int``
    when whole, else a ``float``.  Exact for what templates and scores hold (at most 15
    significant digits): the engine reads a float through its shortest ``repr``, so
    ``0.85`` comes back as ``Decimal("0.85")``."""
    return jsonable(value, decimal=whole_or_float)


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(value: Any) -> Any:
    """Text without control characters (NUL and the C0 controls but tab, CR and LF);
    anything else as it is."""
    return _CONTROLS.sub("", value) if isinstance(value, str) else value


def _name(actor: Actor | None) -> str:
    return actor.display_name if actor is not None else "system"


# -- who may do what: ``actor=None`` is the system (the demo seed, scripts, tests) ---------
def _require_city_admin(actor: Actor | None) -> None:
    """The city's templates and reviews are a city administrator's."""
    require(actor is None or actor.holds_city_admin)


def _require_bureau(actor: Actor | None, *, admin: bool = False) -> None:
    """The self-assessment is the bureau's: its editors fill it, its administrators submit it."""
    require(actor is None or actor.is_bureau_admin or (not admin and actor.is_bureau_editor))


def indicators_of(body: Mapping[str, Any]) -> list[tuple[dict, dict]]:
    """(dimension, indicator) pairs of a template body in order; tolerant of drafts."""
    pairs = []
    for dimension in body.get("dimensions") or []:
        if isinstance(dimension, Mapping):
            for indicator in dimension.get("indicators") or []:
                if isinstance(indicator, Mapping):
                    pairs.append((dimension, indicator))
    return pairs


def _storage_problems(body: object) -> list[Problem]:
    """What the engine allows but the database cannot store (scores are Numeric(7, 2))."""
    problems: list[Problem] = []
    if not isinstance(body, Mapping):
        return problems
    limit = engine.bi(f"不得超过 {MAX_STORED_POINTS}", f"must be at most {MAX_STORED_POINTS}")
    for d_index, dimension in enumerate(body.get("dimensions") or []):
        if not isinstance(dimension, Mapping):
            continue
        for i_index, indicator in enumerate(dimension.get("indicators") or []):
            points = indicator.get("max_points") if isinstance(indicator, Mapping) else None
            if _is_number(points) and _dec(points) > MAX_STORED_POINTS:
                problems.append(Problem(engine.problem_path("dimensions", d_index, "indicators", i_index,
                                                            "max_points"), limit))
    for index, rule in enumerate(body.get("adjustment_rules") or []):
        points = rule.get("points") if isinstance(rule, Mapping) else None
        if _is_number(points) and _dec(points) > MAX_STORED_POINTS:
            problems.append(Problem(engine.problem_path("adjustment_rules", index, "points"), limit))
    return problems


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and (
        not isinstance(value, float) or value == value and value not in (float("inf"), float("-inf")))


def _dec(value: int | float | Decimal) -> Decimal:
    """A template number as ``Decimal`` (floats through their shortest repr, as the engine)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def template_problems(body: object) -> list[Problem]:
    """Every problem of a template body: the engine's checks plus the storage limits."""
    return engine.validate_template(body) + _storage_problems(body)


@lru_cache(maxsize=4)
def _example_text(name: str) -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


def example_body(name: str = "annual-2026.yaml") -> dict:
    """A bundled example template (``app/scoring/examples``) as a JSON-safe body."""
    return plain(engine.load_document(_example_text(name)))


def blank_body(year: int, name: str) -> dict:
    """A new draft: one empty dimension and indicator, and the usual bands, weights and
    ballot levels (好 / 较好 / 一般 / 差) to start from."""
    return {
        "name": name,
        "year": year,
        "dimensions": [{"code": "", "title": "", "indicators": [
            {"code": "", "title": "", "max_points": 100, "method": "points"}]}],
        "grades": [{"label": "好", "min": 90}, {"label": "较好", "min": 80},
                   {"label": "一般", "min": 60}, {"label": "差", "min": 0}],
        "composite": {"self": 0.2, "reviewer": 0.6, "ballot": 0.2},
        "ballot_levels": [{"label": "好", "weight": 1}, {"label": "较好", "weight": 0.9},
                          {"label": "一般", "weight": 0.7}, {"label": "差", "weight": 0.5}],
        "bonus_cap": 5,
    }


def _template_name(body: Mapping[str, Any], fallback: str) -> str:
    name = body.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else fallback


# ----------------------------------------------------------------------------- messages in one language
def ui_language() -> str:
    """``zh`` or ``en``: the language of the page being rendered (the engine's messages
    carry both, :class:`app.scoring.engine.Bilingual`)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def say(message: Any) -> str:
    """An engine message in the page's language (other text as it is)."""
    return engine.in_language(message, ui_language())


#: The names of a document's keys as a clerk knows them (paths of problems).
_PATH_WORDS = {
    "dimensions": _l("dimension"), "indicators": _l("indicator"), "rules": _l("deduction rule"),
    "levels": _l("level"), "grades": _l("grade"), "ballot_levels": _l("ballot level"),
    "veto_rules": _l("veto rule"), "adjustment_rules": _l("bonus or deduction rule"), "gates": _l("grade gate"),
    "composite": _l("weights"), "code": _l("code"), "title": _l("title"), "name": _l("name"),
    "max_points": _l("maximum points"), "method": _l("method"), "points": _l("points"), "label": _l("label"),
    "min": _l("lower bound"), "weight": _l("weight"), "fraction": _l("fraction"), "kind": _l("kind"),
    "criteria": _l("criteria"), "year": _l("year"), "description": _l("description"),
    "bonus_cap": _l("bonus cap"), "max_grade": _l("highest grade"),
    "ballot_approval_below": _l("approval below"), "self": _l("self-assessment"),
    "reviewer": _l("review team's score"), "ballot": _l("democratic rating"),
    "adjustments": _l("bonus, deduction or veto"), "rule": _l("rule"), "reason": _l("reason"),
    "document": _l("document"),
}
_PATH_PART = re.compile(r'\.?(?:\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|([^.\[]+))')


def place(path: str, body: Mapping[str, Any] | None = None) -> str:
    """Where a problem is, in words: ``reviewer.ZZ2`` → "考核组评分 · 指标 ZZ2",
    ``dimensions[0].indicators[1].code`` → "一级指标第 1 项 · 二级指标第 2 项 · 代码";
    with the sheet's template ``body`` an indicator is named by its title as well."""
    if not path:
        return ""
    if "!" in path:  # a workbook's sheet and row (Excel import)
        return path
    words: list[str] = []
    keys: list[str] = []
    for match in _PATH_PART.finditer(path):
        index, quoted, key = match.groups()
        if index is not None:
            if words:
                words[-1] = str(_l("%(what)s no. %(n)s", what=words[-1], n=int(index) + 1))
            continue
        key = quoted if quoted is not None else key
        keys.append(key)
        if len(keys) == 2 and keys[0] in ("self", "reviewer"):
            title = _indicator_titles(body).get(key, "")
            title = title if len(title) <= 24 else title[:23] + "…"
            words.append(str(_l("indicator %(code)s", code=f"{key} {title}".strip())))  # one indicator's entry
        elif len(keys) == 3 and keys[0] in ("self", "reviewer"):
            words.append(str(_l("rule %(code)s", code=key)))
        else:
            words.append(str(_PATH_WORDS.get(key, key)))
    return " · ".join(words)


def _indicator_titles(body: Mapping[str, Any] | None) -> dict[str, str]:
    if not isinstance(body, Mapping):
        return {}
    return {str(indicator.get("code")): str(indicator.get("title") or "") for _d, indicator in indicators_of(body)}


def problem_text(problem: Problem, body: Mapping[str, Any] | None = None) -> str:
    """A problem as a page shows it: where, then what, in the page's language."""
    where = place(problem.path, body)
    colon = "：" if ui_language() == "zh" else ": "
    return f"{where}{colon}{say(problem.message)}" if where else say(problem.message)
