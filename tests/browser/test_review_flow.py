"""Acceptance of issue 11 (items 6 and 13) in the browser: the city reviews a submitted
score sheet in one path, at 1366×768 and at 390×844.

The assessor enters the review team's scores and the ballot, keeps the totals in view
while scrolling (the sticky summary), sees a typing mistake and an out-of-range score
marked at once in Chinese, presses "保存并完成考核…", reads on the confirmation page what
finalising does with the figures it will fix, confirms once, and lands on the final
result.  The evidence the bureau linked is shown with each indicator.
"""
from __future__ import annotations

import pytest

from app.core.actor import Actor
from app.scoring import services
from tests.helpers import EXAMPLE_SCORES, YEAR, log_in, sheet_of, start_and_fill

SIZES = {"desktop": (1366, 768), "phone": (390, 844)}


def _fill_review(page, body: dict, scores: dict) -> None:
    """Type the review team's scores into the form as a clerk would."""
    for index, (_dimension, indicator) in enumerate(services.indicators_of(body)):
        stem, value = f"i{index}", scores.get(indicator["code"])
        if indicator["method"] == "deduct":
            for r_index, rule in enumerate(indicator["rules"]):
                page.fill(f"[name={stem}_r{r_index}]", str((value or {}).get(rule["code"], 0)))
            if value is not None and not page.is_checked(f"[name={stem}_ok]"):
                page.check(f"[name={stem}_ok]")
        elif indicator["method"] == "levels":
            page.select_option(f"[name={stem}]", value or "")
        else:
            page.fill(f"[name={stem}]", "" if value is None else str(value))


@pytest.fixture
def assigned(app, city_admin, bureau_a):
    """The example annual sheet, published for 2026 and assigned to bureau A."""
    city = Actor.city(city_admin)
    template = services.create_from_body(YEAR, services.example_body(), actor=city, how="测试")
    template = services.publish(template, version=template.version, actor=city)
    services.set_assignments(template, [bureau_a.tenant.id], actor=city)
    return template


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_city_reviews_and_finalises_in_one_path(live_server, page, app, client, city_admin, bureau_a,
                                                    assigned, size, tmp_path):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    start_and_fill(client, bureau_a, submit=True)
    body = sheet_of(bureau_a.tenant).template_body
    base = f"{live_server}/b/{bureau_a.slug}/scoring/{YEAR}"

    log_in(page, live_server, "city")
    page.goto(f"{base}/review")
    assert "已提交自评" in page.inner_text("h1")
    summary = page.locator("#review-summary")
    assert "评分中 0/15" in summary.inner_text()

    # The ballot first (its own small form), then the scores.
    labels = [level["label"] for level in body["ballot_levels"]]
    for index, label in enumerate(labels):
        page.fill(f"#v{index}", str(EXAMPLE_SCORES["ballot"].get(label, 0)))
    page.click("#ballot button[type=submit], #ballot input[type=submit]")
    assert "测评结果已保存" in page.content() or "已保存" in page.content()

    # Two mistakes: a score typed in words and one out of range; both are marked.
    wrong = dict(EXAMPLE_SCORES["reviewer"], SX1="六", ZJ3="9")
    _fill_review(page, body, wrong)
    page.click("#review-form button[name=finish]")
    page.wait_for_load_state()
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "请填写数值，如 7 或 7.5（最多两位小数）。" in text and "得分 9 超出 0 到 6 的范围" in text
    assert "outside" not in text and "reviewer." not in text
    assert page.locator(".is-invalid").count() >= 2
    assert page.input_value("[name=i3]") == "六"  # what was typed is kept
    page.screenshot(path=str(tmp_path / f"review-mistakes-{size}.png"), full_page=False)

    # Corrected; the totals stay in view at the foot of the sheet.
    _fill_review(page, body, EXAMPLE_SCORES["reviewer"])
    page.evaluate("window.scrollTo(0, document.body.scrollHeight * 0.6)")
    box = summary.bounding_box()
    assert box is not None and 0 <= box["y"] < 5 and box["height"] < height * 0.3, box
    finish = page.locator("#review-summary button[name=finish]")
    assert finish.is_visible()
    finish.click()
    page.wait_for_selector("#finish-summary")
    assert page.url.split("#")[0] == f"{base}/review/finish"

    # The confirmation states what will happen, with the figures it fixes.
    confirm = page.inner_text("#finish-summary")
    composite = page.inner_text("[data-figure='finish.composite']")
    grade = page.inner_text("[data-figure='finish.grade']")
    assert composite and grade and f"考核结果（{composite}分，{grade}）随即确定" in confirm
    assert "评分表锁定" in confirm and "市财政局可以看到考核结果" in confirm and "重新打开" in confirm
    assert sheet_of(bureau_a.tenant).status == "self_submitted"  # nothing concluded before the confirmation
    page.screenshot(path=str(tmp_path / f"review-confirm-{size}.png"), full_page=False)
    page.click("#finish-form button[type=submit]")
    page.wait_for_selector("[data-figure='composite']")
    assert page.url.split("#")[0] == f"{base}/result"
    assert "考核结果已确定" in page.content() or "结果已锁定" in page.content()
    sheet = sheet_of(bureau_a.tenant)
    assert sheet.status == "final"
    assert page.inner_text("[data-figure='composite']") == composite
    assert not errors, errors
