"""One report PDF put together from the PDFs of its parts (pypdf).

* The parts' pages are taken in order; a part's bookmarks (WeasyPrint's outline of its
  headings) are kept, pointing at the same pages in the report.
* **Fonts once.** Each part embeds its own subset of every face it uses, with the glyph
  ids of the original face (:mod:`app.reports.subset`).  Faces are told apart by their
  ``/BaseFont`` (WeasyPrint names it after a digest of the font description, the same in
  every part), and each is embedded once, subset over the union of the parts' glyphs, with
  the union of their widths and ``ToUnicode`` entries; the parts' own programs are then
  unreferenced and not written.  A face that cannot be matched to its installed file keeps
  the parts' programs (correct, only larger).
* **Page numbers.** The parts carry none.  ``numbers`` is a PDF of empty pages laid out
  by WeasyPrint with the report's own ``@page`` rules, one page per page of the report
  and of the same named page (cover, ledger): its page content (the margin boxes) is
  drawn over the report's page, after the page's own content in a saved graphics state.
* **Deterministic.** The same inputs give the same bytes: objects are written in a fixed
  order, ``/ID`` is a digest of the inputs, and no date is written.
"""
from __future__ import annotations

import hashlib
import re
import zlib
from io import BytesIO

#: bfchar entries of a ToUnicode CMap as WeasyPrint writes them: ``<0a1b> <4e2d>``.
_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


class Misaligned(ValueError):
    """The numbers document does not line up with the report's pages."""


def _widths(array) -> dict[int, float]:
    """A ``/W`` array (``[first [w1 w2 …] first last w …]``) as {glyph: width}."""
    widths: dict[int, float] = {}
    items = list(array or [])
    index = 0
    while index < len(items):
        first = int(items[index])
        following = items[index + 1]
        if isinstance(following, list):
            for offset, width in enumerate(following):
                widths[first + offset] = float(width)
            index += 2
        else:
            for glyph in range(first, int(following) + 1):
                widths[glyph] = float(items[index + 2])
            index += 3
    return widths


def _number(value: float):
    from pypdf.generic import FloatObject, NumberObject

    return NumberObject(int(value)) if float(value).is_integer() else FloatObject(value)


def _width_array(widths: dict[int, float], default: float = 1000):
    """A ``/W`` array of ``widths``, leaving out the glyphs of the default width (``/DW``,
    1000 unless set: nearly every CJK glyph).  pypdf writes this dictionary uncompressed,
    where WeasyPrint packs it into an object stream: written whole it cost the city summary
    of 100 bureaus 200 kB."""
    from pypdf.generic import ArrayObject, NumberObject

    widths = {glyph: width for glyph, width in widths.items() if width != default}
    array = ArrayObject()
    run = None
    for glyph in sorted(widths):
        if run is None or glyph - 1 not in widths:
            array.append(NumberObject(glyph))
            run = ArrayObject()
            array.append(run)
        run.append(_number(widths[glyph]))
    return array


