"""Parts as files shared by every process (Zeren issue 18): a part laid out by one
process is reused by another; a changed bureau lays out again the parts whose HTML
changed and nothing else; the same data give the same bytes; page numbers run through
the assembled document; every face is embedded once; the size stays near a one-pass
layout's; a part is never laid out twice at once; a report job serves a file another
job made; layout processes are recycled and give the same bytes."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader

from app.extensions import db
from app.reports import layoutpool, parts, pdf, render, services, tasks
from app.reports.cache import ReportCache, report_cache
from tests.reports.samples import BUREAUS, DOCUMENT, YEAR

ROOT = Path(__file__).resolve().parents[2]


def _store(path: Path) -> ReportCache:
    return ReportCache(path, max_bytes=512 * 1024 * 1024, max_files=5000)


def _page_texts(data: bytes, folder: Path) -> list[str]:
    """The text of each page, as poppler's pdftotext reads it."""
    source = folder / "report.pdf"
    source.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[: len(PdfReader(BytesIO(data)).pages)]


def _fonts(data: bytes, folder: Path) -> list[list[str]]:
    """pdffonts' rows: name, type …, emb, sub, uni, object, generation."""
    source = folder / "fonts.pdf"
    source.write_bytes(data)
    listed = subprocess.run(["pdffonts", str(source)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in listed.splitlines()[2:] if line.strip()]


SECOND_PROCESS = """
import json, sys
sys.path.insert(0, sys.argv[1])
from app.reports import parts, pdf, render
from app.reports.cache import ReportCache
document, static, root = open(sys.argv[2], encoding="utf-8").read(), sys.argv[3], sys.argv[4]
stats = parts.Stats()
data = render.compose(document, static_dir=static, store=ReportCache(root, max_bytes=1 << 29, max_files=5000), stats=stats)
import hashlib
print(json.dumps({"laid_out": len(stats.laid_out), "reused": stats.reused, "numbers": stats.numbers_laid_out,
                  "sha256": hashlib.sha256(data).hexdigest()}))
"""


def test_parts_laid_out_by_one_process_are_reused_by_another(render_app, tmp_path):
    store = _store(tmp_path / "parts")
    stats = parts.Stats()
    data = render.compose(DOCUMENT, static_dir=render_app.static_folder, store=store, stats=stats)
    assert len(stats.laid_out) == 4 and stats.numbers_laid_out
    files = {p.name: p.stat().st_ino for p in (tmp_path / "parts").iterdir() if p.is_file()}
    kinds = sorted(name.rsplit(".", 1)[1] for name in files)
    # Four parts, the numbers, and one subset per face (kept for the next assembly).
    assert kinds.count("part") == 4 and kinds.count("pdf") == 1 and kinds.count("font") >= 3
    (tmp_path / "document.html").write_text(DOCUMENT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEREN_")}
    result = subprocess.run([sys.executable, "-c", SECOND_PROCESS, str(ROOT), str(tmp_path / "document.html"),
                             render_app.static_folder, str(tmp_path / "parts")], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    other = json.loads(result.stdout.strip().splitlines()[-1])
    # Nothing laid out in the second process, and the same bytes (fonts and numbers included).
    assert other == {"laid_out": 0, "reused": 4, "numbers": False, "sha256": hashlib.sha256(data).hexdigest()}
    assert {p.name: p.stat().st_ino for p in (tmp_path / "parts").iterdir() if p.is_file()} == files  # not rewritten


def test_the_same_document_gives_the_same_bytes_and_a_new_folder_too(render_app):
    first = render.compose(DOCUMENT, static_dir=render_app.static_folder, store=parts.MemoryStore())
    second = render.compose(DOCUMENT, static_dir=render_app.static_folder, store=parts.MemoryStore())
    assert first == second
    reader = PdfReader(BytesIO(first))
    assert reader.trailer["/ID"][0] == reader.trailer["/ID"][1]
    assert "/CreationDate" not in reader.metadata and reader.metadata["/Title"] == "测试"


def test_a_part_is_laid_out_once_when_two_ask_for_it_at_once(render_app, tmp_path, monkeypatch):
    store = _store(tmp_path / "parts")
    html = pdf.split(DOCUMENT)[1]
    key = parts.part_key("v", html)
    real, calls = parts.render_part, []

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(parts, "render_part", counted)
    answers = []

    def ask() -> None:
        answers.append(parts.obtain_part(store, key, html, static_dir=render_app.static_folder))

    threads = [threading.Thread(target=ask) for _n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and sorted(laid for _part, laid in answers) == [False, False, True]
    assert len({part.pdf for part, _laid in answers}) == 1


def test_layout_processes_are_recycled_and_give_the_same_bytes(render_app, tmp_path, monkeypatch):
    pool = layoutpool.LayoutPool(2, recycle=1, min_parts=1)

    def not_here(*args, **kwargs):
        raise AssertionError("the page numbers were laid out in the calling process")

    try:
        stats = parts.Stats()
        with monkeypatch.context() as patch:
            patch.setattr(parts, "render_numbers", not_here)
            pooled = render.compose(DOCUMENT, static_dir=render_app.static_folder, store=_store(tmp_path / "parts"),
                                    pool=pool, stats=stats)
        assert stats.pooled == 4 and len(stats.laid_out) == 4 and stats.numbers_laid_out
        assert pool.started == 5  # one part each, then replaced; the page numbers in a fifth
    finally:
        pool.close()
    assert pooled == render.compose(DOCUMENT, static_dir=render_app.static_folder, store=parts.MemoryStore())


def test_idle_layout_processes_live_on_to_the_next_report(render_app, tmp_path):
    pool = layoutpool.LayoutPool(2, min_parts=1)
    try:
        store = _store(tmp_path / "parts")
        first = render.compose(DOCUMENT, static_dir=render_app.static_folder, store=store, pool=pool)
        started = pool.started
        store.clear()
        stats = parts.Stats()
        again = render.compose(DOCUMENT, static_dir=render_app.static_folder, store=store, pool=pool, stats=stats)
        assert stats.pooled == 4 and stats.numbers_laid_out
        assert pool.started == started  # the idle processes of the first report laid out the second
        assert again == first
    finally:
        pool.close()


def test_page_numbers_a_layout_process_could_not_make_are_laid_out_by_the_caller(render_app, tmp_path, monkeypatch):
    pool = layoutpool.LayoutPool(2, min_parts=1)
    monkeypatch.setattr(layoutpool._Child, "ask", _numbers_fail(layoutpool._Child.ask))
    try:
        stats = parts.Stats()
        made = render.compose(DOCUMENT, static_dir=render_app.static_folder, store=_store(tmp_path / "parts"),
                              pool=pool, stats=stats)
        assert stats.pooled == 4 and stats.numbers_laid_out
    finally:
        pool.close()
    assert made == render.compose(DOCUMENT, static_dir=render_app.static_folder, store=parts.MemoryStore())


def _numbers_fail(ask):
    def failing(self, key, html=None, **numbers):
        if html is None:
            raise EOFError("the layout process ended")
        return ask(self, key, html)
    return failing


def test_the_parts_folder_is_bounded(render_app, tmp_path):
    store = ReportCache(tmp_path / "parts", max_bytes=1 << 30, max_files=2)
    render.compose(DOCUMENT, static_dir=render_app.static_folder, store=store)
    assert len([p for p in (tmp_path / "parts").iterdir() if p.is_file()]) == 2


def test_a_report_job_serves_the_file_another_job_made(render_app, monkeypatch):
    key = "ab" * 32
    report_cache(render_app).put(key, "pdf", b"%PDF-1.7 made by the first job")

    def must_not_render(*_args, **_kwargs):
        raise AssertionError("laid out twice")

    monkeypatch.setattr(services, "make", must_not_render)
    assert tasks.make_once("report.city", {"key": key, "suffix": "pdf"}, lambda *a, **k: None) == {
        "key": key, "bytes": 30, "cached": True}


# -- the demo city -------------------------------------------------------------------------
def _add_record(slug: str) -> None:
    from app.core.clock import today
    from app.duties import services as duties
    from app.tenancy import services as tenancy
    from app.tenancy.session import tenant_context

    with tenant_context(tenancy.get_tenant(slug)):
        rows = duties.item_rows(duties.list_for_year(YEAR))
        record = duties.add_record(rows[0].item, {"occurred_on": today(), "summary": "测试记录", "count": 1},
                                   actor=duties.Actor.system())
        if record.review_state != "approved":  # the demo city reviews records: only an approved one counts
            duties.approve_records([record], actor=duties.Actor.system())


def _keys(html: str, fonts, static_dir) -> list[str]:
    version = parts.layout_version(static_dir, fonts)
    return [parts.part_key(version, part) for part in pdf.split(pdf.replace_uncovered(html, fonts)[0])]


def test_a_changed_bureau_lays_out_its_own_parts_and_nothing_else(demo_city, tmp_path):
    fonts = pdf.check_fonts(demo_city.config)
    store = _store(tmp_path / "parts")
    before = services.city_summary_html(services.city_summary(YEAR))
    render.compose(before, static_dir=demo_city.static_folder, fonts=fonts, store=store)
    slug = services.active_tenants()[-1].slug  # in the second block of profiles
    _add_record(slug)
    db.session.expire_all()
    after = services.city_summary_html(services.city_summary(YEAR))
    stats = parts.Stats()
    data = render.compose(after, static_dir=demo_city.static_folder, fonts=fonts, store=store, stats=stats)
    old, new = _keys(before, fonts, demo_city.static_folder), _keys(after, fonts, demo_city.static_folder)
    changed = [index for index, key in enumerate(new) if key not in old]
    # Exactly the parts whose HTML changed were laid out, every other part was reused …
    assert sorted(stats.laid_out) == sorted({new[i] for i in changed})
    assert stats.reused == len(set(new)) - len(set(stats.laid_out)) > 0
    # … and among them the changed bureau's block of profiles, never the cover or the other block.
    pieces = pdf.split(after)
    profile_blocks = [i for i, piece in enumerate(pieces) if 'class="part profiles"' in piece]
    assert len(profile_blocks) == 2 and BUREAUS == 6
    assert profile_blocks[1] in changed and profile_blocks[0] not in changed and 0 not in changed
    assert len(PdfReader(BytesIO(data)).pages) >= 5


def test_the_assembled_city_summary_numbers_its_pages_embeds_each_face_once_and_stays_small(demo_city, tmp_path):
    fonts = pdf.check_fonts(demo_city.config)
    html = services.city_summary_html(services.city_summary(YEAR))
    data = render.compose(html, static_dir=demo_city.static_folder, fonts=fonts, store=_store(tmp_path / "parts"))
    one_pass = pdf.html_to_pdf(html, static_dir=demo_city.static_folder, fonts=fonts)
    texts = _page_texts(data, tmp_path)
    reference = _page_texts(one_pass, tmp_path)
    assert len(texts) == len(reference) >= 5
    assert "—" not in texts[0]  # the cover has no number
    for number, (text, expected) in enumerate(zip(texts, reference), start=1):
        assert text.split() == expected.split(), number  # page by page, as the one-pass layout
        if number > 1:
            assert re.search(rf"—\s*{number}\s*—", text), number
    rows = _fonts(data, tmp_path)
    names = [row[0] for row in rows]
    assert rows and all(row[-5] == "yes" for row in rows), rows  # every face embedded …
    assert len(names) == len(set(names)), names  # … once
    sizes = {tuple(sorted((round(float(page.mediabox.width)), round(float(page.mediabox.height)))))
             for page in PdfReader(BytesIO(data)).pages}
    assert sizes == {(595, 842)}  # A4
    # Within 15 % of the one-pass PDF (measured: about +5 %, the page dictionaries that
    # pypdf writes uncompressed where WeasyPrint packs them into object streams).
    assert len(data) <= 1.15 * len(one_pass), (len(data), len(one_pass))
