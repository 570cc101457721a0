"""Opening Excel workbooks that users upload (duties, findings and score-template imports).

Every workbook the application opens from user input goes through :func:`open_workbook`,
which refuses, with a Chinese message for the import form and before openpyxl reads
anything:

* a file larger than the caller's limit, or empty;
* anything that is not a ZIP archive (a renamed .xls, a password-protected workbook,
  which Excel stores as an OLE file, a truncated download);
* a decompression bomb: the ZIP directory's uncompressed sizes are added up and checked
  against a limit, and so is the number of parts, before one byte is inflated (Python's
  zipfile never inflates a member beyond the size its directory entry declares, so a
  lying directory ends in a CRC error, not in memory use);
* any XML part with a document type declaration (``<!DOCTYPE``), an entity declaration
  or an external reference: Excel never writes them, and they are how billion-laughs
  and XXE attacks work.  Every XML part is run through expat with defusedxml's refusals
  (DTDs, entities, external references forbidden) without building a tree, which also
  proves it well-formed, so the
  lazy row reading of openpyxl's read-only mode cannot fail half-way with a
  ``ParseError``;
* anything else openpyxl cannot read.

openpyxl itself switches to defusedxml when it is installed (``openpyxl.xml.DEFUSEDXML``)
and parses with lxml without resolving entities; this check does not depend on either.
:func:`reading` turns an XML or ZIP error raised while the rows are read into the same
refusal, as a second line of defence.
"""
from __future__ import annotations

import contextlib
import io
import zipfile
import zlib
from contextlib import contextmanager
from typing import Iterator
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from flask_babel import gettext as _

MAX_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED = 60 * 1024 * 1024
MAX_MEMBERS = 2000
#: Read and parse members in pieces of this size (memory stays flat for large sheets).
CHUNK = 256 * 1024

#: Errors a damaged or hostile workbook raises while openpyxl reads it.
READ_ERRORS: tuple[type[BaseException], ...] = (ParseError, DefusedXmlException, zipfile.BadZipFile, zlib.error,
                                                EOFError)
with contextlib.suppress(ImportError):  # openpyxl parses some parts with lxml when it is installed
    from lxml.etree import LxmlError

    READ_ERRORS += (LxmlError,)


class UnsafeWorkbook(ValueError):
    """The upload is refused; ``message`` (translated) says why, for the import form."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, limit // 1024)} KB"


def not_a_workbook() -> UnsafeWorkbook:
    """The refusal for anything that is not a readable .xlsx file."""
    return UnsafeWorkbook(_("The file is not a valid Excel workbook (.xlsx). Open it in Excel, save it as "
                            "“Excel Workbook (*.xlsx)” and import it again."))


def read_limited(stream, max_bytes: int = MAX_BYTES) -> bytes:
    """Read an uploaded file, at most ``max_bytes`` (one more byte tells it is larger)."""
    data = stream.read(max_bytes + 1)
    check_size(data, max_bytes)
    return data


def check_size(data: bytes, max_bytes: int = MAX_BYTES) -> None:
    """Refuse an empty upload or one larger than ``max_bytes``."""
    if not data:
        raise UnsafeWorkbook(_("The file is empty."))
    if len(data) > max_bytes:
        raise UnsafeWorkbook(_("The workbook is larger than %(limit)s.", limit=_size(max_bytes)))


def _refuse_dtd(name, *_args) -> None:
    raise DTDForbidden(name, None, None)


def _refuse_entity(name, *_args) -> None:
    raise EntitiesForbidden(name, None, None, None, None, None)


def _refuse_external(_context, _base, system_id, public_id) -> None:
    raise ExternalReferenceForbidden(None, None, system_id, public_id)


def _check_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Parse one part with expat, refusing what defusedxml refuses (a DTD, entity
    declarations, external references) and building nothing.  These are the handlers
    defusedxml installs; set on a bare expat parser because defusedxml's ElementTree
    parser calls back into Python for every run of text: 1.4 s instead of 0.14 s for a
    workbook of 20,000 rows (27 MB of XML), measured."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external
    with archive.open(member) as part:
        while chunk := part.read(CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _looks_like_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """XML parts by name, and any other part that starts like XML (openpyxl follows the
    package's relationships, whatever a part is called)."""
    if member.filename.lower().endswith((".xml", ".rels", ".vml")):
        return True
    with archive.open(member) as part:
        start = part.read(64).lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    return start.startswith(b"<")


def check_archive(data: bytes, *, max_uncompressed: int = MAX_UNCOMPRESSED, max_members: int = MAX_MEMBERS) -> None:
    """Refuse a non-ZIP file, a decompression bomb or an XML part with a DTD or entities."""
    if not data.startswith(b"PK\x03\x04"):
        raise not_a_workbook()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > max_members or sum(m.file_size for m in members) > max_uncompressed:
                raise UnsafeWorkbook(_("The workbook would unpack to more than %(limit)s (or more than %(n)s parts); "
                                       "it was refused. Remove pictures or split the rows over several workbooks.",
                                       limit=_size(max_uncompressed), n=max_members))
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise not_a_workbook()
            for member in members:
                if not member.is_dir() and _looks_like_xml(archive, member):
                    _check_xml(archive, member)
    except UnsafeWorkbook:
        raise
    except DefusedXmlException:
        raise UnsafeWorkbook(_("The workbook contains XML declarations (DTD or entities) that Excel never "
                               "writes; it was refused. Save it again in Excel as .xlsx and import it again."
                               )) from None
    except (expat.ExpatError, ParseError, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError, UnicodeDecodeError):
        # NotImplementedError: a compression method or encryption zipfile cannot read
        raise not_a_workbook() from None


def open_workbook(data: bytes, *, max_bytes: int = MAX_BYTES, max_uncompressed: int = MAX_UNCOMPRESSED,
                  max_members: int = MAX_MEMBERS):
    """An uploaded workbook opened read-only with cached values (``data_only``), after the
    checks of this module; raises :class:`UnsafeWorkbook`.  Close it when done."""
    from openpyxl import load_workbook

    check_size(data, max_bytes)
    check_archive(data, max_uncompressed=max_uncompressed, max_members=max_members)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of errors for a damaged file
        raise not_a_workbook() from None


@contextmanager
def reading(book) -> Iterator[object]:
    """Read the rows of ``book`` inside this block: it is closed afterwards, and an XML or
    ZIP error met while reading becomes :class:`UnsafeWorkbook` (nothing was imported)."""
    try:
        yield book
    except READ_ERRORS:
        raise not_a_workbook() from None
    finally:
        book.close()
