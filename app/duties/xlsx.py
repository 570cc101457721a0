"""Excel export and import of a duty list (openpyxl).

* **Export** writes one formatted sheet ("责任清单": title, header, one row per item with
  its derived progress) and a sheet of instructions and allowed values ("填写说明").
  Text cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab
  or a carriage return) or that start with an apostrophe get a leading apostrophe
  (formula-injection escaping); the import removes exactly that one apostrophe, so an
  export imports back unchanged.
* **Import** reads the same columns (by header name, in any order).  A row with an
  ``编号`` (item id) of this list updates that item, if its ``版本号`` still matches; a
  row without one adds an item.  Every row is checked first; if any row is bad nothing is
  imported and every problem is reported with its row and column, in Chinese.
* The workbook itself is checked before openpyxl opens it (:mod:`app.xlsx_safety`):
  size, ZIP structure, the total uncompressed size (no decompression bomb reaches the
  parser), and no DTD or entity in any XML part (billion laughs, XXE).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import func, select

from app import xlsx_safety
from app.core.actor import Actor, require
from app.audit.services import record_bureau
from app.extensions import db
from app.core.unit_of_work import writes
from app.people import services as people_services
from app.people.models import Person

from . import services
from . import status as rules
from .labels import CADENCE_LABELS, CATEGORIES, STATUS_LABELS, default_areas
from .models import DutyItem, DutyList

SHEET = "责任清单"
HELP_SHEET = "填写说明"
MAX_WORKBOOK_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED = 60 * 1024 * 1024
MAX_ROWS = 2000
ESCAPE_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "'")


@dataclass(frozen=True)
class Column:
    header: str
    field: str | None     # the item field it imports into (None: export only)
    width: int


COLUMNS = (
    Column("编号", "id", 8),
    Column("责任类别", "category", 16),
    Column("工作领域", "area", 12),
    Column("责任事项", "content", 48),
    Column("工作措施", "measures", 48),
    Column("责任人", "owner", 12),
    Column("牵头单位", "lead_unit", 14),
    Column("频次", "cadence", 8),
    Column("全年应完成次数", "expected_count", 9),
    Column("完成时限", "due_date", 12),
    Column("已记录次数", None, 9),
    Column("截至今日应完成", None, 9),
    Column("状态", None, 8),
    Column("佐证材料数", None, 9),
    Column("版本号", "version", 7),
)
REQUIRED_HEADERS = ("责任类别", "工作领域", "责任事项")
INFO_FILL = PatternFill("solid", fgColor="F2F2F2")
HEADER_FILL = PatternFill("solid", fgColor="B71C1C")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def escape_cell(value: Any) -> Any:
    """Text a spreadsheet could take for a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(ESCAPE_PREFIXES):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """Undo :func:`escape_cell` (one leading apostrophe)."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def _labels() -> dict[str, dict[str, str]]:
    """Category and cadence labels in Chinese, whatever the user's UI language."""
    with force_locale("zh_Hans"):
        return {"category": {code: str(label) for code, label in CATEGORIES.items()},
                "cadence": {code: str(label) for code, label in CADENCE_LABELS.items()},
                "status": {code: str(label) for code, label in STATUS_LABELS.items()}}


# -- export -----------------------------------------------------------------------------
def _style_header(sheet, row: int) -> None:
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=row, column=index, value=column.header)
        cell.font = Font(bold=True, color="FFFFFF" if column.field else "000000")
        cell.fill = HEADER_FILL if column.field else INFO_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[row].height = 30


def _workbook(title: str) -> tuple[Workbook, Any]:
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.cell(row=1, column=1, value=escape_cell(title)).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet.row_dimensions[1].height = 26
    _style_header(sheet, 2)
    sheet.freeze_panes = "B3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "2:2"
    return book, sheet


