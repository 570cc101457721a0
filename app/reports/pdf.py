"""PDF output with WeasyPrint, laid out after GB/T 9704-2012 where it applies.

- :func:`app.reports.render.render_pdf` renders a Jinja print template to PDF bytes.
- Resources are fetched only from the application's own static folder: any other
  ``file://`` path, ``http(s)://`` or other scheme raises :class:`ForbiddenResource` and
  stops the rendering (a report never reads /etc/passwd or calls out to the network).
- The four font roles (fang 仿宋 for the body text as GB/T 9704 sets it, serif 宋体 for
  titles and tables, sans 黑体, kai 楷体) are configurable families
  (``ZEREN_PDF_FONT_FANG/SERIF/SANS/KAI``); :func:`check_fonts` verifies at start-up that each
  exists, and so do the fallback faces written after them in every stack (Symbola for
  symbols and emoji, HanaMinB for CJK Extension B and beyond; ``ZEREN_PDF_FONT_FALLBACK``)
  and the colour emoji face (``ZEREN_PDF_FONT_EMOJI``).  Before layout every character
  of the document that none of these faces has is replaced by a visible 〔U+XXXX〕,
  logged with the report's name and listed in a note at the end of the report: no
  missing-glyph box is printed, and no text entered by one bureau stops a report.
- One :class:`FontConfiguration` per process, warmed by :func:`app.reports.render.warm` when the server
  starts (the first layout on a new machine builds font caches and is slow).
- Long reports are laid out in *parts* (:func:`app.reports.render.compose`, :mod:`app.reports.parts`): the
  HTML is cut at :data:`PART` markers, each part is laid out on its own and written as a
  PDF file shared by every process, named by the digest of its HTML (an unchanged
  bureau's pages are never laid out twice, by any worker); the report is assembled from
  the part files with each face embedded once and the page numbers drawn from a document
  of empty pages, so that they run through the whole report.
- WeasyPrint runs one layout or PDF write at a time per process (:data:`_weasy_lock`):
  Pango's font map is shared through the one font configuration, and two threads laying
  out at once corrupted GLib's heap here ("corrupted double-linked list"); threads also
  gained nothing measurable (layout is Python under the GIL).  Parallel layout is done by
  processes (:mod:`app.reports.layoutpool`).  Cached PDFs are served without waiting for
  the lock.
"""
from __future__ import annotations

import gc
import hashlib
import re
import subprocess
import threading
import unicodedata
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

from flask import current_app, render_template

ROLES = ("fang", "serif", "sans", "kai")
#: FandolFang is the open 仿宋 face Debian ships (texlive-lang-chinese, GPL with the font
#: exception that allows embedding); the .docx edition names 仿宋 for the same text.
DEFAULT_FONTS = {"fang": "FandolFang", "serif": "Noto Serif CJK SC", "sans": "Noto Sans CJK SC",
                 "kai": "LXGW WenKai"}
#: Faces after the role's face in every font stack: Symbola (outline symbols and emoji,
#: which print in any viewer) and HanaMinB (CJK Extension B and beyond: rare characters
#: of names and places).  ``ZEREN_PDF_FONT_FALLBACK``, comma-separated.
DEFAULT_FALLBACK = ("Symbola", "HanaMinB")
#: The colour emoji face.  Checked and counted for coverage but not written into the
#: stacks: Pango draws emoji-presentation characters with it whenever it is installed
#: (whatever the stack says), and naming it in the stack made it draw the spaces between
#: emoji too, each 1.25 em wide (seen in rendered pages).  ``ZEREN_PDF_FONT_EMOJI``;
#: empty turns it off.
DEFAULT_EMOJI = "Noto Color Emoji"
FONT_PACKAGES = ("fonts-noto-cjk fonts-lxgw-wenkai fonts-symbola fonts-hanazono fonts-noto-color-emoji "
                 "texlive-lang-chinese")
