"""Score-sheet templates as Excel workbooks (the layout is in ``docs/score-templates.md``).

Two sheets:

* ``指标`` (indicators): one row per indicator, followed by one row per extra deduction
  rule or level — columns 一级指标代码, 一级指标, 二级指标代码, 二级指标, 分值, 计分方法,
  评分标准, 规则代码或等次, 规则内容, 扣分或系数;
* ``设置`` (settings): one row per setting or list entry — columns 项目, 代码或取值,
  名称, 数值.

:func:`read_template` turns a workbook into a template body (numbers as ``Decimal``) and
remembers which row each part came from, so that the engine's problems can name the row;
:func:`write_template` is its inverse (export, and the starting point of a new workbook).
Text cells starting with ``= + - @`` are written as quoted text, never as formulas.
"""
from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any, Iterable

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from app import xlsx_safety

from .engine import Problem, problem_path
from .errors import TemplateInvalid

INDICATOR_SHEET = "指标"
SETTINGS_SHEET = "设置"
INDICATOR_HEADERS = ("一级指标代码", "一级指标", "二级指标代码", "二级指标", "分值", "计分方法", "评分标准",
                     "规则代码或等次", "规则内容", "扣分或系数")
SETTINGS_HEADERS = ("项目", "代码或取值", "名称", "数值")
MAX_ROWS = 2000
#: What the workbook's parts may unpack to (a zip of a few kilobytes can unpack to
#: gigabytes; openpyxl reads the shared strings whole).
MAX_UNPACKED_BYTES = 32 * 1024 * 1024

# Method names accepted in the 计分方法 column (the Chinese ones are written on export).
METHODS = {"points": "points", "计分": "points", "直接计分": "points", "直接评分": "points",
           "deduct": "deduct", "扣分": "deduct", "扣分法": "deduct",
           "levels": "levels", "等次": "levels", "评定等次": "levels"}
METHOD_NAMES = {"points": "直接计分", "deduct": "扣分", "levels": "评定等次"}

# 项目 column of the settings sheet: alias → (kind, key).
SETTINGS = {
    "名称": ("scalar", "name"), "name": ("scalar", "name"),
    "年度": ("scalar", "year"), "year": ("scalar", "year"),
    "说明": ("scalar", "description"), "description": ("scalar", "description"),
    "自评权重": ("weight", "self"), "composite.self": ("weight", "self"),
    "考核组权重": ("weight", "reviewer"), "composite.reviewer": ("weight", "reviewer"),
    "民主测评权重": ("weight", "ballot"), "测评权重": ("weight", "ballot"), "composite.ballot": ("weight", "ballot"),
    "加分上限": ("scalar", "bonus_cap"), "bonus_cap": ("scalar", "bonus_cap"),
    "等次": ("grade", "grades"), "grade": ("grade", "grades"),
    "测评等次": ("ballot", "ballot_levels"), "ballot_level": ("ballot", "ballot_levels"),
    "一票否决": ("veto", "veto_rules"), "veto": ("veto", "veto_rules"),
    "加分规则": ("bonus", "adjustment_rules"), "bonus": ("bonus", "adjustment_rules"),
    "扣分规则": ("deduction", "adjustment_rules"), "deduction": ("deduction", "adjustment_rules"),
    "门槛": ("gate", "gates"), "gate": ("gate", "gates"),
}
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
FORMULA_PREFIXES = ("=", "+", "-", "@")