def _help_sheet(book: Workbook, areas: list[dict], people: list[Person]) -> dict[str, str]:
    """The instructions sheet; returns the ranges of each list of allowed values."""
    labels = _labels()
    sheet = book.create_sheet(HELP_SHEET)
    notes = [
        "填写说明",
        "1. 每行一个责任事项；“责任类别”“工作领域”“责任事项”为必填项。",
        "2. 新增事项请将“编号”“版本号”留空；修改已导出的事项请保留原“编号”和“版本号”，不要改动。",
        "3. “完成时限”填写日期，如 2026-06-30；留空表示年底完成。",
        "4. “全年应完成次数”留空时按频次确定：每月12次、每季度4次、每半年2次、每年1次、一次性1次。",
        "5. “已记录次数”“截至今日应完成”“状态”“佐证材料数”为导出时的统计信息，导入时不读取。",
        "6. 导入时逐行校验，任何一行有误则全部不导入，并按行列列出问题。",
    ]
    for row, text in enumerate(notes, start=1):
        sheet.cell(row=row, column=1, value=text).font = Font(bold=row == 1, size=12 if row == 1 else 11)
    sheet.column_dimensions["A"].width = 90
    start = len(notes) + 2
    lists = {
        "责任类别": list(labels["category"].values()),
        "工作领域": [a["label"] for a in areas],
        "频次": list(labels["cadence"].values()),
        "责任人": [p.name for p in people],
    }
    ranges: dict[str, str] = {}
    for offset, (header, values) in enumerate(lists.items()):
        column = 3 + offset
        letter = get_column_letter(column)
        sheet.cell(row=start, column=column, value=header).font = Font(bold=True)
        sheet.column_dimensions[letter].width = 30 if header == "责任类别" else 16
        for row, value in enumerate(values, start=start + 1):
            sheet.cell(row=row, column=column, value=escape_cell(value))
        if values:
            ranges[header] = f"'{HELP_SHEET}'!${letter}${start + 1}:${letter}${start + len(values)}"
    return ranges


def _validations(sheet, ranges: dict[str, str], last_row: int) -> None:
    for index, column in enumerate(COLUMNS, start=1):
        if column.header in ranges:
            rule = DataValidation(type="list", formula1=ranges[column.header], allow_blank=True,
                                  showErrorMessage=column.header != "责任人")
            rule.error = "请从下拉列表中选择"
            letter = get_column_letter(index)
            rule.add(f"{letter}3:{letter}{last_row}")
            sheet.add_data_validation(rule)


def export_list(duty_list: DutyList, rows: list[services.ItemRow], *, bureau_name: str = "") -> bytes:
    """The list as a formatted workbook (``rows`` from :func:`services.item_rows`)."""
    labels = _labels()
    title = f"{bureau_name}{duty_list.title}" if bureau_name and not duty_list.title.startswith(bureau_name) else duty_list.title
    book, sheet = _workbook(title)
    areas = {a["code"]: a["label"] for a in duty_list.areas}
    ordered = [r for _category, group in services.group_by_category(rows) for r in group]
    names = [p.name for p in people_services.list_people()]

    def owner_cell(person) -> str:
        # a name two people share is written with the post, so that the import can tell them apart
        if person is None:
            return ""
        return person.label if names.count(person.name) > 1 else person.name

    for offset, row in enumerate(ordered):
        item = row.item
        values = [item.id, labels["category"].get(item.category, item.category), areas.get(item.area, item.area),
                  item.content, item.measures, owner_cell(item.owner), item.lead_unit,
                  labels["cadence"].get(item.cadence, item.cadence), item.expected_count, item.due_date,
                  row.progress.recorded, row.progress.expected_to_date, labels["status"][row.status], row.evidence,
                  item.version]
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=3 + offset, column=index, value=escape_cell(value))
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=index in (4, 5, 7))
            if isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            if COLUMNS[index - 1].field is None:
                cell.fill = INFO_FILL
    last = max(3, 2 + len(ordered))
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(COLUMNS))}{last}"
    ranges = _help_sheet(book, duty_list.areas, people_services.list_people(active_only=True))
    _validations(sheet, ranges, max(last, 500))
    return _save(book)


def import_template(year: int, *, areas: list[dict] | None = None, people: list[Person] = ()) -> bytes:
    """An empty workbook with the import columns, drop-down lists and instructions."""
    book, sheet = _workbook(f"{year}年度责任清单（导入模板）")
    ranges = _help_sheet(book, areas or default_areas(), list(people))
    _validations(sheet, ranges, 500)
    return _save(book)


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- import -----------------------------------------------------------------------------
@dataclass
class Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("Row %(row)s, column “%(column)s”: %(message)s", row=self.row, column=self.column,
                     message=self.message)
        return _("Row %(row)s: %(message)s", row=self.row, message=self.message)