#: Where each default family comes from, for the message naming what is missing.  The
#: Fandol faces are installed under TeX's tree, which fontconfig does not read: ``make
#: fonts`` links their folder into /usr/local/share/fonts.
FONT_SOURCES = {
    "FandolFang": "Debian package texlive-lang-chinese, then `make fonts` (links "
                  "/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol into /usr/local/share/fonts)",
    "Noto Serif CJK SC": "Debian package fonts-noto-cjk", "Noto Sans CJK SC": "Debian package fonts-noto-cjk",
    "LXGW WenKai": "Debian package fonts-lxgw-wenkai", "Symbola": "Debian package fonts-symbola",
    "HanaMinB": "Debian package fonts-hanazono", "Noto Color Emoji": "Debian package fonts-noto-color-emoji",
}
#: Characters no face need draw: HTML white space and the default-ignorable code points
#: Pango hides (joiners, variation selectors, emoji tag characters, soft hyphen …).
_IGNORABLE = frozenset(" \t\n\r\f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u3164\ufeff\uffa0") \
    | frozenset(map(chr, [*range(0x180B, 0x1810), *range(0x200B, 0x2010), *range(0x202A, 0x202F),
                          *range(0x2060, 0x2070), *range(0xFE00, 0xFE10), *range(0x1BCA0, 0x1BCA4),
                          *range(0x1D173, 0x1D17B), *range(0xE0000, 0xE1000)]))
_lock = threading.Lock()
_weasy_lock = threading.RLock()
_font_config = None


class ForbiddenResource(BaseException):
    """A print template referred to something outside the application's static files.

    Derives from WeasyPrint's fatal fetching error (a ``BaseException``) so that the
    rendering stops instead of silently dropping the resource."""


class FontsMissing(RuntimeError):
    """A configured font family is not installed, or does not cover the document's text."""


def _fatal_base():
    from weasyprint.urls import FatalURLFetchingError

    return FatalURLFetchingError


@lru_cache(maxsize=1)
def _forbidden_class():
    return type("ForbiddenResourceError", (ForbiddenResource, _fatal_base()), {})


def font_families(config) -> dict[str, str]:
    """The configured family of each role."""
    return {role: config.get(f"PDF_FONT_{role.upper()}") or DEFAULT_FONTS[role] for role in ROLES}


def fallback_families(config) -> tuple[str, ...]:
    """The fallback families written after each role's family in the print stylesheets."""
    configured = config.get("PDF_FONT_FALLBACK")
    if configured is None:
        return DEFAULT_FALLBACK
    names = configured.split(",") if isinstance(configured, str) else configured
    return tuple(name.strip() for name in names if name and name.strip())


def emoji_family(config) -> str:
    """The colour emoji family ('' when turned off)."""
    configured = config.get("PDF_FONT_EMOJI")
    return DEFAULT_EMOJI if configured is None else configured.strip()


class FontFace(NamedTuple):
    """A font file and, in a collection (.ttc), the index of the face fontconfig chose."""

    path: str
    index: int


