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
