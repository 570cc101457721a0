"""Server-side SVG charts, the same markup in web pages and in PDFs.

Hand-written SVG rather than matplotlib: the charts are simple (bars, points, lines),
text stays real ``<text>`` in the configured CJK font (searchable, selectable, crisp in
print, no glyph boxes from a plotting library's own font lookup), there is no heavy
dependency, and the output is small and deterministic, which tests can parse.  Every
series is told apart by more than colour (direct labels, hatch patterns, marker shapes)
so that charts survive black-and-white printing.

Nothing here touches Flask or a database: functions take plain data and return SVG text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Sequence
from xml.sax.saxutils import escape, quoteattr

DEFAULT_FONT = "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, sans-serif"
INK = "#212529"
MUTED = "#6c757d"
GRID = "#dee2e6"
# Distinct in colour *and* in fill pattern (for print).
PALETTE = ("#b71c1c", "#1f4e79", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f")
PATTERNS = ("solid", "hatch", "dots", "cross", "back", "grid")
MARKERS = ("circle", "square", "triangle", "diamond", "circle", "square")


@dataclass(frozen=True)
class ChartStyle:
    font_family: str = DEFAULT_FONT
    font_size: int = 12


def _attrs(**values: object) -> str:
    return " ".join(f"{name.rstrip('_').replace('_', '-')}={quoteattr(str(v))}" for name, v in values.items() if v is not None)


def _text(x: float, y: float, content: object, *, size: int | None = None, anchor: str = "start",
          weight: str | None = None, fill: str = INK, baseline: str | None = None) -> str:
    return (f"<text {_attrs(x=f'{x:.1f}', y=f'{y:.1f}', font_size=size, text_anchor=anchor, font_weight=weight, fill=fill, dominant_baseline=baseline)}>"
            f"{escape(str(content))}</text>")


def _svg(width: float, height: float, body: list[str], title: str, style: ChartStyle, defs: str = "") -> str:
    header = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
              f'width="{width:.0f}" height="{height:.0f}" role="img" {_attrs(font_family=style.font_family, font_size=style.font_size)}>')
    return header + f"<title>{escape(title)}</title>" + (f"<defs>{defs}</defs>" if defs else "") + "".join(body) + "</svg>"


def _pattern_defs(prefix: str, count: int) -> str:
    """Fill patterns ``{prefix}-p0`` …: solid, hatched, dotted … in the palette colours."""
    parts = []
    for index in range(count):
        colour, kind = PALETTE[index % len(PALETTE)], PATTERNS[index % len(PATTERNS)]
        pid = f"{prefix}-p{index}"
        shapes = {
            "solid": f'<rect width="8" height="8" fill="{colour}"/>',
            "hatch": f'<rect width="8" height="8" fill="#fff"/><path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{colour}" stroke-width="2"/>',
            "dots": f'<rect width="8" height="8" fill="#fff"/><circle cx="4" cy="4" r="2" fill="{colour}"/>',
            "cross": f'<rect width="8" height="8" fill="#fff"/><path d="M0,0 l8,8 M8,0 l-8,8" stroke="{colour}" stroke-width="1.5"/>',
            "back": f'<rect width="8" height="8" fill="#fff"/><path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" stroke="{colour}" stroke-width="2"/>',
            "grid": f'<rect width="8" height="8" fill="#fff"/><path d="M4,0 v8 M0,4 h8" stroke="{colour}" stroke-width="1.5"/>',
        }[kind]
        parts.append(f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">{shapes}</pattern>')
    return "".join(parts)


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"


def _label_width(labels: Sequence[str], size: int) -> float:
    # CJK glyphs are about one em wide, Latin about 0.6 em.
    return max((sum(size if ord(c) > 0x2E80 else size * 0.6 for c in label) for label in labels), default=0)


def ranking_bars(items: Sequence[tuple[str, float | None]], *, title: str, unit: str = "", maximum: float | None = None,
                 digits: int = 1, style: ChartStyle = ChartStyle()) -> str:
    """Horizontal bars, one per labelled value, in the given order, value printed at the bar's end."""
    size = style.font_size
    left = _label_width([label for label, _ in items], size) + 16
    row, top, right = size * 2.2, size * 2.5, 70
    width = max(520, left + 360 + right)
    height = top + row * max(1, len(items)) + 10
    plot = width - left - right
    top_value = maximum or _nice_max(max((v or 0 for _, v in items), default=0))
    body = [_text(0, size * 1.2, title, size=size + 2, weight="bold")]
    for tick in range(5):
        x = left + plot * tick / 4
        body.append(f'<line x1="{x:.1f}" y1="{top - 4:.1f}" x2="{x:.1f}" y2="{height - 6:.1f}" stroke="{GRID}"/>')
    for index, (label, value) in enumerate(items):
        y = top + index * row
        body.append(_text(left - 8, y + row / 2, label, anchor="end", baseline="central"))
        length = plot * (value or 0) / top_value if top_value else 0
        body.append(f'<rect x="{left:.1f}" y="{y + row * 0.18:.1f}" width="{max(length, 0):.1f}" height="{row * 0.64:.1f}" fill="{PALETTE[0]}"/>')
        body.append(_text(left + length + 6, y + row / 2, f"{_fmt(value, digits)}{unit if value is not None else ''}",
                          baseline="central", fill=INK))
    return _svg(width, height, body, title, style)


