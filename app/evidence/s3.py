"""Evidence bytes in an S3-compatible bucket (``ZEREN_EVIDENCE_STORE=s3``).

The same content-addressed layout as the bureau folders, one object per blob:
``<prefix><slug>/<aa>/<sha256>`` in ``ZEREN_S3_BUCKET`` (docs/scale.md, "Evidence at
scale").  What it promises, as :class:`~app.evidence.storage.LocalBlobStore` does:

* **A write is stored before it is acknowledged.** ``put`` returns only once the object is
  in the bucket with the expected size (a HEAD after the upload); the services call it
  before their rows are committed, so an upload the store refused leaves no row behind.
  Any failure — the server down, a timeout after botocore's retries, wrong credentials, a
  missing bucket — is :class:`~app.evidence.storage.BlobStoreUnavailable`: the user reads a
  Chinese message, the log has the detail.
* **Idempotent.** Keys are content digests: an object already present is not uploaded
  again, and two concurrent uploads of one content write the same bytes.
* **Checked by the server.** With ``ZEREN_S3_CHECKSUM`` on (the default), a single-part
  upload carries the file's SHA-256 (``ChecksumSHA256``, which is the content address
  itself), a multipart one a SHA-256 of every part (``ChecksumAlgorithm="SHA256"``): the
  server refuses bytes that do not match.  S3-compatible servers that reject checksum
  headers are run with it off; the HEAD-and-size check remains.
* **Streamed.** Uploads are read from the spool file (multipart above
  ``ZEREN_S3_MULTIPART_MB`` through boto3's transfer manager); ``open`` returns the
  object's body as a stream, never the whole file in memory.

Credentials come from boto3's own chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
``AWS_PROFILE``, an instance role …), never from Zeren's configuration.
"""
from __future__ import annotations

import base64
import io
import logging
from pathlib import Path
from typing import BinaryIO, Iterator

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotocoreConfig
from botocore.exceptions import BotoCoreError, ClientError

from app.tenancy.store import validate_slug

from .blobs import SHA256_PATTERN, BlobStoreUnavailable

log = logging.getLogger(__name__)

#: Error codes of a missing object or bucket key (HEAD answers with the bare status).
_MISSING = {"404", "NoSuchKey", "NotFound"}
_FAILURES = (BotoCoreError, ClientError, S3UploadFailedError)


class S3Object(io.RawIOBase):
    """A stored object as a read-only binary stream.

    Opened eagerly (``get_object`` has answered, so a missing object is known before a
    response starts) or lazily (only its HEAD: the presigned download never reads the
    bytes; anyone who does read gets them fetched then).  ``content_length`` is the size.
    """

    def __init__(self, fetch, content_length: int, body=None) -> None:
        super().__init__()
        self._fetch = fetch
        self._body = body
        self.content_length = content_length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._body is None:
            self._body = self._fetch()
        try:
            data = self._body.read(len(buffer))
        except _FAILURES as error:
            log.error("evidence store: reading an object failed: %s", error)
            raise OSError(f"the evidence store failed while reading: {error}") from error
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if self._body is not None:
            self._body.close()
        super().close()


