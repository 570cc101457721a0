"""The reports page in a browser: a click shows the progress line, then saves the PDF
under the server's file name; no script is blocked by the CSP."""
from __future__ import annotations

import re

from tests.helpers import log_in


def test_download_shows_progress_and_saves_the_pdf(live_server, page, bureau_a, tmp_path):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, bureau_a.admin.username)
    page.click("nav >> text=报告")
    # The click returns once the page starts loading; a link clicked before reports.js ran
    # is followed as a plain link (the PDF opens in the tab: no download, which under CI's
    # load made this test fail).
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/b/{bureau_a.slug}/reports/")
    row = page.locator("[data-report-row]").first
    with page.expect_download(timeout=60_000) as download:
        row.locator("a[data-report]").click()
    saved = tmp_path / "report.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename.endswith(".pdf") and "市财政局" in download.value.suggested_filename
    assert saved.read_bytes()[:5] == b"%PDF-"
    status = row.locator(".report-progress")
    status.wait_for(state="visible")
    page.wait_for_function("el => el.textContent.indexOf('已生成') >= 0", arg=status.element_handle())
    # The seconds are a number, not the placeholder or Jinja's empty variables ("{}").
    assert re.search(r"已生成（用时\d+\.\d秒）", status.text_content()), status.text_content()
    assert not [e for e in errors if "Content Security Policy" in e]