def category_columns(items: Sequence[tuple[str, int]], *, title: str, unit: str = "", style: ChartStyle = ChartStyle()) -> str:
    """Vertical columns for a distribution (e.g. bureaus per grade), counts on top, each
    column in its own pattern."""
    size = style.font_size
    column, gap, top, bottom = 64, 28, size * 3, size * 2.6
    width = max(360, 40 + len(items) * (column + gap))
    height = 240
    plot = height - top - bottom
    top_value = _nice_max(max((v for _, v in items), default=0))
    body = [_text(0, size * 1.2, title, size=size + 2, weight="bold")]
    body.append(f'<line x1="20" y1="{height - bottom:.1f}" x2="{width - 10:.1f}" y2="{height - bottom:.1f}" stroke="{MUTED}"/>')
    for index, (label, value) in enumerate(items):
        x = 30 + index * (column + gap)
        h = plot * value / top_value if top_value else 0
        y = height - bottom - h
        body.append(f'<rect x="{x}" y="{y:.1f}" width="{column}" height="{h:.1f}" fill="url(#cc-p{index})" stroke="{PALETTE[index % len(PALETTE)]}"/>')
        body.append(_text(x + column / 2, y - 6, f"{value}{unit}", anchor="middle"))
        body.append(_text(x + column / 2, height - bottom + size * 1.4, label, anchor="middle"))
    return _svg(width, height, body, title, style, _pattern_defs("cc", len(items)))


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in SVG user units (y grows downwards)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: "Box", gap: float = 0.0) -> bool:
        """Whether the two rectangles come closer than ``gap``."""
        return not (self.x1 + gap <= other.x0 or other.x1 + gap <= self.x0 or
                    self.y1 + gap <= other.y0 or other.y1 + gap <= self.y0)

    def within(self, bounds: "Box") -> bool:
        """Whether the rectangle lies wholly inside ``bounds``."""
        return self.x0 >= bounds.x0 and self.y0 >= bounds.y0 and self.x1 <= bounds.x1 and self.y1 <= bounds.y1


@dataclass(frozen=True)
class Placement:
    """Where a point's label goes: its box, and whether a leader line joins it to the point
    (a label moved away from a crowded point)."""

    box: Box
    leader: bool


#: Directions tried around a point, nearest first: right, left, above, below, then the corners.
_DIRECTIONS = ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (1, 1), (-1, -1), (-1, 1))


def place_labels(points: Sequence[tuple[float, float]], sizes: Sequence[tuple[float, float]], bounds: Box, *,
                 marker: float = 4.5, gap: float = 2.0, rings: int = 8) -> list[Placement | None]:
    """Boxes for the labels of ``points`` (centres, in SVG units) of the given ``sizes``
    (width, height) such that no label overlaps another label or any point's marker and
    none leaves ``bounds`` (the plot area).  A pure function, so that the rule is tested
    apart from drawing.

    Labels are placed greedily, points in the most crowded places first (they have the
    fewest free spots); for each, positions next to the point are tried in
    :data:`_DIRECTIONS` order, then the same directions further out (``rings`` steps of
    one label height), which the chart joins to the point by a leader line.  A label that
    fits nowhere is ``None``: the chart names it under the plot instead of printing it
    over another."""
    count = len(points)
    markers = [Box(x - marker, y - marker, x + marker, y + marker) for x, y in points]
    reach = max((h for _w, h in sizes), default=0) * 3

    def crowding(index: int) -> int:
        x, y = points[index]
        return sum(1 for other, (ox, oy) in enumerate(points) if other != index and abs(ox - x) < reach * 3
                   and abs(oy - y) < reach)

    placed: list[Box] = []
    result: list[Placement | None] = [None] * count
    for index in sorted(range(count), key=lambda i: (-crowding(i), i)):
        (x, y), (w, h) = points[index], sizes[index]
        for ring in range(rings + 1):
            distance = marker + gap + ring * h
            found = None
            for dx, dy in _DIRECTIONS:
                cx = x + dx * (distance + w / 2) if dx else x
                cy = y + dy * (distance + h / 2) if dy else y
                box = Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                if not box.within(bounds):
                    continue
                if any(box.overlaps(other, gap) for other in placed):
                    continue
                if any(box.overlaps(m, 0.5) for m in markers):
                    continue
                found = box
                break
            if found is not None:
                placed.append(found)
                result[index] = Placement(found, leader=ring > 0)
                break
    return result


