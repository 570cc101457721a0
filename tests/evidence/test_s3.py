"""Evidence in an S3-compatible bucket (``ZEREN_EVIDENCE_STORE=s3``), against a real S3
server (moto's, started by the fixtures): the key layout, one object per content, the
pages' uploads and downloads, presigned downloads, a store that is down, a bureau's
backup, restore and deletion."""
from __future__ import annotations

import hashlib
import io
import logging
import tarfile
import urllib.request

import pytest
from sqlalchemy import func, select

from app import config as settings
from app.duties import services as duties
from app.duties.models import DutyItem, ProgressRecord
from app.evidence.models import Attachment
from app.evidence.s3 import S3BlobStore
from app.evidence.storage import BlobStoreUnavailable, blob_store, put_bytes
from app.extensions import db
from app.findings import services as findings
from app.tenancy import services as tenancy
from app.tenancy.session import tenant_context
from tests.evidence.conftest import bucket_keys, use_s3
from tests.helpers import PNG, SYSTEM, admin_of, login, make_finding, pdf_bytes

NAME = "2026年3月党组会议纪要 (定稿).pdf"
DOWN = "http://127.0.0.1:8829"  # in this suite's port range, nothing listens there
DOWN_MESSAGE = "暂时无法连接佐证材料存储"


