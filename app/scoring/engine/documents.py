"""Reading a template or scores document (JSON or YAML, a file or text) and the limits
every document must keep (``docs/score-templates.md``, "Limits").

Beyond the limits a document is refused with a message, before anything expands,
recurses or converts it: the size and the NUL check on the text, the nesting counted on
the JSON text or in the YAML composer, aliases and anchors refused while composing,
overlong numbers refused before conversion; :func:`limit_problems` walks a document that
is already parsed (a dictionary built in code, or read elsewhere) for the same limits.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .decimals import is_number, to_decimal
from .problems import Bilingual, Problem, ScoringError, bi, in_language, key_path

#: Size of a template or scores document (an upload, a file given to the CLI).
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
#: Nesting of mappings and lists (a template needs 7; room for ``x-`` extensions).
MAX_DEPTH = 20
#: Indicators (二级指标) of a template; per dimension and the other lists: the schema.
MAX_INDICATORS = 500
#: Significant digits of a number, and its magnitude.
MAX_NUMBER_DIGITS = 15
MAX_NUMBER = Decimal(10) ** 12

_MEGABYTES = MAX_DOCUMENT_BYTES // (1024 * 1024)
_TOO_DEEP = bi(f"嵌套超过 {MAX_DEPTH} 层", f"nested deeper than {MAX_DEPTH} levels")


def _limit_message() -> str:
    return bi(f"数字超出允许范围（至多 {MAX_NUMBER_DIGITS} 位有效数字，绝对值小于 10^12）",
              f"number out of range (at most {MAX_NUMBER_DIGITS} digits, below 10^12)")


def _number_text_ok(text: str) -> bool:
    """A number as written is short enough to convert (no 5,000-digit integers)."""
    digits = sum(1 for char in text if char.isdigit())
    return len(text) <= 40 and digits <= MAX_NUMBER_DIGITS + 6


# --------------------------------------------------------------------------- YAML


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
                None, None, bi("不支持 YAML 锚点和别名（& 与 *）", "YAML anchors and aliases (& and *) are not allowed"),
                event.start_mark)
        depth = getattr(self, "_zeren_depth", 0) + 1
        if depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, _TOO_DEEP, event.start_mark)
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
                    "while constructing a mapping", node.start_mark, bi(f"键“{key}”重复", f"duplicate key {key!r}"),
                    key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _check_number_text(node: yaml.ScalarNode) -> None:
    if not _number_text_ok(str(node.value)):
        raise yaml.constructor.ConstructorError(None, None, _limit_message(), node.start_mark)


def _construct_yaml_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    _check_number_text(node)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_yaml_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    _check_number_text(node)
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        # YAML 1.1 spellings Decimal does not read (.5e+1, 1:30.5): let PyYAML parse them.
        number = to_decimal(yaml.SafeLoader.construct_yaml_float(loader, node))
    if not number.is_finite():
        raise yaml.constructor.ConstructorError(None, None, bi(f"“{text}”不是有限的数字", f"non-finite number {text!r}"),
                                                node.start_mark)
    return number


_StrictDecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_yaml_decimal)
_StrictDecimalLoader.add_constructor("tag:yaml.org,2002:int", _construct_yaml_int)


def _parse_yaml(text: str, origin: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictDecimalLoader)
    except yaml.YAMLError as error:
        raise _parse_error(origin, "YAML", error) from error
    except (ValueError, RecursionError, OverflowError) as error:  # defence in depth: never a 500
        raise _parse_error(origin, "YAML", error) from error


# --------------------------------------------------------------------------- JSON


def _json_object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(bi(f"键“{key}”重复", f"duplicate key {key!r}"))
        result[key] = value
    return result


def _reject_json_constant(name: str) -> Any:
    raise ValueError(bi(f"{name} 不是数字", f"{name} is not a number"))


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
        raise ValueError(_TOO_DEEP)
    return json.loads(
        text,
        parse_float=_json_number(Decimal),
        parse_int=_json_number(int),
        parse_constant=_reject_json_constant,
        object_pairs_hook=_json_object_without_duplicates,
    )


# --------------------------------------------------------------------------- loading


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
    origin: str = bi("文本", "text")
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
                raise ScoringError(bi(f"文件超过 {_MEGABYTES} MB：{path}", f"file larger than {_MEGABYTES} MB: {path}"))
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError as error:
            raise ScoringError(bi(f"文件不存在：{path}", f"file not found: {path}")) from error
        except (OSError, UnicodeDecodeError) as error:
            raise ScoringError(bi(f"无法读取文件 {path}", f"cannot read file {path}: {error}")) from error
        force_json = path.suffix.lower() == ".json"
    else:
        text = source
    if len(text) > MAX_DOCUMENT_BYTES:
        raise ScoringError(bi(f"文档超过 {_MEGABYTES} MB", f"the document is larger than {_MEGABYTES} MB"))
    if "\x00" in text:
        raise ScoringError(bi(f"无法读取{in_language(origin, 'zh')}", f"cannot read {in_language(origin, 'en')}"),
                           [Problem("", bi("文本中含有 NUL 字符", "the text contains NUL characters"))])

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
            bi(f"无法读取{in_language(origin, 'zh')}", f"cannot read {in_language(origin, 'en')}"),
            [Problem("", bi("文档应为键值映射（对象）", "the document must be a mapping (object)"))],
        )
    return document


def _parse_error(origin: str, syntax: str, error: Exception) -> ScoringError:
    where_zh = where_en = ""
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        where_zh, where_en = f"第 {mark.line + 1} 行第 {mark.column + 1} 列：", f"line {mark.line + 1}, column {mark.column + 1}: "
    elif isinstance(error, json.JSONDecodeError):
        where_zh, where_en = f"第 {error.lineno} 行第 {error.colno} 列：", f"line {error.lineno}, column {error.colno}: "
    if isinstance(error, json.JSONDecodeError):
        detail = error.msg
    elif getattr(error, "problem", None):
        detail = error.problem  # type: ignore[attr-defined]
    elif error.args and isinstance(error.args[0], Bilingual):
        detail = error.args[0]
    else:
        detail = str(error) or type(error).__name__
    # Our own refusals (anchors, depth, limits, duplicate keys) say what is wrong in both
    # languages; the parser's wording is English only, so the Chinese half says where
    # and what kind of mistake and the English half keeps the parser's detail.
    detail_zh = detail.zh if isinstance(detail, Bilingual) else f"{syntax} 格式有误，请检查此处的缩进、冒号和引号"
    return ScoringError(bi(f"无法解析{in_language(origin, 'zh')}（{syntax} 格式有误）", f"cannot parse {syntax}"),
                        [Problem("", bi(f"{where_zh}{detail_zh}", f"{where_en}{in_language(str(detail), 'en')}"))])


# --------------------------------------------------------------------------- parsed documents


def limit_problems(data: object) -> list[Problem]:
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
                return [Problem(path, _TOO_DEEP)]
            items = value.items() if isinstance(value, Mapping) else enumerate(value)
            for key, item in items:
                stack.append((item, f"{path}[{key}]" if isinstance(key, int) and not isinstance(value, Mapping)
                              else key_path(path, key), depth + 1))
        elif isinstance(value, str):
            if "\x00" in value:
                problems.append(Problem(path, bi("文本中含有 NUL 字符", "the text contains a NUL character")))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, (int, float, Decimal)):
            number = to_decimal(value) if is_number(value) else None
            if number is None or abs(number) >= MAX_NUMBER or len(number.normalize().as_tuple().digits) > MAX_NUMBER_DIGITS:
                problems.append(Problem(path, _limit_message()))
        else:
            problems.append(Problem(path, bi(
                f"不支持的取值类型 {type(value).__name__}（日期等请加引号）",
                f"unsupported value of type {type(value).__name__} (quote dates)")))
    if problems:
        return problems
    dimensions = data.get("dimensions") if isinstance(data, Mapping) else None
    count = sum(len(d.get("indicators") or []) for d in dimensions if isinstance(d, Mapping)
                and isinstance(d.get("indicators"), list)) if isinstance(dimensions, list) else 0
    if count > MAX_INDICATORS:
        return [Problem("dimensions", bi(f"二级指标共 {count} 项，至多 {MAX_INDICATORS} 项",
                                         f"{count} indicators, at most {MAX_INDICATORS}"))]
    return []
