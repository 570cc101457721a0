"""Scoring engine for score sheets (评分表): pure functions over plain data.

No Flask and no database here: the web views, the CLI, the demo seed and the tests all
call these functions with dictionaries (parsed JSON or YAML, or rows turned into
dictionaries) and get frozen dataclasses back.

The contract — every key of a template and of a scores document, the arithmetic and the
rounding — is written down in ``docs/score-templates.md``. In short:

* all arithmetic is ``Decimal``; floats coming from JSON/YAML are converted through their
  shortest ``repr`` so that ``0.1`` means exactly one tenth;
* figures are kept at full precision inside :class:`Result`; only reported figures are
  rounded to 0.01 with ROUND_HALF_UP (:func:`round_figure`);
* the grade is looked up with the *rounded* composite, so the number printed next to a
  grade never contradicts it (89.996 is printed 90.00 and graded as 90).
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Decimal,
    InvalidOperation,
    localcontext,
)
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

__all__ = [
    "AdjustmentResult",
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
    "evaluate",
    "load_document",
    "problem_path",
    "result_to_json",
    "round_figure",
    "score_part",
    "validate_scores",
    "validate_template",
]

SCHEMA_PATH = Path(__file__).with_name("template.schema.json")

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)

METHODS = ("points", "deduct", "levels")
SHEET_PARTS = ("self", "reviewer")
PARTS = ("self", "reviewer", "ballot")
ADJUSTMENT_KINDS = ("bonus", "deduction", "veto")
# Approval (满意率 / 好和较好票占比) counts the votes of the first two ballot levels, the
# two favourable ones in every published scheme (好+较好, 满意+基本满意).
APPROVAL_LEVEL_COUNT = 2
# Enough digits that sums and products of any realistic input are exact; only the
# ballot division can be inexact, and 50 digits leave rounding to 0.01 unaffected.
WORKING_PRECISION = 50

PART_LABELS = {"self": "自评分", "reviewer": "考核组评分", "ballot": "民主测评"}

# Limits of a document (``docs/score-templates.md``, "Limits"): beyond them a document is
# refused with a message, before anything expands, recurses or converts it.
#: Size of a template or scores document (an upload, a file given to the CLI).
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
#: Nesting of mappings and lists (a template needs 7; room for ``x-`` extensions).
MAX_DEPTH = 20
#: Indicators (二级指标) of a template; per dimension and the other lists: the schema.
MAX_INDICATORS = 500
#: Significant digits of a number, and its magnitude.
MAX_NUMBER_DIGITS = 15
MAX_NUMBER = Decimal(10) ** 12
SCORE_DOCUMENT_KEYS = ("self", "reviewer", "ballot", "adjustments")
ADJUSTMENT_KEYS = ("kind", "points", "rule", "reason", "document")


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a template or a scores document.

    ``path`` points into the document (``dimensions[2].indicators[0].max_points``,
    ``reviewer.A1``, ``adjustments[0].rule``; empty for the document itself) and
    ``message`` says what is wrong in Chinese, then in English after `` / ``.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(文档 / document)'}: {self.message}"


class ScoringError(ValueError):
    """A template or scores document that cannot be used; ``problems`` lists why."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems: tuple[Problem, ...] = tuple(problems)

    def __str__(self) -> str:
        lines = [self.message, *(f"  {problem}" for problem in self.problems)]
        return "\n".join(lines)


# --------------------------------------------------------------------------- results


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


# --------------------------------------------------------------------------- numbers


def round_figure(value: Decimal) -> Decimal:
    """Round a reported figure to 0.01, halves away from zero (ROUND_HALF_UP)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _is_number(value: object) -> bool:
    # bool is an int subclass; True must not count as 1 point.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Decimal):
        return value.is_finite()
    return True


def _decimal(value: int | float | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # repr gives the shortest string that round-trips, so 0.1 becomes Decimal("0.1")
        # and not the binary approximation 0.1000000000000000055511151231257827...
        return Decimal(repr(value))
    return Decimal(value)


def _count(value: object) -> int | None:
    """A vote or occurrence count: a non-negative whole number, else None."""
    if not _is_number(value):
        return None
    number = _decimal(value)  # type: ignore[arg-type]
    if number < 0 or number != number.to_integral_value():
        return None
    return int(number)


def _show(value: Decimal) -> str:
    """A figure for a sentence: rounded to 0.01, without trailing zeros (90, 87.5)."""
    rounded = round_figure(value)
    text = format(rounded.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _show_percent(fraction: Decimal) -> str:
    return _show(fraction * HUNDRED) + "%"


# --------------------------------------------------------------------------- paths


_PLAIN_KEY = re.compile(r"^[^\s.\[\]\"']+$")


def _key_path(base: str, key: object) -> str:
    text = str(key)
    if _PLAIN_KEY.match(text):
        return f"{base}.{text}" if base else text
    return f"{base}[{json.dumps(text, ensure_ascii=False)}]"


def _schema_error_path(parts: Iterable[str | int]) -> str:
    path = ""
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else _key_path(path, part)
    return path


def problem_path(*keys: str | int) -> str:
    """The path a :class:`Problem` gives for nested keys, so that callers can match
    problems to their own fields: ``problem_path("dimensions", 2, "code")`` is
    ``dimensions[2].code``, ``problem_path("reviewer", "1.1")`` is ``reviewer["1.1"]``."""
    return _schema_error_path(keys)


# --------------------------------------------------------------------------- loading


def _limit_message() -> str:
    return (f"数字超出允许范围（至多 {MAX_NUMBER_DIGITS} 位有效数字，绝对值小于 10^12）"
            f" / number out of range (at most {MAX_NUMBER_DIGITS} digits, below 10^12)")


def _number_text_ok(text: str) -> bool:
    """A number as written is short enough to convert (no 5,000-digit integers)."""
    digits = sum(1 for char in text if char.isdigit())
    return len(text) <= 40 and digits <= MAX_NUMBER_DIGITS + 6


class _StrictDecimalLoader(yaml.SafeLoader):
    """Safe YAML loader that reads floats as Decimal and rejects duplicate keys, aliases
    and anchors, nesting deeper than :data:`MAX_DEPTH` and overlong numbers.

    PyYAML keeps the last of two equal keys without a word; in a score document that
    would silently drop a score, so it is an error here.  Aliases (``*a``) and anchors
    (``&a``) are refused outright, before anything is expanded: nested aliases blow a few
    kilobytes up into gigabytes ("billion laughs"), and a template has no use for them.
    The depth is checked while composing, before the (recursive) construction.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "不支持 YAML 锚点和别名（& 与 *） / YAML anchors and aliases (& and *) are not allowed",
                event.start_mark)
        depth = getattr(self, "_zeren_depth", 0) + 1
        if depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"嵌套超过 {MAX_DEPTH} 层 / nested deeper than {MAX_DEPTH} levels", event.start_mark)
        self._zeren_depth = depth
        try:
            return super().compose_node(parent, index)
        finally:
            self._zeren_depth = depth - 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:
                # Unhashable key: let the base class raise its usual error for it.
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_yaml_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    if not _number_text_ok(str(node.value)):
        raise yaml.constructor.ConstructorError(None, None, _limit_message(), node.start_mark)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_yaml_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    if not _number_text_ok(str(node.value)):
        raise yaml.constructor.ConstructorError(None, None, _limit_message(), node.start_mark)
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        # YAML 1.1 spellings Decimal does not read (.5e+1, 1:30.5): let PyYAML parse them.
        number = _decimal(yaml.SafeLoader.construct_yaml_float(loader, node))
    if not number.is_finite():
        raise yaml.constructor.ConstructorError(None, None, f"non-finite number {text!r}", node.start_mark)
    return number


_StrictDecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_yaml_decimal)
_StrictDecimalLoader.add_constructor("tag:yaml.org,2002:int", _construct_yaml_int)


def _json_object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _json_number(kind: type) -> Any:
    def parse(text: str) -> Any:
        if not _number_text_ok(text):
            raise ValueError(_limit_message())
        return kind(text)

    return parse


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _json_too_deep(text: str) -> bool:
    """Whether the JSON text nests deeper than :data:`MAX_DEPTH` (checked on the text,
    before the recursive parser could run out of stack)."""
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


def _parse_json(text: str) -> Any:
    if _json_too_deep(text):
        raise ValueError(f"嵌套超过 {MAX_DEPTH} 层 / nested deeper than {MAX_DEPTH} levels")
    return json.loads(
        text,
        parse_float=_json_number(Decimal),
        parse_int=_json_number(int),
        parse_constant=_reject_json_constant,
        object_pairs_hook=_json_object_without_duplicates,
    )


def load_document(source: str | bytes | os.PathLike[str]) -> dict[str, Any]:
    """Read a template or scores document from a file path or from JSON/YAML text.

    The limits of ``docs/score-templates.md`` apply: at most :data:`MAX_DOCUMENT_BYTES`,
    nesting at most :data:`MAX_DEPTH` deep, no YAML anchors or aliases, no overlong
    numbers, no NUL characters — beyond them the document is refused with a
    :class:`ScoringError`, never expanded or converted.

    A ``PathLike``, or a one-line string ending in ``.json``, ``.yaml`` or ``.yml``, is a
    file path; anything else is the document text. ``.json`` files and text starting
    with ``{`` are read as JSON (falling back to YAML for YAML flow mappings), everything
    else as YAML. Numbers with a fraction come back as ``Decimal``; duplicate keys are an
    error. Raises :class:`ScoringError` when the file is missing, the text does not
    parse, or the document is not a mapping.
    """
    origin = "文本 / text"
    force_json = False
    if isinstance(source, bytes):
        text = source.decode("utf-8-sig")
    elif isinstance(source, os.PathLike) or (
        "\n" not in source and source.strip().lower().endswith((".json", ".yaml", ".yml"))
    ):
        path = Path(source)
        origin = str(path)
        try:
            if path.stat().st_size > MAX_DOCUMENT_BYTES:
                raise ScoringError(f"文件超过 {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB / file larger than "
                                   f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB: {path}")
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError as error:
            raise ScoringError(f"文件不存在 / file not found: {path}") from error
        except (OSError, UnicodeDecodeError) as error:
            raise ScoringError(f"无法读取文件 / cannot read file {path}: {error}") from error
        force_json = path.suffix.lower() == ".json"
    else:
        text = source
    if len(text) > MAX_DOCUMENT_BYTES:
        raise ScoringError(f"文档超过 {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB / the document is larger than "
                           f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")
    if "\x00" in text:
        raise ScoringError(f"无法读取 {origin} / cannot read {origin}",
                           [Problem("", "文本中含有 NUL 字符 / the text contains NUL characters")])

    document: Any
    if force_json or text.lstrip().startswith("{"):
        try:
            document = _parse_json(text)
        except (ValueError, RecursionError) as json_error:
            if force_json or _json_too_deep(text):
                raise _parse_error(origin, "JSON", json_error) from json_error
            document = _parse_yaml(text, origin)
    else:
        document = _parse_yaml(text, origin)

    if not isinstance(document, dict):
        raise ScoringError(
            f"无法读取 {origin} / cannot read {origin}",
            [Problem("", "文档应为键值映射（对象） / the document must be a mapping (object)")],
        )
    return document


def _parse_yaml(text: str, origin: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictDecimalLoader)
    except yaml.YAMLError as error:
        raise _parse_error(origin, "YAML", error) from error
    except (ValueError, RecursionError, OverflowError) as error:  # defence in depth: never a 500
        raise _parse_error(origin, "YAML", error) from error


def _parse_error(origin: str, syntax: str, error: Exception) -> ScoringError:
    location = ""
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        location = f"第 {mark.line + 1} 行第 {mark.column + 1} 列 / line {mark.line + 1}, column {mark.column + 1}: "
    elif isinstance(error, json.JSONDecodeError):
        location = f"第 {error.lineno} 行第 {error.colno} 列 / line {error.lineno}, column {error.colno}: "
    if isinstance(error, json.JSONDecodeError):
        detail = error.msg
    elif getattr(error, "problem", None):
        detail = str(error.problem)  # type: ignore[attr-defined]
    else:
        detail = str(error) or type(error).__name__
    return ScoringError(f"无法解析 {origin} / cannot parse {syntax}", [Problem("", f"{location}{detail}")])


# --------------------------------------------------------------------------- template validation


@lru_cache(maxsize=1)
def _template_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


_TYPE_NAMES_ZH = {
    "string": "字符串",
    "number": "数字",
    "integer": "整数",
    "array": "列表",
    "object": "键值映射",
    "boolean": "布尔值",
    "null": "空值",
}


def _json_type_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def _schema_problems(data: object) -> list[Problem]:
    """Shape problems found by the JSON Schema, as readable bilingual messages."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()

    def sort_key(error: jsonschema.ValidationError) -> tuple[Any, ...]:
        return (
            tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in error.absolute_path),
            error.validator,
        )

    for error in sorted(_template_validator().iter_errors(data), key=sort_key):
        path = _schema_error_path(error.absolute_path)
        for problem in _translate_schema_error(error, path):
            marker = (problem.path, problem.message)
            if marker not in seen:
                seen.add(marker)
                problems.append(problem)
    return problems


def _translate_schema_error(error: jsonschema.ValidationError, path: str) -> list[Problem]:
    kind = error.validator
    expected = error.validator_value
    instance = error.instance
    if kind == "required":
        return [
            Problem(_key_path(path, key), "缺少必填项 / required key is missing")
            for key in expected
            if isinstance(instance, Mapping) and key not in instance
        ]
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        return [
            Problem(
                _key_path(path, key),
                "未知的键（拼写错误？扩展键请以 x- 开头） / unknown key (a typo? extension keys start with x-)",
            )
            for key in instance
            if key not in allowed and not str(key).startswith("x-")
        ]
    if kind == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = "或".join(_TYPE_NAMES_ZH.get(name, name) for name in names)
        actual = _json_type_of(instance)
        hint_zh = hint_en = ""
        if "string" in names and actual in ("number", "boolean"):
            # YAML turns unquoted 1.1, 2026 or "yes" into numbers and booleans.
            hint_zh, hint_en = "（YAML 中请加引号）", " (quote it in YAML)"
        return [
            Problem(
                path,
                f"类型应为{wanted}，实际为{_TYPE_NAMES_ZH.get(actual, actual)}{hint_zh}"
                f" / expected {' or '.join(names)}, got {actual}{hint_en}",
            )
        ]
    if kind == "minimum":
        return [Problem(path, f"不得小于 {expected} / must be at least {expected}")]
    if kind == "exclusiveMinimum":
        return [Problem(path, f"必须大于 {expected} / must be greater than {expected}")]
    if kind == "maximum":
        return [Problem(path, f"不得大于 {expected} / must be at most {expected}")]
    if kind == "enum":
        options = "、".join(str(option) for option in expected)
        return [Problem(path, f"取值应为 {options} 之一 / must be one of {', '.join(map(str, expected))}")]
    if kind == "minItems":
        return [Problem(path, f"至少需要 {expected} 项 / needs at least {expected} item(s)")]
    if kind == "maxItems":
        return [Problem(path, f"至多 {expected} 项 / at most {expected} item(s)")]
    if kind == "minLength":
        return [Problem(path, "不能为空 / must not be empty")]
    if kind == "maxLength":
        return [Problem(path, f"不得超过 {expected} 个字符 / must be at most {expected} characters")]
    if kind == "pattern":
        return [Problem(path, "不能包含空白字符 / must not contain whitespace")]
    return [Problem(path, error.message)]


def _items(value: object) -> list[Any]:
    """The items of a list, or nothing: semantic checks skip what the schema rejected."""
    return list(value) if isinstance(value, list) else []


def _number_or_none(value: object) -> Decimal | None:
    return _decimal(value) if _is_number(value) else None  # type: ignore[arg-type]


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
                    f"{what_zh}“{value}”重复，已用于 {first_seen[value]}"
                    f" / duplicate {what_en} {value!r}, first used at {first_seen[value]}",
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
    dimension_entries = [
        (f"dimensions[{index}]", dimension) for index, dimension in enumerate(_items(data.get("dimensions")))
    ]
    problems += _duplicates(dimension_entries, ("一级指标代码", "dimension code"), "code")
    for dimension_path, dimension in dimension_entries:
        if not isinstance(dimension, Mapping):
            continue
        for index, indicator in enumerate(_items(dimension.get("indicators"))):
            indicator_path = f"{dimension_path}.indicators[{index}]"
            indicator_entries.append((indicator_path, indicator))
            if isinstance(indicator, Mapping):
                problems += _indicator_method_problems(indicator_path, indicator)
    # Indicator codes are unique across the whole sheet: scores refer to them by code alone.
    problems += _duplicates(indicator_entries, ("二级指标代码", "indicator code"), "code")

    composite = data.get("composite")
    weights: dict[str, Decimal | None] = {}
    if isinstance(composite, Mapping):
        weights = {part: _number_or_none(composite.get(part)) for part in PARTS}
        if all(weight is not None for weight in weights.values()):
            total = sum(weights.values(), ZERO)  # type: ignore[arg-type]
            if total != 1:
                problems.append(
                    Problem(
                        "composite",
                        f"自评、考核组、民主测评权重之和为 {total}，应为 1 / the weights sum to {total}, they must sum to 1",
                    )
                )

    problems += _grade_problems(data.get("grades"))

    ballot_levels = _items(data.get("ballot_levels"))
    problems += _duplicates(
        [(f"ballot_levels[{index}]", level) for index, level in enumerate(ballot_levels)],
        ("测评等次", "ballot level"),
        "label",
    )
    previous_weight: Decimal | None = None
    for index, level in enumerate(ballot_levels):
        weight = _number_or_none(level.get("weight")) if isinstance(level, Mapping) else None
        if weight is None:
            continue
        # Levels run from best to worst: approval counts the first two as favourable.
        if previous_weight is not None and weight > previous_weight:
            problems.append(
                Problem(
                    f"ballot_levels[{index}].weight",
                    "测评等次应从好到差排列，权重不得高于前一等次 / ballot levels run best first: a weight may not exceed the previous one",
                )
            )
        previous_weight = weight
    ballot_weight = weights.get("ballot")
    if ballot_weight is not None and ballot_weight > 0 and not ballot_levels:
        problems.append(
            Problem(
                "ballot_levels",
                "民主测评权重大于 0，须定义测评等次 / the ballot has a weight, so ballot_levels must be defined",
            )
        )

    grade_labels = {grade.get("label") for grade in _items(data.get("grades")) if isinstance(grade, Mapping)}
    gates = _items(data.get("gates"))
    if gates and not ballot_levels:
        problems.append(
            Problem(
                "gates",
                "门槛按民主测评满意率判断，须定义测评等次 / gates read the ballot approval, so ballot_levels must be defined",
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
                    f"“{gate['max_grade']}”不是已定义的等次 / {gate['max_grade']!r} is not one of the grade labels",
                )
            )

    veto_entries = [(f"veto_rules[{index}]", rule) for index, rule in enumerate(_items(data.get("veto_rules")))]
    adjustment_entries = [
        (f"adjustment_rules[{index}]", rule) for index, rule in enumerate(_items(data.get("adjustment_rules")))
    ]
    # One namespace for both lists, so that an adjustment's ``rule`` never means two things.
    problems += _duplicates(
        veto_entries + adjustment_entries, ("否决或加减分规则代码", "veto/adjustment rule code"), "code"
    )
    return problems


def _indicator_method_problems(path: str, indicator: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    method = indicator.get("method")
    if method == "deduct":
        rules = _items(indicator.get("rules"))
        if not rules:
            problems.append(
                Problem(
                    f"{path}.rules", "扣分法(deduct)指标须列出扣分规则 / a deduct indicator needs at least one rule"
                )
            )
        problems += _duplicates(
            [(f"{path}.rules[{index}]", rule) for index, rule in enumerate(rules)],
            ("扣分规则代码", "deduction rule code"),
            "code",
        )
    elif "rules" in indicator and method in METHODS:
        problems.append(
            Problem(f"{path}.rules", "只有扣分法(deduct)指标可以有扣分规则 / only deduct indicators have rules")
        )
    if method == "levels":
        levels = _items(indicator.get("levels"))
        if not levels:
            problems.append(
                Problem(f"{path}.levels", "等次法(levels)指标须列出等次 / a levels indicator needs at least one level")
            )
        problems += _duplicates(
            [(f"{path}.levels[{index}]", level) for index, level in enumerate(levels)],
            ("评定等次", "level label"),
            "label",
        )
    elif "levels" in indicator and method in METHODS:
        problems.append(
            Problem(f"{path}.levels", "只有等次法(levels)指标可以有等次 / only levels indicators have levels")
        )
    return problems


def _grade_problems(grades_value: object) -> list[Problem]:
    grades = _items(grades_value)
    problems = _duplicates(
        [(f"grades[{index}]", grade) for index, grade in enumerate(grades)], ("等次", "grade label"), "label"
    )
    minimums = [(_number_or_none(grade.get("min")) if isinstance(grade, Mapping) else None) for grade in grades]
    for index in range(1, len(minimums)):
        current, previous = minimums[index], minimums[index - 1]
        if current is not None and previous is not None and current >= previous:
            problems.append(
                Problem(
                    f"grades[{index}].min",
                    f"等次须从高到低排列，下限 {current} 应低于上一档的 {previous}"
                    f" / grades run highest first: min {current} must be below {previous}",
                )
            )
    if minimums and minimums[-1] is not None and minimums[-1] != 0:
        problems.append(
            Problem(
                f"grades[{len(grades) - 1}].min",
                "最后一档的下限须为 0，使任何得分都有等次 / the last grade must have min 0 so that every score has a grade",
            )
        )
    return problems


def validate_template(data: object) -> list[Problem]:
    """Return every problem of a template (empty list when it is valid).

    Checks the shape with ``template.schema.json`` and then the semantics the schema
    cannot express: composite weights summing to 1, unique codes and labels (indicator
    codes across the whole sheet), ``rules`` exactly on deduct indicators and ``levels``
    exactly on levels indicators, grades strictly descending with a last ``min`` of 0,
    ballot levels ordered best first, gates naming a defined grade.
    """
    return list(_validated(data)[0])


# Validating a template with the JSON Schema takes milliseconds, and a page shows several
# figures of the same sheet (running totals of two parts, the result), so the outcome is
# remembered per template *content*.  The key spells out every value with its type, so
# that 8, 8.0, Decimal("8") and "8" never share an entry.
_VALIDATED_MAX = 32
_validated_cache: OrderedDict[object, tuple[tuple[Problem, ...], _Sheet | None]] = OrderedDict()
_validated_lock = threading.Lock()


def _template_key(data: object) -> object:
    kind = type(data).__name__
    if isinstance(data, Mapping):
        return (kind, tuple(sorted((repr(key), _template_key(value)) for key, value in data.items())))
    if isinstance(data, (list, tuple)):
        return (kind, tuple(_template_key(item) for item in data))
    return (kind, repr(data))


def _limit_problems(data: object) -> list[Problem]:
    """What breaks the document limits (``docs/score-templates.md``, "Limits"): nesting
    deeper than :data:`MAX_DEPTH`, values that are not JSON (dates, bytes, sets from YAML
    tags), numbers out of range, more than :data:`MAX_INDICATORS` indicators.  Walked
    without recursion, and before anything else looks at the document: a document past
    the limits is refused as a whole, with at most a few problems."""
    problems: list[Problem] = []
    stack: list[tuple[object, str, int]] = [(data, "", 1)]
    while stack and len(problems) < 20:
        value, path, depth = stack.pop()
        if isinstance(value, (Mapping, list, tuple)):
            if depth > MAX_DEPTH:
                return [Problem(path, f"嵌套超过 {MAX_DEPTH} 层 / nested deeper than {MAX_DEPTH} levels")]
            items = value.items() if isinstance(value, Mapping) else enumerate(value)
            for key, item in items:
                stack.append((item, f"{path}[{key}]" if isinstance(key, int) and not isinstance(value, Mapping)
                              else _key_path(path, key), depth + 1))
        elif isinstance(value, str):
            if "\x00" in value:
                problems.append(Problem(path, "文本中含有 NUL 字符 / the text contains a NUL character"))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, (int, float, Decimal)):
            number = _decimal(value) if _is_number(value) else None
            if number is None or abs(number) >= MAX_NUMBER or len(number.normalize().as_tuple().digits) > MAX_NUMBER_DIGITS:
                problems.append(Problem(path, _limit_message()))
        else:
            problems.append(Problem(path, f"不支持的取值类型 {type(value).__name__}（日期等请加引号） / "
                                          f"unsupported value of type {type(value).__name__} (quote dates)"))
    if problems:
        return problems
    dimensions = data.get("dimensions") if isinstance(data, Mapping) else None
    count = sum(len(d.get("indicators") or []) for d in dimensions if isinstance(d, Mapping)
                and isinstance(d.get("indicators"), list)) if isinstance(dimensions, list) else 0
    if count > MAX_INDICATORS:
        return [Problem("dimensions", f"二级指标共 {count} 项，至多 {MAX_INDICATORS} 项"
                                      f" / {count} indicators, at most {MAX_INDICATORS}")]
    return []


def _validated(data: object) -> tuple[tuple[Problem, ...], _Sheet | None]:
    """The problems of a template and, when there are none, its parsed form (cached)."""
    limits = _limit_problems(data)
    if limits:
        return tuple(limits), None
    key = _template_key(data)
    with _validated_lock:
        hit = _validated_cache.get(key)
        if hit is not None:
            _validated_cache.move_to_end(key)
            return hit
    problems = tuple(_schema_problems(data) + _semantic_template_problems(data))
    outcome = (problems, None if problems else _parse_template(data))  # type: ignore[arg-type]
    with _validated_lock:
        _validated_cache[key] = outcome
        while len(_validated_cache) > _VALIDATED_MAX:
            _validated_cache.popitem(last=False)
    return outcome


# --------------------------------------------------------------------------- parsed template


@dataclass(frozen=True)
class _Indicator:
    code: str
    title: str
    method: str
    max_points: Decimal
    rules: dict[str, tuple[str, Decimal]]
    levels: dict[str, Decimal]


@dataclass(frozen=True)
class _Dimension:
    code: str
    title: str
    indicators: tuple[_Indicator, ...]


@dataclass(frozen=True)
class _Sheet:
    name: str
    year: int
    dimensions: tuple[_Dimension, ...]
    grades: tuple[tuple[str, Decimal], ...]
    weights: dict[str, Decimal]
    ballot_levels: tuple[tuple[str, Decimal], ...]
    bonus_cap: Decimal
    veto_rules: dict[str, str]
    adjustment_rules: dict[str, tuple[str, str, Decimal]]
    gates: tuple[tuple[Decimal, str], ...]

    @property
    def indicators(self) -> dict[str, _Indicator]:
        return {indicator.code: indicator for dimension in self.dimensions for indicator in dimension.indicators}


def _parse_template(data: Mapping[str, Any]) -> _Sheet:
    """Turn a template that passed :func:`validate_template` into Decimal structures."""
    dimensions = tuple(
        _Dimension(
            code=dimension["code"],
            title=dimension["title"],
            indicators=tuple(
                _Indicator(
                    code=indicator["code"],
                    title=indicator["title"],
                    method=indicator["method"],
                    max_points=_decimal(indicator["max_points"]),
                    rules={
                        rule["code"]: (rule["title"], _decimal(rule["points"])) for rule in indicator.get("rules", [])
                    },
                    levels={level["label"]: _decimal(level["fraction"]) for level in indicator.get("levels", [])},
                )
                for indicator in dimension["indicators"]
            ),
        )
        for dimension in data["dimensions"]
    )
    return _Sheet(
        name=data["name"],
        year=data["year"],
        dimensions=dimensions,
        grades=tuple((grade["label"], _decimal(grade["min"])) for grade in data["grades"]),
        weights={part: _decimal(data["composite"][part]) for part in PARTS},
        ballot_levels=tuple((level["label"], _decimal(level["weight"])) for level in data.get("ballot_levels", [])),
        bonus_cap=_decimal(data.get("bonus_cap", 0)),
        veto_rules={rule["code"]: rule["title"] for rule in data.get("veto_rules", [])},
        adjustment_rules={
            rule["code"]: (rule["title"], rule["kind"], _decimal(rule["points"]))
            for rule in data.get("adjustment_rules", [])
        },
        gates=tuple((_decimal(gate["ballot_approval_below"]), gate["max_grade"]) for gate in data.get("gates", [])),
    )


def _checked_sheet(template: object) -> _Sheet:
    problems, sheet = _validated(template)
    if problems or sheet is None:
        raise ScoringError("模板无效 / the template is invalid", problems)
    return sheet


# --------------------------------------------------------------------------- scores validation


def validate_scores(template: object, scores: object) -> list[Problem]:
    """Return every problem of a scores document against ``template`` (empty when valid).

    Raises :class:`ScoringError` when the template itself is invalid, because scores
    cannot be judged against a broken sheet. See ``docs/score-templates.md`` for the
    rules: points within [0, max_points]; deduct occurrences whole and non-negative;
    level labels defined on the indicator; every points and levels indicator scored in a
    part that is given; a part with a non-zero weight given; ballot votes whole and
    non-negative with at least one vote when the ballot has a weight; adjustments with a
    known kind, veto rules from ``veto_rules``, bonus/deduction rules from
    ``adjustment_rules``.
    """
    return _score_problems(_checked_sheet(template), scores)


def _score_problems(sheet: _Sheet, scores: object) -> list[Problem]:
    if not isinstance(scores, Mapping):
        return [Problem("", "评分数据应为键值映射 / the scores document must be a mapping")]
    problems: list[Problem] = []
    for key in scores:
        if key not in SCORE_DOCUMENT_KEYS and not str(key).startswith("x-"):
            problems.append(
                Problem(_key_path("", key), f"未知的键，应为 {', '.join(SCORE_DOCUMENT_KEYS)} 之一 / unknown key")
            )
    for part in SHEET_PARTS:
        problems += _sheet_part_problems(sheet, part, scores.get(part))
    problems += _ballot_problems(sheet, scores.get("ballot"))
    problems += _adjustment_problems(sheet, scores.get("adjustments"))
    return problems


def _missing_part_problem(sheet: _Sheet, part: str) -> list[Problem]:
    weight = sheet.weights[part]
    if weight > 0:
        return [
            Problem(
                part,
                f"{PART_LABELS[part]}权重为 {weight}，但未提供{PART_LABELS[part]}"
                f" / the {part} part has weight {weight} but is missing",
            )
        ]
    return []


def _sheet_part_problems(sheet: _Sheet, part: str, values: object) -> list[Problem]:
    if values is None:
        return _missing_part_problem(sheet, part)
    if not isinstance(values, Mapping):
        return [Problem(part, "应为“指标代码: 得分”的映射 / must map indicator codes to scores")]
    indicators = sheet.indicators
    problems = [
        Problem(
            _key_path(part, code),
            "模板中没有此指标 / no such indicator in the template"
            # YAML reads an unquoted code such as 1 or 1.1 as a number.
            + (
                ""
                if isinstance(code, str)
                else "（代码须为字符串，YAML 中请加引号 / codes are strings: quote them in YAML）"
            ),
        )
        for code in values
        if code not in indicators
    ]
    for indicator in indicators.values():
        path = _key_path(part, indicator.code)
        value = values.get(indicator.code)
        if value is None and indicator.method == "deduct":
            continue  # no recorded occurrence: nothing to deduct
        if value is None:
            problems.append(Problem(path, "未评分 / not scored"))
        else:
            problems += _indicator_value_problems(indicator, value, path)
    return problems


def _indicator_value_problems(indicator: _Indicator, value: object, path: str) -> list[Problem]:
    if indicator.method == "points":
        if not _is_number(value):
            return [
                Problem(
                    path,
                    f"应为 0 到 {indicator.max_points} 之间的数字 / must be a number from 0 to {indicator.max_points}",
                )
            ]
        number = _decimal(value)  # type: ignore[arg-type]
        if not ZERO <= number <= indicator.max_points:
            return [
                Problem(
                    path,
                    f"得分 {number} 超出 0 到 {indicator.max_points} 的范围"
                    f" / score {number} is outside 0..{indicator.max_points}",
                )
            ]
        return []
    if indicator.method == "levels":
        labels = "、".join(indicator.levels)
        if not isinstance(value, str) or value not in indicator.levels:
            return [
                Problem(path, f"应为以下等次之一：{labels} / must be one of the levels {', '.join(indicator.levels)}")
            ]
        return []
    if not isinstance(value, Mapping):
        return [Problem(path, "应为“扣分规则代码: 次数”的映射 / must map rule codes to occurrences")]
    problems: list[Problem] = []
    for rule_code, occurrences in value.items():
        rule_path = _key_path(path, rule_code)
        if rule_code not in indicator.rules:
            problems.append(
                Problem(
                    rule_path,
                    f"此指标没有该扣分规则，可用：{'、'.join(indicator.rules)} / unknown rule for this indicator",
                )
            )
        elif _count(occurrences) is None:
            problems.append(Problem(rule_path, "次数应为非负整数 / occurrences must be a whole number, 0 or more"))
    return problems


def _ballot_problems(sheet: _Sheet, ballot: object) -> list[Problem]:
    if ballot is None:
        return _missing_part_problem(sheet, "ballot")
    if not isinstance(ballot, Mapping):
        return [Problem("ballot", "应为“测评等次: 票数”的映射 / must map ballot levels to votes")]
    if not sheet.ballot_levels:
        return [Problem("ballot", "模板未定义民主测评等次 / the template defines no ballot levels")]
    labels = dict(sheet.ballot_levels)
    problems: list[Problem] = []
    total = 0
    for label, votes in ballot.items():
        path = _key_path("ballot", label)
        if label not in labels:
            problems.append(Problem(path, f"测评等次应为：{'、'.join(labels)} / unknown ballot level"))
        elif (count := _count(votes)) is None:
            problems.append(Problem(path, "票数应为非负整数 / votes must be a whole number, 0 or more"))
        else:
            total += count
    if not problems and total == 0 and sheet.weights["ballot"] > 0:
        problems.append(
            Problem("ballot", "民主测评总票数为 0，无法折算得分 / no votes were cast, so the ballot cannot be scored")
        )
    return problems


def _adjustment_problems(sheet: _Sheet, adjustments: object) -> list[Problem]:
    if adjustments is None:
        return []
    if not isinstance(adjustments, list):
        return [Problem("adjustments", "应为列表 / must be a list")]
    problems: list[Problem] = []
    for index, adjustment in enumerate(adjustments):
        path = f"adjustments[{index}]"
        if not isinstance(adjustment, Mapping):
            problems.append(Problem(path, "应为键值映射 / must be a mapping"))
            continue
        for key in adjustment:
            if key not in ADJUSTMENT_KEYS and not str(key).startswith("x-"):
                problems.append(
                    Problem(_key_path(path, key), f"未知的键，应为 {', '.join(ADJUSTMENT_KEYS)} 之一 / unknown key")
                )
        for text_key in ("reason", "document"):
            if text_key in adjustment and not isinstance(adjustment[text_key], str):
                problems.append(Problem(f"{path}.{text_key}", "应为字符串 / must be a string"))
        kind = adjustment.get("kind")
        if kind not in ADJUSTMENT_KINDS:
            problems.append(
                Problem(
                    f"{path}.kind",
                    "应为 bonus（加分）、deduction（扣分）或 veto（一票否决） / must be bonus, deduction or veto",
                )
            )
        elif kind == "veto":
            problems += _veto_problems(sheet, adjustment, path)
        else:
            problems += _bonus_or_deduction_problems(sheet, adjustment, path, kind)
    return problems


def _veto_problems(sheet: _Sheet, adjustment: Mapping[str, Any], path: str) -> list[Problem]:
    problems: list[Problem] = []
    rule = adjustment.get("rule")
    if rule is None:
        problems.append(Problem(f"{path}.rule", "一票否决须注明否决规则 / a veto must name one of the veto_rules"))
    elif not isinstance(rule, str) or rule not in sheet.veto_rules:
        known = "、".join(sheet.veto_rules) or "（模板未定义 / none defined）"
        problems.append(
            Problem(
                f"{path}.rule", f"“{rule}”不是模板的一票否决规则，可用：{known} / not one of the template's veto_rules"
            )
        )
    points = adjustment.get("points")
    if points is not None and not (_is_number(points) and _decimal(points) == 0):
        problems.append(Problem(f"{path}.points", "一票否决不计分值，请删除 points / a veto carries no points"))
    return problems


def _bonus_or_deduction_problems(sheet: _Sheet, adjustment: Mapping[str, Any], path: str, kind: str) -> list[Problem]:
    problems: list[Problem] = []
    rule = adjustment.get("rule")
    rule_points: Decimal | None = None
    if rule is not None:
        definition = sheet.adjustment_rules.get(rule) if isinstance(rule, str) else None
        if definition is None:
            known = "、".join(code for code, (_t, rule_kind, _p) in sheet.adjustment_rules.items() if rule_kind == kind)
            problems.append(
                Problem(
                    f"{path}.rule",
                    f"“{rule}”不是模板的加减分规则，可用：{known or '（无 / none）'} / not one of the template's adjustment_rules",
                )
            )
        elif definition[1] != kind:
            problems.append(
                Problem(
                    f"{path}.rule",
                    f"规则“{rule}”属于 {definition[1]}，与 kind={kind} 不符 / rule is a {definition[1]} rule, not {kind}",
                )
            )
        else:
            rule_points = definition[2]
    points = adjustment.get("points")
    if points is None:
        if rule is None:
            problems.append(Problem(f"{path}.points", "须填写分值或引用规则 / give points or a rule"))
    elif not _is_number(points) or _decimal(points) < 0:
        problems.append(
            Problem(
                f"{path}.points",
                "分值应为非负数（扣分也填正数） / points must be a number ≥ 0 (deductions are written as positive numbers)",
            )
        )
    elif rule_points is not None and _decimal(points) != rule_points:
        problems.append(
            Problem(
                f"{path}.points", f"与规则规定的 {rule_points} 分不一致 / differs from the rule's {rule_points} points"
            )
        )
    return problems


# --------------------------------------------------------------------------- evaluation


def evaluate(template: object, scores: object) -> Result:
    """Score ``scores`` against ``template`` and return the full, explained result.

    Raises :class:`ScoringError` listing the problems when the template or the scores
    are invalid (see :func:`validate_template` and :func:`validate_scores`); in particular
    a part with a non-zero weight must be present, and a ballot with a weight must
    contain at least one vote.
    """
    sheet = _checked_sheet(template)
    problems = _score_problems(sheet, scores)
    if problems:
        raise ScoringError("评分数据无效 / the scores are invalid", problems)
    with localcontext() as context:
        context.prec = WORKING_PRECISION
        context.rounding = ROUND_HALF_EVEN
        return _evaluate(sheet, scores)  # type: ignore[arg-type]


def _evaluate(sheet: _Sheet, scores: Mapping[str, Any]) -> Result:
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
        level_weights = dict(sheet.ballot_levels)
        vote_points = sum((level_weights[label] * count for label, count in ballot.votes), ZERO)
        weighted += sheet.weights["ballot"] * vote_points * HUNDRED / ballot.total_votes

    adjustments = tuple(_adjustment_result(sheet, adjustment) for adjustment in scores.get("adjustments") or [])
    bonus_claimed = sum((item.points for item in adjustments if item.kind == "bonus"), ZERO)
    bonus = min(bonus_claimed, sheet.bonus_cap)
    deductions = sum((item.points for item in adjustments if item.kind == "deduction"), ZERO)
    unfloored = weighted + bonus - deductions
    composite = max(unfloored, ZERO)

    reasons: list[str] = [_weighted_reason(sheet, parts, weighted)]
    if bonus_claimed > 0:
        if bonus_claimed > sheet.bonus_cap:
            reasons.append(
                f"加分合计 {_show(bonus_claimed)} 分，超过上限 {_show(sheet.bonus_cap)} 分，按 {_show(bonus)} 分计入"
            )
        else:
            reasons.append(f"加分 {_show(bonus)} 分（上限 {_show(sheet.bonus_cap)} 分）")
    if deductions > 0:
        reasons.append(f"扣分合计 {_show(deductions)} 分")
    if unfloored < 0:
        reasons.append(f"加减分后为 {_show(unfloored)} 分，低于 0 分，按 0 分计")

    rounded = round_figure(composite)
    grade_index = next(index for index, (_label, minimum) in enumerate(sheet.grades) if rounded >= minimum)
    grade_by_score = sheet.grades[grade_index][0]
    reasons.append(
        f"综合得分 {_show(composite)} 分，达到“{grade_by_score}”档（≥ {_show(sheet.grades[grade_index][1])} 分）"
    )

    grade_position = {label: index for index, (label, _minimum) in enumerate(sheet.grades)}
    gate_outcomes: list[GateOutcome] = []
    for threshold, max_grade in sheet.gates:
        condition = f"满意率低于 {_show_percent(threshold)} 的等次不高于“{max_grade}”"
        if ballot is None or ballot.approval is None:
            gate_outcomes.append(GateOutcome(threshold, max_grade, None))
            reasons.append(f"未提供民主测评票数，门槛（{condition}）不适用")
            continue
        favourable_labels = "、".join(f"“{label}”" for label, _votes in ballot.votes[:APPROVAL_LEVEL_COUNT])
        approval_text = f"民主测评{favourable_labels}票合计占 {_show_percent(ballot.approval)}"
        if ballot.approval < threshold:
            gate_outcomes.append(GateOutcome(threshold, max_grade, True))
            if grade_position[max_grade] > grade_index:
                grade_index = grade_position[max_grade]
                reasons.append(f"{approval_text}，低于 {_show_percent(threshold)}，等次降为“{max_grade}”")
            else:
                reasons.append(
                    f"{approval_text}，低于 {_show_percent(threshold)}，等次不高于“{max_grade}”，现等次不受影响"
                )
        else:
            gate_outcomes.append(GateOutcome(threshold, max_grade, False))
            reasons.append(f"{approval_text}，不低于 {_show_percent(threshold)}，门槛未触发")

    veto_order = {code: index for index, code in enumerate(sheet.veto_rules)}
    applied_vetoes = sorted(
        (item for item in adjustments if item.kind == "veto"),
        key=lambda item: (veto_order[item.rule or ""], item.reason),
    )
    lowest = sheet.grades[-1][0]
    for veto in applied_vetoes:
        detail = f"（{veto.reason}）" if veto.reason else ""
        reasons.append(f"一票否决：{veto.rule} {veto.rule_title}{detail}，等次定为“{lowest}”")
    if applied_vetoes:
        grade_index = len(sheet.grades) - 1

    grade = sheet.grades[grade_index][0]
    reasons.append(f"最终等次：“{grade}”")
    return Result(
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
        grade=grade,
        vetoes=tuple(dict.fromkeys(veto.rule or "" for veto in applied_vetoes)),
        gates=tuple(gate_outcomes),
        reasons=tuple(reasons),
    )


def _indicator_score(indicator: _Indicator, value: object) -> IndicatorScore:
    maximum = indicator.max_points
    if indicator.method == "points":
        score = _decimal(value)  # type: ignore[arg-type]
        return IndicatorScore(score, f"评分 {_show(score)} 分（满分 {_show(maximum)} 分）")
    if indicator.method == "levels":
        label = str(value)
        fraction = indicator.levels[label]
        score = maximum * fraction
        return IndicatorScore(
            score, f"评定为“{label}”：{_show(maximum)} 分 × {fraction} = {_show(score)} 分", level=label
        )
    occurrences = value if isinstance(value, Mapping) else {}
    deductions = tuple(
        RuleDeduction(code, title, count, points, points * count)
        for code, (title, points) in indicator.rules.items()  # template order, not input order
        if (count := _count(occurrences.get(code, 0)) or 0) > 0
    )
    if not deductions:
        return IndicatorScore(maximum, f"未发生扣分情形，得满分 {_show(maximum)} 分")
    total = sum((item.points for item in deductions), ZERO)
    score = max(maximum - total, ZERO)
    steps = "；".join(
        f"{item.rule} {item.title} {item.occurrences} 次 × {_show(item.points_each)} 分 = {_show(item.points)} 分"
        for item in deductions
    )
    if total >= maximum:
        ending = f"扣分 {_show(total)} 分达到或超过分值 {_show(maximum)} 分，扣完为止，得 0 分"
    else:
        ending = f"共扣 {_show(total)} 分，得 {_show(score)} 分"
    return IndicatorScore(score, f"{steps}；{ending}", deductions=deductions)


def _dimension_result(dimension: _Dimension, scores: Mapping[str, Any]) -> DimensionResult:
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


def _ballot_result(sheet: _Sheet, ballot: Mapping[str, Any] | None) -> BallotResult | None:
    if ballot is None:
        return None
    votes = tuple((label, _count(ballot.get(label, 0)) or 0) for label, _weight in sheet.ballot_levels)
    total = sum(count for _label, count in votes)
    if total == 0:
        return BallotResult(votes, 0, None, None)
    weights = dict(sheet.ballot_levels)
    # Multiply before dividing: a single division, last, is exact whenever the true score
    # has a finite decimal expansion (so a score of exactly x.xx5 rounds up, not down).
    score = sum((weights[label] * count for label, count in votes), ZERO) * HUNDRED / total
    favourable = sum(count for _label, count in votes[:APPROVAL_LEVEL_COUNT])
    return BallotResult(votes, total, score, Decimal(favourable) / total)


def _adjustment_result(sheet: _Sheet, adjustment: Mapping[str, Any]) -> AdjustmentResult:
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
    return AdjustmentResult(kind, _decimal(points), rule, rule_title, reason, document)


def _weighted_reason(sheet: _Sheet, parts: Parts, weighted: Decimal) -> str:
    terms = [
        f"{PART_LABELS[part]} {_show(value)} × {sheet.weights[part]}"
        for part in PARTS
        if sheet.weights[part] > 0 and (value := parts.get(part)) is not None
    ]
    return f"加权得分 {_show(weighted)} 分 = " + " + ".join(terms)


# --------------------------------------------------------------------------- running totals


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
    sheet = _checked_sheet(template)
    problems: list[Problem] = []
    if values is None:
        values = {}
    elif not isinstance(values, Mapping):
        problems.append(Problem(part, "应为“指标代码: 得分”的映射 / must map indicator codes to scores"))
        values = {}
    indicators = sheet.indicators
    problems += [
        Problem(_key_path(part, code), "模板中没有此指标 / no such indicator in the template")
        for code in values
        if code not in indicators
    ]
    scored: list[tuple[str, IndicatorScore | None]] = []
    unscored: list[str] = []
    subtotals: list[tuple[str, Decimal]] = []
    counts: list[tuple[str, int, int]] = []
    with localcontext() as context:
        context.prec = WORKING_PRECISION
        context.rounding = ROUND_HALF_EVEN
        for dimension in sheet.dimensions:
            subtotal = ZERO
            done = 0
            for indicator in dimension.indicators:
                value = values.get(indicator.code)
                score: IndicatorScore | None = None
                if value is None:
                    unscored.append(indicator.code)
                else:
                    invalid = _indicator_value_problems(indicator, value, _key_path(part, indicator.code))
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


@dataclass(frozen=True)
class Completeness:
    """How complete the figures of one sheet are (:func:`completeness`).

    ``self`` and ``reviewer`` are the parts as far as they go (``reviewer`` is ``None``
    when the document has no reviewer part); ``ballot`` says whether votes are in.
    """

    self: PartScore
    reviewer: PartScore | None
    ballot: bool
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


def completeness(template: object, scores: Mapping[str, Any], *, final: bool = False) -> Completeness:
    """The one definition of a *complete* score (``docs/architecture.md``):

    * the **self-assessment total** is complete when every leaf indicator has a self
      entry — a score (points), a level (levels), or for a deduction item an explicit
      entry (occurrences per rule, ``{}`` for "none occurred"); an untouched deduction
      item is not an entry, whatever full points it would give;
    * the **review team's total**: likewise with the reviewer's entries;
    * the **composite and the grade**: the sheet is final (``final``, the sheet's status
      — which the workflow only allows once every weighted part is complete).

    ``scores`` is a scores document (``self``, ``reviewer``, ``ballot``); only the
    presence and validity of entries count here, the arithmetic is :func:`score_part`'s.
    A figure that is not complete is never shown, ranked, averaged or printed as a score.
    """
    reviewer = scores.get("reviewer")
    ballot = scores.get("ballot")
    return Completeness(
        self=score_part(template, scores.get("self"), "self"),
        reviewer=None if reviewer is None else score_part(template, reviewer, "reviewer"),
        ballot=isinstance(ballot, Mapping) and any((_count(votes) or 0) > 0 for votes in ballot.values()),
        final=final,
    )


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
