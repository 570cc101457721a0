"""Accepting evidence files: allow-list, sniffing, names, content-addressed storage."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.evidence import storage
from app.evidence.storage import LocalBlobStore, UploadRejected, prepare_upload, sanitise_filename, sniff
from tests.helpers import EXE, JPG, PNG, docx_bytes, ofd_bytes, ole2_bytes, pdf_bytes, xlsx_bytes, zip_bytes


def _sniff(data: bytes, tmp_path: Path) -> str | None:
    path = tmp_path / "sample"
    path.write_bytes(data)
    return sniff(data[:16], path)


@pytest.mark.parametrize("data,kind", [
    (pdf_bytes(), "pdf"), (PNG, "png"), (JPG, "jpg"), (docx_bytes(), "docx"), (xlsx_bytes(), "xlsx"),
    (ofd_bytes(), "ofd"), (ole2_bytes("WordDocument"), "doc"), (ole2_bytes("Workbook"), "xls"),
    (ole2_bytes("Book"), "xls"),
])
def test_every_allowed_type_is_recognised_from_its_content(tmp_path, data, kind):
    assert _sniff(data, tmp_path) == kind


@pytest.mark.parametrize("data", [
    EXE, b"hello world, plain text", b"", b"PK\x03\x04 not really a zip",
    zip_bytes({"readme.txt": b"x"}),                                   # a zip, but no document
    zip_bytes({"[Content_Types].xml": b"<x/>", "ppt/presentation.xml": b"<x/>"}),  # PowerPoint
    ole2_bytes("\x05SummaryInformation"),                              # an OLE2 file that is no doc/xls (.msi …)
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,               # a broken OLE2 header
])
def test_other_content_is_refused(tmp_path, data):
    assert _sniff(data, tmp_path) is None


def _prepare(data: bytes, name: str, tmp_path: Path, limit: int = 1024 * 1024):
    return prepare_upload(io.BytesIO(data), name, limit, tmp_path / "spool")


def test_an_exe_renamed_pdf_is_refused_and_leaves_nothing_behind(tmp_path):
    with pytest.raises(UploadRejected) as refused:
        _prepare(EXE, "会议纪要.pdf", tmp_path)
    assert refused.value.code == "content"
    assert list((tmp_path / "spool").iterdir()) == []


@pytest.mark.parametrize("data,name,code", [
    (pdf_bytes(), "报告.exe", "extension"),
    (pdf_bytes(), "报告", "extension"),
    (pdf_bytes(), "报告.docx", "mismatch"),
    (docx_bytes(), "方案.xlsx", "mismatch"),
    (b"", "空.pdf", "empty"),
])
def test_extension_and_content_must_agree(tmp_path, data, name, code):
    with pytest.raises(UploadRejected) as refused:
        _prepare(data, name, tmp_path)
    assert refused.value.code == code


def test_a_file_over_the_limit_is_refused_without_reading_it_whole(tmp_path):
    class Endless(io.RawIOBase):
        read_total = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            self.read_total += len(buffer)
            buffer[:] = b"%" * len(buffer)
            return len(buffer)

    stream = io.BufferedReader(Endless())
    with pytest.raises(UploadRejected) as refused:
        prepare_upload(stream, "big.pdf", 3 * 1024 * 1024, tmp_path / "spool")
    assert refused.value.code == "too_large"
    assert stream.raw.read_total < 6 * 1024 * 1024


def test_accepted_upload_is_hashed_and_spooled(tmp_path):
    data = pdf_bytes("会议")
    upload = _prepare(data, "C:\\Users\\王\\2026年3月 会议纪要.PDF", tmp_path)
    import hashlib

    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert upload.kind == "pdf" and upload.size == len(data) and upload.path.read_bytes() == data
    assert upload.name == "2026年3月 会议纪要.PDF"


@pytest.mark.parametrize("raw,clean", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\boot.ini.pdf", "boot.ini.pdf"),
    ("会议纪要<草稿>?.pdf", "会议纪要_草稿__.pdf"),
    ("  .hidden.pdf  ", "hidden.pdf"),
    ("a\x00b\r\n.pdf", "a_b__.pdf"),
    (".pdf", "pdf"),
    ("", "file"),
    ("长" * 300 + ".docx", "长" * 115 + ".docx"),
])
def test_file_names_are_sanitised(raw, clean):
    assert sanitise_filename(raw) == clean


def test_identical_content_is_stored_once(tmp_path):
    store = LocalBlobStore(lambda slug: tmp_path / slug / "files")
    first, second = _prepare(pdf_bytes("x"), "a.pdf", tmp_path), _prepare(pdf_bytes("x"), "b.pdf", tmp_path)
    assert first.sha256 == second.sha256
    assert store.put("bureau-a", first.sha256, first.path) is True
    assert store.put("bureau-a", second.sha256, second.path) is False
    stored = [p for p in (tmp_path / "bureau-a" / "files").rglob("*") if p.is_file()]
    assert [p.name for p in stored] == [first.sha256]
    assert stored[0].parent.name == first.sha256[:2]
    with store.open("bureau-a", first.sha256) as handle:
        assert handle.read() == pdf_bytes("x")
    store.delete("bureau-a", first.sha256)
    assert not store.exists("bureau-a", first.sha256)
    store.delete("bureau-a", first.sha256)  # already gone: no error


def test_blob_keys_must_be_sha256(tmp_path):
    store = LocalBlobStore(lambda slug: tmp_path / slug)
    with pytest.raises(ValueError):
        store.open("bureau-a", "../../secret")


def test_the_application_store_lives_in_the_bureau_folder(app):
    store = storage.blob_store()
    assert store.spool_dir("bureau-a") == Path(app.config["TENANTS_DIR"]) / "bureau-a" / "files" / "tmp"
    assert storage.max_bytes() == 20 * 1024 * 1024


def test_the_local_store_lists_a_bureaus_blobs_and_deletes_them_all(tmp_path):
    store = LocalBlobStore(lambda slug: tmp_path / slug / "files")
    uploads = [_prepare(pdf_bytes(text), f"{text}.pdf", tmp_path) for text in ("a", "b")]
    for upload in uploads:
        store.put("bureau-a", upload.sha256, upload.path)
    (tmp_path / "bureau-a" / "files" / "tmp").mkdir()
    (tmp_path / "bureau-a" / "files" / "tmp" / "upload-x").write_bytes(b"spooled")  # not a blob
    assert list(store.keys("bureau-a")) == sorted(u.sha256 for u in uploads)
    assert list(store.keys("bureau-b")) == []
    store.delete_all("bureau-a")
    assert list(store.keys("bureau-a")) == [] and not any(store.exists("bureau-a", u.sha256) for u in uploads)
