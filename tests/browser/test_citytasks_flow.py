"""Acceptance of issue 16 (city tasks) in the browser: the city issues a task with a form
to fill in → the bureau signs, fills it and submits → the city returns it with a reason →
the bureau resubmits → the city accepts; notifications lead each side to the task."""
from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import Workbook

from app.core.clock import today
from tests.helpers import log_in

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _xlsx() -> bytes:
    book = Workbook()
    book.active.append(["党组织名称", "上次换届时间", "本年度是否完成换届"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def log_out(page) -> None:
    page.click("nav >> text=退出")


def test_issue_sign_submit_return_resubmit_accept(live_server, page, city_admin, bureau_a, bureau_b):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    due = today() + timedelta(days=7)

    # 1. The city issues a task with a notice and a form, to one chosen bureau.
    log_in(page, live_server, "city")
    page.click("#nav-tasks")
    page.click("#new-task")
    page.wait_for_load_state("load")  # the script hiding the scope's boxes runs at the end of the page
    assert page.is_hidden("#scope-chosen")
    page.fill("#title", "填报基层党组织按期换届情况统计表")
    page.fill("#body", "请填写附表，经机关党委审核后上传。")
    page.fill("#due_on", due.isoformat())
    page.check("#file_required")
    page.check("input[name=scope][value=chosen]")
    assert page.is_visible("#scope-chosen")
    page.select_option("#tenant_ids", label="市财政局")
    page.set_input_files("#notice_files", files=[{"name": "换届统计通知.pdf", "mimeType": "application/pdf",
                                                   "buffer": PDF}])
    page.set_input_files("#form_files", files=[{"name": "换届情况统计表.xlsx", "buffer": _xlsx(),
                                                 "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    page.click("#task-form button[type=submit]")
    assert "任务已下发至 1 个单位" in page.content()
    assert page.inner_text("[data-count=unread] .badge") == "1"
    log_out(page)

    # 2. The bureau's editor follows the notification, signs, fills the form and submits.
    log_in(page, live_server, bureau_a.editor.username)
    assert page.inner_text("#nav-unread").startswith("1")
    page.click("#nav-notifications")
    page.click("#notification-list form[action$='/open'] button")
    assert "填报基层党组织按期换届情况统计表" in page.inner_text("#task-title")
    with page.expect_download() as download:
        page.click("#task-files >> text=换届情况统计表.xlsx")
    assert download.value.suggested_filename == "换届情况统计表.xlsx"
    page.click("#sign-form button")
    assert "已签收" in page.content()
    page.fill("#answer-form #text", "已填写统计表。")
    page.click("#answer-form button[type=submit]")
    assert "此任务要求上传文件" in page.content()  # a file is required: refused with a message
    page.fill("#answer-form #text", "已填写统计表。")
    page.set_input_files("#answer-form #files", files=[{"name": "财政局换届统计表.xlsx", "buffer": _xlsx(),
                                                         "mimeType": "application/octet-stream"}])
    page.click("#answer-form button[type=submit]")
    assert "已提交市委审核" in page.content() and "财政局换届统计表.xlsx" in page.content()
    log_out(page)

    # 3. The city returns it with a reason.
    log_in(page, live_server, "city")
    page.click("#nav-notifications")
    page.click("#notification-list form[action$='/open'] button")
    assert "财政局换届统计表.xlsx" in page.content()
    page.click("#review-form #send_back")
    assert "请填写退回原因" in page.content()
    page.fill("#review-form #reason", "“上次换届时间”未填写，请补充后重新报送。")
    page.click("#review-form #send_back")
    assert "报送已退回单位" in page.content()
    assert page.inner_text("[data-count=returned] .badge") == "1"
    log_out(page)

    # 4. The bureau sees why, and resubmits.
    log_in(page, live_server, bureau_a.editor.username)
    page.click("#nav-tasks")
    page.click("#task-list >> text=填报基层党组织按期换届情况统计表")
    assert "“上次换届时间”未填写" in page.inner_text("#return-reason")
    page.fill("#answer-form #text", "已补充上次换届时间。")
    page.set_input_files("#answer-form #files", files=[{"name": "换届统计表（修改）.xlsx", "buffer": _xlsx(),
                                                         "mimeType": "application/octet-stream"}])
    page.click("#answer-form button[type=submit]")
    assert "已提交市委审核" in page.content()
    assert page.locator(".answer-round").count() == 2
    log_out(page)

    # 5. The city accepts it; the board says so, and the bureau is told.
    log_in(page, live_server, "city")
    page.click("#nav-tasks")
    page.click("#city-task-list >> text=填报基层党组织按期换届情况统计表")
    page.click("#board >> text=审核报送")
    page.click("#review-form #accept")
    assert "报送已通过" in page.content()
    assert page.inner_text("[data-count=accepted] .badge") == "1"
    assert page.locator("#board tr[data-bureau]").count() == 1  # 市教育局 was not chosen
    log_out(page)
    log_in(page, live_server, bureau_a.editor.username)
    page.click("#nav-notifications")
    assert "报送已通过" in page.content()
    # The two refused forms answered 400 on purpose; nothing else went wrong in the page.
    assert [e for e in errors if "status of 400" not in e] == []
