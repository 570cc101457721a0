"""Evidence files: what is accepted, how its type is recognised, and where bytes live.

* **Allow-list and sniffing.** A file is accepted only when its *content* is one of the
  allowed types (PDF, JPEG, PNG, Word, Excel, OFD) and its extension agrees with the
  content.  Types are recognised from magic bytes; ``docx``/``xlsx``/``ofd`` are ZIP
  containers told apart by their members, ``doc``/``xls`` are OLE2 compound files told
  apart by their directory streams (``WordDocument`` / ``Workbook``).  Nothing is
  decompressed, so a ZIP bomb costs nothing to sniff.
* **Content addressing.** Bytes are stored once per sha256 under
  ``tenants/<slug>/files/<aa>/<sha256>``; the database keeps one :class:`Attachment` row
  per record and file, with the original name.
* **Storage interface.** Features talk to a :class:`BlobStore` (``put``, ``open``,
  ``exists``, ``delete``; ``keys`` and ``delete_all`` for a bureau's backup and deletion).
  :class:`LocalBlobStore` keeps the bytes in the bureau's folder (the default);
  ``ZEREN_EVIDENCE_STORE=s3`` selects :class:`app.evidence.s3.S3BlobStore`, an
  S3-compatible bucket keyed ``<prefix><slug>/<aa>/<sha256>`` (docs/scale.md, "Evidence at
  scale").  :func:`blob_store` builds the configured one once per application; a test may
  register another as ``app.extensions["zeren.blob_store"]``.  A store that cannot be
  reached raises :class:`BlobStoreUnavailable` (a 503 with a Chinese message): an upload is
  stored *before* its rows are committed, so such a refusal rolls the rows back.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol

from flask import current_app


from .blobs import SHA256_PATTERN, BlobStoreUnavailable  # noqa: F401  (the interface's names)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
#: Detected kind → (accepted extensions, MIME type used for downloads).
KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "pdf": (("pdf",), "application/pdf"),
    "jpg": (("jpg", "jpeg"), "image/jpeg"),
    "png": (("png",), "image/png"),
    "docx": (("docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (("xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "doc": (("doc",), "application/msword"),
    "xls": (("xls",), "application/vnd.ms-excel"),
    "ofd": (("ofd",), "application/ofd"),
}
ALLOWED_EXTENSIONS = tuple(ext for exts, _mime in KINDS.values() for ext in exts)
CHUNK = 1024 * 1024


def max_bytes() -> int:
    """The per-file size limit (``ATTACHMENT_MAX_BYTES``, default 20 MB)."""
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


# -- file names ------------------------------------------------------------------------
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def sanitise_filename(name: str | None, fallback: str = "file") -> str:
    """A file name safe to store and to offer as a download.

    Keeps Chinese and other letters (``secure_filename`` would drop them), removes any
    directory part, control and reserved characters, leading dots and spaces, and limits
    the name to 120 characters keeping the extension.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ext[:10]
    stem = stem[: 120 - len(ext) - 1] if ext else name[:120]
    cleaned = f"{stem}.{ext}" if ext and stem else (stem or "")
    if not cleaned or cleaned.startswith("."):
        cleaned = f"{fallback}.{ext}" if ext else fallback
    return cleaned


def extension_of(name: str) -> str:
    """Lower-case extension without the dot ('' when there is none)."""
    _stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""


