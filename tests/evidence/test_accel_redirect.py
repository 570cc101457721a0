"""Evidence downloads handed to nginx (``ZEREN_ACCEL_REDIRECT``): the app authorises, names
the stored file by its key and answers headers only; unset, it streams the bytes."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from app import config as settings
from app.duties import services as duties
from app.duties.models import DutyItem
from app.evidence.models import Attachment
from app.evidence.storage import LocalBlobStore
from app.extensions import db
from app.findings import services as findings
from app.tenancy.session import tenant_context
from tests.helpers import PDF, SYSTEM, add_evidence, admin_of, login, make_finding, pdf_bytes

PREFIX = "/_protected/"
NAME = "2026年3月党组会议纪要 (定稿).pdf"


def _record_with_file(bureau, ids, data: bytes) -> int:
    """A progress record with one PDF in ``bureau``; returns the attachment's id."""
    with tenant_context(bureau.tenant):
        item = db.session.get(DutyItem, ids["item_ids"][0])
        duties.add_record(item, {"occurred_on": "2026-03-10", "summary": "召开党组会议"}, actor=SYSTEM,
                          files=[duties.Upload(io.BytesIO(data), NAME)])
        return db.session.scalars(select(Attachment.id)).one()


def _finding_evidence(bureau) -> int:
    fid = make_finding(bureau)
    admin = admin_of(bureau)
    with tenant_context(bureau.tenant):
        finding = findings.get_finding(fid)
        findings.transition(finding, "start", version=finding.version, actor=admin)
    add_evidence(bureau, fid, admin)
    with tenant_context(bureau.tenant):
        return findings.get_finding(fid).notes[0].evidence[0].id


def _file_named_by(app, header: str) -> Path:
    assert header.startswith(PREFIX)
    return Path(app.config["TENANTS_DIR"]) / unquote(header[len(PREFIX):])


def test_a_download_names_the_stored_file_for_nginx_with_the_streamed_headers(app, client, bureau_a, bureau_list):
    pdf = pdf_bytes("党组会议纪要")
    attachment_id = _record_with_file(bureau_a, bureau_list, pdf)
    url = f"/b/{bureau_a.slug}/duties/files/{attachment_id}"
    login(client, bureau_a.viewer.username)
    streamed = client.get(url)
    assert streamed.status_code == 200 and streamed.data == pdf and "X-Accel-Redirect" not in streamed.headers

    app.config["ACCEL_REDIRECT"] = PREFIX
    handed = client.get(url)
    assert handed.status_code == 200 and handed.data == b""
    sha = hashlib.sha256(pdf).hexdigest()
    assert handed.headers["X-Accel-Redirect"] == f"{PREFIX}{bureau_a.slug}/files/{sha[:2]}/{sha}"
    assert _file_named_by(app, handed.headers["X-Accel-Redirect"]).read_bytes() == pdf
    for header in ("Content-Type", "Content-Disposition", "Cache-Control", "X-Content-Type-Options"):
        assert handed.headers[header] == streamed.headers[header], header
    assert "filename*=UTF-8''" in handed.headers["Content-Disposition"]


def test_findings_evidence_goes_through_nginx_for_the_bureau_and_for_the_city(app, client, bureau_a, city_admin):
    evidence_id = _finding_evidence(bureau_a)
    app.config["ACCEL_REDIRECT"] = PREFIX
    login(client, bureau_a.editor.username)
    bureau_side = client.get(f"/b/{bureau_a.slug}/findings/evidence/{evidence_id}")
    assert bureau_side.status_code == 200 and bureau_side.data == b""
    assert _file_named_by(app, bureau_side.headers["X-Accel-Redirect"]).read_bytes() == PDF
    assert bureau_side.headers["Content-Type"] == "application/pdf"
    client.post("/logout")
    login(client, city_admin.username)
    city_side = client.get(f"/city/findings/{bureau_a.slug}/evidence/{evidence_id}")
    assert city_side.status_code == 200 and city_side.headers["X-Accel-Redirect"] == \
        bureau_side.headers["X-Accel-Redirect"]


def test_others_are_refused_before_any_file_is_named(app, client, bureau_a, bureau_b, bureau_list):
    attachment_id = _record_with_file(bureau_a, bureau_list, pdf_bytes("只给本单位"))
    app.config["ACCEL_REDIRECT"] = PREFIX
    anonymous = client.get(f"/b/{bureau_a.slug}/duties/files/{attachment_id}")
    assert anonymous.status_code == 302 and "X-Accel-Redirect" not in anonymous.headers
    login(client, bureau_b.admin.username)
    # Bureau A's URL: not a member, 404.  Bureau B's own URL with A's id: B's database has
    # no such attachment, 404.  Neither names a file.
    for url in (f"/b/{bureau_a.slug}/duties/files/{attachment_id}", f"/b/{bureau_b.slug}/duties/files/{attachment_id}"):
        refused = client.get(url)
        assert refused.status_code == 404 and "X-Accel-Redirect" not in refused.headers, url


def test_a_missing_blob_is_a_404_not_a_file_for_nginx(app, client, bureau_a, bureau_list):
    attachment_id = _record_with_file(bureau_a, bureau_list, pdf_bytes("丢失"))
    for blob in (Path(app.config["TENANTS_DIR"]) / bureau_a.slug / "files").rglob("*"):
        if blob.is_file():
            blob.unlink()
    app.config["ACCEL_REDIRECT"] = PREFIX
    login(client, bureau_a.editor.username)
    response = client.get(f"/b/{bureau_a.slug}/duties/files/{attachment_id}")
    assert response.status_code == 404 and "X-Accel-Redirect" not in response.headers


class _RemoteStore(LocalBlobStore):
    """A store whose bytes are not files of this machine (an object store): no ``path``."""

    path = None


def test_a_store_without_local_files_streams_even_when_nginx_is_configured(app, client, bureau_a, bureau_list):
    pdf = pdf_bytes("对象存储")
    attachment_id = _record_with_file(bureau_a, bureau_list, pdf)
    app.extensions["zeren.blob_store"] = _RemoteStore(app.extensions["zeren.tenant_store"].files_dir)
    app.config["ACCEL_REDIRECT"] = PREFIX
    login(client, bureau_a.editor.username)
    response = client.get(f"/b/{bureau_a.slug}/duties/files/{attachment_id}")
    assert response.status_code == 200 and response.data == pdf and "X-Accel-Redirect" not in response.headers


@pytest.mark.parametrize("prefix", ["_protected/", "/_protected", "http://files/"])
def test_a_prefix_that_is_not_a_location_path_is_refused_at_start(tmp_path, prefix):
    config = {"TENANTS_DIR": str(tmp_path), "DATABASE_URL": None, "SECRET_KEY": "k" * 40, "LOG_FORMAT": "text",
              "ACCEL_REDIRECT": prefix}
    with pytest.raises(RuntimeError, match="ZEREN_ACCEL_REDIRECT"):
        settings.finalise(config)