@lru_cache(maxsize=16)
def font_face(family: str) -> FontFace | None:
    """The face fontconfig uses for ``family``, or ``None`` when it is not installed
    (fontconfig substitutes another family rather than failing, so check the name)."""
    try:
        found = subprocess.run(["fc-match", "-f", "%{family}\t%{file}\t%{index}", family], capture_output=True,
                               text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families, _tab, rest = found.partition("\t")
    path, _tab, index = rest.partition("\t")
    names = {name.strip().lower() for name in families.split(",")}
    if family.lower() not in names or not path:
        return None
    return FontFace(path, int(index) if index.isdigit() else 0)


@lru_cache(maxsize=16)
def _coverage(face: FontFace) -> frozenset[int]:
    """Code points the face has glyphs for.  Only that face's character map is read: the
    CJK collections hold five regional faces, and reading all of them took 0.9 s."""
    from fontTools.ttLib import TTFont

    return frozenset((TTFont(face.path, fontNumber=face.index, lazy=True).getBestCmap() or {}).keys())


@lru_cache(maxsize=8)
def covered_codepoints(faces: frozenset[FontFace]) -> frozenset[int]:
    return frozenset().union(*(_coverage(face) for face in faces))


def check_fonts(config) -> dict[str, FontFace]:
    """Return {role: font face}, the fallback faces under ``fallback:<family>`` and the
    emoji face under ``emoji``; raise :class:`FontsMissing` naming what to install."""
    families = dict(font_families(config))
    families.update({f"fallback:{family}": family for family in fallback_families(config)})
    if emoji_family(config):
        families["emoji"] = emoji_family(config)
    missing = [f"{role}: {family}" + (f" (from {FONT_SOURCES[family]})" if family in FONT_SOURCES else "")
               for role, family in families.items() if font_face(family) is None]
    if missing:
        raise FontsMissing(
            "PDF fonts are not installed: " + "; ".join(missing)
            + f". Install them (Debian: apt-get install {FONT_PACKAGES}; make fonts) or set "
              "ZEREN_PDF_FONT_FANG/SERIF/SANS/KAI/FALLBACK/EMOJI.")
    return {role: font_face(family) for role, family in families.items()}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chars: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: D102
        if tag in ("style", "script", "title"):
            self._skip += 1

    def handle_endtag(self, tag):  # noqa: D102
        if tag in ("style", "script", "title") and self._skip:
            self._skip -= 1

    def handle_data(self, data):  # noqa: D102
        if not self._skip:
            self.chars.update(data)


def uncovered_characters(html: str, files: dict[str, FontFace]) -> list[str]:
    """Characters of the document's text that none of the fonts can draw (control
    characters, private-use and unassigned code points among them)."""
    collector = _TextCollector()
    collector.feed(html)
    covered = covered_codepoints(frozenset(files.values()))
    # Control characters are never drawable, whatever a face's character map claims
    # (FandolFang maps U+0007 to a blank glyph, which printed the character as nothing).
    return sorted(c for c in collector.chars if c not in _IGNORABLE
                  and (ord(c) not in covered or unicodedata.category(c) == "Cc"))


def substitute(character: str) -> str:
    """The visible stand-in printed for a character no face can draw: its code point in
    tortoise-shell brackets, 〔U+E000〕 (never a missing-glyph box)."""
    return f"〔U+{ord(character):04X}〕"


def replace_uncovered(html: str, fonts: dict[str, FontFace] | None, *, report: str = "") -> tuple[str, list[str]]:
    """``html`` with every character the fonts cannot draw replaced by :func:`substitute`,
    and those characters.  Each is logged as a warning naming the report; a note listing
    them is added at the end of the document, so that the reader knows what was
    replaced.  Text entered by one bureau can therefore never stop a report."""
    if not fonts:
        return html, []
    missing = uncovered_characters(html, fonts)
    if not missing:
        return html, []
    name = report or report_name(html)
    for character in missing:
        current_app.logger.warning("PDF report %r: no font can draw %s; printed as %s", name,
                                   f"U+{ord(character):04X}", substitute(character))
    html = html.translate({ord(c): substitute(c) for c in missing})
    end = html.rfind("</body>")
    if end >= 0:
        html = html[:end] + _font_note(missing) + html[end:]
    return html, missing


def report_name(html: str) -> str:
    title = TITLE.search(html)
    return title.group(1).strip() if title else "?"


def _font_note(missing: list[str]) -> str:
    from flask_babel import gettext

    listed = "、".join(substitute(c) for c in missing)
    text = gettext("Characters that no installed font can print were replaced by their code points: %(list)s.",
                   list=listed)
    return f'<p class="font-note">{escape(text)}</p>'


def make_url_fetcher(static_dir: str | Path):
    """A WeasyPrint URL fetcher that serves only files inside ``static_dir``."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = Path(static_dir).resolve()
    forbidden = _forbidden_class()

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):  # noqa: D102
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise forbidden(f"refused to fetch {url!r}: only the application's static files may be used")
            path = Path(unquote(parts.path)).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                raise forbidden(f"refused to fetch {url!r}: outside the static folder")
            return URLFetcherResponse(path.as_uri(), body=path.read_bytes(),
                                      headers={"Content-Type": _content_type(path)})

    return StaticOnlyFetcher()


def _content_type(path: Path) -> str:
    return {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg", ".ttf": "font/ttf", ".otf": "font/otf", ".woff2": "font/woff2"}.get(
        path.suffix.lower(), "application/octet-stream")


def font_configuration():
    """The process's single WeasyPrint font configuration."""
    global _font_config
    with _lock:
        if _font_config is None:
            from weasyprint.text.fonts import FontConfiguration

            _font_config = FontConfiguration()
        return _font_config


#: The stylesheets of a print template's head, in document order.
_HEAD_SHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)">|<style>(.*?)</style>', re.DOTALL)
_parsed_sheets: OrderedDict[tuple, object] = OrderedDict()


