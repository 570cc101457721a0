"""Rules of evidence uploads and of the blobs' life-cycle.

* **Uploads.** :func:`prepare_uploads` checks every file of one request (how many, the
  allow-list, the sniffed type, the size limit) and spools it; one bad file and nothing
  is stored.  Duties' records and findings' notes use the same rules.
* **Explicit references.** Several features keep rows that hold a blob key (duties'
  :class:`~app.evidence.models.Attachment`, findings' evidence …).  Each such column is
  registered in :func:`app.create_app` (``app.extensions["zeren.blob_references"]``);
  :func:`release_blobs` deletes a blob only when no registered column holds its key, so
  no feature relies on another's key naming to keep its files.
* **After the commit.** The rows are committed by then, so a store that fails now is
  logged, never shown as a failed request: :func:`ensure_stored` re-checks the blobs of an
  upload (their ``put`` already succeeded before the commit), :func:`release_blobs` leaves
  bytes it could not delete in the store (an unreferenced blob costs space, not data).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import BinaryIO, Iterable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import ValidationError
from app.extensions import db
from app.tenancy.session import current_slug

from .labels import FILE_KIND_LABELS
from .storage import (ALLOWED_EXTENSIONS, BlobStoreUnavailable, PreparedUpload, UploadRejected, blob_store, max_bytes,
                      prepare_upload)

log = logging.getLogger(__name__)

MAX_FILES_PER_UPLOAD = 5


@dataclass
class Upload:
    """A file as received: a binary stream and the name the browser sent."""

    stream: BinaryIO
    filename: str | None


def upload_message(error: UploadRejected) -> str:
    """The user's message for a refused file."""
    name = error.details.get("name", "")
    if error.code == "too_large":
        return _("“%(name)s” is larger than the limit of %(limit)s.", name=name, limit=human_size(error.details["limit"]))
    if error.code == "empty":
        return _("“%(name)s” is empty.", name=name)
    if error.code == "extension":
        return _("“%(name)s” is not an allowed type (allowed: %(types)s).", name=name,
                 types=", ".join(e.upper() for e in ALLOWED_EXTENSIONS if e != "jpeg"))
    if error.code == "mismatch":
        return _("“%(name)s” contains a %(kind)s file, which does not match its extension .%(ext)s.", name=name,
                 kind=FILE_KIND_LABELS.get(error.details["kind"], error.details["kind"]), ext=error.details["ext"])
    return _("The content of “%(name)s” is not a valid %(ext)s file.", name=name,
             ext=str(error.details.get("ext", "")).upper())


def human_size(size: int) -> str:
    """1.5 MB, 20 MB, 800 KB …"""
    if size >= 1024 * 1024:
        value = size / (1024 * 1024)
        return f"{value:.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} B"


def prepare_uploads(files: Iterable[Upload]) -> list[PreparedUpload]:
    """Check every file of one upload against the evidence rules (allow-list, sniffed type,
    size) and spool it; one bad file and nothing is stored (``ValidationError`` on
    ``files`` listing every problem).  Findings evidence uses the same rules."""
    files = [f for f in files if f is not None and (f.filename or "").strip()]
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise ValidationError(_("The files could not be saved."),
                              {"files": [_("Upload at most %(n)s files at a time.", n=MAX_FILES_PER_UPLOAD)]})
    store = blob_store()
    spool = store.spool_dir(current_slug())
    limit = max_bytes()
    prepared: list[PreparedUpload] = []
    problems: list[str] = []
    for upload in files:
        try:
            prepared.append(prepare_upload(upload.stream, upload.filename, limit, spool))
        except UploadRejected as error:
            problems.append(upload_message(error))
    if problems:
        for ready in prepared:
            ready.discard()
        raise ValidationError(_("The files could not be saved."), {"files": problems})
    return prepared


# -- blob life-cycle ---------------------------------------------------------------------
def blob_references() -> tuple:
    """The registered model columns that hold blob keys (see :func:`app.create_app`).

    Fails closed: with nothing registered no blob could be proven unused, so clean-up
    refuses rather than deleting files some row may still need.
    """
    columns = tuple(current_app.extensions.get("zeren.blob_references") or ())
    if not columns:
        raise RuntimeError("no blob references are registered (app.extensions['zeren.blob_references'])")
    return columns


def referenced_keys(keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` that some registered column of the current bureau still holds."""
    keys = set(keys)
    held: set[str] = set()
    for column in blob_references():
        if keys - held:
            held |= set(db.session.scalars(select(column).where(column.in_(keys - held)).distinct()))
    return held


def release_blobs(keys: Iterable[str]) -> None:
    """After a commit: delete the bytes of the ``keys`` no registered reference holds any
    more (keys still held — by this feature's rows or another's — are kept)."""
    keys = set(keys)
    if not keys:
        return
    store = blob_store()
    slug = current_slug()
    for key in keys - referenced_keys(keys):
        try:
            store.delete(slug, key)
        except BlobStoreUnavailable:
            log.warning("evidence of %s: blob %s is no longer referenced but could not be deleted; it stays in "
                        "the store", slug, key)


def ensure_stored(slug: str, uploads: Iterable[tuple[str, PreparedUpload]]) -> None:
    """After a commit: make sure the blob of every ``(key, upload)`` exists, then drop the
    spool files.

    Each ``put`` succeeded before the commit; a concurrent release may have removed the
    same bytes between that ``put`` and our commit (it saw no row using them yet), and
    writing them again closes that gap.  A store that fails now is logged: the rows are
    committed and their bytes were stored.
    """
    store = blob_store()
    for key, ready in uploads:
        try:
            if not store.exists(slug, key):
                store.put(slug, key, ready.path)
        except BlobStoreUnavailable:
            log.error("evidence of %s: blob %s could not be re-checked after the commit", slug, key)
        finally:
            ready.discard()
