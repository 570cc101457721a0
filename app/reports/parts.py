"""Reports laid out part by part, each part a PDF file shared by every process.

A report's HTML is cut at :data:`app.reports.pdf.PART` (cover, overview, a block of
bureau profiles, a block of an appendix, an attachment).  Each part is laid out on its
own (:func:`render_part`) and written as its own PDF, without page numbers, into the
parts folder (:func:`app.reports.cache.parts_cache`, ``<TENANTS_DIR>/_cache/parts/``)
under the SHA-256 of its HTML and of :func:`layout_version` (WeasyPrint's version, the
fonts, the stylesheets and the code that lays parts out).  The report is then assembled
from the part files (:mod:`app.reports.assemble`: fonts embedded once, page numbers drawn
from a numbers PDF, itself a file of the same folder).

So a changed bureau lays out again the parts whose HTML changed (its profile block, its
appendix blocks, and the overview whose figures moved), on whichever worker takes the
job, and nothing else; only the parts that print the date (the cover and the "as of"
paragraphs) change with the day.  Nothing laid out is kept in a process's memory.

* Parts do not depend on their position: no part's content uses a page counter (only the
  margin boxes do, and those come from the numbers PDF); the left and right pages of
  ``gbt9704.css`` differ in their margin boxes only.
* The parts missing from the folder are laid out by :class:`app.reports.layoutpool.LayoutPool`
  (one process per core, bounded by memory, each replaced after a number of parts) when
  there are enough of them, else in this process.
* Two processes never lay out the same part at once: each holds the part's lock
  (:meth:`app.reports.cache.ReportCache.lock`) and looks again before laying it out.

A part file is one line of JSON (the number of pages and their page names: ``cover``,
``ledger``, …, which the numbers PDF repeats) followed by the part's PDF.
"""
from __future__ import annotations

import hashlib
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

#: Bumped when the layout of a part file changes (its header, how margin boxes are left out).
FORMAT = 1
#: The modules whose code decides how a part is laid out and written.
_CODE = ("pdf.py", "render.py", "parts.py", "pagecheck.py", "layoutproc.py")


class Part(NamedTuple):
    """A laid-out part: its page names (one per page, '' for an unnamed page) and PDF."""

    names: tuple[str, ...]
    pdf: bytes


def encode(names: tuple[str, ...], data: bytes) -> bytes:
    """A part file: a JSON header line, then the PDF."""
    return json.dumps({"format": FORMAT, "names": list(names)}, separators=(",", ":")).encode() + b"\n" + data


def decode(data: bytes | None) -> Part | None:
    """The part in a part file, or ``None`` for a file of another format."""
    if not data:
        return None
    header, _newline, body = data.partition(b"\n")
    try:
        about = json.loads(header)
    except ValueError:
        return None
    if about.get("format") != FORMAT or not body.startswith(b"%PDF-"):
        return None
    return Part(tuple(about["names"]), body)


@lru_cache(maxsize=8)
def _version(static_dir: str, fonts: tuple) -> str:
    digest = hashlib.sha256(f"parts {FORMAT} weasyprint {metadata.version('weasyprint')} "
                            f"pypdf {metadata.version('pypdf')} {fonts}".encode())
    here = Path(__file__).parent
    for name in _CODE:
        digest.update(name.encode() + (here / name).read_bytes())
    root = Path(static_dir)
    for sheet in sorted(root.rglob("*.css")):
        digest.update(str(sheet.relative_to(root)).encode() + sheet.read_bytes())
    return digest.hexdigest()[:16]


def layout_version(static_dir: str | Path, fonts: dict | None = None) -> str:
    """What a laid-out part depends on besides its HTML: WeasyPrint's version, the font
    faces (file, index, size and time of each: a font package upgrade lays parts out
    again), every stylesheet of the static folder and the code that lays parts out.
    Templates and data are in the HTML itself.  Computed once per process."""
    faces = []
    for role, face in sorted((fonts or {}).items()):
        try:
            stat = Path(face.path).stat()
            faces.append((role, face.path, face.index, stat.st_size, stat.st_mtime_ns))
        except OSError:
            faces.append((role, face.path, face.index))
    return _version(str(Path(static_dir).resolve()), tuple(faces))


def part_key(version: str, html: str) -> str:
    """The name of a part's file: SHA-256 of the layout version and the part's HTML."""
    return hashlib.sha256(f"part\0{version}\0".encode() + html.encode("utf-8")).hexdigest()


def numbers_key(version: str, prefix: str, names: tuple[str, ...]) -> str:
    """The name of a numbers PDF: the report's head (its @page rules) and page names."""
    return hashlib.sha256(f"numbers\0{version}\0{json.dumps(names)}\0".encode() + prefix.encode("utf-8")).hexdigest()


def render_part(html: str, *, static_dir: str | Path) -> Part:
    """Lay one part out (:func:`app.reports.pdf.layout_part`: narrower lines when that
    saves a nearly empty last page) and write it without its margin boxes: the page
    numbers of the whole report are drawn over it when it is assembled."""
    from weasyprint.document import Page
    from weasyprint.formatting_structure.boxes import MarginBox

    from . import pdf

    document = pdf.layout_part(html, static_dir=static_dir)
    pages = []
    for page in document.pages:
        box = page._page_box
        pages.append(Page(box.copy_with_children([c for c in box.children if not isinstance(c, MarginBox)])))
    names = tuple(pdf._page_name(page) for page in document.pages)
    return Part(names, pdf.write(document.copy(pages)))


