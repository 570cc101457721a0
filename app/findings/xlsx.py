"""Excel: the import template, the all-or-nothing import, and the ledger export.

* The **template** has one data sheet (a header row, drop-down lists for source, area,
  severity and person), an instructions sheet and a hidden sheet with the lists.
* The **import** opens the workbook through :mod:`app.xlsx_safety` (size, ZIP bomb,
  DTD and entity checks), reads the first sheet, finds the columns by their headers (in Chinese or
  English, in any order), checks every row with the same rules as the form
  (:func:`app.findings.services.validate`) and imports nothing when any row is wrong: the
  errors name the row and the column.
* The **export** is the ledger (整改台账) as shown on the page, formatted for printing.
  Text cells that start with ``= + - @`` (or a tab or carriage return) are prefixed with
  an apostrophe so that no spreadsheet program runs them as formulas.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app import xlsx_safety
from app.core.actor import Actor
from app.errors import PermissionDenied, ValidationError

from . import services
from .labels import AREAS, SEVERITIES, SOURCES, STATUS_LABELS, label

MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_MEMBERS = 2000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LOCALES = ("zh_Hans", "en")

#: Columns of the import workbook: (key, header, required, width).
IMPORT_COLUMNS: list[tuple[str, Any, bool, int]] = [
    ("source", _l("Finding source"), True, 14),
    ("batch", _l("Inspection batch"), False, 28),
    ("batch_date", _l("Inspection date"), False, 13),
    ("description", _l("Problem description"), True, 48),
    ("area", _l("Problem area"), False, 14),
    ("severity", _l("Severity"), False, 10),
    ("person", _l("Responsible person"), False, 20),
    ("found_on", _l("Date found"), True, 13),
    ("due_on", _l("Rectification deadline"), True, 13),
    ("measures", _l("Rectification measures"), False, 40),
]
#: Which import column a service field's error belongs to.
FIELD_COLUMN = {"person_id": "person", "duty_item_id": "person"}

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="F2DCDB")
HEADER_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def safe(value: Any) -> Any:
    """A cell value that a spreadsheet program will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _unescape(value: Any) -> Any:
    # Our own escaping (an apostrophe before = + - @) is undone on import.
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


def _header_text(column: tuple[str, Any, bool, int]) -> str:
    return str(column[1]) + ("*" if column[2] else "")


def _norm(text: Any) -> str:
    text = "".join(str(text or "").split()).rstrip("*＊").replace("（", "(").replace("）", ")")
    return text.casefold()


def _labels_in_all_locales(mapping: dict) -> dict[str, str]:
    """{normalised label or code: code} for every supported language."""
    lookup = {_norm(code): code for code in mapping}
    for locale in LOCALES:
        with force_locale(locale):
            lookup.update({_norm(str(text)): code for code, text in mapping.items()})
    return lookup


