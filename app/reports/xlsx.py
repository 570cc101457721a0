"""Spreadsheet output shared by every export (openpyxl).

Text cells that a spreadsheet would treat as a formula (leading = + - @, or a tab/CR
trick) are prefixed with an apostrophe, so an exported name like ``=HYPERLINK(...)``
can never run on the reader's machine (formula injection, OWASP "CSV injection").
"""
from __future__ import annotations

from io import BytesIO
from typing import Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = PatternFill("solid", fgColor="F2DCDB")
THIN = Side(style="thin", color="BFBFBF")
FONT = "等线"


def escape_cell(value: Any) -> Any:
    """The value to write into a cell: text that could start a formula is neutralised."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def table_workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
                   subtitle: str | None = None, percent_columns: Iterable[int] = (),
                   number_formats: dict[int, str] | None = None) -> bytes:
    """One formatted sheet: a title row, an optional subtitle, a bold frozen header row and
    the data; percent columns (0-based) hold fractions shown as percentages."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([escape_cell(title)])
    sheet["A1"].font = Font(name=FONT, bold=True, size=14)
    first = 2
    if subtitle:
        sheet.append([escape_cell(subtitle)])
        sheet["A2"].font = Font(name=FONT, size=10, color="666666")
        first = 3
    sheet.append([escape_cell(h) for h in headers])
    for cell in sheet[first]:
        cell.font = Font(name=FONT, bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
    formats = dict(number_formats or {})
    for column in percent_columns:
        formats[column] = "0.0%"
    widths = [max(8, len(str(h)) * 2 + 2) for h in headers]
    for row in rows:
        sheet.append([escape_cell(v) for v in row])
        for index, value in enumerate(row):
            text = str(value) if value is not None else ""
            widths[index] = min(48, max(widths[index], sum(2 if ord(c) > 0x2E80 else 1 for c in text) + 2))
    for row_cells in sheet.iter_rows(min_row=first + 1):
        for cell in row_cells:
            cell.font = Font(name=FONT)
            cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
            if cell.column - 1 in formats:
                cell.number_format = formats[cell.column - 1]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(row=first + 1, column=2)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