def _key(slug: str, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    return f"zeren/{slug}/{sha[:2]}/{sha}"


def _post_record(client, slug: str, item_id: int, data: bytes, name: str = NAME):
    return client.post(f"/b/{slug}/duties/items/{item_id}/records", content_type="multipart/form-data", data={
        "occurred_on": "2026-03-10", "summary": "召开党组会议，专题研究机关党建工作", "count": "1",
        "files": [(io.BytesIO(data), name)]})


def _attachment_ids(bureau) -> list[int]:
    with tenant_context(bureau.tenant):
        return list(db.session.scalars(select(Attachment.id).order_by(Attachment.id)))


def _spooled(app) -> list:
    from pathlib import Path

    root = Path(app.config["TENANTS_DIR"]) / "_spool"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_blob_is_stored_once_under_its_key_and_read_back(app, bureau_a, s3_store):
    client, bucket = s3_store
    data = pdf_bytes("对象存储")
    with tenant_context(bureau_a.tenant):
        store = blob_store()
        assert isinstance(store, S3BlobStore)
        first = put_bytes(bureau_a.slug, data, "a.pdf")
        assert bucket_keys(client, bucket) == [_key(bureau_a.slug, data)]
        assert store.exists(bureau_a.slug, first.sha256)
        spool = store.spool_dir(bureau_a.slug)
        again = spool / "again.pdf"
        again.write_bytes(data)
        assert store.put(bureau_a.slug, first.sha256, again) is False  # present: not uploaded again
        with store.open(bureau_a.slug, first.sha256) as stream:
            assert stream.content_length == len(data) and stream.read() == data
        assert list(store.keys(bureau_a.slug)) == [first.sha256]
        store.delete(bureau_a.slug, first.sha256)
        assert not store.exists(bureau_a.slug, first.sha256) and bucket_keys(client, bucket) == []
        store.delete(bureau_a.slug, first.sha256)  # already gone: no error
        with pytest.raises(FileNotFoundError):
            store.open(bureau_a.slug, first.sha256)


def test_a_large_file_goes_up_in_parts_with_the_servers_checksum(app, bureau_a, s3_store):
    client, bucket = s3_store
    app.config["S3_MULTIPART_MB"] = 5
    app.extensions.pop("zeren.blob_store", None)
    data = pdf_bytes("大文件") + b"%" * (11 * 1024 * 1024)  # still a PDF by its head
    with tenant_context(bureau_a.tenant):
        upload = put_bytes(bureau_a.slug, data, "large.pdf")
        head = client.head_object(Bucket=bucket, Key=_key(bureau_a.slug, data), ChecksumMode="ENABLED")
        assert head["ContentLength"] == len(data)
        assert head["ETag"].strip('"').endswith("-3")  # three 5 MB parts
        assert "ChecksumSHA256" in head  # sent part by part, kept by the server
        with blob_store().open(bureau_a.slug, upload.sha256) as stream:
            assert hashlib.sha256(stream.read()).hexdigest() == upload.sha256


def test_the_pages_upload_download_and_share_one_object(app, client, bureau_a, bureau_list, s3_store):
    s3, bucket = s3_store
    item_a, item_b = bureau_list["item_ids"][:2]
    pdf = pdf_bytes("党组会议纪要")
    login(client, bureau_a.editor.username)
    assert _post_record(client, bureau_a.slug, item_a, pdf).status_code == 302
    assert _post_record(client, bureau_a.slug, item_b, pdf, "副本.pdf").status_code == 302
    assert bucket_keys(s3, bucket) == [_key(bureau_a.slug, pdf)]  # two attachments, one object
    first, second = _attachment_ids(bureau_a)
    assert _spooled(app) == []

    download = client.get(f"/b/{bureau_a.slug}/duties/files/{first}")
    assert download.status_code == 200 and download.data == pdf
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Length"] == str(len(pdf))
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''2026%E5%B9%B4" in disposition

    assert client.post(f"/b/{bureau_a.slug}/duties/files/{first}/delete").status_code == 302
    assert bucket_keys(s3, bucket) == [_key(bureau_a.slug, pdf)]  # the other record still holds it
    assert client.get(f"/b/{bureau_a.slug}/duties/files/{second}").data == pdf
    assert client.post(f"/b/{bureau_a.slug}/duties/files/{second}/delete").status_code == 302
    assert bucket_keys(s3, bucket) == []  # the last reference went


def test_a_presigned_download_sends_the_browser_to_the_store_with_the_same_headers(
        app, client, bureau_a, bureau_list, s3_store):
    pdf = pdf_bytes("预签名")
    login(client, bureau_a.editor.username)
    assert _post_record(client, bureau_a.slug, bureau_list["item_ids"][0], pdf).status_code == 302
    (attachment_id,) = _attachment_ids(bureau_a)
    url = f"/b/{bureau_a.slug}/duties/files/{attachment_id}"
    streamed = client.get(url)

    app.config.update(S3_PRESIGNED=True, ACCEL_REDIRECT="/_protected/")  # nginx has no file to send
    app.extensions.pop("zeren.blob_store", None)
    handed = client.get(url)
    assert handed.status_code == 302 and "X-Accel-Redirect" not in handed.headers
    location = handed.headers["Location"]
    assert location.startswith(app.config["S3_ENDPOINT_URL"]) and "X-Amz-Signature=" in location
    assert "X-Amz-Expires=120" in location
    with urllib.request.urlopen(location, timeout=5) as answer:
        assert answer.read() == pdf
        assert answer.headers["Content-Type"] == streamed.headers["Content-Type"]
        assert answer.headers["Content-Disposition"] == streamed.headers["Content-Disposition"]

    with tenant_context(bureau_a.tenant):  # a blob gone from the bucket: 404, no link
        blob_store().delete(bureau_a.slug, hashlib.sha256(pdf).hexdigest())
    assert client.get(url).status_code == 404


def test_findings_evidence_linked_from_a_duty_record_is_copied_in_the_bucket_and_served_to_the_city(
        app, client, bureau_a, bureau_list, city_admin, s3_store):
    s3, bucket = s3_store
    pdf = pdf_bytes("整改佐证")
    with tenant_context(bureau_a.tenant):
        item = db.session.get(DutyItem, bureau_list["item_ids"][0])
        duties.add_record(item, {"occurred_on": "2026-03-10", "summary": "召开党组会议"}, actor=SYSTEM,
                          files=[duties.Upload(io.BytesIO(pdf), NAME)])
        attachment = db.session.scalars(select(Attachment)).one()
        item_id, attachment_id = item.id, attachment.id
    admin = admin_of(bureau_a)
    fid = make_finding(bureau_a, duty_item_id=item_id)
    with tenant_context(bureau_a.tenant):
        finding = findings.get_finding(fid)
        findings.transition(finding, "start", version=finding.version, actor=admin)
        finding = findings.get_finding(fid)
        findings.add_note(finding, {"occurred_on": findings.today(), "text": "引用履责佐证。"},
                          link_ids=[attachment_id], actor=admin)
        evidence = findings.get_finding(fid).notes[0].evidence[0]
        evidence_id, blob_key = evidence.id, evidence.blob_key
    assert bucket_keys(s3, bucket) == sorted([_key(bureau_a.slug, pdf), f"zeren/{bureau_a.slug}/{blob_key[:2]}/{blob_key}"])
    login(client, bureau_a.editor.username)
    assert client.get(f"/b/{bureau_a.slug}/findings/evidence/{evidence_id}").data == pdf
    client.post("/logout")
    login(client, city_admin.username)
    city_side = client.get(f"/city/findings/{bureau_a.slug}/evidence/{evidence_id}")
    assert city_side.status_code == 200 and city_side.data == pdf


@pytest.fixture
def stopped_server(app, s3_server):
    """A bucket on a second S3 server that is then stopped; returns its endpoint."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=8828, verbose=False)
    server.start()
    endpoint = "http://127.0.0.1:8828"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="zeren-stopped")
    server.stop()
    return endpoint


@pytest.mark.parametrize("where", ["wrong port", "server stopped"])
def test_an_upload_the_store_cannot_take_is_refused_and_leaves_no_row(
        app, client, bureau_a, bureau_list, s3_server, request, where, caplog):
    endpoint = DOWN if where == "wrong port" else request.getfixturevalue("stopped_server")
    use_s3(app, endpoint, "zeren-stopped")
    login(client, bureau_a.editor.username)
    with caplog.at_level(logging.ERROR, logger="app.evidence.s3"):
        response = _post_record(client, bureau_a.slug, bureau_list["item_ids"][0], pdf_bytes("存不进去"))
    assert response.status_code == 400  # the form again, with the message; not a 500
    assert DOWN_MESSAGE in response.get_data(as_text=True)
    assert "记录已保存" not in response.get_data(as_text=True)
    with tenant_context(bureau_a.tenant):
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
        assert db.session.scalar(select(func.count()).select_from(ProgressRecord)) == 0
    assert _spooled(app) == []
    assert any(endpoint in r.getMessage() and "zeren-stopped" in r.getMessage() for r in caplog.records)


def test_a_download_while_the_store_is_down_is_a_clear_503(app, client, bureau_a, bureau_list, s3_store):
    login(client, bureau_a.editor.username)
    assert _post_record(client, bureau_a.slug, bureau_list["item_ids"][0], pdf_bytes("下载")).status_code == 302
    (attachment_id,) = _attachment_ids(bureau_a)
    use_s3(app, DOWN, s3_store[1])
    response = client.get(f"/b/{bureau_a.slug}/duties/files/{attachment_id}")
    assert response.status_code == 503 and DOWN_MESSAGE in response.get_data(as_text=True)


def test_removing_a_file_while_the_store_is_down_still_removes_the_row(
        app, client, bureau_a, bureau_list, s3_store, caplog):
    s3, bucket = s3_store
    pdf = pdf_bytes("删除")
    login(client, bureau_a.editor.username)
    assert _post_record(client, bureau_a.slug, bureau_list["item_ids"][0], pdf).status_code == 302
    (attachment_id,) = _attachment_ids(bureau_a)
    use_s3(app, DOWN, bucket)
    with caplog.at_level(logging.WARNING, logger="app.evidence.services"):
        response = client.post(f"/b/{bureau_a.slug}/duties/files/{attachment_id}/delete", follow_redirects=True)
    # The row's deletion was committed: the page says so; the bytes stay as an unreferenced object.
    assert response.status_code == 200 and "文件已删除" in response.get_data(as_text=True)
    assert _attachment_ids(bureau_a) == []
    assert bucket_keys(s3, bucket) == [_key(bureau_a.slug, pdf)]
    assert any("could not be deleted" in r.getMessage() for r in caplog.records)


def test_a_bureau_backup_holds_its_objects_and_a_restore_puts_them_back(app, bureau_a, bureau_list, s3_store,
                                                                        tmp_path):
    s3, bucket = s3_store
    pdf = pdf_bytes("备份")
    with tenant_context(bureau_a.tenant):
        item = db.session.get(DutyItem, bureau_list["item_ids"][0])
        duties.add_record(item, {"occurred_on": "2026-03-10", "summary": "召开党组会议"}, actor=SYSTEM,
                          files=[duties.Upload(io.BytesIO(pdf), NAME)])
    sha = hashlib.sha256(pdf).hexdigest()
    tenant = tenancy.get_tenant(bureau_a.slug)
    archive_path = tenancy.backup_tenant(tenant, tmp_path / "backups")
    with tarfile.open(archive_path, "r:gz") as archive:
        member = archive.getmember(f"files/{sha[:2]}/{sha}")
        assert archive.extractfile(member).read() == pdf

    tenancy.delete_tenant(tenancy.get_tenant(bureau_a.slug), confirm_slug=bureau_a.slug)
    assert bucket_keys(s3, bucket) == []  # deleted for good: its objects too

    tenancy.restore_tenant(archive_path, slug="bureau-c")
    assert bucket_keys(s3, bucket) == [_key("bureau-c", pdf)]
    with tenant_context(tenancy.get_tenant("bureau-c")):
        attachment = db.session.scalars(select(Attachment)).one()
        with duties.open_attachment(attachment) as stream:
            assert stream.read() == pdf


def test_a_backup_whose_objects_cannot_be_read_is_refused_and_writes_no_file(app, bureau_a, s3_store, tmp_path):
    with tenant_context(bureau_a.tenant):
        put_bytes(bureau_a.slug, pdf_bytes("备份失败"), "a.pdf")
    use_s3(app, DOWN, s3_store[1])
    with pytest.raises(BlobStoreUnavailable):
        tenancy.backup_tenant(tenancy.get_tenant(bureau_a.slug), tmp_path / "backups")
    assert list((tmp_path / "backups").iterdir()) == []


def test_a_local_backup_restores_into_the_bucket(app, bureau_a, bureau_list, s3_server, tmp_path):
    """How a bureau's evidence moves from the folders to a bucket: back up, delete, restore."""
    import boto3

    pdf = pdf_bytes("迁移")
    with tenant_context(bureau_a.tenant):
        put_bytes(bureau_a.slug, pdf, "迁移.pdf")
    archive_path = tenancy.backup_tenant(tenancy.get_tenant(bureau_a.slug), tmp_path / "backups")
    tenancy.delete_tenant(tenancy.get_tenant(bureau_a.slug), confirm_slug=bureau_a.slug)
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket="zeren-moved")
    use_s3(app, s3_server, "zeren-moved")
    tenancy.restore_tenant(archive_path)
    assert bucket_keys(s3, "zeren-moved") == [_key(bureau_a.slug, pdf)]


