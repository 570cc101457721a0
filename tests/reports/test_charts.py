"""SVG charts: well-formed, Chinese labels as text, not colour-only."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from app.reports import charts

NS = {"svg": "http://www.w3.org/2000/svg"}
BUREAUS = [("市机关事务管理局", 96.5), ("市财政局", 91.25), ("市教育局", 78.0), ("市卫生健康委员会", None)]


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_ranking_bars_name_every_bureau_and_print_values():
    svg = charts.ranking_bars(BUREAUS, title="综合得分排名", unit="分")
    words = texts(svg)
    for name, _ in BUREAUS:
        assert name in words
    assert "96.5分" in words and "78分" in words
    assert "—" in words  # a bureau without a score is shown, not dropped
    root = ET.fromstring(svg)
    assert root.find("svg:title", NS).text == "综合得分排名"
    assert "Noto Sans CJK SC" in root.get("font-family")
    widths = [float(r.get("width")) for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert widths[0] > widths[1] > widths[2] > 0 and widths[3] == 0


def test_category_columns_use_patterns_not_only_colour():
    svg = charts.category_columns([("好", 3), ("较好", 4), ("一般", 1), ("差", 0)], title="等次分布", unit="个")
    root = ET.fromstring(svg)
    patterns = root.findall(".//svg:pattern", NS)
    assert len(patterns) == 4
    kinds = {len(list(p)) for p in patterns}
    assert len(kinds) > 1  # solid vs hatched/dotted, not four colours of one shape
    assert {"好", "较好", "一般", "差", "3个", "0个"} <= set(texts(svg))


def test_scatter_labels_points_and_lists_missing_ones():
    svg = charts.scatter([("市财政局", 80, 91.2), ("市教育局", 45.5, 78), ("市审计局", None, 60)],
                         title="完成率与得分", x_label="完成率（%）", y_label="综合得分")
    words = texts(svg)
    assert "市财政局" in words and "市教育局" in words
    assert any("未计入" in w and "市审计局" in w for w in words)
    assert len(ET.fromstring(svg).findall(".//svg:circle", NS)) == 2


def test_grouped_bars_have_a_legend_and_one_bar_per_bureau_and_figure():
    svg = charts.grouped_bars(["完成率", "整改率", "综合得分"],
                              [("市财政局", [80.0, 100.0, 91.2]), ("市教育局", [45.5, None, 78.0])],
                              title="对比", maximum=100)
    root = ET.fromstring(svg)
    bars = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("fill", "").startswith("url(#gb-")]
    assert len(bars) == 2 + 3 * 2  # legend swatches + bars
    assert {"市财政局", "市教育局", "完成率", "整改率", "综合得分", "—"} <= set(texts(svg))


def test_lines_mark_each_series_differently_and_handle_no_data():
    svg = charts.lines([("市财政局", [(date(2026, 3, 1), 20.0), (date(2026, 6, 1), 55.0)]),
                        ("全市平均", [(date(2026, 3, 1), 30.0), (date(2026, 6, 1), 40.0)])],
                       title="完成率走势", unit="%")
    root = ET.fromstring(svg)
    paths = [p for p in root.iter("{http://www.w3.org/2000/svg}path") if p.get("fill") == "none"]
    assert len(paths) == 2 and paths[0].get("stroke-dasharray") != paths[1].get("stroke-dasharray")
    assert {"市财政局", "全市平均", "03-01", "06-01"} <= set(texts(svg))
    empty = charts.lines([("市财政局", [])], title="完成率走势")
    assert "暂无数据" in texts(empty)


def test_text_is_escaped():
    svg = charts.ranking_bars([("<script>alert(1)</script> & 局", 1.0)], title="a < b")
    ET.fromstring(svg)  # still well-formed
    assert "<script>" not in svg


# -- scatter labels ----------------------------------------------------------------------
def _label_boxes(svg: str, size: int = 11) -> tuple[list[charts.Box], list[charts.Box], charts.Box]:
    """The boxes of the point labels (text at the chart's label size), the markers and the viewBox."""
    root = ET.fromstring(svg)
    _x, _y, width, height = (float(v) for v in root.get("viewBox").split())
    boxes = []
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        if t.get("font-size") == str(size) and t.get("dominant-baseline") == "central":
            x, y, text = float(t.get("x")), float(t.get("y")), "".join(t.itertext())
            w = charts.text_width(text, size)
            boxes.append(charts.Box(x, y - size * 0.6, x + w, y + size * 0.6))
    markers = [charts.Box(float(c.get("cx")) - 4.5, float(c.get("cy")) - 4.5, float(c.get("cx")) + 4.5,
                          float(c.get("cy")) + 4.5) for c in root.iter("{http://www.w3.org/2000/svg}circle")]
    return boxes, markers, charts.Box(0, 0, width, height)


def test_place_labels_never_overlap_nor_leave_the_plot():
    import random

    rng = random.Random(7)
    bounds = charts.Box(50, 30, 610, 370)
    for _round in range(30):
        # a crowded corner, as real scores are (most bureaus 90-100 points, 60-100 %)
        points = [(rng.uniform(400, 610), rng.uniform(30, 90)) for _ in range(12)]
        sizes = [(rng.choice([44, 88, 110]), 14) for _ in points]
        placed = charts.place_labels(points, sizes, bounds)
        boxes = [p.box for p in placed if p is not None]
        assert len(boxes) >= 10  # crowded, yet nearly all named
        for i, box in enumerate(boxes):
            assert box.within(bounds)
            assert not any(box.overlaps(other) for other in boxes[i + 1:])
            for x, y in points:
                assert not box.overlaps(charts.Box(x - 4.5, y - 4.5, x + 4.5, y + 4.5))
        for placement, (w, h) in zip(placed, sizes):
            if placement is not None:
                assert round(placement.box.x1 - placement.box.x0, 6) == w and round(placement.box.y1 - placement.box.y0, 6) == h


def test_place_labels_moves_a_label_off_the_edge_and_gives_up_visibly():
    bounds = charts.Box(0, 0, 200, 100)
    # a point at the right edge: its label goes to the left, not out of the plot
    (placement,) = charts.place_labels([(198, 50)], [(80, 12)], bounds)
    assert placement.box.x1 <= 200 and placement.box.x0 < 198
    # no room at all: None, never a label over the plot's edge
    assert charts.place_labels([(5, 5)], [(500, 12)], bounds) == [None]


def test_scatter_of_close_bureaus_prints_every_name_apart_inside_the_chart():
    # the case seen in the city summary: 市财政局 drawn over 市机关事务管理局
    points = [("市机关事务管理局", 96.0, 98.1), ("市财政局", 95.0, 98.09), ("市教育局", 94.0, 97.5),
              ("市卫生健康委员会", 99.0, 97.13), ("市发展和改革委员会", 100.0, 96.8), ("市司法局", 93.0, 99.2)]
    svg = charts.scatter(points, title="完成率与得分", x_label="完成率（%）", y_label="综合得分")
    boxes, markers, view = _label_boxes(svg)
    assert {name for name, _x, _y in points} <= set(texts(svg))
    assert len(boxes) == len(points)
    for i, box in enumerate(boxes):
        assert box.within(view)
        assert not any(box.overlaps(other) for other in boxes[i + 1:])
        assert not any(box.overlaps(m) for m in markers)


def test_a_scatter_of_close_scores_zooms_its_axis_and_says_where_it_starts():
    assert charts.axis_start([90.5, 96.5, 99.0], 100) == 75  # 90 would leave 90.5 on the axis
    assert charts.axis_start([95.5, 99.0], 100) == 90
    assert charts.axis_start([45.0, 99.0], 100) == 0
    assert charts.axis_start([], 100) == 0
    svg = charts.scatter([("市财政局", 93.0, 98.1), ("市教育局", 66.0, 79.0)], title="t", x_label="x", y_label="y")
    words = texts(svg)
    assert "0" not in words and {"50", "60", "70", "80", "90", "100"} <= set(words)  # x from 50, ticks of 10
    assert {"75", "85", "95"} <= set(words)  # y from 75, ticks of 5
    boxes, markers, view = _label_boxes(svg)
    assert len(boxes) == 2 and all(box.within(view) for box in boxes)