def text_width(label: str, size: float) -> float:
    """The printed width of ``label`` at ``size``: CJK glyphs one em, others about 0.6 em."""
    return _label_width([label], size)


def axis_start(values: Sequence[float], maximum: float) -> float:
    """Where an axis ending at ``maximum`` starts: 0, or half, three quarters or nine
    tenths of the way up when every value lies above that (scores of 90-100 points
    crowded into the top tenth of a 0-100 axis, their labels on top of each other).  The
    ticks then step by a round tenth, twentieth or fiftieth of ``maximum``."""
    low = min(values, default=0)
    for share in (0.9, 0.75, 0.5):
        start = maximum * share
        # some room below the lowest point, so that it does not sit on the axis
        if low >= start + (maximum - start) * 0.1:
            return start
    return 0.0


def scatter(points: Sequence[tuple[str, float | None, float | None]], *, title: str, x_label: str, y_label: str,
            x_max: float = 100, y_max: float = 100, labels: bool = True, style: ChartStyle = ChartStyle()) -> str:
    """Labelled points (label, x, y); points with a missing coordinate are listed under the plot.

    Labels are placed by :func:`place_labels`: none overlaps another or a point, none
    leaves the plot; a label that fits nowhere is named under the plot.  Each axis starts
    where :func:`axis_start` says (not always at 0), so that close points spread out.  ``labels=False``
    draws unlabelled points (hundreds of names would overlap) and names only the count of
    points left out."""
    size = style.font_size
    left, right, top, bottom = 56, 24, size * 3, 48
    width, height = 640, 420
    plot_w, plot_h = width - left - right, height - top - bottom
    plotted = [(x, y) for _label, x, y in points if x is not None and y is not None]
    x_min = axis_start([min(max(x, 0), x_max) for x, _y in plotted], x_max)
    y_min = axis_start([min(max(y, 0), y_max) for _x, y in plotted], y_max)
    body = [_text(0, size * 1.2, title, size=size + 2, weight="bold")]
    for tick in range(6):
        x = left + plot_w * tick / 5
        y = top + plot_h - plot_h * tick / 5
        body.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{top + plot_h:.1f}" stroke="{GRID}"/>')
        body.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(x, top + plot_h + size * 1.3, _fmt(x_min + (x_max - x_min) * tick / 5, 0),
                          anchor="middle", fill=MUTED))
        body.append(_text(left - 6, y, _fmt(y_min + (y_max - y_min) * tick / 5, 0), anchor="end", baseline="central",
                          fill=MUTED))
    body.append(_text(left + plot_w / 2, height - 8, x_label, anchor="middle"))
    body.append(_text(14, top + plot_h / 2, y_label, anchor="middle").replace("<text ", f'<text transform="rotate(-90 14 {top + plot_h / 2:.1f})" ', 1))
    missing, shown = [], []
    for label, x_value, y_value in points:
        if x_value is None or y_value is None:
            missing.append(label)
            continue
        cx = left + plot_w * (min(max(x_value, 0), x_max) - x_min) / (x_max - x_min)
        cy = top + plot_h - plot_h * (min(max(y_value, 0), y_max) - y_min) / (y_max - y_min)
        shown.append((label, cx, cy))
    unlabelled = []
    if labels and shown:
        label_size = size - 1
        sizes = [(text_width(label, label_size) + 2, label_size * 1.25) for label, _x, _y in shown]
        # Labels may use the plot and the margin above it (no label under the axis numbers).
        bounds = Box(left, top - size * 1.2, width - 2, top + plot_h)
        placements = place_labels([(x, y) for _label, x, y in shown], sizes, bounds)
        for (label, cx, cy), placement in zip(shown, placements):
            if placement is None:
                unlabelled.append(label)
                continue
            box = placement.box
            # the nearest point of the label's box: a label off to a corner or further out
            # gets a leader line, so that it is never read as its neighbour's
            nx, ny = min(max(cx, box.x0), box.x1), min(max(cy, box.y0), box.y1)
            if placement.leader or math.hypot(nx - cx, ny - cy) > 8:
                body.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{nx:.1f}" y2="{ny:.1f}" stroke="{MUTED}" stroke-width="0.8"/>')
            body.append(_text(box.x0 + 1, (box.y0 + box.y1) / 2, label, size=label_size, baseline="central"))
    for label, cx, cy in shown:
        body.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" fill="{PALETTE[1]}" stroke="#fff"><title>{escape(label)}</title></circle>')
    notes = []
    if missing:
        notes.append("未计入：" + "、".join(missing) if labels else f"未计入：{len(missing)} 个单位")
    if unlabelled:
        notes.append("图中未能标注：" + "、".join(unlabelled))
    for note in notes:
        height += size * 1.8
        body.append(_text(0, height - 6, note, size=size - 1, fill=MUTED))
    return _svg(width, height, body, title, style)


