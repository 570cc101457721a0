"""Two-factor enrolment and a locked-out user, in the browser (issue 17)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pyotp

from app.accounts import services as accounts
from tests.helpers import PASSWORD, log_in

# Screenshots for a person to look at (ZEREN_SCREENSHOTS=<folder>); none by default.
SHOTS = os.environ.get("ZEREN_TEST_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_a_bureau_admin_enrols_in_two_factor_log_in_and_logs_in_with_a_code(live_server, page, app, bureau_a):
    app.config["TWO_FACTOR"] = "required-for-admins"
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, bureau_a.admin.username)
    # Held on the enrolment page, whatever page is asked for.
    assert page.url.endswith("/account/two-factor")
    page.goto(f"{live_server}/b/{bureau_a.slug}/users")
    assert page.url.endswith("/account/two-factor") and "必须使用双因素登录" in page.inner_text("main")
    assert page.locator("#qr-code svg").count() == 1
    _shot(page, "enrol")
    secret = page.inner_text("#totp-secret").strip()
    page.fill("#code", "000000")
    page.click("#submit")
    page.get_by_text("不是应用当前显示的验证码").first.wait_for()  # the click returns when the post starts
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("#submit")
    page.locator("#recovery-codes li").nth(9).wait_for()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    _shot(page, "recovery-codes")
    page.click("#codes-done")
    assert page.url.endswith(f"/b/{bureau_a.slug}/")
    page.click("text=退出")

    log_in(page, live_server, bureau_a.admin.username)
    assert page.url.endswith("/login/code")
    _shot(page, "login-code")
    page.fill("#code", codes[0])
    page.click("#submit")
    assert page.url.endswith(f"/b/{bureau_a.slug}/") and "上次登录" in page.content()
    assert not [e for e in errors if "Content Security Policy" in e]


def test_a_locked_out_user_is_told_when_to_try_again_and_is_unlocked(live_server, page, app, bureau_a):
    accounts.create_user("sec-admin", "安全管理员", PASSWORD, role="security_admin")
    for _ in range(5):
        log_in(page, live_server, bureau_a.editor.username, "Not-the-password-1")
    text = page.inner_text("main")
    assert "账号已锁定" in text and re.search(r"请在 \d{4}-\d\d-\d\d \d\d:\d\d 之后再试", text)
    log_in(page, live_server, bureau_a.editor.username)  # the right password: still locked
    assert page.url.endswith("/login") and "账号已锁定" in page.inner_text("main")
    _shot(page, "locked")

    log_in(page, live_server, "sec-admin")
    assert page.url.endswith("/security")
    row = page.locator("#locked-table tr", has_text=bureau_a.editor.username)
    _shot(page, "security")
    row.locator("button", has_text="解锁").click()
    assert f"已解锁 {bureau_a.editor.username}" in page.content()
    page.click("text=退出")
    log_in(page, live_server, bureau_a.editor.username)
    assert page.url.endswith(f"/b/{bureau_a.slug}/")
