"""One font subset for a whole report assembled from part PDFs.

WeasyPrint 70 subsets each face with HarfBuzz keeping the glyph ids
(``HB_SUBSET_FLAGS_RETAIN_GIDS``, ``weasyprint/pdf/fonts.py``): the text of a page names
glyphs by their id in the *original* face, and the subset is that face with every glyph
not used emptied.  A part's PDF therefore draws correctly with a subset of the same face
made for any superset of its glyphs, and :mod:`app.reports.assemble` embeds each face
once, subset here over the union of the glyphs every part uses, exactly as WeasyPrint
subsets it for a document laid out in one pass (same flags, same dropped tables, same
second pass that cuts the glyphs after the last one used).

The original face is found from the subset's ``name`` table: its PostScript name gives
the file and collection index fontconfig lists (``fc-list``), and the unique font
identifier (name 3) and ``head.fontRevision`` must agree, or the face is left as the
parts embedded it (correct, only larger).  HarfBuzz is called through cffi (WeasyPrint's
own bindings do not declare ``hb_face_create``); both libraries are WeasyPrint's
dependencies already.
"""
from __future__ import annotations

import io
import subprocess
import threading
from functools import lru_cache
from typing import NamedTuple

_CDEF = """
typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t; typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t; typedef uint32_t hb_codepoint_t; typedef uint32_t hb_tag_t;
hb_blob_t * hb_blob_create_from_file_or_fail (const char *file_name);
void hb_blob_destroy (hb_blob_t *blob);
hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
unsigned int hb_face_get_glyph_count (const hb_face_t *face);
hb_blob_t * hb_face_reference_blob (hb_face_t *face);
const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
hb_subset_input_t * hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t * hb_subset_input_glyph_set (hb_subset_input_t *input);
hb_set_t * hb_subset_input_set (hb_subset_input_t *input, int set_type);
void hb_set_add_sorted_array (hb_set_t *set, const hb_codepoint_t *sorted_codepoints, unsigned int num_codepoints);
void hb_set_add_range (hb_set_t *set, hb_codepoint_t first, hb_codepoint_t last);
hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
hb_tag_t hb_tag_from_string (const char *str, int len);
"""
# hb_subset_flags_t and hb_subset_sets_t (hb-subset.h), as WeasyPrint uses them.
_NO_HINTING, _RETAIN_GIDS, _DESUBROUTINIZE, _PASSTHROUGH, _NOTDEF_OUTLINE = 0x1, 0x2, 0x4, 0x20, 0x40
_DROP_TABLE_TAG = 3
#: The tables WeasyPrint drops from every embedded face.
_DROPPED = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")
#: Faces WeasyPrint changes beyond subsetting (variable faces are instanced, colour
#: glyphs emptied): their parts' own programs are kept.
_TRANSFORMED = ("fvar", "CBDT", "CBLC", "SVG ", "COLR", "sbix")
_lock = threading.Lock()


class Face(NamedTuple):
    """An installed face: its file and index in a collection."""

    path: str
    index: int


@lru_cache(maxsize=1)
def _harfbuzz():
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    return ffi, ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0")