def test_copy_to_s3_fills_the_bucket_from_the_folders_before_the_switch(app, client, bureau_a, bureau_list,
                                                                       s3_server):
    import boto3

    pdf, png = pdf_bytes("迁移前"), PNG
    login(client, bureau_a.editor.username)
    assert _post_record(client, bureau_a.slug, bureau_list["item_ids"][0], pdf).status_code == 302
    with tenant_context(bureau_a.tenant):
        put_bytes(bureau_a.slug, png, "照片.png")
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket="zeren-copied")
    app.config.update(S3_ENDPOINT_URL=s3_server, S3_BUCKET="zeren-copied", S3_PREFIX="zeren/",
                      S3_REGION="us-east-1")  # the store itself is still local
    runner = app.test_cli_runner()
    first = runner.invoke(args=["evidence", "copy-to-s3"])
    assert first.exit_code == 0 and f"{bureau_a.slug}: 2 copied, 0 already in the bucket" in first.output
    assert bucket_keys(s3, "zeren-copied") == sorted([_key(bureau_a.slug, pdf), _key(bureau_a.slug, png)])
    again = runner.invoke(args=["evidence", "copy-to-s3", bureau_a.slug])
    assert again.exit_code == 0 and "0 copied, 2 already in the bucket" in again.output

    use_s3(app, s3_server, "zeren-copied")  # the switch: the pages now read the bucket
    (attachment_id,) = _attachment_ids(bureau_a)
    assert client.get(f"/b/{bureau_a.slug}/duties/files/{attachment_id}").data == pdf

    use_s3(app, DOWN, "zeren-copied")
    down = runner.invoke(args=["evidence", "copy-to-s3"])
    assert down.exit_code == 1 and DOWN_MESSAGE in down.output and "Traceback" not in down.output


