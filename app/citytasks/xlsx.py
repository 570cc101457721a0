"""The progress board as an Excel workbook (as the page shows it, formatted for printing).

Text cells that start with ``= + - @`` (or a tab or carriage return) get an apostrophe so
no spreadsheet program runs a bureau's or a task's text as a formula."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.core.clock import local_zone, today

from .labels import LATE_LABEL, OVERDUE_LABEL, STATE_LABELS
from .models import STATES, is_overdue

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe(value):
    """A cell value that no spreadsheet program evaluates."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _when(moment) -> str:
    return moment.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M") if moment else ""


def board_rows(board, day=None) -> list[list]:
    """The board's table, one row per bureau (shared by the workbook and the PDF)."""
    day = day or today()
    rows = []
    for index, a in enumerate(board.rows, start=1):
        marks = []
        if is_overdue(a, day):
            marks.append(str(OVERDUE_LABEL))
        if a.late:
            marks.append(str(LATE_LABEL))
        rows.append([index, a.tenant_name, str(STATE_LABELS[a.state]), "、".join(marks), _when(a.signed_at),
                     _when(a.submitted_at), a.rounds, a.urge_count, a.return_reason])
    return rows


def headers() -> list[str]:
    """Column headings of the board's table."""
    return [_("No."), _("Bureau"), _("State"), _("Overdue / late"), _("Signed at"), _("Submitted at"), _("Submissions"),
            _("Urged"), _("Reason for returning")]


def board_workbook(board) -> bytes:
    """The workbook of ``board`` (its filtered rows, and every bureau's counts)."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Progress board")[:31]
    task = board.task
    sheet.append([safe(task.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("Task deadline") + f"：{task.due_on.isoformat()}", "", _("As of") + f"：{today().isoformat()}"])
    counts = "；".join(f"{STATE_LABELS[s]} {board.counts.get(s, 0)}" for s in STATES)
    sheet.append([f"{counts}；{OVERDUE_LABEL} {board.overdue}；{LATE_LABEL} {board.late}；" + _("In all") +
                  f" {board.total}"])
    sheet.append([])
    sheet.append(headers())
    head = sheet.max_row
    for cell in sheet[head]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2DCDB")
    for row in board_rows(board):
        sheet.append([safe(v) for v in row])
    for column, width in enumerate((6, 28, 10, 12, 18, 18, 10, 8, 40), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row in sheet.iter_rows(min_row=head + 1):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.print_title_rows = f"{head}:{head}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
