"""PDF output with WeasyPrint, laid out after GB/T 9704-2012 where it applies.

- :func:`render_pdf` renders a Jinja print template to PDF bytes.
- Resources are fetched only from the application's own static folder: any other
  ``file://`` path, ``http(s)://`` or other scheme raises :class:`ForbiddenResource` and
  stops the rendering (a report never reads /etc/passwd or calls out to the network).
- The three font roles (serif 宋体, sans 黑体, kai 楷体) are configurable families
  (``ZEREN_PDF_FONT_SERIF/SANS/KAI``); :func:`check_fonts` verifies at start-up that each
  exists, and every render verifies that the fonts cover every character of the
  document, refusing with :class:`FontsMissing` rather than printing missing-glyph boxes.
- One :class:`FontConfiguration` per process, warmed by :func:`warm` when the server
  starts (the first layout on a new machine builds font caches and is slow).
"""
from __future__ import annotations

import subprocess
import threading
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template

ROLES = ("serif", "sans", "kai")
DEFAULT_FONTS = {"serif": "Noto Serif CJK SC", "sans": "Noto Sans CJK SC", "kai": "LXGW WenKai"}
FONT_PACKAGES = "fonts-noto-cjk fonts-lxgw-wenkai"
_lock = threading.Lock()
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


@lru_cache(maxsize=16)
def font_file(family: str) -> str | None:
    """The file fontconfig uses for ``family``, or ``None`` when it is not installed
    (fontconfig substitutes another family rather than failing, so check the name)."""
    try:
        found = subprocess.run(["fc-match", "-f", "%{family}\t%{file}", family], capture_output=True, text=True,
                               timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families, _tab, path = found.partition("\t")
    names = {name.strip().lower() for name in families.split(",")}
    return path if family.lower() in names and path else None


@lru_cache(maxsize=16)
def _coverage(path: str) -> frozenset[int]:
    """Code points a font file has glyphs for (every face of a collection)."""
    from fontTools.ttLib import TTCollection, TTFont

    fonts = TTCollection(path, lazy=True).fonts if path.lower().endswith((".ttc", ".otc")) else [TTFont(path, lazy=True)]
    points: set[int] = set()
    for font in fonts:
        points.update((font.getBestCmap() or {}).keys())
    return frozenset(points)


def check_fonts(config) -> dict[str, str]:
    """Return {role: font file}; raise :class:`FontsMissing` naming what to install."""
    families = font_families(config)
    missing = [f"{role}: {family}" for role, family in families.items() if font_file(family) is None]
    if missing:
        raise FontsMissing(
            "PDF fonts are not installed: " + "; ".join(missing)
            + f". Install them (Debian: apt-get install {FONT_PACKAGES}) or set ZEREN_PDF_FONT_SERIF/SANS/KAI.")
    return {role: font_file(family) for role, family in families.items()}


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


def uncovered_characters(html: str, files: dict[str, str]) -> list[str]:
    """Characters of the document's text that none of the fonts can draw."""
    collector = _TextCollector()
    collector.feed(html)
    covered = set().union(*(_coverage(path) for path in set(files.values())))
    return sorted(c for c in collector.chars if not c.isspace() and ord(c) not in covered)


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


def html_to_pdf(html: str, *, static_dir: str | Path, fonts: dict[str, str] | None = None) -> bytes:
    """Lay out ``html`` and return the PDF; refuses text the fonts cannot draw."""
    from weasyprint import HTML

    if fonts:
        missing = uncovered_characters(html, fonts)
        if missing:
            raise FontsMissing("the PDF fonts cannot draw: " + " ".join(missing[:30]))
    base = Path(static_dir).resolve().as_uri() + "/"
    document = HTML(string=html, base_url=base, url_fetcher=make_url_fetcher(static_dir))
    return document.write_pdf(font_config=font_configuration())


def print_context(app=None) -> dict:
    """Variables print templates get when rendered for a PDF: the font families (written
    into a <style> block that only WeasyPrint sees; browsers keep the CSP's no-inline rule)."""
    app = app or current_app
    families = font_families(app.config)
    return {"fonts": families, "pdf": True}


def render_html(template_name: str, **context) -> str:
    """The exact HTML given to WeasyPrint (``--html`` of the report commands)."""
    return render_template(template_name, **print_context(), **context)


def render_pdf(template_name: str, **context) -> bytes:
    """Render a print template to PDF bytes (DESIGN "Reports")."""
    app = current_app
    files = check_fonts(app.config)
    return html_to_pdf(render_html(template_name, **context), static_dir=app.static_folder, fonts=files)


def warm(app) -> None:
    """Build font caches and load WeasyPrint once, before the first user asks for a PDF."""
    with app.app_context():
        try:
            files = check_fonts(app.config)
        except FontsMissing as error:
            app.logger.warning("%s", error)
            return
        for path in set(files.values()):
            _coverage(path)
        sample = ('<html><body><p style="font-family: serif">责任清单 — 1 —</p>'
                  '<p style="font-family: sans-serif">一、</p></body></html>')
        html_to_pdf(sample, static_dir=app.static_folder)
