"""The shape of a template: ``app/scoring/template.schema.json`` (JSON Schema), and its
errors turned into readable bilingual :class:`Problem` messages.

The rules a schema cannot express (weights summing to 1, unique codes, grade order…)
are :mod:`.contract`'s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .problems import Problem, bi, key_path, problem_path

if TYPE_CHECKING:
    import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "template.schema.json"


@lru_cache(maxsize=1)
def _template_validator() -> jsonschema.protocols.Validator:
    # Imported here: jsonschema costs 0.14 s of every process's start (a CLI command,
    # a job worker), and only a template being checked needs it.
    import jsonschema

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


# Messages of the other keywords the schema uses; ``{expected}`` is the keyword's value.
_MESSAGES = {
    "minimum": bi("不得小于 {expected}", "must be at least {expected}"),
    "exclusiveMinimum": bi("必须大于 {expected}", "must be greater than {expected}"),
    "maximum": bi("不得大于 {expected}", "must be at most {expected}"),
    "minItems": bi("至少需要 {expected} 项", "needs at least {expected} item(s)"),
    "maxItems": bi("至多 {expected} 项", "at most {expected} item(s)"),
    "minLength": bi("不能为空", "must not be empty"),
    "maxLength": bi("不得超过 {expected} 个字符", "must be at most {expected} characters"),
    "pattern": bi("不能包含空白字符", "must not contain whitespace"),
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


def schema_problems(data: object) -> list[Problem]:
    """Shape problems found by the JSON Schema, as readable bilingual messages."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()

    def sort_key(error: jsonschema.ValidationError) -> tuple[Any, ...]:
        return (
            tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in error.absolute_path),
            error.validator,
        )

    for error in sorted(_template_validator().iter_errors(data), key=sort_key):
        path = problem_path(*error.absolute_path)
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
            Problem(key_path(path, key), bi("缺少必填项", "required key is missing"))
            for key in expected
            if isinstance(instance, Mapping) and key not in instance
        ]
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        return [
            Problem(
                key_path(path, key),
                bi("未知的键（拼写错误？扩展键请以 x- 开头）", "unknown key (a typo? extension keys start with x-)"),
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
                bi(f"类型应为{wanted}，实际为{_TYPE_NAMES_ZH.get(actual, actual)}{hint_zh}",
                   f"expected {' or '.join(names)}, got {actual}{hint_en}"),
            )
        ]
    if kind == "enum":
        options = "、".join(str(option) for option in expected)
        return [Problem(path, bi(f"取值应为 {options} 之一", f"must be one of {', '.join(map(str, expected))}"))]
    if kind in _MESSAGES:
        message = _MESSAGES[kind]
        return [Problem(path, bi(message.zh.format(expected=expected), message.en.format(expected=expected)))]
    return [Problem(path, bi("取值不符合模板的格式要求", error.message))]
