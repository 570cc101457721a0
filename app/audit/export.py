"""The audit administrator's export: the filtered events as an Excel workbook, written row
by row with openpyxl's write-only mode (memory stays flat), at most ``EXPORT_LIMIT`` rows,
each with its chain columns so that a reader can check it against ``flask audit verify``."""
from __future__ import annotations

from datetime import timezone
from typing import IO, Any

from flask_babel import gettext as _

from app.core.clock import local_zone, today

from . import story
from .services import EXPORT_LIMIT, Filter, export_rows

#: What a spreadsheet would read as a formula (or DDE) when a cell starts with it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FONT = "等线"
WIDTHS = (18, 14, 12, 14, 20, 12, 50, 60, 16, 8, 20)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value[:32000]  # a cell holds at most 32,767 characters
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def _changes(event: Any) -> str:
    parts = []
    for change in story.changes_of(event.before, event.after):
        if change.before is None:
            parts.append(f"{change.label}：{change.after}")
        elif change.after is None:
            parts.append(f"{change.label}：{change.before}（删除）")
        else:
            parts.append(f"{change.label}：{change.before} → {change.after}")
    return "；".join(parts)


def describe(wanted: Filter, bureau_names: dict[str, str]) -> str:
    """The filter in words, for the workbook's second line."""
    from . import labels

    parts = []
    if wanted.who:
        parts.append(_("who: %(v)s", v=wanted.who))
    if wanted.what:
        label = labels.WHAT_LABELS.get(wanted.what) or labels.ENTITY_LABELS.get(wanted.what) or wanted.what
        parts.append(_("what: %(v)s", v=str(label)))
    if wanted.date_from or wanted.date_to:
        parts.append(_("when: %(a)s to %(b)s", a=wanted.date_from or "…", b=wanted.date_to or "…"))
    if wanted.bureau:
        parts.append(_("bureau: %(v)s", v=bureau_names.get(wanted.bureau, wanted.bureau)))
    return _("; ").join(parts) or _("every event")


def write_workbook(model: type, wanted: Filter, target: IO[bytes], *, bureau_names: dict[str, str],
                   source_bureau: str | None = None) -> int:
    """Write the matching events (newest first) into ``target``; returns how many."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Audit log")[:31])
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A4"
    bold = Font(name=FONT, bold=True)

    def styled(value, font=None):
        cell = WriteOnlyCell(sheet, value=_cell(value))
        if font is not None:
            cell.font = font
        return cell

    title = _("Audit log")
    if source_bureau:
        title += " · " + bureau_names.get(source_bureau, source_bureau)
    sheet.append([styled(title, Font(name=FONT, bold=True, size=14))])
    sheet.append([styled(_("Exported on %(day)s; filter: %(f)s; at most %(n)s rows",
                           day=today().isoformat(), f=describe(wanted, bureau_names), n=EXPORT_LIMIT),
                         Font(name=FONT, size=10, color="666666"))])
    headers = [_("Time"), _("Bureau"), _("Who"), _("User name"), _("Action"), _("Kind"), _("What"),
               _("Changes"), _("IP address"), _("Number"), _("Hash")]
    sheet.append([styled(h, bold) for h in headers])
    zone = local_zone()
    count = 0
    batch: list = []

    def flush() -> None:
        by_id, by_username = story.display_names(batch)
        for event in batch:
            who = by_id.get(event.actor_id) or by_username.get(event.actor_name) or event.actor_name
            at = event.at if event.at.tzinfo else event.at.replace(tzinfo=timezone.utc)  # SQLite: naive UTC
            slug = getattr(event, "tenant_slug", None) or source_bureau
            sheet.append([_cell(v) for v in (
                at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), bureau_names.get(slug, slug or ""), who,
                event.actor_name, event.action, story.labels.entity_label(event.entity_type) or event.entity_type,
                story.labels.readable_codes(event.summary), _changes(event), event.ip or "", event.seq, event.hash)])
        batch.clear()

    for event in export_rows(model, wanted):
        batch.append(event)
        count += 1
        if len(batch) >= 500:
            flush()
    flush()
    book.save(target)
    return count