def _headers_in_all_locales() -> dict[str, str]:
    lookup = {}
    for locale in LOCALES:
        with force_locale(locale):
            lookup.update({_norm(str(header)): key for key, header, _req, _w in IMPORT_COLUMNS})
    lookup.update({_norm(key): key for key, *_rest in IMPORT_COLUMNS})
    return lookup


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- template ---------------------------------------------------------------------------
def template_workbook(people: Iterable[Any]) -> bytes:
    """The import template with the bureau's people in the person drop-down."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Findings")
    for index, column in enumerate(IMPORT_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=_header_text(column))
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTRE
        sheet.column_dimensions[get_column_letter(index)].width = column[3]
    sheet.freeze_panes = "A2"

    lists = workbook.create_sheet(_("Lists"))
    values = {
        "source": [str(v) for v in SOURCES.values()],
        "area": list(AREAS.values()),
        "severity": [str(v) for v in SEVERITIES.values()],
        "person": [safe(p.label) for p in people],
    }
    for col, key in enumerate(("source", "area", "severity", "person"), start=1):
        for row, text in enumerate(values[key], start=1):
            lists.cell(row=row, column=col, value=text)
        if not values[key]:
            continue
        letter = get_column_letter(col)
        target = get_column_letter(next(i for i, c in enumerate(IMPORT_COLUMNS, start=1) if c[0] == key))
        validation = DataValidation(type="list", allow_blank=True,
                                    formula1=f"'{lists.title}'!${letter}$1:${letter}${len(values[key])}")
        validation.error = _("Choose a value from the list.")
        validation.showErrorMessage = key != "person"  # a person may be typed as "name (post)"
        sheet.add_data_validation(validation)
        validation.add(f"{target}2:{target}{MAX_ROWS + 1}")
    lists.sheet_state = "hidden"

    notes = workbook.create_sheet(_("Instructions"))
    notes.column_dimensions["A"].width = 100
    lines = [
        _("How to fill in this workbook"),
        _("One finding per row on the first sheet, starting on row 2. Columns marked * are required."),
        _("Source, area and severity: choose from the drop-down list."),
        _("Responsible person: a person of the bureau, by name (or “name (post)” when two people share a name); may be left empty."),
        _("Dates: 2026-06-30 or a date cell. The deadline cannot be before the date found."),
        _("The import is all or nothing: when any row is wrong, nothing is imported and every problem is listed with its row and column."),
        _("At most %(n)s rows per workbook.", n=MAX_ROWS),
    ]
    for row, text in enumerate(lines, start=1):
        notes.cell(row=row, column=1, value=text).alignment = WRAP
    notes["A1"].font = Font(bold=True, size=13)
    return _save(workbook)


# -- import -----------------------------------------------------------------------------
@dataclass
class ImportResult:
    """What an import recorded."""

    findings: list


def _refused(error: xlsx_safety.UnsafeWorkbook) -> ValidationError:
    return ValidationError(_("Nothing was imported."), {"file": [error.message]})


def _read_workbook(data: bytes):
    try:
        return xlsx_safety.open_workbook(data, max_bytes=MAX_BYTES, max_uncompressed=MAX_UNCOMPRESSED,
                                         max_members=MAX_MEMBERS)
    except xlsx_safety.UnsafeWorkbook as error:
        raise _refused(error) from None


def _cell_text(value: Any) -> Any:
    if isinstance(value, str):
        return _unescape(value.strip())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def parse_rows(data: bytes, people: list[Any]) -> tuple[list[dict], list[str]]:
    """Read and check every row; returns (clean rows, error messages by row and column)."""
    workbook = _read_workbook(data)
    try:
        with xlsx_safety.reading(workbook):
            return _check_rows(workbook, people)
    except xlsx_safety.UnsafeWorkbook as error:
        raise _refused(error) from None


def _check_rows(workbook, people: list[Any]) -> tuple[list[dict], list[str]]:
    """Read and check every row of the first sheet (called inside :func:`xlsx_safety.reading`)."""
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    known = _headers_in_all_locales()
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        key = known.get(_norm(text))
        if key and key not in columns:
            columns[key] = index
    missing = [_header_text(c) for c in IMPORT_COLUMNS if c[2] and c[0] not in columns]
    if missing:
        raise ValidationError(_("Nothing was imported."), {"file": [
            _("The first row must hold the column headers of the template; missing: %(names)s.",
              names="、".join(missing))]})
    sources, areas, severities = (_labels_in_all_locales(SOURCES), _labels_in_all_locales(AREAS),
                                  _labels_in_all_locales(SEVERITIES))
    by_label = {_norm(p.label): p for p in people}
    by_name: dict[str, list[Any]] = {}
    for person in people:
        by_name.setdefault(_norm(person.name), []).append(person)
    headers = {c[0]: str(c[1]) for c in IMPORT_COLUMNS}
    clean_rows: list[dict] = []
    errors: list[str] = []
    seen = 0

    for row_number, values in enumerate(rows, start=2):
        values = tuple(values or ())
        cells = {key: _cell_text(values[index]) if index < len(values) else None
                 for key, index in columns.items()}
        if all(v is None or (isinstance(v, str) and not v) for v in cells.values()):
            continue
        seen += 1
        if seen > MAX_ROWS:
            raise ValidationError(_("Nothing was imported."),
                                  {"file": [_("At most %(n)s rows per workbook.", n=MAX_ROWS)]})
        reported: set[str] = set()

        def problem(key: str, message: str) -> None:
            letter = get_column_letter(columns[key] + 1) if key in columns else "?"
            errors.append(_("Row %(row)s, column %(letter)s (%(column)s): %(message)s", row=row_number,
                            letter=letter, column=headers.get(key, key), message=message))
            reported.add(key)

        data_row: dict[str, Any] = {}
        for key, lookup in (("source", sources), ("area", areas), ("severity", severities)):
            raw = cells.get(key)
            code = lookup.get(_norm(raw)) if raw not in (None, "") else ""
            if code is None:
                problem(key, _("“%(value)s” is not in the list.", value=str(raw)[:40]))
            data_row[key] = code or ""
        data_row["severity"] = data_row["severity"] or "general"
        raw_person = cells.get("person")
        person = None
        if raw_person not in (None, ""):
            person = by_label.get(_norm(raw_person))
            candidates = by_name.get(_norm(raw_person), []) if person is None else [person]
            if len(candidates) == 1:
                person = candidates[0]
            elif candidates:
                problem("person", _("Two or more people are called “%(value)s”: write “name (post)”.",
                                    value=str(raw_person)[:40]))
            else:
                problem("person", _("“%(value)s” is not a person of this bureau.", value=str(raw_person)[:40]))
        data_row["person_id"] = person.id if person is not None else None
        for key in ("batch", "batch_date", "description", "found_on", "due_on", "measures"):
            value = cells.get(key)
            data_row[key] = str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
        clean, field_errors = services.validate(data_row)
        for field_name, messages in field_errors.items():
            key = FIELD_COLUMN.get(field_name, field_name)
            if key in reported:
                continue
            for message in messages:
                problem(key, str(message))
        if not reported:
            clean_rows.append(clean)
    return clean_rows, errors


def import_findings(data: bytes, *, actor: Actor) -> ImportResult:
    """Import a workbook of findings into the current bureau: every row or none."""
    if not services.may_raise(actor):
        raise PermissionDenied(_("You may not change this."))
    people = services.people()
    clean_rows, errors = parse_rows(data, people)
    if errors:
        raise ValidationError(_("Nothing was imported: correct the rows below and import the workbook again."),
                              {"file": errors})
    if not clean_rows:
        raise ValidationError(_("Nothing was imported."), {"file": [_("The workbook has no findings.")]})
    return ImportResult(findings=services.create_many(clean_rows, actor=actor))


# -- export -----------------------------------------------------------------------------
def ledger_workbook(rows: list[services.FindingRow], *, bureau_name: str, subtitle: str, day: date) -> bytes:
    """The ledger (整改台账) as a formatted workbook."""
    columns = [
        (_("No."), 6), (_("Finding source"), 12), (_("Inspection batch"), 24), (_("Problem description"), 44), (_("Problem area"), 12),
        (_("Severity"), 8), (_("Responsible person"), 16), (_("Related duty item"), 28), (_("Date found"), 12),
        (_("Rectification deadline"), 12), (_("Rectification measures"), 40), (_("Latest progress"), 36), (_("Evidence"), 8),
        (_("Status"), 12), (_("Overdue"), 8), (_("Date closed"), 12), (_("Verification"), 30),
    ]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Ledger")
    width = len(columns)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    title = sheet.cell(row=1, column=1, value=safe(_("Rectification ledger of %(name)s", name=bureau_name)))
    title.font = Font(bold=True, size=16)
    title.alignment = Alignment(horizontal="center")
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.cell(row=2, column=1, value=safe(subtitle)).alignment = Alignment(horizontal="center")
    for index, (text, col_width) in enumerate(columns, start=1):
        cell = sheet.cell(row=3, column=index, value=text)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTRE
        sheet.column_dimensions[get_column_letter(index)].width = col_width
    red = Font(color="B71C1C", bold=True)
    for number, row in enumerate(rows, start=1):
        finding = row.finding
        values = [
            number, label(SOURCES, finding.source), finding.batch, finding.description, label(AREAS, finding.area),
            label(SEVERITIES, finding.severity), finding.person.label if finding.person else "",
            services.duty_item_label(finding.duty_item) if finding.duty_item else "", finding.found_on,
            finding.due_on, finding.measures, row.last_note_text, row.evidence,
            label(STATUS_LABELS, finding.status), _("Yes") if row.overdue else "", finding.closed_on,
            finding.verification_note,
        ]
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=number + 3, column=index, value=safe(value))
            cell.border = BORDER
            cell.alignment = WRAP
            if isinstance(value, (date, datetime)):
                cell.number_format = "yyyy-mm-dd"
        if row.overdue:
            sheet.cell(row=number + 3, column=15).font = red
    foot = len(rows) + 5
    summary = services.summarise(rows)
    sheet.cell(row=foot, column=1, value=safe(_(
        "%(total)s findings: %(closed)s closed, %(open)s not closed, %(overdue)s overdue. Exported %(date)s.",
        total=summary.total, closed=summary.by_status.get("closed", 0),
        open=summary.total - summary.by_status.get("closed", 0), overdue=summary.overdue, date=day.isoformat())))
    sheet.freeze_panes = "A4"
    sheet.print_title_rows = "3:3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.auto_filter.ref = f"A3:{get_column_letter(width)}{max(3, len(rows) + 3)}"
    return _save(workbook)