def _parsed(kind: str, source: str, base: str, fetcher):
    """A parsed stylesheet, kept while its source is unchanged.  A report of a hundred
    parts links the same three stylesheets a hundred times: parsing them again for each
    part cost a quarter of the layout time."""
    from weasyprint import CSS

    if kind == "link":
        url = urljoin(base, source)
        path = Path(unquote(urlsplit(url).path))
        try:
            stat = path.stat()
            key = (url, stat.st_mtime_ns, stat.st_size)
        except OSError:
            key = (url, None, None)  # the fetcher refuses or reports it
        make = lambda: CSS(url=url, url_fetcher=fetcher, font_config=font_configuration())  # noqa: E731
    else:
        key = ("style", hashlib.sha256(source.encode("utf-8")).hexdigest())
        make = lambda: CSS(string=source, base_url=base, url_fetcher=fetcher, font_config=font_configuration())  # noqa: E731
    sheet = _parsed_sheets.get(key)
    if sheet is None:
        sheet = _parsed_sheets[key] = make()
        while len(_parsed_sheets) > 32:
            _parsed_sheets.popitem(last=False)
    return sheet


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while WeasyPrint lays out or writes.

    Layout allocates millions of short-lived boxes; each of them counts towards the
    collector's thresholds, and every full collection then walks every page kept in the
    layout cache too.  Pausing it made a 173-page city summary 35 % faster (15.6 s ->
    10.1 s); the cycles left behind are freed by the next ordinary collection (0.05 s).
    Callers hold :data:`_weasy_lock`, so pauses never overlap."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def layout(html: str, *, static_dir: str | Path):
    """Lay ``html`` out into a WeasyPrint document (pages, not yet written).

    The head's ``<link rel="stylesheet">`` and ``<style>`` elements are taken out and
    given to WeasyPrint already parsed, in the same order (all in one cascade origin, so
    their relative precedence is the document's); links are fetched through the same
    static-only fetcher."""
    from weasyprint import HTML

    base = Path(static_dir).resolve().as_uri() + "/"
    fetcher = make_url_fetcher(static_dir)
    end = html.find("</head>")
    with _weasy_lock:
        sheets = []
        if end > 0:
            for match in _HEAD_SHEET.finditer(html, 0, end):
                link, style = match.groups()
                sheets.append(_parsed("link", link, base, fetcher) if link is not None
                              else _parsed("style", style, base, fetcher))
            html = _HEAD_SHEET.sub("", html[:end]) + html[end:]
        document = HTML(string=html, base_url=base, url_fetcher=fetcher)
        with _collector_paused():
            return document.render(font_config=font_configuration(), stylesheets=sheets)


def write(document) -> bytes:
    """Write a laid-out document (or a copy of joined pages) as PDF bytes."""
    with _weasy_lock, _collector_paused():
        return document.write_pdf()


def html_to_pdf(html: str, *, static_dir: str | Path, fonts: dict[str, FontFace] | None = None) -> bytes:
    """Lay out ``html`` in one pass and return the PDF; text the fonts cannot draw is
    replaced first (:func:`replace_uncovered`)."""
    html, _missing = replace_uncovered(html, fonts)
    return write(layout(html, static_dir=static_dir))


