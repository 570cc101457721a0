"""Progress records and evidence through the pages: permissions, uploads, downloads."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

from sqlalchemy import func, select

from app.core.actor import Actor
from app.audit.models import TenantAuditEvent
from app.duties import services
from app.evidence.models import Attachment
from app.duties.models import DutyItem, ProgressRecord
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import EXE, SYSTEM, login, pdf_bytes


def _files_dir(app, slug: str) -> Path:
    return Path(app.config["TENANTS_DIR"]) / slug / "files"


def _blobs(app, slug: str) -> list[Path]:
    return sorted(p for p in _files_dir(app, slug).rglob("*") if p.is_file() and p.parent.name != "tmp")


def _liaison_item(bureau, ids) -> int:
    """An item owned by the liaison (whose account is the bureau's editor)."""
    with tenant_context(bureau.tenant):
        item = db.session.get(DutyItem, ids["item_ids"][0])
        item.owner_id = ids["people"]["liaison"]
        db.session.commit()
        return item.id


def _post_record(client, slug, item_id, files=(), **fields):
    data = {"occurred_on": "2026-03-10", "summary": "召开党组会议，专题研究机关党建工作", "count": "1", **fields}
    data["files"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(f"/b/{slug}/duties/items/{item_id}/records", data=data, content_type="multipart/form-data")


def test_owner_records_progress_with_a_pdf_and_downloads_it(app, client, bureau_a, bureau_list, today):
    item_id = _liaison_item(bureau_a, bureau_list)
    login(client, bureau_a.editor.username)
    pdf = pdf_bytes("党组会议纪要")
    response = _post_record(client, bureau_a.slug, item_id, files=[(pdf, "2026年3月党组会议纪要.pdf")])
    assert response.status_code == 302
    page = client.get(f"/b/{bureau_a.slug}/duties/items/{item_id}").get_data(as_text=True)
    assert "2026年3月党组会议纪要.pdf" in page and "召开党组会议" in page
    with tenant_context(bureau_a.tenant):
        attachment = db.session.scalars(select(Attachment)).one()
        assert attachment.sha256 == hashlib.sha256(pdf).hexdigest() and attachment.kind == "pdf"
        event = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.action == "duty_record.create")).one()
        assert event.after["files"] == ["2026年3月党组会议纪要.pdf"] and event.actor_name == bureau_a.editor.username
    download = client.get(f"/b/{bureau_a.slug}/duties/files/{attachment.id}")
    assert download.status_code == 200 and download.data == pdf
    assert download.headers["Content-Type"] == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # the file lives content-addressed in the bureau's folder, outside static
    assert [p.name for p in _blobs(app, bureau_a.slug)] == [attachment.sha256]


def test_an_exe_renamed_pdf_is_refused_with_a_form_error_and_nothing_is_saved(app, client, bureau_a, bureau_list, today):
    item_id = _liaison_item(bureau_a, bureau_list)
    login(client, bureau_a.editor.username)
    response = _post_record(client, bureau_a.slug, item_id, files=[(EXE, "会议纪要.pdf"), (pdf_bytes(), "ok.pdf")])
    assert response.status_code == 400
    assert "不是有效的 PDF 文件" in response.get_data(as_text=True)
    with tenant_context(bureau_a.tenant):
        assert db.session.scalar(select(func.count()).select_from(ProgressRecord)) == 0
    assert _blobs(app, bureau_a.slug) == []
    assert list((_files_dir(app, bureau_a.slug) / "tmp").glob("*")) == []


def test_a_file_over_the_limit_is_refused(app, client, bureau_a, bureau_list, today):
    app.config["ATTACHMENT_MAX_BYTES"] = 2048
    item_id = _liaison_item(bureau_a, bureau_list)
    login(client, bureau_a.editor.username)
    big = pdf_bytes() + b"%" * 4096
    response = _post_record(client, bureau_a.slug, item_id, files=[(big, "大文件.pdf")])
    assert response.status_code == 400 and "超过 2 KB 的大小上限" in response.get_data(as_text=True)
    assert _blobs(app, bureau_a.slug) == []
    # far beyond what the form may carry: the request itself is refused (413), not a 500
    huge = b"%PDF-" + b"0" * (2048 * services.MAX_FILES_PER_UPLOAD + 2 * 1024 * 1024)
    assert _post_record(client, bureau_a.slug, item_id, files=[(huge, "巨大.pdf")]).status_code == 413


def test_duplicate_content_is_stored_once_and_deleting_keeps_shared_files(app, client, bureau_a, bureau_list, today):
    item_id = _liaison_item(bureau_a, bureau_list)
    login(client, bureau_a.admin.username)
    shared, own = pdf_bytes("共用的签到表"), pdf_bytes("只属于第一条记录")
    _post_record(client, bureau_a.slug, item_id, files=[(shared, "签到表.pdf"), (own, "纪要.pdf")])
    _post_record(client, bureau_a.slug, item_id, occurred_on="2026-04-10", files=[(shared, "签到表（副本）.pdf")])
    assert len(_blobs(app, bureau_a.slug)) == 2
    with tenant_context(bureau_a.tenant):
        first, second = db.session.scalars(select(ProgressRecord).order_by(ProgressRecord.occurred_on)).all()
        first_id, first_version = first.id, first.version
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 3
    assert client.post(f"/b/{bureau_a.slug}/duties/records/{first_id}/delete",
                       data={"version": first_version}).status_code == 302
    remaining = [p.name for p in _blobs(app, bureau_a.slug)]
    assert remaining == [hashlib.sha256(shared).hexdigest()]  # still used by the second record
    with tenant_context(bureau_a.tenant):
        attachment = db.session.scalars(select(Attachment)).one()
        event = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.action == "duty_record.delete")).one()
        assert sorted(event.before["files"]) == ["签到表.pdf", "纪要.pdf"]
    assert client.post(f"/b/{bureau_a.slug}/duties/files/{attachment.id}/delete").status_code == 302
    assert _blobs(app, bureau_a.slug) == []