def _to_unicode(entries: dict[int, str]) -> bytes:
    """A ToUnicode CMap of ``entries`` ({glyph: UTF-16BE hex}), as WeasyPrint writes one."""
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap", b"/CIDSystemInfo",
             b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0", b">> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def", b"1 begincodespacerange",
             b"<0000> <ffff>", b"endcodespacerange"]
    items = sorted(entries.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines.extend(f"<{glyph:04x}> <{text}>".encode() for glyph, text in batch)
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _stream(writer, data: bytes, entries: dict | None = None):
    """A new Flate-compressed stream object in ``writer`` (level 6: deterministic)."""
    from pypdf.generic import NameObject, NumberObject, StreamObject

    stream = StreamObject()
    stream.set_data(zlib.compress(data, 6))
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    stream[NameObject("/Length")] = NumberObject(len(stream.get_data()))
    for key, value in (entries or {}).items():
        stream[NameObject(key)] = value
    return writer._add_object(stream)


def _fonts(writer) -> list:
    """The writer's composite (Type0) font dictionaries, in object order."""
    from pypdf.generic import DictionaryObject

    return [obj for obj in writer._objects
            if isinstance(obj, DictionaryObject) and obj.get("/Type") == "/Font" and obj.get("/Subtype") == "/Type0"]


def _subset(face, glyphs: set[int], store) -> bytes | None:
    """The face subset to ``glyphs``, from ``store`` when it was made before (a report
    changed in one bureau mostly uses the glyphs it used: 0.1 s a CJK face saved)."""
    from . import subset

    if store is None:
        return subset.subset(face, glyphs)
    key = hashlib.sha256(f"font\0{face.path}\0{face.index}\0{subset.stamp(face)}\0".encode()
                         + ",".join(map(str, sorted(glyphs))).encode()).hexdigest()
    program = store.get(key, "font")
    if program is None:
        program = subset.subset(face, glyphs)
        if program is not None:
            store.put(key, "font", program)
    return program


def share_fonts(writer, store=None) -> dict[str, int]:
    """Embed each face once (see the module's docstring); {BaseFont: glyphs} of the faces
    shared.  ``store``: a folder keeping the subsets made (the parts folder)."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    from . import subset

    groups: dict[str, list] = {}
    for font in _fonts(writer):
        if font.get("/Encoding") == "/Identity-H":  # a custom encoding: WeasyPrint's missing glyphs
            groups.setdefault(str(font["/BaseFont"]), []).append(font)
    shared: dict[str, int] = {}
    canonical: dict[int, object] = {}
    for base_font, fonts in groups.items():
        descendants = [font["/DescendantFonts"][0].get_object() for font in fonts]
        descriptor = descendants[0]["/FontDescriptor"].get_object()
        key = "/FontFile3" if "/FontFile3" in descriptor else "/FontFile2" if "/FontFile2" in descriptor else None
        if key is None:
            continue
        widths: dict[int, float] = {}
        for descendant in descendants:
            widths.update(_widths(descendant.get("/W")))
        if not widths:
            continue
        face = subset.original(descriptor[key].get_object().get_data())
        program = _subset(face, set(widths), store) if face is not None else None
        if program is None:
            continue
        entries: dict[int, str] = {}
        for font in fonts:
            if "/ToUnicode" in font:
                for glyph, text in _BFCHAR.findall(font["/ToUnicode"].get_object().get_data()):
                    entries.setdefault(int(glyph, 16), text.decode("ascii").lower())
        extra = ({"/Subtype": NameObject("/OpenType")} if key == "/FontFile3"
                 else {"/Length1": NumberObject(len(program))})
        file_reference = _stream(writer, program, extra)
        new_descriptor = DictionaryObject({k: v for k, v in descriptor.items()})
        bbox = ArrayObject(descriptor["/FontBBox"])
        bbox[2] = _number(max(widths.values()))
        new_descriptor[NameObject("/FontBBox")] = bbox
        new_descriptor[NameObject(key)] = file_reference
        descriptor_reference = writer._add_object(new_descriptor)
        new_descendant = DictionaryObject({k: v for k, v in descendants[0].items()})
        new_descendant[NameObject("/W")] = _width_array(widths, float(descendants[0].get("/DW", 1000)))
        new_descendant[NameObject("/FontDescriptor")] = descriptor_reference
        descendant_reference = writer._add_object(new_descendant)
        to_unicode = _stream(writer, _to_unicode(entries))
        for font in fonts:
            font[NameObject("/DescendantFonts")] = ArrayObject([descendant_reference])
            font[NameObject("/ToUnicode")] = to_unicode
        shared[base_font] = len(widths)
        canonical.update({font.indirect_reference.idnum: fonts[0].indirect_reference for font in fonts[1:]})
    _redirect(writer, canonical)
    return shared


def _redirect(writer, targets: dict) -> None:
    """Point every reference to an object of ``targets`` ({idnum: reference}) at its
    replacement (the parts' copies of a font dictionary at the first one)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if not targets:
        return
    for obj in writer._objects:
        if not isinstance(obj, (DictionaryObject, ArrayObject)):
            continue
        pending = [obj]
        while pending:
            container = pending.pop()
            items = container.items() if isinstance(container, DictionaryObject) else enumerate(container)
            for slot, value in list(items):
                if isinstance(value, IndirectObject):
                    if value.idnum in targets:
                        container[slot] = targets[value.idnum]
                elif isinstance(value, (DictionaryObject, ArrayObject)):
                    pending.append(value)


def _drop_unreferenced(writer) -> None:
    """Leave out every object no longer reachable from the catalog or the info
    dictionary (the parts' own font programs once shared)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    reached: set[int] = set()
    pending = [writer._root_object.indirect_reference.idnum]
    if writer._info is not None:
        pending.append(writer._info.indirect_reference.idnum)
    while pending:
        idnum = pending.pop()
        if idnum in reached:
            continue
        reached.add(idnum)
        values = [writer._objects[idnum - 1]]
        while values:
            value = values.pop()
            if isinstance(value, IndirectObject):
                if value.idnum not in reached:
                    pending.append(value.idnum)
            elif isinstance(value, DictionaryObject):
                values.extend(value.values())
            elif isinstance(value, ArrayObject):
                values.extend(value)
    for index in range(len(writer._objects)):
        if index + 1 not in reached:
            writer._objects[index] = None


def _contents(page) -> list:
    from pypdf.generic import ArrayObject

    contents = page.get("/Contents")
    if contents is None:
        return []
    target = contents.get_object()
    return list(target) if isinstance(target, ArrayObject) else [contents]


def _overlay(writer, pages: list, numbers, brackets) -> None:
    """Draw each page of ``numbers`` over the corresponding report page."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    if len(numbers) != len(pages):
        raise Misaligned(f"{len(numbers)} pages of numbers for {len(pages)} pages")
    save, restore = brackets
    # Pages of one part share their resources, pages of numbers theirs: each pair is merged
    # once and shared (a copy per page cost 600 bytes a page, written uncompressed).
    merged_by_pair: dict[tuple[int, int], object] = {}
    for page, number_page in zip(pages, numbers):
        if [round(float(v), 1) for v in page.mediabox] != [round(float(v), 1) for v in number_page.mediabox]:
            raise Misaligned("a page of numbers is not the size of its page")
        extra = _contents(number_page)
        if not extra:
            continue
        resources = page["/Resources"].get_object() if "/Resources" in page else DictionaryObject()
        own = number_page["/Resources"].get_object() if "/Resources" in number_page else DictionaryObject()
        pair = (id(resources), id(own))
        if pair in merged_by_pair:
            page[NameObject("/Resources")] = merged_by_pair[pair]
            page[NameObject("/Contents")] = ArrayObject([save, *_contents(page), restore, *extra])
            continue
        merged = DictionaryObject({k: v for k, v in resources.items()})
        for category, entries in own.items():
            entries = entries.get_object()
            if not isinstance(entries, DictionaryObject):
                if category not in merged:
                    merged[NameObject(category)] = entries
                continue
            target = DictionaryObject({k: v for k, v in merged.get(category, DictionaryObject()).get_object().items()})
            for name, value in entries.items():
                if name in target and not _same(target[name], value):
                    raise Misaligned(f"resource {category}{name} differs between a page and its number")
                target[NameObject(name)] = value
            merged[NameObject(category)] = target
        merged_by_pair[pair] = writer._add_object(merged)
        page[NameObject("/Resources")] = merged_by_pair[pair]
        page[NameObject("/Contents")] = ArrayObject([save, *_contents(page), restore, *extra])


def _same(first, second) -> bool:
    """Whether two resources are the same (fonts: the same face, shared afterwards)."""
    one, other = first.get_object(), second.get_object()
    if one is other:
        return True
    if hasattr(one, "get") and one.get("/Type") == "/Font" and hasattr(other, "get"):
        return one.get("/BaseFont") == other.get("/BaseFont") and one.get("/Subtype") == other.get("/Subtype")
    # WeasyPrint names graphics states after their values ("a1.0": opacity 1).
    return one == other


def _outline(writer, reader, offset: int, items, parent=None) -> None:
    """Copy a part's bookmarks, nested as they are, onto the report's pages."""
    last = None
    for item in items:
        if isinstance(item, list):
            if last is not None:
                _outline(writer, reader, offset, item, last)
            continue
        try:
            number = reader.get_destination_page_number(item)
        except Exception:  # noqa: BLE001 - a bookmark without a page: leave it out
            continue
        if number is None or number < 0:
            continue
        last = writer.add_outline_item(title=str(item.title), page_number=offset + number, parent=parent)


def assemble(parts: list[bytes], numbers: bytes | None, *, title: str = "", lang: str = "", store=None) -> bytes:
    """The report made of ``parts`` (PDF bytes, in order) with the page contents of
    ``numbers`` drawn over its pages; raises :class:`Misaligned` when they do not line up.
    ``store`` keeps the font subsets made (:func:`share_fonts`)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject, NameObject, TextStringObject

    writer = PdfWriter()
    pages = []
    for data in parts:
        reader = PdfReader(BytesIO(data))
        offset = len(pages)
        for page in reader.pages:
            pages.append(writer.add_page(page))
        try:
            outline = reader.outline
        except Exception:  # noqa: BLE001 - a part without a readable outline
            outline = []
        _outline(writer, reader, offset, outline)
    if numbers is not None:
        # The numbers' pages are copied into the writer without joining its page tree.
        number_pages = [page.clone(writer, ignore_fields=("/Parent",)) for page in PdfReader(BytesIO(numbers)).pages]
        brackets = (_stream(writer, b"q"), _stream(writer, b"Q"))
        _overlay(writer, pages, number_pages, brackets)
    share_fonts(writer, store)
    writer._info.get_object().clear()
    info = writer._info.get_object()
    if title:
        info[NameObject("/Title")] = TextStringObject(title)
    info[NameObject("/Producer")] = TextStringObject("WeasyPrint (Zeren, assembled from parts)")
    if lang:
        writer._root_object[NameObject("/Lang")] = TextStringObject(lang)
    digest = hashlib.sha256(b"".join(hashlib.sha256(d).digest() for d in [*parts, numbers or b""])).digest()[:16]
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
    _drop_unreferenced(writer)
    output = BytesIO()
    writer.write(output)
    return output.getvalue()
