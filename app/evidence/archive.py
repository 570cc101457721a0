"""A bureau's evidence in its backup, its restore and its deletion (``app.tenancy.services``).

A backup is self-contained whatever the store: the archive's ``files/<aa>/<sha256>`` holds
every blob of the bureau.  With the local store that is the bureau's ``files/`` folder, as
before; with another store (S3) each object is streamed from the store into the archive,
so a backup restores the bureau completely on any installation, and one made with either
store restores into the other.  Restoring writes the blobs into the configured store;
deleting a bureau removes its blobs there too.
"""
from __future__ import annotations

import logging
import shutil
import tarfile
import tempfile
from pathlib import Path

from .storage import SHA256_PATTERN, BlobStoreUnavailable, LocalBlobStore, blob_store

log = logging.getLogger(__name__)

ARCNAME = "files"


def add_to_backup(archive: tarfile.TarFile, slug: str, folder: Path) -> None:
    """Add the bureau's blobs to ``archive`` under ``files/``; ``folder`` is its local
    files folder.  Raises :class:`BlobStoreUnavailable` when the store cannot be read (a
    backup without its evidence is refused rather than written)."""
    store = blob_store()
    if isinstance(store, LocalBlobStore):
        if folder.exists():
            archive.add(folder, arcname=ARCNAME)
        return
    for key in store.keys(slug):
        try:
            stream = store.open(slug, key)
        except FileNotFoundError:  # released (unreferenced) since the listing
            continue
        with stream:
            length = getattr(stream, "content_length", None)
            if length is not None:
                _add(archive, key, stream, length)
                continue
            with tempfile.TemporaryFile() as copy:  # a store that does not say the size: measure a copy
                shutil.copyfileobj(stream, copy)
                length = copy.tell()
                copy.seek(0)
                _add(archive, key, copy, length)


def _add(archive: tarfile.TarFile, key: str, stream, length: int) -> None:
    info = tarfile.TarInfo(f"{ARCNAME}/{key[:2]}/{key}")
    info.size = length
    info.mode = 0o640
    archive.addfile(info, stream)


def restore_from_backup(slug: str, extracted: Path | None, folder: Path) -> None:
    """Put the blobs of an extracted backup's ``files/`` (``extracted``, ``None`` if it has
    none) into the configured store for bureau ``slug``; ``folder`` is the bureau's local
    files folder, which is made either way."""
    store = blob_store()
    if isinstance(store, LocalBlobStore):
        if extracted is not None and extracted.is_dir():
            shutil.copytree(extracted, folder)
        else:
            folder.mkdir()
        return
    folder.mkdir()
    if extracted is None or not extracted.is_dir():
        return
    for path in sorted(extracted.glob("??/*")):
        if SHA256_PATTERN.fullmatch(path.name) and path.parent.name == path.name[:2] and path.is_file():
            store.put(slug, path.name, path)


def destroy(slug: str) -> None:
    """Remove every blob of a deleted bureau from a store that keeps them outside its
    folder.  The catalog no longer knows the bureau: a store that fails is logged with
    what is left, not raised."""
    store = blob_store()
    if isinstance(store, LocalBlobStore):
        return  # the folder, removed with the database, held them
    try:
        store.delete_all(slug)
    except BlobStoreUnavailable:
        log.error("evidence of deleted bureau %s could not be removed from the store; delete its objects by hand",
                  slug)


def copy_folder(slug: str, folder: Path, target) -> tuple[int, int]:
    """Put every blob of the local files folder ``folder`` of bureau ``slug`` into the
    store ``target`` (``flask evidence copy-to-s3``); returns (copied, already there)."""
    local = LocalBlobStore(lambda _slug: folder)
    copied = present = 0
    for key in local.keys(slug):
        if target.put(slug, key, local.path(slug, key)):
            copied += 1
        else:
            present += 1
    return copied, present
