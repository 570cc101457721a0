"""The template contract: the vocabulary of a score sheet, the checks of a template
(shape by the JSON Schema, then the rules a schema cannot express) and the parsed
:class:`Sheet` that validation hands to the rest of the engine.

``docs/score-templates.md`` is the contract in prose. A template that passes
:func:`validate_template` becomes a :class:`Sheet` of ``Decimal`` values; the outcome
is remembered per template content, so that a page showing several figures of one sheet
validates it once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .decimals import ZERO, number_or_none, to_decimal
from .documents import limit_problems
from .problems import Problem, ScoringError, bi
from .schema import schema_problems

METHODS = ("points", "deduct", "levels")
SHEET_PARTS = ("self", "reviewer")
PARTS = ("self", "reviewer", "ballot")
ADJUSTMENT_KINDS = ("bonus", "deduction", "veto")
# Approval (满意率 / 好和较好票占比) counts the votes of the first two ballot levels, the
# two favourable ones in every published scheme (好+较好, 满意+基本满意).
APPROVAL_LEVEL_COUNT = 2

PART_LABELS = {"self": "自评分", "reviewer": "考核组评分", "ballot": "民主测评"}


# --------------------------------------------------------------------------- parsed template


@dataclass(frozen=True)
class Indicator:
    """An indicator (二级指标) of a valid template: rules are code → (title, points each),
    levels label → fraction of the points."""

    code: str
    title: str
    method: str
    max_points: Decimal
    rules: dict[str, tuple[str, Decimal]]
    levels: dict[str, Decimal]


@dataclass(frozen=True)
class Dimension:
    """A dimension (一级指标) of a valid template."""

    code: str
    title: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Sheet:
    """A valid template as ``Decimal`` structures, lists in template order."""

    name: str
    year: int
    dimensions: tuple[Dimension, ...]
    grades: tuple[tuple[str, Decimal], ...]
    weights: dict[str, Decimal]
    ballot_levels: tuple[tuple[str, Decimal], ...]
    bonus_cap: Decimal
    veto_rules: dict[str, str]
    adjustment_rules: dict[str, tuple[str, str, Decimal]]
    gates: tuple[tuple[Decimal, str], ...]

    @property
    def indicators(self) -> dict[str, Indicator]:
        """Every indicator of the sheet by code, in template order."""
        return {indicator.code: indicator for dimension in self.dimensions for indicator in dimension.indicators}


def _parse_template(data: Mapping[str, Any]) -> Sheet:
    """Turn a template that passed :func:`validate_template` into Decimal structures."""
    dimensions = tuple(
        Dimension(
            code=dimension["code"],
            title=dimension["title"],
            indicators=tuple(
                Indicator(
                    code=indicator["code"],
                    title=indicator["title"],
                    method=indicator["method"],
                    max_points=to_decimal(indicator["max_points"]),
                    rules={
                        rule["code"]: (rule["title"], to_decimal(rule["points"])) for rule in indicator.get("rules", [])
                    },
                    levels={level["label"]: to_decimal(level["fraction"]) for level in indicator.get("levels", [])},
                )
                for indicator in dimension["indicators"]
            ),
        )
        for dimension in data["dimensions"]
    )
    return Sheet(
        name=data["name"],
        year=data["year"],
        dimensions=dimensions,
        grades=tuple((grade["label"], to_decimal(grade["min"])) for grade in data["grades"]),
        weights={part: to_decimal(data["composite"][part]) for part in PARTS},
        ballot_levels=tuple((level["label"], to_decimal(level["weight"])) for level in data.get("ballot_levels", [])),
        bonus_cap=to_decimal(data.get("bonus_cap", 0)),
        veto_rules={rule["code"]: rule["title"] for rule in data.get("veto_rules", [])},
        adjustment_rules={
            rule["code"]: (rule["title"], rule["kind"], to_decimal(rule["points"]))
            for rule in data.get("adjustment_rules", [])
        },
        gates=tuple((to_decimal(gate["ballot_approval_below"]), gate["max_grade"]) for gate in data.get("gates", [])),
    )


# --------------------------------------------------------------------------- validation


def validate_template(data: object) -> list[Problem]:
    """Return every problem of a template (empty list when it is valid).

    Checks the shape with ``template.schema.json`` and then the semantics the schema
    cannot express: composite weights summing to 1, unique codes and labels (indicator
    codes across the whole sheet), ``rules`` exactly on deduct indicators and ``levels``
    exactly on levels indicators, grades strictly descending with a last ``min`` of 0,
    ballot levels ordered best first, gates naming a defined grade.
    """
    return list(_validated(data)[0])


def checked_sheet(template: object) -> Sheet:
    """The parsed form of a valid template; raises :class:`ScoringError` with every
    problem when it is invalid."""
    problems, sheet = _validated(template)
    if problems or sheet is None:
        raise ScoringError(bi("模板无效", "the template is invalid"), problems)
    return sheet


# Validating a template with the JSON Schema takes milliseconds, and a page shows several
# figures of the same sheet (running totals of two parts, the result), so the outcome is
# remembered per template *content*.  The key spells out every value with its type, so
# that 8, 8.0, Decimal("8") and "8" never share an entry.
_VALIDATED_MAX = 32
_validated_cache: OrderedDict[object, tuple[tuple[Problem, ...], Sheet | None]] = OrderedDict()
_validated_lock = threading.Lock()


def _template_key(data: object) -> object:
    kind = type(data).__name__
    if isinstance(data, Mapping):
        return (kind, tuple(sorted((repr(key), _template_key(value)) for key, value in data.items())))
    if isinstance(data, (list, tuple)):
        return (kind, tuple(_template_key(item) for item in data))
    return (kind, repr(data))


def _validated(data: object) -> tuple[tuple[Problem, ...], Sheet | None]:
    """The problems of a template and, when there are none, its parsed form (cached)."""
    limits = limit_problems(data)
    if limits:
        return tuple(limits), None
    key = _template_key(data)
    with _validated_lock:
        hit = _validated_cache.get(key)
        if hit is not None:
            _validated_cache.move_to_end(key)
            return hit
    problems = tuple(schema_problems(data) + _semantic_template_problems(data))
    outcome = (problems, None if problems else _parse_template(data))  # type: ignore[arg-type]
    with _validated_lock:
        _validated_cache[key] = outcome
        while len(_validated_cache) > _VALIDATED_MAX:
            _validated_cache.popitem(last=False)
    return outcome


# --------------------------------------------------------------------------- semantic rules


def _items(value: object) -> list[Any]:
    """The items of a list, or nothing: semantic checks skip what the schema rejected."""
    return list(value) if isinstance(value, list) else []


def _entries(path: str, value: object) -> list[tuple[str, object]]:
    """(path, item) pairs of a list: ``path[0]``, ``path[1]``…"""
    return [(f"{path}[{index}]", item) for index, item in enumerate(_items(value))]


def _duplicates(entries: Iterable[tuple[str, object]], what: tuple[str, str], key: str) -> list[Problem]:
    """Problems for each entry whose ``key`` repeats an earlier one.

    ``entries`` are (path, entry) pairs; ``what`` names the key in Chinese and English.
    """
    what_zh, what_en = what
    problems: list[Problem] = []
    first_seen: dict[str, str] = {}
    for path, entry in entries:
        if not isinstance(entry, Mapping):
            continue
        value = entry.get(key)
        if not isinstance(value, str):
            continue
        if value in first_seen:
            problems.append(
                Problem(
                    f"{path}.{key}",
                    bi(f"{what_zh}“{value}”重复，已用于 {first_seen[value]}",
                       f"duplicate {what_en} {value!r}, first used at {first_seen[value]}"),
                )
            )
        else:
            first_seen[value] = path
    return problems


def _semantic_template_problems(data: object) -> list[Problem]:
    """Rules the JSON Schema cannot express; tolerant of shapes the schema rejected."""
    if not isinstance(data, Mapping):
        return []
    problems: list[Problem] = []

    indicator_entries: list[tuple[str, object]] = []
    dimension_entries = _entries("dimensions", data.get("dimensions"))
    problems += _duplicates(dimension_entries, ("一级指标代码", "dimension code"), "code")
    for dimension_path, dimension in dimension_entries:
        if not isinstance(dimension, Mapping):
            continue
        for indicator_path, indicator in _entries(f"{dimension_path}.indicators", dimension.get("indicators")):
            indicator_entries.append((indicator_path, indicator))
            if isinstance(indicator, Mapping):
                problems += _indicator_method_problems(indicator_path, indicator)
    # Indicator codes are unique across the whole sheet: scores refer to them by code alone.
    problems += _duplicates(indicator_entries, ("二级指标代码", "indicator code"), "code")

    composite = data.get("composite")
    weights: dict[str, Decimal | None] = {}
    if isinstance(composite, Mapping):
        weights = {part: number_or_none(composite.get(part)) for part in PARTS}
        if all(weight is not None for weight in weights.values()):
            total = sum(weights.values(), ZERO)  # type: ignore[arg-type]
            if total != 1:
                problems.append(
                    Problem(
                        "composite",
                        bi(f"自评、考核组、民主测评权重之和为 {total}，应为 1", f"the weights sum to {total}, they must sum to 1"),
                    )
                )

    problems += _grade_problems(data.get("grades"))

    ballot_levels = _items(data.get("ballot_levels"))
    problems += _duplicates(_entries("ballot_levels", ballot_levels), ("测评等次", "ballot level"), "label")
    previous_weight: Decimal | None = None
    for index, level in enumerate(ballot_levels):
        weight = number_or_none(level.get("weight")) if isinstance(level, Mapping) else None
        if weight is None:
            continue
        # Levels run from best to worst: approval counts the first two as favourable.
        if previous_weight is not None and weight > previous_weight:
            problems.append(
                Problem(
                    f"ballot_levels[{index}].weight",
                    bi("测评等次应从好到差排列，权重不得高于前一等次", "ballot levels run best first: a weight may not exceed the previous one"),
                )
            )
        previous_weight = weight
    ballot_weight = weights.get("ballot")
    if ballot_weight is not None and ballot_weight > 0 and not ballot_levels:
        problems.append(
            Problem(
                "ballot_levels",
                bi("民主测评权重大于 0，须定义测评等次", "the ballot has a weight, so ballot_levels must be defined"),
            )
        )

    # Text labels only: a label the schema rejects (a list, a mapping) is no grade, and
    # would not even go into a set.
    grade_labels = {
        label for grade in _items(data.get("grades")) if isinstance(grade, Mapping)
        and isinstance(label := grade.get("label"), str)
    }
    gates = _items(data.get("gates"))
    if gates and not ballot_levels:
        problems.append(
            Problem(
                "gates",
                bi("门槛按民主测评满意率判断，须定义测评等次", "gates read the ballot approval, so ballot_levels must be defined"),
            )
        )
    for index, gate in enumerate(gates):
        if (
            isinstance(gate, Mapping)
            and isinstance(gate.get("max_grade"), str)
            and gate["max_grade"] not in grade_labels
        ):
            problems.append(
                Problem(
                    f"gates[{index}].max_grade",
                    bi(f"“{gate['max_grade']}”不是已定义的等次", f"{gate['max_grade']!r} is not one of the grade labels"),
                )
            )

    # One namespace for both lists, so that an adjustment's ``rule`` never means two things.
    problems += _duplicates(
        _entries("veto_rules", data.get("veto_rules")) + _entries("adjustment_rules", data.get("adjustment_rules")),
        ("否决或加减分规则代码", "veto/adjustment rule code"),
        "code",
    )
    return problems


# method → the list only that method has, the key unique within it (and its name), the
# problem when the list is missing and the one when another method has it.
_METHOD_LISTS = (
    ("deduct", "rules", "code", ("扣分规则代码", "deduction rule code"),
     bi("扣分法(deduct)指标须列出扣分规则", "a deduct indicator needs at least one rule"),
     bi("只有扣分法(deduct)指标可以有扣分规则", "only deduct indicators have rules")),
    ("levels", "levels", "label", ("评定等次", "level label"),
     bi("等次法(levels)指标须列出等次", "a levels indicator needs at least one level"),
     bi("只有等次法(levels)指标可以有等次", "only levels indicators have levels")),
)


def _indicator_method_problems(path: str, indicator: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    method = indicator.get("method")
    for owner, key, unique, what, missing, misplaced in _METHOD_LISTS:
        if method == owner:
            entries = _entries(f"{path}.{key}", indicator.get(key))
            if not entries:
                problems.append(Problem(f"{path}.{key}", missing))
            problems += _duplicates(entries, what, unique)
        elif key in indicator and method in METHODS:
            problems.append(Problem(f"{path}.{key}", misplaced))
    return problems


def _grade_problems(grades_value: object) -> list[Problem]:
    grades = _items(grades_value)
    problems = _duplicates(_entries("grades", grades), ("等次", "grade label"), "label")
    minimums = [(number_or_none(grade.get("min")) if isinstance(grade, Mapping) else None) for grade in grades]
    for index in range(1, len(minimums)):
        current, previous = minimums[index], minimums[index - 1]
        if current is not None and previous is not None and current >= previous:
            problems.append(
                Problem(
                    f"grades[{index}].min",
                    bi(f"等次须从高到低排列，下限 {current} 应低于上一档的 {previous}",
                       f"grades run highest first: min {current} must be below {previous}"),
                )
            )
    if minimums and minimums[-1] is not None and minimums[-1] != 0:
        problems.append(
            Problem(
                f"grades[{len(grades) - 1}].min",
                bi("最后一档的下限须为 0，使任何得分都有等次", "the last grade must have min 0 so that every score has a grade"),
            )
        )
    return problems