class _Rows:
    """Row problems and the row each template path came from."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.locations: dict[str, str] = {}

    def problem(self, sheet: str, row: int, message: str) -> None:
        self.problems.append(Problem(f"{sheet}!{row}", message))

    def at(self, path: str, sheet: str, row: int) -> None:
        self.locations.setdefault(path, f"{sheet}!{row}")


def _text(value: Any) -> str | None:
    """A cell as text: codes typed as numbers (1 or 1.0) become "1"; blanks are None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _number(value: Any) -> Any:
    """A cell as a number (``Decimal``); text that is not a number is kept, so that the
    engine reports it with its path."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip()
    if not text:
        return None
    return Decimal(text) if NUMBER.match(text) else text


def _rows(workbook: Any, name: str, width: int, rows: _Rows) -> list[tuple[int, list[Any]]]:
    if name not in workbook.sheetnames:
        rows.problem(name, 1, f"缺少工作表“{name}” / the workbook has no sheet named {name}")
        return []
    found: list[tuple[int, list[Any]]] = []
    for number, values in enumerate(workbook[name].iter_rows(min_row=2, max_col=width, values_only=True), start=2):
        if number > MAX_ROWS + 1:
            rows.problem(name, number, f"行数超过 {MAX_ROWS} / more than {MAX_ROWS} rows")
            break
        cells = list(values) + [None] * (width - len(values))
        if any(_text(cell) is not None for cell in cells):
            found.append((number, cells))
    return found


def read_template(content: bytes) -> tuple[dict, dict[str, str]]:
    """Read a workbook into a template body and the row of each path
    (``{"dimensions[0].indicators[2]": "指标!5"}``).

    Raises :class:`app.scoring.services.TemplateInvalid` when the file is not a workbook
    or rows cannot be read; the engine then checks the body itself.
    """
    rows = _Rows()
    body: dict[str, Any] = {}
    try:
        # the shared checks of every uploaded workbook (size, ZIP bomb, DTD/entities)
        with xlsx_safety.reading(xlsx_safety.open_workbook(content, max_uncompressed=MAX_UNPACKED_BYTES)) as workbook:
            _read_settings(_rows(workbook, SETTINGS_SHEET, len(SETTINGS_HEADERS), rows), body, rows)
            body["dimensions"] = _read_indicators(_rows(workbook, INDICATOR_SHEET, len(INDICATOR_HEADERS), rows),
                                                  rows)
    except xlsx_safety.UnsafeWorkbook as error:
        raise TemplateInvalid(_("The file could not be imported."), [Problem("", error.message)]) from None
    except (KeyError, ValueError, TypeError, OSError):
        # a damaged part openpyxl only meets while reading the sheets
        raise TemplateInvalid(_("The file could not be imported."),
                              [Problem("", _("The file is not an Excel workbook (.xlsx)."))]) from None
    if rows.problems:
        raise TemplateInvalid(_("The file could not be imported: %(n)s problem(s).", n=len(rows.problems)),
                              rows.problems)
    return body, rows.locations


def _read_indicators(found: Iterable[tuple[int, list[Any]]], rows: _Rows) -> list[dict]:
    sheet = INDICATOR_SHEET
    dimensions: list[dict] = []
    indicator: dict | None = None
    for number, cells in found:
        d_code, d_title, i_code, i_title, max_points, method, criteria, item_code, item_title, item_value = cells
        if _text(i_code) is not None:
            if _text(d_code) is not None and (not dimensions or dimensions[-1]["code"] != _text(d_code)):
                dimensions.append({"code": _text(d_code), "title": _text(d_title) or "", "indicators": []})
                rows.at(problem_path("dimensions", len(dimensions) - 1), sheet, number)
            elif not dimensions:
                rows.problem(sheet, number, "第一个二级指标须填写一级指标代码 / the first indicator needs a dimension code")
                continue
            method_text = _text(method)
            indicator = {"code": _text(i_code), "title": _text(i_title) or "", "max_points": _number(max_points),
                         "method": METHODS.get((method_text or "").lower(), method_text)}
            if _text(criteria):
                indicator["criteria"] = _text(criteria)
            dimensions[-1]["indicators"].append(indicator)
            d_index, i_index = len(dimensions) - 1, len(dimensions[-1]["indicators"]) - 1
            rows.at(problem_path("dimensions", d_index, "indicators", i_index), sheet, number)
        elif any(_text(cell) is not None for cell in cells[:7]):
            rows.problem(sheet, number, "续行只能填写规则或等次（H–J 列） / a continuation row only fills columns H–J")
            continue
        elif indicator is None:
            rows.problem(sheet, number, "规则或等次之前须有二级指标 / a rule or level must follow an indicator")
            continue
        if _text(item_code) is None and _text(item_title) is None and item_value is None:
            continue
        d_index, i_index = len(dimensions) - 1, len(dimensions[-1]["indicators"]) - 1
        if indicator["method"] == "deduct":
            entry = {"code": _text(item_code), "title": _text(item_title) or "", "points": _number(item_value)}
            key = "rules"
        elif indicator["method"] == "levels":
            entry = {"label": _text(item_code), "fraction": _number(item_value)}
            if _text(item_title):
                entry["description"] = _text(item_title)
            key = "levels"
        else:
            rows.problem(sheet, number, "只有扣分或评定等次指标可以填写规则或等次 / only deduct and levels "
                                        "indicators have rules or levels")
            continue
        indicator.setdefault(key, []).append({k: v for k, v in entry.items() if v is not None})
        rows.at(problem_path("dimensions", d_index, "indicators", i_index, key, len(indicator[key]) - 1),
                sheet, number)
    return dimensions


def _read_settings(found: Iterable[tuple[int, list[Any]]], body: dict, rows: _Rows) -> None:
    sheet = SETTINGS_SHEET
    for number, (item, code, title, value) in found:
        key = _text(item)
        kind, target = SETTINGS.get((key or "").lower(), SETTINGS.get(key or "", (None, None)))
        if kind is None:
            rows.problem(sheet, number, f"未知的项目“{key}” / unknown setting {key!r}")
        elif kind == "scalar":
            raw = code if code is not None else value
            if target == "bonus_cap":
                body[target] = _number(raw)
            elif target == "year":
                year = _number(raw)
                whole = isinstance(year, Decimal) and year == year.to_integral_value()
                body[target] = int(year) if whole else _text(raw)
            else:
                body[target] = _text(raw)
            rows.at(target, sheet, number)
        elif kind == "weight":
            body.setdefault("composite", {})[target] = _number(code if code is not None else value)
            rows.at("composite", sheet, number)
            rows.at(problem_path("composite", target), sheet, number)
        else:
            entries = body.setdefault(target, [])
            if kind == "grade":
                entry = {"label": _text(code), "min": _number(value)}
            elif kind == "ballot":
                entry = {"label": _text(code), "weight": _number(value)}
            elif kind == "veto":
                entry = {"code": _text(code), "title": _text(title) or ""}
            elif kind in ("bonus", "deduction"):
                entry = {"code": _text(code), "title": _text(title) or "", "kind": kind, "points": _number(value)}
            else:
                entry = {"max_grade": _text(code), "ballot_approval_below": _number(value)}
            entries.append({k: v for k, v in entry.items() if v is not None})
            rows.at(problem_path(target, len(entries) - 1), sheet, number)


# ----------------------------------------------------------------------------- writing
def _put(sheet: Any, row: int, column: int, value: Any) -> None:
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = value
        if value.startswith(FORMULA_PREFIXES):
            # Written as text with Excel's quote prefix: never evaluated as a formula.
            cell.data_type = "s"
            cell.quotePrefix = True
    elif isinstance(value, Decimal):
        cell.value = int(value) if value == value.to_integral_value() else float(value)
    else:
        cell.value = value


def _header(sheet: Any, headers: tuple[str, ...], widths: tuple[int, ...]) -> None:
    for column, (title, width) in enumerate(zip(headers, widths), start=1):
        _put(sheet, 1, column, title)
        sheet.cell(row=1, column=column).font = Font(bold=True)
        sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = width
    sheet.freeze_panes = "A2"


def write_template(body: dict) -> bytes:
    """The workbook of a template body (the layout :func:`read_template` reads)."""
    workbook = Workbook()
    indicators = workbook.active
    indicators.title = INDICATOR_SHEET
    _header(indicators, INDICATOR_HEADERS, (10, 16, 10, 36, 8, 10, 48, 14, 40, 10))
    row = 2
    for dimension in body.get("dimensions") or []:
        for indicator in dimension.get("indicators") or []:
            method = indicator.get("method")
            items = indicator.get("rules") if method == "deduct" else indicator.get("levels") if method == "levels" else []
            values = [dimension.get("code"), dimension.get("title"), indicator.get("code"), indicator.get("title"),
                      indicator.get("max_points"), METHOD_NAMES.get(method, method), indicator.get("criteria")]
            for index, item in enumerate(items or [None]):
                cells = values if index == 0 else [None] * 7
                if item is None:
                    extra = [None, None, None]
                elif method == "deduct":
                    extra = [item.get("code"), item.get("title"), item.get("points")]
                else:
                    extra = [item.get("label"), item.get("description"), item.get("fraction")]
                for column, value in enumerate(cells + extra, start=1):
                    _put(indicators, row, column, value)
                indicators.cell(row=row, column=7).alignment = Alignment(wrap_text=True, vertical="top")
                row += 1

    settings = workbook.create_sheet(SETTINGS_SHEET)
    _header(settings, SETTINGS_HEADERS, (14, 40, 48, 10))
    composite = body.get("composite") or {}
    lines: list[list[Any]] = [["名称", body.get("name"), None, None], ["年度", body.get("year"), None, None]]
    if body.get("description"):
        lines.append(["说明", body.get("description"), None, None])
    lines += [["自评权重", composite.get("self"), None, None], ["考核组权重", composite.get("reviewer"), None, None],
              ["民主测评权重", composite.get("ballot"), None, None]]
    if body.get("bonus_cap") is not None:
        lines.append(["加分上限", body.get("bonus_cap"), None, None])
    lines += [["等次", grade.get("label"), None, grade.get("min")] for grade in body.get("grades") or []]
    lines += [["测评等次", level.get("label"), None, level.get("weight")] for level in body.get("ballot_levels") or []]
    lines += [["一票否决", rule.get("code"), rule.get("title"), None] for rule in body.get("veto_rules") or []]
    lines += [["加分规则" if rule.get("kind") == "bonus" else "扣分规则", rule.get("code"), rule.get("title"),
               rule.get("points")] for rule in body.get("adjustment_rules") or []]
    lines += [["门槛", gate.get("max_grade"), None, gate.get("ballot_approval_below")] for gate in body.get("gates") or []]
    for row, line in enumerate(lines, start=2):
        for column, value in enumerate(line, start=1):
            _put(settings, row, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