# -- documents made of parts -------------------------------------------------------------
#: Cut mark between parts of a print document; every part starts on a new page.
PART = "<!--zeren:part-->"
HEAD_OPEN, HEAD_CLOSE = "<!--zeren:head-->", "<!--/zeren:head-->"
BODY_OPEN, BODY_CLOSE = "<!--zeren:body-->", "<!--/zeren:body-->"
BODY_TAG = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL | re.IGNORECASE)
_PAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


@dataclass(frozen=True)
class PrintDocument:
    """A rendered print template (one that extends ``print/base.html``) taken apart, so
    that several can be joined into one report (:func:`join`)."""

    title: str
    head: str  # the template's ``head`` block: its extra stylesheets
    body: str  # the template's ``body`` block


def parse(html: str) -> PrintDocument:
    """Take a rendered print template apart at the markers ``print/base.html`` writes
    when ``pdf`` is set."""
    try:
        head = html[html.index(HEAD_OPEN) + len(HEAD_OPEN): html.index(HEAD_CLOSE)]
        body = html[html.index(BODY_OPEN) + len(BODY_OPEN): html.rindex(BODY_CLOSE)]
    except ValueError:
        raise ValueError("not a print document rendered with pdf=True (print/base.html markers missing)") from None
    title = TITLE.search(html)
    return PrintDocument(title=title.group(1).strip() if title else "", head=head.strip(), body=body)


def split(html: str) -> list[str]:
    """The part documents of ``html``: the same head, the body cut at :data:`PART`."""
    match = BODY_TAG.search(html)
    end = html.rfind("</body>")
    if match is None or end < match.end():
        return [html]
    prefix, suffix = html[: match.end()], html[end:]
    pieces = [piece for piece in html[match.end(): end].split(PART) if piece.strip()]
    return [prefix + piece + suffix for piece in pieces] or [html]


def _digest(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def _page_name(page) -> str:
    name = getattr(page._page_box.page_type, "name", "") or ""
    return name if _PAGE_NAME.match(name) else ""


#: Added to a part laid out again because its last page came out nearly empty: GB/T 9704
#: fits the last lines (and the signature and date, never on a page of their own) by
#: narrowing the line spacing a little, from 22 to about 24 lines a page.
TIGHT_STYLE = ("<style>html{line-height:26.5pt} table{line-height:1.32} .chart{margin:3pt 0 6pt}"
               " .signature{margin-top:14pt}</style>")


def layout_part(part: str, *, static_dir: str | Path):
    """Lay one part out; if it runs onto a last page less than a quarter filled
    (:data:`app.reports.pagecheck.MIN_FILL`), lay it out once more with
    :data:`TIGHT_STYLE` and keep that if it saves the page."""
    from . import pagecheck

    document = layout(part, static_dir=static_dir)
    if len(document.pages) > 1 and pagecheck.page_info(document.pages[-1], 0).fill < pagecheck.MIN_FILL:
        end = part.find("</head>")
        if end > 0:
            tight = layout(part[:end] + TIGHT_STYLE + part[end:], static_dir=static_dir)
            if len(tight.pages) < len(document.pages):
                return tight
    return document


def part_pages(html: str, *, static_dir: str | Path) -> list:
    """The pages of ``html`` laid out part by part, as :func:`app.reports.render.compose` lays them out
    (without the cache and the page numbers): what the print checks measure."""
    return [page for part in split(html) for page in layout_part(part, static_dir=static_dir).pages]


def print_context(app=None) -> dict:
    """Variables print templates get when rendered for a PDF: the font families and the
    fallback families after them (written into a <style> block that only WeasyPrint sees;
    browsers keep the CSP's no-inline rule)."""
    app = app or current_app
    families = font_families(app.config)
    return {"fonts": families, "font_fallback": fallback_families(app.config), "pdf": True}


def render_html(template_name: str, **context) -> str:
    """The exact HTML given to WeasyPrint (``--html`` of the report commands)."""
    return render_template(template_name, **{**print_context(), **context})