@lru_cache(maxsize=1)
def _installed() -> dict[str, tuple[Face, ...]]:
    """PostScript name → the installed faces of that name (fontconfig's list)."""
    try:
        listed = subprocess.run(["fc-list", "--format", "%{postscriptname}\t%{file}\t%{index}\n"],
                                capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    faces: dict[str, list[Face]] = {}
    for line in listed.splitlines():
        name, _tab, rest = line.partition("\t")
        path, _tab, index = rest.partition("\t")
        if name and path:
            faces.setdefault(name, []).append(Face(path, int(index) if index.isdigit() else 0))
    return {name: tuple(sorted(set(found))) for name, found in faces.items()}


def _identity(font) -> tuple[str, str, float] | None:
    """(PostScript name, unique identifier, revision) of a fontTools font."""
    try:
        names = font["name"]
        postscript = names.getDebugName(6)
        unique = names.getDebugName(3) or ""
        return (postscript, unique, round(float(font["head"].fontRevision), 3)) if postscript else None
    except Exception:  # noqa: BLE001 - a table fontTools cannot read: not a face we can match
        return None


@lru_cache(maxsize=64)
def _face_identity(face: Face) -> tuple[str, str, float] | None:
    from fontTools.ttLib import TTFont

    try:
        return _identity(TTFont(face.path, fontNumber=face.index, lazy=True))
    except Exception:  # noqa: BLE001
        return None


def original(program: bytes) -> Face | None:
    """The installed face a part's embedded font program was subset from, or ``None``
    (not found, or a face WeasyPrint transforms beyond subsetting)."""
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(io.BytesIO(program), lazy=True)
        if any(tag in font for tag in _TRANSFORMED):
            return None
        identity = _identity(font)
    except Exception:  # noqa: BLE001
        return None
    return None if identity is None else _match(identity)


@lru_cache(maxsize=64)
def _match(identity: tuple[str, str, float]) -> Face | None:
    for face in _installed().get(identity[0], ()):
        if _face_identity(face) == identity:
            return face
    return None


@lru_cache(maxsize=64)
def stamp(face: Face) -> str:
    """The size and time of a face's file (a subset made from an older file is not reused)."""
    import os

    stat = os.stat(face.path)
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def glyph_count(face: Face) -> int:
    """The number of glyphs of an installed face."""
    ffi, hb, _subset = _harfbuzz()
    blob = hb.hb_blob_create_from_file_or_fail(face.path.encode())
    if blob == ffi.NULL:
        return 0
    hb_face = hb.hb_face_create(blob, face.index)
    try:
        return hb.hb_face_get_glyph_count(hb_face)
    finally:
        hb.hb_face_destroy(hb_face)
        hb.hb_blob_destroy(blob)


def subset(face: Face, glyphs: set[int], *, hinting: bool = False) -> bytes | None:
    """``face`` subset to ``glyphs`` with their ids kept, as WeasyPrint subsets it
    (``Font._harfbuzz_subset``); ``None`` if HarfBuzz fails."""
    if not glyphs:
        return None
    ffi, hb, hbs = _harfbuzz()
    with _lock:
        blob = hb.hb_blob_create_from_file_or_fail(face.path.encode())
        if blob == ffi.NULL:
            return None
        source = hb.hb_face_create(blob, face.index)
        first = second = ffi.NULL
        inputs = []
        try:
            count = hb.hb_face_get_glyph_count(source)
            # Glyph ids past the face's glyphs are WeasyPrint's stand-ins for missing
            # glyphs, drawn with the .notdef outline.
            missing = any(glyph >= count for glyph in glyphs)
            wanted = sorted(glyphs)
            first_input = hbs.hb_subset_input_create_or_fail()
            inputs.append(first_input)
            array = ffi.new(f"hb_codepoint_t[{len(wanted)}]", wanted)
            hb.hb_set_add_sorted_array(hbs.hb_subset_input_glyph_set(first_input), array, len(wanted))
            hbs.hb_subset_input_set_flags(first_input, _RETAIN_GIDS | _PASSTHROUGH | _DESUBROUTINIZE
                                          | (_NOTDEF_OUTLINE if missing else 0))
            tags = sorted(hb.hb_tag_from_string(tag, -1) for tag in _DROPPED)
            hb.hb_set_add_sorted_array(hbs.hb_subset_input_set(first_input, _DROP_TABLE_TAG),
                                       ffi.new(f"hb_codepoint_t[{len(tags)}]", tags), len(tags))
            first = hbs.hb_subset_or_fail(source, first_input)
            if first == ffi.NULL:
                return None
            # Second pass: drop the empty glyphs after the last one used.
            second_input = hbs.hb_subset_input_create_or_fail()
            inputs.append(second_input)
            hb.hb_set_add_range(hbs.hb_subset_input_glyph_set(second_input), 0, wanted[-1])
            hbs.hb_subset_input_set_flags(second_input, _PASSTHROUGH | _DESUBROUTINIZE
                                          | (0 if hinting else _NO_HINTING)
                                          | (_NOTDEF_OUTLINE if missing else 0))
            second = hbs.hb_subset_or_fail(first, second_input)
            if second == ffi.NULL:
                return None
            result = hb.hb_face_reference_blob(second)
            length = ffi.new("unsigned int *")
            data = ffi.buffer(hb.hb_blob_get_data(result, length), length[0])[:]
            hb.hb_blob_destroy(result)
            return data or None
        finally:
            for face_pointer in (second, first):
                if face_pointer != ffi.NULL:
                    hb.hb_face_destroy(face_pointer)
            for subset_input in inputs:
                hbs.hb_subset_input_destroy(subset_input)
            hb.hb_face_destroy(source)
            hb.hb_blob_destroy(blob)