class S3BlobStore:
    """Blobs in an S3-compatible bucket: ``<prefix><slug>/<aa>/<sha256>``."""

    def __init__(self, client, bucket: str, *, prefix: str = "", spool_root: Path, checksum: bool = True,
                 multipart_bytes: int = 8 * 1024 * 1024, presigned: bool = False,
                 presigned_seconds: int = 120) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.checksum = checksum
        self.presigned = presigned
        self.presigned_seconds = presigned_seconds
        self._spool_root = Path(spool_root)
        # The threshold is also the part size: a 20 MB file goes in three parts.
        self._transfer = TransferConfig(multipart_threshold=multipart_bytes, multipart_chunksize=multipart_bytes,
                                        max_concurrency=4)

    @classmethod
    def from_config(cls, config) -> "S3BlobStore":
        """The store the application's settings describe (``S3_*``; see app/config.py)."""
        client_config = BotocoreConfig(
            connect_timeout=config.get("S3_CONNECT_TIMEOUT", 5), read_timeout=config.get("S3_READ_TIMEOUT", 30),
            retries={"max_attempts": config.get("S3_MAX_ATTEMPTS", 3), "mode": "standard"},
            signature_version="s3v4", s3={"addressing_style": config.get("S3_ADDRESSING_STYLE") or "auto"},
            # botocore ≥ 1.36 adds a CRC32 to every request by default, which several
            # S3-compatible servers refuse; the SHA-256 is sent explicitly instead.
            request_checksum_calculation="when_required", response_checksum_validation="when_required")
        client = boto3.session.Session().client(
            "s3", endpoint_url=config.get("S3_ENDPOINT_URL") or None, region_name=config.get("S3_REGION") or None,
            config=client_config)
        return cls(client, config["S3_BUCKET"], prefix=config.get("S3_PREFIX") or "",
                   spool_root=Path(config["TENANTS_DIR"]) / "_spool", checksum=bool(config.get("S3_CHECKSUM", True)),
                   multipart_bytes=int(config.get("S3_MULTIPART_MB", 8)) * 1024 * 1024,
                   presigned=bool(config.get("S3_PRESIGNED")),
                   presigned_seconds=int(config.get("S3_PRESIGNED_SECONDS", 120)))

    # -- keys ----------------------------------------------------------------------
    def key(self, slug: str, sha256: str) -> str:
        """The object key of a blob: ``<prefix><slug>/<aa>/<sha256>``."""
        if not SHA256_PATTERN.fullmatch(sha256 or ""):
            raise ValueError("not a sha256 hex digest")
        return f"{self._bureau_prefix(slug)}{sha256[:2]}/{sha256}"

    def _bureau_prefix(self, slug: str) -> str:
        # validate_slug: a slug is checked before any key is built from it.
        return f"{self.prefix}{validate_slug(slug)}/"

    def _failed(self, action: str, key: str, error: Exception, *, reading: bool = False) -> BlobStoreUnavailable:
        log.error("evidence store %s: %s s3://%s/%s failed: %s: %s", self.client.meta.endpoint_url, action,
                  self.bucket, key, type(error).__name__, error)
        return BlobStoreUnavailable(reading=reading)

    # -- the interface ---------------------------------------------------------------
    def spool_dir(self, slug: str) -> Path:
        # Local to this machine: a spool file lives for one request.
        return self._spool_root / slug

    def _head(self, key: str, *, reading: bool = False) -> dict | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) in _MISSING:
                return None
            raise self._failed("HEAD", key, error, reading=reading) from error
        except _FAILURES as error:
            raise self._failed("HEAD", key, error, reading=reading) from error

    def exists(self, slug: str, sha256: str) -> bool:
        return self._head(self.key(slug, sha256)) is not None

    def put(self, slug: str, sha256: str, source: Path) -> bool:
        key = self.key(slug, sha256)
        if self._head(key) is not None:
            return False
        size = Path(source).stat().st_size
        try:
            if size < self._transfer.multipart_threshold:
                arguments = {"ChecksumSHA256": base64.b64encode(bytes.fromhex(sha256)).decode()} \
                    if self.checksum else {}
                with open(source, "rb") as body:
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **arguments)
            else:
                extra = {"ChecksumAlgorithm": "SHA256"} if self.checksum else {}
                self.client.upload_file(str(source), self.bucket, key, ExtraArgs=extra, Config=self._transfer)
        except _FAILURES as error:
            raise self._failed("PUT", key, error) from error
        stored = self._head(key)
        if stored is None or int(stored.get("ContentLength", -1)) != size:
            log.error("evidence store: s3://%s/%s holds %s bytes after an upload of %s", self.bucket, key,
                      None if stored is None else stored.get("ContentLength"), size)
            raise BlobStoreUnavailable()
        return True

    def open(self, slug: str, sha256: str) -> BinaryIO:
        key = self.key(slug, sha256)

        def fetch():
            try:
                return self.client.get_object(Bucket=self.bucket, Key=key)
            except ClientError as error:
                if str(error.response.get("Error", {}).get("Code")) in _MISSING:
                    raise FileNotFoundError(key) from None
                raise self._failed("GET", key, error, reading=True) from error
            except _FAILURES as error:
                raise self._failed("GET", key, error, reading=True) from error

        if self.presigned:
            head = self._head(key, reading=True)
            if head is None:
                raise FileNotFoundError(key)
            return S3Object(lambda: fetch()["Body"], int(head["ContentLength"]))
        answer = fetch()
        return S3Object(None, int(answer["ContentLength"]), body=answer["Body"])

    def delete(self, slug: str, sha256: str) -> None:
        key = self.key(slug, sha256)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)  # S3 answers 204 for a missing key too
        except _FAILURES as error:
            raise self._failed("DELETE", key, error) from error

    def keys(self, slug: str) -> Iterator[str]:
        prefix = self._bureau_prefix(slug)
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for entry in page.get("Contents", ()):
                    name = entry["Key"][len(prefix):]
                    aa, _slash, sha = name.partition("/")
                    if SHA256_PATTERN.fullmatch(sha) and aa == sha[:2]:
                        yield sha
        except _FAILURES as error:
            raise self._failed("LIST", prefix, error, reading=True) from error

    def delete_all(self, slug: str) -> None:
        prefix = self._bureau_prefix(slug)
        keys = [self.key(slug, sha) for sha in self.keys(slug)]
        try:
            for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
                self.client.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": [{"Key": key} for key in keys[start:start + 1000]], "Quiet": True})
        except _FAILURES as error:
            raise self._failed("DELETE", prefix, error) from error

    # -- downloads ---------------------------------------------------------------------
    def presigned_url(self, slug: str, sha256: str, *, content_type: str, content_disposition: str) -> str:
        """A short-lived URL (``S3_PRESIGNED_SECONDS``) from which the browser fetches the
        object itself, answered with the given type and disposition (the same headers as
        a streamed download).  Signing is local: no request to the store."""
        return self.client.generate_presigned_url("get_object", ExpiresIn=self.presigned_seconds, Params={
            "Bucket": self.bucket, "Key": self.key(slug, sha256), "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition, "ResponseCacheControl": "private, no-store"})

