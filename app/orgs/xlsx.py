"""Excel: the organisation tree's import template and its all-or-nothing import.

The workbook is opened through :mod:`app.xlsx_safety` (size, ZIP bomb, DTD and entity
checks); the first sheet's columns are found by their headers (Chinese or English, any
order); every row is checked with the form's rules (:func:`app.orgs.services.validate`),
and nothing is imported when any row is wrong: each error names its row and column.
A row whose name is already a unit of the bureau changes that unit; a row may sit under
a unit of an earlier row.  People are named as on the people page: "name" or
"name（post）" when two people share a name; committee members separated by 、 or commas.
"""
from __future__ import annotations

import io
import re
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app import xlsx_safety
from app.core.actor import Actor, require
from app.errors import ValidationError

from . import services
from .labels import KIND_LABELS

MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED = 60 * 1024 * 1024
MAX_MEMBERS = 2000
LOCALES = ("zh_Hans", "en")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: Columns of the workbook: (key, header, required, width).
COLUMNS: list[tuple[str, Any, bool, int]] = [
    ("name", _l("Name of the organisation"), True, 26),
    ("kind", _l("Kind"), True, 14),
    ("parent", _l("Parent organisation"), False, 26),
    ("secretary", _l("Secretary"), False, 16),
    ("deputy", _l("Deputy secretary"), False, 16),
    ("organiser", _l("Organisation committee member"), False, 16),
    ("committee", _l("Committee members"), False, 30),
    ("member_count", _l("Party members"), False, 10),
    ("elected_on", _l("Last election"), False, 13),
    ("term_years", _l("Term (years)"), False, 10),
]
#: Which column a service field's error belongs to.
FIELD_COLUMN = {"parent_id": "parent", "secretary_id": "secretary", "deputy_id": "deputy",
                "organiser_id": "organiser", "committee_ids": "committee"}
SEPARATORS = re.compile(r"[、,，;；]")


def _norm(text: Any) -> str:
    return re.sub(r"\s+", "", str(text or "")).replace("(", "（").replace(")", "）").lower()