class ImportRefused(Exception):
    """Nothing was imported; ``problems`` say where and why."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


@dataclass
class ImportResult:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    items: list[DutyItem] = field(default_factory=list)


def _read_bytes(stream: BinaryIO) -> bytes:
    try:
        return xlsx_safety.read_limited(stream, MAX_WORKBOOK_BYTES)
    except xlsx_safety.UnsafeWorkbook as error:
        raise ImportRefused(error.message) from None


def _open(data: bytes):
    try:
        return xlsx_safety.open_workbook(data, max_bytes=MAX_WORKBOOK_BYTES, max_uncompressed=MAX_UNCOMPRESSED)
    except xlsx_safety.UnsafeWorkbook as error:
        raise ImportRefused(error.message) from None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(unescape_cell(value) if isinstance(value, str) else value).strip()


def read_rows(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Data rows as (row number, {header: value}); :class:`ImportRefused` for a workbook
    that is not one (see :mod:`app.xlsx_safety`), or has no usable header row."""
    book = _open(data)
    try:
        with xlsx_safety.reading(book):
            header_row, headers, rows = _data_rows(book)
    except xlsx_safety.UnsafeWorkbook as error:
        raise ImportRefused(error.message) from None
    if header_row is None:
        raise ImportRefused(_("No header row with the column “责任事项” was found in the first 10 rows. "
                              "Use the import template."))
    missing = [h for h in REQUIRED_HEADERS if h not in headers.values()]
    if missing:
        raise ImportRefused(_("Columns are missing: %(columns)s.", columns="、".join(missing)))
    return rows


def _data_rows(book) -> tuple[int | None, dict[int, str], list[tuple[int, dict[str, Any]]]]:
    """The header row's number, its known headers by column index, and the data rows."""
    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
    header_row, headers = None, {}
    rows: list[tuple[int, dict[str, Any]]] = []
    known = {c.header for c in COLUMNS}
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if header_row is None:
            texts = [_cell_text(v) for v in values]
            if "责任事项" in texts:
                header_row = number
                headers = {i: t for i, t in enumerate(texts) if t in known}
            elif number >= 10:
                break
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportRefused(_("At most %(n)s rows can be imported at a time.", n=MAX_ROWS))
        rows.append((number, {headers[i]: values[i] for i in headers if i < len(values)}))
    return header_row, headers, rows


def _lookup(value: str, mapping: dict[str, str]) -> str | None:
    """A code from its code or its label (labels compared without spaces)."""
    if value in mapping:
        return value
    plain = value.replace(" ", "")
    for code, label in mapping.items():
        if label.replace(" ", "") == plain:
            return code
    return None


FIELD_HEADERS = {c.field: c.header for c in COLUMNS if c.field}


@writes
def import_items(duty_list: DutyList, stream: BinaryIO, *, actor: Actor) -> ImportResult:
    """Check every row of the workbook, then add and update items in one transaction.

    Raises :class:`ImportRefused` (nothing imported) with every problem found.
    """
    require(services.can_manage(actor))
    services.require_writable(duty_list)
    rows = read_rows(_read_bytes(stream))
    problems: list[Problem] = []
    if not rows:
        raise ImportRefused(_("The workbook has no item rows."))
    labels = _labels()
    areas = {a["code"]: a["label"] for a in duty_list.areas}
    people = people_services.list_people()
    by_id = {p.id: p for p in people}
    by_name: dict[str, list[Person]] = {}
    for person in people:
        by_name.setdefault(person.name, []).append(person)
        by_name.setdefault(person.label, []).append(person)
    existing = {i.id: i for i in db.session.scalars(select(DutyItem).where(DutyItem.list_id == duty_list.id))}
    seen_ids: set[int] = set()
    plan: list[tuple[DutyItem | None, dict]] = []
    for number, raw in rows:
        row_problems: list[Problem] = []

        def bad(field_name: str, message: str) -> None:
            row_problems.append(Problem(number, FIELD_HEADERS.get(field_name, ""), message))

        text = {name: _cell_text(raw.get(header)) for name, header in FIELD_HEADERS.items()}
        data: dict[str, Any] = {"content": text["content"], "measures": text["measures"],
                                "lead_unit": text["lead_unit"], "expected_count": text["expected_count"]}
        category = _lookup(text["category"], labels["category"])
        if category is None:
            bad("category", _("“%(value)s” is not a category; use one of: %(allowed)s.", value=text["category"],
                              allowed="、".join(labels["category"].values())) if text["category"]
                else _("Fill in the category."))
        data["category"] = category or ""
        area = _lookup(text["area"], areas)
        if area is None:
            bad("area", _("“%(value)s” is not an area of this list; use one of: %(allowed)s.", value=text["area"],
                          allowed="、".join(areas.values())) if text["area"] else _("Fill in the area."))
        data["area"] = area or ""
        cadence = _lookup(text["cadence"], labels["cadence"]) if text["cadence"] else rules.ONCE
        if cadence is None:
            bad("cadence", _("“%(value)s” is not a cadence; use one of: %(allowed)s.", value=text["cadence"],
                             allowed="、".join(labels["cadence"].values())))
        data["cadence"] = cadence or rules.ONCE
        raw_due = raw.get(FIELD_HEADERS["due_date"])
        data["due_date"] = raw_due if isinstance(raw_due, (date, datetime)) else text["due_date"]
        owner_name = text["owner"]
        data["owner_id"] = None
        if owner_name:
            matches = {p.id for p in by_name.get(owner_name, [])}
            if not matches:
                bad("owner", _("“%(name)s” is not on the People page; add the person first or leave the cell empty.",
                               name=owner_name))
            elif len(matches) > 1:
                bad("owner", _("Several people are called “%(name)s”; write the name with the post, e.g. %(example)s.",
                               name=owner_name, example=by_name[owner_name][0].label))
            else:
                data["owner_id"] = next(iter(matches))
        clean, errors = services.clean_item(duty_list, data, people=by_id)
        for field_name, messages in errors.items():
            if field_name in ("category", "area", "cadence", "owner_id"):
                continue  # looked up above, and explained in the row's own words
            for message in messages:
                bad(field_name, message)
        target = None
        if text["id"]:
            try:
                item_id = int(text["id"])
            except ValueError:
                item_id = None
            target = existing.get(item_id) if item_id is not None else None
            if target is None:
                bad("id", _("No item of this list has the number %(id)s; leave it empty to add a new item.", id=text["id"]))
            elif item_id in seen_ids:
                bad("id", _("The number %(id)s appears on more than one row.", id=item_id))
            else:
                seen_ids.add(item_id)
                if not text["version"]:
                    bad("version", _("Keep the version number of an exported item (or clear the number to add a new item)."))
                elif text["version"] != str(target.version):
                    bad("version", _("This item was changed by someone else after the export (已被他人修改); "
                                     "export the list again and redo your changes."))
        problems.extend(row_problems)
        plan.append((target, clean))
    if problems:
        raise ImportRefused(_("Nothing was imported: %(n)s problems were found. Correct them and import again.",
                              n=len(problems)), problems)
    return _apply(duty_list, plan, actor)


