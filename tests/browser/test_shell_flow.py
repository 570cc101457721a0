"""A city admin creates a bureau in the browser; its admin logs in and manages users."""
from __future__ import annotations

from tests.helpers import log_in


def test_city_admin_creates_a_bureau_and_its_admin_takes_over(live_server, page, city_admin, bureau_b):
    log_in(page, live_server, "city")
    page.click("text=单位管理")
    page.fill("#name", "市统计局")
    page.fill("#slug", "tjj")
    page.select_option("#category", "general")
    page.fill("#admin_username", "tjj-admin")
    page.fill("#admin_display_name", "赵统计")
    page.fill("#admin_password", "tongji-2026-pass")
    page.click("#submit")
    assert "已创建单位“市统计局”" in page.content()
    page.click("text=退出")

    log_in(page, live_server, "tjj-admin", "tongji-2026-pass")
    # the city chose that password: it is one-time, and the new admin chooses their own first
    assert page.url.endswith("/account/password") and "只能使用一次" in page.content()
    page.fill("#current_password", "tongji-2026-pass")
    page.fill("#new_password", "Zhao-own-pass-2026")
    page.fill("#confirm", "Zhao-own-pass-2026")
    page.click("#submit")
    assert page.url.endswith("/b/tjj/")
    assert "市统计局" in page.inner_text("nav")
    page.click("nav >> text=用户管理")
    page.fill("#username", "tjj-liaison")
    page.fill("#display_name", "孙联络")
    page.select_option("#role", "bureau_editor")
    page.fill("#password", "liaison-pass-2026")
    page.click("#submit")
    assert "已添加用户 tjj-liaison" in page.content()
    # another bureau's pages do not exist for this admin
    response = page.goto(f"{live_server}/b/{bureau_b.slug}/")
    assert response.status == 404 and "页面不存在" in page.content()


def test_the_page_runs_no_blocked_script(live_server, page, bureau_b):
    """The CSP would block inline script: the console must stay free of CSP errors."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, bureau_b.admin.username)
    page.goto(f"{live_server}/b/{bureau_b.slug}/users")
    assert not [e for e in errors if "Content Security Policy" in e]
    with page.expect_navigation():  # the switch posts, then returns to this page
        page.click("text=English")
    assert "Users of" in page.content()