def test_adding_files_to_a_record_and_marking_done(app, client, bureau_a, bureau_list, today):
    item_id = _liaison_item(bureau_a, bureau_list)
    login(client, bureau_a.editor.username)
    _post_record(client, bureau_a.slug, item_id)
    with tenant_context(bureau_a.tenant):
        record = db.session.scalars(select(ProgressRecord)).one()
        item = db.session.get(DutyItem, item_id)
        record_id, item_version = record.id, item.version
    refused = client.post(f"/b/{bureau_a.slug}/duties/items/{item_id}/done", data={"done": "1", "version": item_version},
                          follow_redirects=True)
    assert "请先在履责记录中上传至少一份佐证材料" in refused.get_data(as_text=True)
    response = client.post(f"/b/{bureau_a.slug}/duties/records/{record_id}/files", content_type="multipart/form-data",
                           data={"files": [(io.BytesIO(pdf_bytes("补充材料")), "补充材料.pdf")]})
    assert response.status_code == 302
    assert client.post(f"/b/{bureau_a.slug}/duties/items/{item_id}/done",
                       data={"done": "1", "version": item_version}).status_code == 302
    page = client.get(f"/b/{bureau_a.slug}/duties/items/{item_id}").get_data(as_text=True)
    assert "已完成" in page and "补充材料.pdf" in page


def test_editors_change_only_their_own_records_and_viewers_only_read(app, client, bureau_a, bureau_list, today):
    # (editors record on every item: tests/duties/test_clerk.py)
    own = _liaison_item(bureau_a, bureau_list)
    login(client, bureau_a.editor.username)
    assert _post_record(client, bureau_a.slug, own).status_code == 302
    with tenant_context(bureau_a.tenant):
        mine = db.session.scalars(select(ProgressRecord)).one()
        # the administrator's record on the same item is not the editor's to change
        theirs = services.add_record(db.session.get(DutyItem, own), {"occurred_on": "2026-04-01", "summary": "管理员补录"},
                                     actor=Actor(id=bureau_a.admin.id, username="a", display_name="管理员", side="bureau",
                                                          role="bureau_admin"))
        mine_id, mine_version, theirs_id, theirs_version = mine.id, mine.version, theirs.id, theirs.version
    assert client.get(f"/b/{bureau_a.slug}/duties/records/{mine_id}/edit").status_code == 200
    assert client.get(f"/b/{bureau_a.slug}/duties/records/{theirs_id}/edit").status_code == 403
    assert client.post(f"/b/{bureau_a.slug}/duties/records/{theirs_id}/delete",
                       data={"version": theirs_version}).status_code == 403
    # an editor does not manage items, lists or people
    assert client.get(f"/b/{bureau_a.slug}/duties/items/{own}/edit").status_code == 403
    assert client.post(f"/b/{bureau_a.slug}/duties/people", data={"name": "x", "kind": "staff"}).status_code == 403
    client.post("/logout")
    login(client, bureau_a.viewer.username)
    assert client.get(f"/b/{bureau_a.slug}/duties/items/{own}").status_code == 200
    assert _post_record(client, bureau_a.slug, own).status_code == 403
    assert client.post(f"/b/{bureau_a.slug}/duties/records/{mine_id}/edit",
                       data={"occurred_on": "2026-03-11", "summary": "x", "version": mine_version}).status_code == 403


def test_city_readers_read_every_page_but_never_write(app, client, city_viewer, bureau_a, bureau_list, today):
    item_id = bureau_list["item_ids"][0]
    login(client, "leader")
    for url in ("", f"{bureau_list['list_id']}", f"items/{item_id}", "mine", "people",
                f"{bureau_list['list_id']}/export.xlsx"):
        assert client.get(f"/b/{bureau_a.slug}/duties/{url}").status_code == 200, url
    assert _post_record(client, bureau_a.slug, item_id).status_code == 403
    assert client.post(f"/b/{bureau_a.slug}/duties/{bureau_list['list_id']}/status",
                       data={"target": "published"}).status_code == 403


def test_a_stale_record_edit_shows_the_current_values(app, client, bureau_a, bureau_list, today):
    item_id = _liaison_item(bureau_a, bureau_list)
    with tenant_context(bureau_a.tenant):
        record = services.add_record(db.session.get(DutyItem, item_id), {"occurred_on": "2026-03-01",
                                                                          "summary": "原始记录"}, actor=SYSTEM)
        record_id, version = record.id, record.version
        services.update_record(record, {"occurred_on": "2026-03-02", "summary": "同事先改的内容"}, version=version,
                               actor=SYSTEM)
    login(client, bureau_a.admin.username)
    response = client.post(f"/b/{bureau_a.slug}/duties/records/{record_id}/edit",
                           data={"occurred_on": "2026-03-05", "summary": "我后改的内容", "count": "1", "version": version})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已被他人修改" in page
    assert "同事先改的内容" in page and "我后改的内容" in page  # current values in the form, mine beside them
    with tenant_context(bureau_a.tenant):
        assert db.session.get(ProgressRecord, record_id).summary == "同事先改的内容"
