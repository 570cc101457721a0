"""Checks of laid-out report pages, read from WeasyPrint's own layout boxes (no PDF parser:
the boxes are what WeasyPrint writes, with their element and class).

:func:`measure` gives one :class:`PageInfo` per page of a report laid out by
:func:`app.reports.pdf.part_pages` (as :func:`app.reports.render.compose` lays it out);
:func:`problems` applies the rules a meeting-ready print must keep (issue 11):

* no page less than :data:`MIN_FILL` filled, except a cover and the report's last page;
* no heading in the last :data:`FOOT` of a page without content after it on that page;
* no title line holding a single character (punctuation not counted: "版）" is one).

The PDF renderer uses :func:`page_info` itself: a part whose last page comes out nearly
empty is laid out again with narrower lines (:func:`app.reports.pdf.layout_part`).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

MIN_FILL = 0.25
FOOT = 0.15
#: Elements that are headings: a heading needs content after it on its page.
HEADING_TAGS = {"h1", "h2", "h3", "h4"}
HEADING_CLASSES = {"attachment-label", "appendix-title", "doc-title"}
#: Elements whose every line is a title line (balanced, never one character alone).
TITLE_TAGS = {"h1", "h2", "h3"}
TITLE_CLASSES = {"doc-title", "doc-subtitle", "appendix-title"}


@dataclass
class PageInfo:
    """What one page holds: how full it is, its headings and its title lines."""

    number: int
    fill: float  # share of the text block's height down to the lowest content
    cover: bool = False
    headings: list[tuple[str, float, bool]] = field(default_factory=list)  # text, top share, content after
    titles: list[list[str]] = field(default_factory=list)  # the lines of each title on the page


def _classes(box) -> set[str]:
    element = getattr(box, "element", None)
    if element is None:
        return set()
    return set((element.get("class") or "").split())


def _tag(box) -> str:
    return getattr(box, "element_tag", "") or ""


def _text(box) -> str:
    if hasattr(box, "text"):
        return box.text
    return "".join(_text(child) for child in getattr(box, "children", ()))


def _leaves(box, out: list) -> list:
    """Boxes that print something, in document order: lines, images/SVG, table rows."""
    from weasyprint.formatting_structure import boxes

    for child in getattr(box, "children", ()):
        if isinstance(child, boxes.MarginBox):
            continue
        if isinstance(child, (boxes.LineBox, boxes.ReplacedBox)):
            if not isinstance(child, boxes.LineBox) or _text(child).strip() or _has_replaced(child):
                out.append(child)
        elif isinstance(child, boxes.TableRowBox):
            out.append(child)
        else:
            _leaves(child, out)
    return out


def _has_replaced(box) -> bool:
    from weasyprint.formatting_structure import boxes

    return any(isinstance(child, boxes.ReplacedBox) or _has_replaced(child) for child in getattr(box, "children", ()))


def _is_heading(box) -> bool:
    return _tag(box) in HEADING_TAGS or bool(_classes(box) & HEADING_CLASSES)


def _is_title(box) -> bool:
    return _tag(box) in TITLE_TAGS or bool(_classes(box) & TITLE_CLASSES)


def _walk(box, visit) -> None:
    visit(box)
    for child in getattr(box, "children", ()):
        _walk(child, visit)


def letters(text: str) -> int:
    """Characters of ``text`` that are not punctuation, symbols or spaces."""
    return sum(1 for c in text if unicodedata.category(c)[0] in "LN")


def page_info(page, number: int) -> PageInfo:
    """Measure one laid-out WeasyPrint page."""
    from weasyprint.formatting_structure import boxes

    root = page._page_box
    top = root.content_box_y()
    height = root.height
    leaves = _leaves(root, [])
    bottom = max((leaf.position_y + leaf.margin_height() for leaf in leaves), default=top)
    info = PageInfo(number=number, fill=max(0.0, min(1.0, (bottom - top) / height)) if height else 0.0)

    def visit(box) -> None:
        if "cover" in _classes(box):
            info.cover = True
        if isinstance(box, boxes.BlockBox) and _is_heading(box):
            own = set(map(id, _leaves(box, [])))
            end = box.position_y + box.margin_height()
            after = any(id(leaf) not in own and leaf.position_y >= end - 0.5 for leaf in leaves)
            info.headings.append((_text(box).strip(), (box.position_y - top) / height, after))
        if isinstance(box, boxes.BlockBox) and _is_title(box):
            info.titles.append([_text(line).strip() for line in _leaves(box, [])
                                if isinstance(line, boxes.LineBox)])

    _walk(root, visit)
    return info


def measure(pages: list) -> list[PageInfo]:
    """Measure laid-out pages (:func:`app.reports.pdf.part_pages` lays a report out as
    the PDF is laid out)."""
    return [page_info(page, number) for number, page in enumerate(pages, start=1)]


def problems(pages: list[PageInfo]) -> list[str]:
    """What breaks the rules, one sentence per finding (empty: the report is fine)."""
    found = []
    for info in pages:
        last = info.number == len(pages)
        if not info.cover and not last and info.fill < MIN_FILL:
            found.append(f"page {info.number} is {info.fill:.0%} filled")
        for text, position, after in info.headings:
            if position > 1 - FOOT and not after:
                found.append(f"page {info.number}: heading {text!r} at the foot without what follows it")
        for lines in info.titles:
            lines = [line for line in lines if line]
            for line in lines:
                if letters(line) <= 1 and len(lines) > 1:
                    found.append(f"page {info.number}: title line {line!r} of {''.join(lines)!r} holds one character")
    return found
