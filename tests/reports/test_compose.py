"""Documents made of parts: splitting, joining, page numbers stamped through the whole
document (cover, landscape pages), parts laid out once, and the disk cache of outputs."""
from __future__ import annotations

import os
import time
from io import BytesIO

import pytest
from pypdf import PdfReader

from app import create_app
from app.config import TestConfig
from app.reports import parts, pdf, render
from app.reports.cache import ReportCache, make_key, parts_cache, template_version
from app.reports.services import cn_number, title_lines

from tests.reports.samples import DOCUMENT, HEAD


def numbers(data: bytes) -> list[tuple[str, bool]]:
    """(page text, landscape) per page."""
    reader = PdfReader(BytesIO(data))
    return [(page.extract_text(), float(page.mediabox.width) > float(page.mediabox.height)) for page in reader.pages]


def test_split_and_parse_follow_the_markers(render_app):
    parts = pdf.split(DOCUMENT)
    assert len(parts) == 4
    assert all(part.startswith(HEAD) and part.endswith("</body></html>") for part in parts)
    assert "封面标题" in parts[0] and "横向页面" in parts[2]
    assert pdf.split("<html><body><p>一</p></body></html>") == ["<html><body><p>一</p></body></html>"]
    with render_app.test_request_context():
        html = pdf.render_html("print/sample.html", title="标题", body="正文", rows=[], day=None)
    document = pdf.parse(html)
    assert document.title == "标题" and "<h1" in document.body and document.head == ""
    with pytest.raises(ValueError):
        pdf.parse("<html><body></body></html>")


def test_page_numbers_run_through_the_parts_like_a_one_pass_layout(render_app):
    joined = numbers(render.compose(DOCUMENT, static_dir=render_app.static_folder, store=parts.MemoryStore()))
    one_pass = numbers(pdf.html_to_pdf(DOCUMENT, static_dir=render_app.static_folder))
    assert len(joined) == len(one_pass) >= 5
    assert [landscape for _text, landscape in joined] == [landscape for _text, landscape in one_pass]
    assert joined[-2][1] and not joined[-1][1]  # the named landscape page, then portrait again
    assert "—" not in joined[0][0]  # the cover has no number
    for number, ((text, _landscape), (expected, _)) in enumerate(zip(joined, one_pass), start=1):
        assert text.split() == expected.split(), number
        if number > 1:
            assert f"— {number} —" in text


def test_unchanged_parts_are_laid_out_once(render_app):
    store = parts.MemoryStore()
    first = parts.Stats()
    render.compose(DOCUMENT, static_dir=render_app.static_folder, store=store, stats=first)
    assert (len(first.laid_out), first.reused, first.numbers_laid_out) == (4, 0, True)
    changed = DOCUMENT.replace("最后一页", "最后一页（改）")
    second = parts.Stats()
    text = numbers(render.compose(changed, static_dir=render_app.static_folder, store=store, stats=second))
    # One part laid out again; the pages are the same, so are their numbers.
    assert (len(second.laid_out), second.reused, second.numbers_laid_out) == (1, 3, False)
    assert "最后一页（改）" in text[-1][0]


def test_pages_that_do_not_line_up_fall_back_to_one_pass(render_app, monkeypatch):
    real = parts.render_numbers
    monkeypatch.setattr(parts, "render_numbers", lambda prefix, names, **kw: real(prefix, names[:-1], **kw))
    text = numbers(render.compose(DOCUMENT, static_dir=render_app.static_folder))
    assert "— 2 —" in text[1][0] and f"— {len(text)} —" in text[-1][0]


def test_compose_draws_emoji_and_substitutes_what_no_face_has(render_app):
    """A report made of parts is never refused for its text (it was, with FontsMissing)."""
    with render_app.test_request_context():
        files = pdf.check_fonts(render_app.config)
    data = render.compose(DOCUMENT.replace("最后一页", "最后一页\U0001F600\ue000"), static_dir=render_app.static_folder, fonts=files)
    text = "".join(page for page, *_rest in numbers(data))
    assert "\U0001F600" in text and "〔U+E000〕" in text and "\ue000" not in text


def test_titles_break_into_balanced_lines():
    assert title_lines("短标题", 20) == ["短标题"]
    assert title_lines("市卫生健康委员会2026年度机关党建主体责任落实情况报告", 20) == [
        "市卫生健康委员会2026年度", "机关党建主体责任落实情况报告"]
    lines = title_lines("2026年度市直机关党建主体责任落实情况报告", 17)
    assert "".join(lines) == "2026年度市直机关党建主体责任落实情况报告" and len(lines) == 2
    assert all(len(line) >= 8 for line in lines)
    assert [cn_number(n) for n in (1, 10, 12, 20, 99, 100, 105, 110, 120)] == [
        "一", "十", "十二", "二十", "九十九", "一百", "一百零五", "一百一十", "一百二十"]


def test_the_disk_cache_writes_atomically_and_evicts_the_least_recently_used(tmp_path):
    cache = ReportCache(tmp_path / "c", max_bytes=250, max_files=10)
    keys = [make_key("report", n) for n in range(3)]
    for key in keys:
        cache.put(key, "pdf", b"x" * 100)
        time.sleep(0.01)
    # 300 bytes > 250: the oldest entry went.
    assert cache.get(keys[0], "pdf") is None and cache.has(keys[1], "pdf") and cache.has(keys[2], "pdf")
    old = time.time() - 60
    os.utime(tmp_path / "c" / f"{keys[1]}.pdf", (old, old))
    assert cache.get(keys[1], "pdf") == b"x" * 100  # a hit makes it recent again
    cache.put(make_key("report", 9), "pdf", b"y" * 100)
    assert cache.has(keys[1], "pdf") and not cache.has(keys[2], "pdf")
    assert not [p for p in (tmp_path / "c").iterdir() if p.name.startswith(".tmp-")]
    with pytest.raises(ValueError):
        cache.get("../etc/passwd", "pdf")
    cache.clear()
    assert not list((tmp_path / "c").iterdir())


def test_keys_change_with_every_input(render_app):
    base = make_key("bureau-report", "v1", "zh_Hans", "2026-11-26", 2026, ["czj", 3, 10])
    assert base != make_key("bureau-report", "v1", "zh_Hans", "2026-11-26", 2026, ["czj", 3, 11])
    assert base != make_key("bureau-report", "v2", "zh_Hans", "2026-11-26", 2026, ["czj", 3, 10])
    assert base != make_key("bureau-report", "v1", "zh_Hans", "2026-11-27", 2026, ["czj", 3, 10])
    assert base == make_key("bureau-report", "v1", "zh_Hans", "2026-11-26", 2026, ["czj", 3, 10])
    version = template_version(render_app)
    assert len(version) == 16 and version == template_version(render_app)


def test_fonts_and_report_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ZEREN_PDF_FONT_KAI", "AR PL UKai CN")
    monkeypatch.setenv("ZEREN_REPORTS_PARTS_CACHE_MB", "3")
    monkeypatch.setenv("ZEREN_REPORTS_LAYOUT_PROCESSES", "3")
    monkeypatch.setenv("ZEREN_REPORTS_PREPARE", "yes")
    application = create_app(type("EnvConfig", (TestConfig,), {"TENANTS_DIR": str(tmp_path)}))
    assert pdf.font_families(application.config)["kai"] == "AR PL UKai CN"
    assert parts_cache(application).max_bytes == 3 * 1024 * 1024
    assert application.config["REPORTS_LAYOUT_PROCESSES"] == 3
    with application.app_context():
        from app.reports.services import preparing_enabled

        assert preparing_enabled()
