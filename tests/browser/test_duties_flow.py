"""Issue 3's acceptance in a real browser: a bureau admin creates the year's list from the
city template, assigns an owner, records progress with a PDF, and sees status and
completion change."""
from __future__ import annotations

import re

from app.duties import catalog
from app.duties import services as duties
from tests.helpers import log_in, pdf_bytes


def test_list_from_template_owner_record_with_pdf(live_server, page, bureau_a, tmp_path):
    year = duties.today().year
    catalog.ensure_default_published(year)
    log_in(page, live_server, bureau_a.admin.username)
    base = f"{live_server}/b/{bureau_a.slug}/duties"

    page.goto(f"{base}/people")
    page.fill("#name", "王建国")
    page.fill("#post", "党组书记、局长")
    page.select_option("#kind", "secretary")
    page.click("#submit")
    assert "王建国" in page.content()

    page.goto(f"{base}/new")
    page.click("#submit")
    assert re.search(rf"/duties/\d+$", page.url), page.url
    list_url = page.url
    assert f"{year}" in page.inner_text("h1")

    first_item = page.locator("a[href*='/duties/items/']").first
    first_item.click()
    item_url = page.url
    page.goto(item_url + "/edit")
    owner = page.locator("#owner_id option", has_text="王建国").get_attribute("value")
    page.select_option("#owner_id", owner)
    page.fill("#due_date", f"{year}-12-31")
    page.click("#submit")
    page.goto(item_url)
    assert "王建国" in page.content()
    status_before = page.locator("main .card-body .badge").first.inner_text()
    assert status_before == "未开始"

    evidence = tmp_path / "会议纪要.pdf"
    evidence.write_bytes(pdf_bytes("纪要"))
    page.fill("#occurred_on", duties.today().isoformat())
    page.fill("#summary", "召开党组会议，研究部署机关党建重点工作")
    page.set_input_files("#files", str(evidence))
    page.click("#submit")
    assert "会议纪要.pdf" in page.content()
    status_after = page.locator("main .card-body .badge").first.inner_text()
    assert status_after != status_before and status_after in ("推进中", "已完成")

    # the evidence downloads through the authorised view, as an attachment
    link = page.locator("a", has_text="会议纪要.pdf").first.get_attribute("href")
    response = page.request.get(f"{live_server}{link}")
    assert response.status == 200 and response.body().startswith(b"%PDF")
    assert "attachment" in response.headers["content-disposition"]

    # the list shows the item's new status too
    page.goto(list_url)
    assert status_after in page.content()