def render_numbers(prefix: str, names: tuple[str, ...], *, static_dir: str | Path) -> bytes:
    """A PDF of empty pages, one per page of the report and of its page name, whose
    margin boxes are the report's page numbers (laid out with the report's own head)."""
    from . import pdf

    rules = "".join(f".zeren-pn-{name}{{page:{name}}}" for name in sorted(set(names) - {""}))
    style = f"<style>.zeren-pn{{height:0;margin:0}}.zeren-pn+.zeren-pn{{break-before:page}}{rules}</style>"
    head = prefix.replace("</head>", style + "</head>", 1)
    body = "".join(f'<div class="zeren-pn{f" zeren-pn-{name}" if name else ""}"></div>' for name in names)
    return pdf.write(pdf.layout(head + body + "</body></html>", static_dir=static_dir))


class MemoryStore:
    """A parts folder in memory, for one rendering without an application (tests, the
    warm-up): the same interface as :class:`app.reports.cache.ReportCache`."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()
        self.root = None

    def get(self, key: str, suffix: str) -> bytes | None:  # noqa: D102
        return self._items.get((key, suffix))

    def has(self, key: str, suffix: str) -> bool:  # noqa: D102
        return (key, suffix) in self._items

    def put(self, key: str, suffix: str, data: bytes) -> None:  # noqa: D102
        self._items[(key, suffix)] = data

    @contextmanager
    def lock(self, key: str):  # noqa: D102
        with self._lock:
            yield


@dataclass
class Stats:
    """What one rendering did: parts laid out (here or in the pool) and reused."""

    laid_out: list[str] = field(default_factory=list)
    reused: int = 0
    numbers_laid_out: bool = False
    pooled: int = 0


def obtain_part(store, key: str, html: str, *, static_dir: str | Path) -> tuple[Part, bool]:
    """The part of ``key`` from the folder, or laid out now under its lock (another
    process laying it out meanwhile is waited for); whether it was laid out here."""
    found = decode(store.get(key, "part"))
    if found is not None:
        return found, False
    with store.lock(key):
        found = decode(store.get(key, "part"))
        if found is not None:
            return found, False
        part = render_part(html, static_dir=static_dir)
        store.put(key, "part", encode(part.names, part.pdf))
        return part, True


def obtain_numbers(store, key: str, prefix: str, names: tuple[str, ...], *,
                   static_dir: str | Path) -> tuple[bytes, bool]:
    """The numbers PDF of ``key`` from the folder, or laid out now under its lock
    (:func:`render_numbers`); whether it was laid out here."""
    found = store.get(key, "pdf")
    if found is not None:
        return found, False
    with store.lock(key):
        found = store.get(key, "pdf")
        if found is not None:
            return found, False
        numbers = render_numbers(prefix, names, static_dir=static_dir)
        store.put(key, "pdf", numbers)
        return numbers, True


def build(parts: list[str], prefix: str, *, static_dir: str | Path, store, version: str, title: str = "",
          lang: str = "", pool=None, stats: Stats | None = None) -> bytes:
    """The report made of ``parts`` (HTML documents), from the folder where they are laid
    out already; the others laid out first (by ``pool`` when it is worth it).  Raises
    :class:`app.reports.assemble.Misaligned` if the numbers do not line up with the pages."""
    from .assemble import assemble

    stats = stats if stats is not None else Stats()
    keys = [part_key(version, part) for part in parts]
    found: dict[str, Part] = {}
    for key in dict.fromkeys(keys):
        part = decode(store.get(key, "part"))
        if part is not None:
            found[key] = part
    missing = {key: part for key, part in zip(keys, parts) if key not in found}
    stats.reused = len(set(keys)) - len(missing)
    if missing and pool is not None and store.root is not None and pool.worth(len(missing)):
        made = pool.lay_out(missing, static_dir=str(static_dir), store=store)
        stats.pooled = len(made)
        stats.laid_out.extend(key for key, laid in made.items() if laid)
        for key in made:
            part = decode(store.get(key, "part"))
            if part is not None:
                found[key] = part
    for key, html in missing.items():
        if key not in found:
            found[key], laid = obtain_part(store, key, html, static_dir=static_dir)
            if laid:
                stats.laid_out.append(key)
    names = tuple(name for key in keys for name in found[key].names)
    number_key = numbers_key(version, prefix, names)
    numbers = store.get(number_key, "pdf")
    if numbers is None and pool is not None and store.root is not None and pool.worth(len(missing)):
        # A layout process draws them: the empty pages of a long report are the largest
        # document laid out whole (560 pages at 300 bureaus: +135 MB for the caller).
        stats.numbers_laid_out = pool.lay_out_numbers(number_key, prefix, names, static_dir=str(static_dir),
                                                      store=store)
        numbers = store.get(number_key, "pdf")
    if numbers is None:
        numbers, stats.numbers_laid_out = obtain_numbers(store, number_key, prefix, names, static_dir=static_dir)
    return assemble([found[key].pdf for key in keys], numbers, title=title, lang=lang,
                    store=store if store.root is not None else None)
