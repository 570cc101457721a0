"""Evidence downloads: the one response every feature's file download gives.

The feature's view authorises the download (its bureau scope and role decorators, its
service finding the row) and opens the blob; :func:`send_blob` answers.  With
``ACCEL_REDIRECT`` set (``ZEREN_ACCEL_REDIRECT``, docs/deploy.md) the answer is headers
only: ``X-Accel-Redirect`` names the blob's file relative to the data root under nginx's
``internal`` location, and nginx sends the bytes from disk.  The file is always the one
the store keeps for the row's key, never a path from the request.

With the S3 store (``ZEREN_EVIDENCE_STORE=s3``) there is no file for nginx: the object is
streamed through the app with the same headers (and its length), or, with
``ZEREN_S3_PRESIGNED=1``, the answer is a redirect to a presigned URL valid for
``ZEREN_S3_PRESIGNED_SECONDS``, which tells the store to answer with the same
``Content-Type`` and ``Content-Disposition``.  ``ACCEL_REDIRECT`` is ignored then.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from flask import Response, current_app, redirect, send_file

from app.audit.access import hand_out

from .storage import blob_store

HEADER = "X-Accel-Redirect"


def send_blob(stream: BinaryIO, slug: str, key: str, *, mimetype: str, download_name: str) -> Response:
    """The download of the blob ``key`` of bureau ``slug``, already opened as ``stream``.

    Streams ``stream`` unless the web server is to send the file (``ACCEL_REDIRECT`` set
    and a local store) or the browser is sent to a presigned URL (an S3 store with
    ``S3_PRESIGNED``); either way the download has the same type, ``Content-Disposition``
    (the original name, RFC 5987) and cache headers.
    """
    store = blob_store()
    if getattr(store, "presigned", False):
        stream.close()
        hand_out(download_name)  # audited like a file sent: the redirect is the download
        headers = _attachment(io.BytesIO(b""), mimetype, download_name).headers
        url = store.presigned_url(slug, key, content_type=headers["Content-Type"],
                                  content_disposition=headers["Content-Disposition"])
        return redirect(url, code=302)
    internal = _internal_uri(slug, key)
    if internal is None:
        response = _attachment(stream, mimetype, download_name)
        length = getattr(stream, "content_length", None)  # an object store knows the size
        if length is not None:
            response.content_length = length
        return response
    stream.close()
    response = _attachment(io.BytesIO(b""), mimetype, download_name)
    response.headers[HEADER] = internal
    return response


def _attachment(stream: BinaryIO, mimetype: str, download_name: str) -> Response:
    return send_file(stream, mimetype=mimetype, as_attachment=True, download_name=download_name,
                     conditional=False, etag=False, max_age=0)


def _internal_uri(slug: str, key: str) -> str | None:
    """``<prefix><path relative to the data root>``, percent-encoded; ``None`` when the app
    must stream (no prefix set, a store with no local files, a file outside the root)."""
    prefix = current_app.config.get("ACCEL_REDIRECT") or ""
    locate = getattr(blob_store(), "path", None)
    if not prefix or locate is None:
        return None
    try:
        relative = Path(locate(slug, key)).resolve().relative_to(Path(current_app.config["TENANTS_DIR"]).resolve())
    except ValueError:
        return None
    return prefix + quote(relative.as_posix(), safe="/")