def test_an_upload_the_bucket_holds_short_is_refused(app, bureau_a, s3_store, monkeypatch):
    """The size is checked by HEAD after every upload, also with the checksum off."""
    app.config["S3_CHECKSUM"] = False
    app.extensions.pop("zeren.blob_store", None)
    with tenant_context(bureau_a.tenant):
        store = blob_store()
        real_put = store.client.put_object

        def truncating_put(**arguments):
            assert "ChecksumSHA256" not in arguments
            return real_put(**{**arguments, "Body": arguments["Body"].read()[:-10]})

        monkeypatch.setattr(store.client, "put_object", truncating_put)
        with pytest.raises(BlobStoreUnavailable):
            put_bytes(bureau_a.slug, pdf_bytes("截断"), "a.pdf")


@pytest.mark.parametrize("overrides,message", [
    ({"EVIDENCE_STORE": "s3"}, "ZEREN_S3_BUCKET"),
    ({"EVIDENCE_STORE": "ftp"}, "ZEREN_EVIDENCE_STORE"),
    ({"EVIDENCE_STORE": "s3", "S3_BUCKET": "b", "S3_PREFIX": "a/../b"}, "ZEREN_S3_PREFIX"),
    ({"EVIDENCE_STORE": "s3", "S3_BUCKET": "b", "S3_PRESIGNED_SECONDS": 86400}, "ZEREN_S3_PRESIGNED_SECONDS"),
])
def test_an_s3_store_that_cannot_work_is_refused_at_start(tmp_path, overrides, message):
    config = {"TENANTS_DIR": str(tmp_path), "DATABASE_URL": None, "SECRET_KEY": "k" * 40, "LOG_FORMAT": "text",
              "ENV_NAME": "production", **overrides}
    with pytest.raises(RuntimeError, match=message):
        settings.finalise(config)


def test_the_prefix_gets_its_slash_and_local_stays_the_default(tmp_path):
    base = {"TENANTS_DIR": str(tmp_path), "DATABASE_URL": None, "SECRET_KEY": "k" * 40, "LOG_FORMAT": "text"}
    config = {**base, "EVIDENCE_STORE": "s3", "S3_BUCKET": "b", "S3_PREFIX": "/zeren"}
    settings.finalise(config)
    assert config["S3_PREFIX"] == "zeren/"
    default = dict(base)
    settings.finalise(default)
    assert default["EVIDENCE_STORE"] == "local"
    assert settings.Config.EVIDENCE_STORE == "local"