def grouped_bars(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str,
                 maximum: float | None = None, digits: int = 1, style: ChartStyle = ChartStyle()) -> str:
    """Horizontal grouped bars: one group per category, one patterned bar per series, values
    printed, with a legend (used to compare 2–6 bureaus figure by figure)."""
    size = style.font_size
    left = _label_width(categories, size) + 16
    bar = size * 1.3
    group = bar * len(series) + size
    top = size * 2.5 + size * 1.8 * math.ceil(len(series) / 3)
    width = max(560, left + 380)
    height = top + group * max(1, len(categories)) + 10
    plot = width - left - 80
    values = [v for _, vals in series for v in vals if v is not None]
    top_value = maximum or _nice_max(max(values, default=0))
    body = [_text(0, size * 1.2, title, size=size + 2, weight="bold")]
    for index, (name, _) in enumerate(series):
        lx = (index % 3) * 180
        ly = size * 2.2 + (index // 3) * size * 1.8
        body.append(f'<rect x="{lx}" y="{ly:.1f}" width="{size * 1.6:.1f}" height="{size:.1f}" fill="url(#gb-p{index})" stroke="{PALETTE[index % len(PALETTE)]}"/>')
        body.append(_text(lx + size * 2, ly + size / 2, name, baseline="central"))
    for c_index, category in enumerate(categories):
        y0 = top + c_index * group
        body.append(_text(left - 8, y0 + bar * len(series) / 2, category, anchor="end", baseline="central"))
        for s_index, (name, vals) in enumerate(series):
            value = vals[c_index] if c_index < len(vals) else None
            y = y0 + s_index * bar
            length = plot * (value or 0) / top_value if top_value else 0
            body.append(f'<rect x="{left:.1f}" y="{y + 1:.1f}" width="{max(length, 0):.1f}" height="{bar - 2:.1f}" fill="url(#gb-p{s_index})" stroke="{PALETTE[s_index % len(PALETTE)]}"/>')
            body.append(_text(left + length + 5, y + bar / 2, _fmt(value, digits), size=size - 1, baseline="central"))
    return _svg(width, height, body, title, style, _pattern_defs("gb", len(series)))


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 4:.1f} L{x - 5:.1f},{y + 4:.1f} Z" fill="{colour}"/>'
    if kind == "diamond":
        return f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y:.1f} L{x:.1f},{y + 5:.1f} L{x - 5:.1f},{y:.1f} Z" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


def lines(series: Sequence[tuple[str, Sequence[tuple[date, float | None]]]], *, title: str, y_max: float = 100,
          unit: str = "", style: ChartStyle = ChartStyle()) -> str:
    """Lines over dates, each series with its own dash and marker shape and a label at its end."""
    size = style.font_size
    left, right, top, bottom = 48, 150, size * 3, 40
    width, height = 760, 340
    plot_w, plot_h = width - left - right, height - top - bottom
    days = sorted({d for _, points in series for d, v in points if v is not None})
    body = [_text(0, size * 1.2, title, size=size + 2, weight="bold")]
    for tick in range(6):
        y = top + plot_h - plot_h * tick / 5
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y, f"{_fmt(y_max * tick / 5, 0)}{unit}", anchor="end", baseline="central", fill=MUTED))
    if not days:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, "暂无数据", anchor="middle", fill=MUTED))
        return _svg(width, height, body, title, style)
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)

    def x_of(day: date) -> float:
        return left + plot_w * (day - first).days / span

    for day in (first, last) if first != last else (first,):
        body.append(_text(x_of(day), top + plot_h + size * 1.4, day.strftime("%m-%d"), anchor="middle", fill=MUTED))
    dashes = (None, "6 3", "2 3", "8 3 2 3", None, "4 4")
    for index, (name, points) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        coords = [(x_of(d), top + plot_h - plot_h * min(max(v, 0), y_max) / y_max) for d, v in points if v is not None]
        if not coords:
            continue
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
        body.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2" {_attrs(stroke_dasharray=dashes[index % len(dashes)])}/>')
        body.extend(_marker(MARKERS[index % len(MARKERS)], x, y, colour) for x, y in coords)
        end_x, end_y = coords[-1]
        body.append(_text(end_x + 8, end_y, name, baseline="central", fill=INK))
    return _svg(width, height, body, title, style)