# -- sniffing --------------------------------------------------------------------------
def sniff(head: bytes, path: Path | None = None) -> str | None:
    """The allowed kind of a file from its content, or ``None``.

    ``head`` is the start of the file (at least 8 bytes are needed); containers (ZIP,
    OLE2) need the whole file at ``path``.
    """
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04") and path is not None:
        return _sniff_zip(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and path is not None:
        return _sniff_ole2(path)
    return None


def _sniff_zip(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return None
    if "OFD.xml" in names:  # GB/T 33190: the entry file sits at the package root
        return "ofd"
    return None


def _sniff_ole2(path: Path) -> str | None:
    """``doc`` or ``xls`` from the stream names of an OLE2 compound file, else ``None``."""
    try:
        names = ole2_stream_names(path)
    except (ValueError, OSError, struct.error):
        return None
    if "WordDocument" in names:
        return "doc"
    if "Workbook" in names or "Book" in names:
        return "xls"
    return None


def ole2_stream_names(path: Path, limit: int = 4096) -> set[str]:
    """Names in the directory of an OLE2 (Compound File Binary) file.

    Reads the header, the FAT (through the DIFAT, including its chain) and the directory
    sector chain; every step is bounded so a malformed file cannot loop or allocate much.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        header = handle.read(512)
        if len(header) < 512:
            raise ValueError("short OLE2 header")
        sector_shift = struct.unpack_from("<H", header, 30)[0]
        if sector_shift not in (9, 12):
            raise ValueError("bad sector size")
        sector_size = 1 << sector_shift
        fat_sectors = struct.unpack_from("<I", header, 44)[0]
        dir_start = struct.unpack_from("<I", header, 48)[0]
        difat_start, difat_count = struct.unpack_from("<II", header, 68)
        max_sector = size // sector_size + 1
        if fat_sectors > max_sector:
            raise ValueError("bad FAT size")

        def read_sector(index: int) -> bytes:
            if index >= max_sector:
                raise ValueError("sector out of range")
            handle.seek((index + 1) * sector_size)
            data = handle.read(sector_size)
            if len(data) < sector_size:
                raise ValueError("truncated sector")
            return data

        fat_locations = [v for v in struct.unpack_from("<109I", header, 76) if v < 0xFFFFFFFA]
        next_difat, seen = difat_start, 0
        per_difat = sector_size // 4 - 1
        while next_difat < 0xFFFFFFFA and seen < difat_count and seen < max_sector:
            data = read_sector(next_difat)
            values = struct.unpack_from(f"<{per_difat + 1}I", data)
            fat_locations.extend(v for v in values[:-1] if v < 0xFFFFFFFA)
            next_difat = values[-1]
            seen += 1
        fat: list[int] = []
        for location in fat_locations[:fat_sectors]:
            fat.extend(struct.unpack(f"<{sector_size // 4}I", read_sector(location)))

        names: set[str] = set()
        sector, steps = dir_start, 0
        while sector < 0xFFFFFFFA and steps < limit:
            data = read_sector(sector)
            for offset in range(0, sector_size, 128):
                entry = data[offset:offset + 128]
                name_length = struct.unpack_from("<H", entry, 64)[0]
                if 2 <= name_length <= 64 and entry[66] in (1, 2, 5):  # storage, stream, root
                    names.add(entry[:name_length - 2].decode("utf-16-le", errors="replace"))
            sector = fat[sector] if sector < len(fat) else 0xFFFFFFFE
            steps += 1
        return names


# -- uploads ---------------------------------------------------------------------------
class UploadRejected(ValueError):
    """The file cannot be accepted; ``code`` says why (``empty``, ``too_large``,
    ``extension``, ``content``, ``mismatch``) for the caller's message."""

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass
class PreparedUpload:
    """A checked upload spooled to a temporary file, ready to be stored."""

    path: Path
    sha256: str
    size: int
    kind: str
    name: str

    def discard(self) -> None:
        """Remove the temporary file."""
        self.path.unlink(missing_ok=True)


def prepare_upload(stream: BinaryIO, filename: str | None, limit: int, spool_dir: Path) -> PreparedUpload:
    """Check one uploaded file and spool it to ``spool_dir`` while hashing it.

    Reads at most ``limit + 1`` bytes, so an oversized file is refused without being read
    whole.  Raises :class:`UploadRejected`.
    """
    name = sanitise_filename(filename)
    ext = extension_of(name)
    if ext not in ALLOWED_EXTENSIONS:
        raise UploadRejected("extension", name=name, ext=ext)
    spool_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(dir=spool_dir, prefix="upload-", delete=False)
    path = Path(handle.name)
    try:
        with handle:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise UploadRejected("too_large", name=name, limit=limit)
                digest.update(chunk)
                handle.write(chunk)
        if size == 0:
            raise UploadRejected("empty", name=name)
        with open(path, "rb") as check:
            head = check.read(16)
        kind = sniff(head, path)
        if kind is None:
            raise UploadRejected("content", name=name, ext=ext)
        if ext not in KINDS[kind][0]:
            raise UploadRejected("mismatch", name=name, ext=ext, kind=kind)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return PreparedUpload(path=path, sha256=digest.hexdigest(), size=size, kind=kind, name=name)


# -- storage ---------------------------------------------------------------------------
class BlobStore(Protocol):
    """Where evidence bytes live, keyed by bureau slug and sha256."""

    def put(self, slug: str, sha256: str, source: Path) -> bool:
        """Store the file at ``source`` under ``sha256`` unless present; True if written."""

    def exists(self, slug: str, sha256: str) -> bool:
        """Whether the bytes of ``sha256`` are stored."""

    def open(self, slug: str, sha256: str) -> BinaryIO:
        """A binary stream of the stored bytes (``FileNotFoundError`` if missing)."""

    def delete(self, slug: str, sha256: str) -> None:
        """Remove the bytes (no error if already gone)."""

    def spool_dir(self, slug: str) -> Path:
        """A local folder for temporary upload files of this bureau."""

    def keys(self, slug: str) -> Iterator[str]:
        """Every key stored for the bureau (its backup copies them)."""

    def delete_all(self, slug: str) -> None:
        """Remove every blob of the bureau (the bureau is deleted for good)."""


class LocalBlobStore:
    """Blobs in the bureau's own folder: ``tenants/<slug>/files/<aa>/<sha256>``.

    Writes go to a temporary file in the same folder and are renamed into place, so a
    reader never sees half a file and two concurrent uploads of the same content are
    harmless.
    """

    def __init__(self, files_dir) -> None:
        # ``files_dir(slug) -> Path``: the TenantStore decides where a bureau's folder is.
        self._files_dir = files_dir

    def _path(self, slug: str, sha256: str) -> Path:
        if not SHA256_PATTERN.fullmatch(sha256 or ""):
            raise ValueError("not a sha256 hex digest")
        return self._files_dir(slug) / sha256[:2] / sha256

    def spool_dir(self, slug: str) -> Path:
        return self._files_dir(slug) / "tmp"

    def put(self, slug: str, sha256: str, source: Path) -> bool:
        target = self._path(slug, sha256)
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                while chunk := src.read(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
                # mkstemp makes the file 0600; the web server, in the data root's group,
                # sends it by X-Accel-Redirect (docs/deploy.md), so the group may read it.
                os.fchmod(out.fileno(), 0o640)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return True

    def exists(self, slug: str, sha256: str) -> bool:
        return self._path(slug, sha256).exists()

    def path(self, slug: str, sha256: str) -> Path:
        """Where the bytes of ``sha256`` lie on this machine, for a web server to send them
        (``app.evidence.downloads``).  Only local stores have this method."""
        return self._path(slug, sha256)

    def open(self, slug: str, sha256: str) -> BinaryIO:
        return open(self._path(slug, sha256), "rb")

    def delete(self, slug: str, sha256: str) -> None:
        self._path(slug, sha256).unlink(missing_ok=True)

    def keys(self, slug: str) -> Iterator[str]:
        folder = self._files_dir(slug)
        if folder.is_dir():
            for path in sorted(folder.glob("??/*")):
                if SHA256_PATTERN.fullmatch(path.name) and path.parent.name == path.name[:2] and path.is_file():
                    yield path.name

    def delete_all(self, slug: str) -> None:
        # A deleted bureau's whole folder goes with its database
        # (app.tenancy.services._destroy_database); this removes the blobs alone.
        for key in list(self.keys(slug)):
            self.delete(slug, key)


def blob_store() -> BlobStore:
    """The application's blob store, built once: a registered one, else the configured
    one (``EVIDENCE_STORE``: ``local``, the bureau folders; ``s3``, the bucket)."""
    store = current_app.extensions.get("zeren.blob_store")
    if store is None:
        if current_app.config.get("EVIDENCE_STORE", "local") == "s3":
            from .s3 import S3BlobStore  # boto3 is an optional dependency (the ``s3`` extra)

            store = S3BlobStore.from_config(current_app.config)
        else:
            tenants = current_app.extensions["zeren.tenant_store"]
            store = LocalBlobStore(tenants.files_dir)
        current_app.extensions["zeren.blob_store"] = store
    return store


def put_bytes(slug: str, data: bytes, name: str) -> PreparedUpload:
    """Check and store ``data`` as if uploaded (demo data, imports, tests)."""
    store = blob_store()
    upload = prepare_upload(io.BytesIO(data), name, max(len(data), 1), store.spool_dir(slug))
    try:
        store.put(slug, upload.sha256, upload.path)
    finally:
        upload.discard()
    return upload