def _in_all_locales(mapping: dict) -> dict[str, str]:
    found: dict[str, str] = {}
    for locale in LOCALES:
        with force_locale(locale):
            for code, label in mapping.items():
                found[_norm(str(label))] = code
    return found


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def template_workbook() -> bytes:
    """The import workbook: headers, a kind drop-down, the bureau's units as rows (so an
    export, edited, imports back) and an instructions sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Organisations")
    for index, (_key, header, required, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=str(header))
        cell.font = Font(bold=True)
        if required:
            cell.fill = PatternFill("solid", fgColor="F2DCDB")
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row, unit in enumerate(services.all_units(), start=2):
        values = [unit.name, str(KIND_LABELS[unit.kind]), unit.parent.name if unit.parent else "",
                  unit.secretary.name if unit.secretary else "", unit.deputy.name if unit.deputy else "",
                  unit.organiser.name if unit.organiser else "", "、".join(m.person.name for m in unit.committee),
                  unit.member_count, unit.elected_on, unit.term_years]
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=_safe(value))
    kinds = DataValidation(type="list", formula1='"' + ",".join(str(v) for v in KIND_LABELS.values()) + '"',
                           allow_blank=False)
    sheet.add_data_validation(kinds)
    kinds.add(f"B2:B{MAX_ROWS + 1}")
    help_sheet = book.create_sheet(_("Instructions"))
    for row, text in enumerate((
            _("One organisation per row. A row whose name already exists changes that organisation."),
            _("The parent must be an organisation of the bureau or of an earlier row."),
            _("People are written as on the people page; committee members are separated by 、."),
            _("The import is all or nothing: if any row is wrong, nothing is imported.")), start=1):
        help_sheet.cell(row=row, column=1, value=text)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value[1:] if value.startswith("'") else value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _refused(message: str) -> ValidationError:
    return ValidationError(_("Nothing was imported."), {"file": [message]})


def parse_rows(data: bytes) -> tuple[list[dict], list[str]]:
    """Read and check every row; returns (clean rows, error messages by row and column)."""
    try:
        workbook = xlsx_safety.open_workbook(data, max_bytes=MAX_BYTES, max_uncompressed=MAX_UNCOMPRESSED,
                                             max_members=MAX_MEMBERS)
        with xlsx_safety.reading(workbook):
            return _check(workbook)
    except xlsx_safety.UnsafeWorkbook as error:
        raise _refused(error.message) from None


def _check(workbook) -> tuple[list[dict], list[str]]:
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    header = next(rows, None) or ()
    known: dict[str, str] = {}
    for locale in LOCALES:
        with force_locale(locale):
            known.update({_norm(str(c[1])): c[0] for c in COLUMNS})
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        key = known.get(_norm(text))
        if key and key not in columns:
            columns[key] = index
    missing = [str(c[1]) for c in COLUMNS if c[2] and c[0] not in columns]
    if missing:
        raise _refused(_("The first row must hold the column headers of the template; missing: %(names)s.",
                         names="、".join(missing)))
    kinds = _in_all_locales(KIND_LABELS)
    people = services.people_choices()
    by_label = {_norm(p.label): p for p in people if p.active}
    by_name: dict[str, list] = {}
    for person in people:
        if person.active:
            by_name.setdefault(_norm(person.name), []).append(person)
    headers = {c[0]: str(c[1]) for c in COLUMNS}
    existing = {u.name: u for u in services.all_units()}
    pending: dict[str, str] = {}
    clean_rows: list[dict] = []
    errors: list[str] = []
    seen = 0
    names_in_book: set[str] = set()
    for row_number, values in enumerate(rows, start=2):
        values = tuple(values or ())
        cells = {key: _cell(values[index]) if index < len(values) else None for key, index in columns.items()}
        if all(v in (None, "") for v in cells.values()):
            continue
        seen += 1
        if seen > MAX_ROWS:
            raise _refused(_("At most %(n)s rows per workbook.", n=MAX_ROWS))
        reported: set[str] = set()

        def problem(key: str, message: str) -> None:
            letter = get_column_letter(columns[key] + 1) if key in columns else "?"
            errors.append(_("Row %(row)s, column %(letter)s (%(column)s): %(message)s", row=row_number,
                            letter=letter, column=headers.get(key, key), message=message))
            reported.add(key)

        def person(key: str, raw: Any) -> int | None:
            if raw in (None, ""):
                return None
            found = by_label.get(_norm(raw))
            candidates = [found] if found is not None else by_name.get(_norm(raw), [])
            if len(candidates) == 1:
                return candidates[0].id
            if candidates:
                problem(key, _("Two or more people are called “%(value)s”: write “name (post)”.",
                               value=str(raw)[:40]))
            else:
                problem(key, _("“%(value)s” is not a person of this bureau.", value=str(raw)[:40]))
            return None

        name = str(cells.get("name") or "")
        row: dict[str, Any] = {"name": name}
        raw_kind = cells.get("kind")
        row["kind"] = kinds.get(_norm(raw_kind), "") if raw_kind not in (None, "") else ""
        if raw_kind not in (None, "") and not row["kind"]:
            problem("kind", _("“%(value)s” is not in the list.", value=str(raw_kind)[:40]))
        parent = cells.get("parent")
        row["parent_name"] = str(parent) if parent not in (None, "") else None
        for key in ("secretary", "deputy", "organiser"):
            row[f"{key}_id"] = person(key, cells.get(key))
        committee = []
        for part in SEPARATORS.split(str(cells.get("committee") or "")):
            if part.strip():
                found = person("committee", part.strip())
                if found:
                    committee.append(found)
        row["committee_ids"] = committee
        for key in ("member_count", "elected_on", "term_years"):
            row[key] = cells.get(key)
        if name in names_in_book:
            problem("name", _("“%(value)s” is in the workbook twice.", value=name[:40]))
        names_in_book.add(name)
        clean, field_errors = services.validate(row, existing.get(name), pending=pending)
        for field_name, messages in field_errors.items():
            key = FIELD_COLUMN.get(field_name, field_name)
            if key in reported:
                continue
            for message in messages:
                problem(key, str(message))
        if not reported:
            if name not in existing:
                pending[name] = clean["kind"]
            clean_rows.append(clean)
    return clean_rows, errors


def import_units(data: bytes, *, actor: Actor) -> tuple[int, int]:
    """Import a workbook into the current bureau's tree: every row or none; returns
    (created, changed)."""
    require(services.may_manage(actor))
    clean_rows, errors = parse_rows(data)
    if errors:
        raise ValidationError(_("Nothing was imported: correct the rows below and import the workbook again."),
                              {"file": errors})
    if not clean_rows:
        raise _refused(_("The workbook has no organisations."))
    return services.import_units(clean_rows, actor=actor)