def _apply(duty_list: DutyList, plan: list[tuple[DutyItem | None, dict]], actor: Actor) -> ImportResult:
    result = ImportResult()
    order = db.session.scalar(select(func.max(DutyItem.sort_order)).where(DutyItem.list_id == duty_list.id)) or 0
    for target, clean in plan:
        if target is None:
            order += 10
            item = DutyItem(list_id=duty_list.id, sort_order=order, **clean)
            db.session.add(item)
            db.session.flush()
            db.session.refresh(item)
            record_bureau("duty_item.create", "duty_item", item.id, summary=f"导入新增事项：{item.content[:40]}",
                          after=services.item_snapshot(item), actor=actor)
            result.added += 1
            result.items.append(item)
        elif services.apply_item(target, clean, actor):
            result.changed += 1
            result.items.append(target)
        else:
            result.unchanged += 1
    record_bureau("duty_list.import", "duty_list", duty_list.id, summary=f"导入{duty_list.year}年度责任清单",
                  after={"added": result.added, "changed": result.changed, "unchanged": result.unchanged}, actor=actor)
    return result


def export_records(duty_list: DutyList, records: list, *, bureau_name: str = "") -> bytes:
    """The 履责纪实台账 of ``duty_list`` as a workbook: one row per counted record, an
    approved 补录 marked in its own column with its reason."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Records ledger")[:31]
    title = _("Records ledger of %(name)s", name=bureau_name) + f" {duty_list.year}"
    sheet.cell(row=1, column=1, value=escape_cell(title)).font = Font(bold=True, size=14)
    headers = [_("No."), _("Category"), _("Item"), _("Date"), _("Times"), _("What was done"), _("Responsible person"),
               _("Recorded by"), _("Approved by"), _("Late entry (补录)"), _("Reason for the late entry"),
               _("Evidence files")]
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(row=2, column=index, value=header)
        cell.font = Font(bold=True)
        cell.border = BORDER
    for offset, record in enumerate(records):
        values = [offset + 1, str(CATEGORIES.get(record.item.category, record.item.category)), record.item.content,
                  record.occurred_on, record.count, record.summary, record.for_person_name, record.author_name,
                  record.reviewed_by_name, _("Late entry (补录)") if record.late else "", record.late_reason,
                  "、".join(a.original_name for a in record.attachments)]
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=3 + offset, column=index, value=escape_cell(value))
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=index in (3, 6, 11, 12))
            if isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEFGHIJKL", (6, 14, 40, 12, 6, 50, 12, 12, 12, 10, 30, 30)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    sheet.page_setup.orientation = "landscape"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
