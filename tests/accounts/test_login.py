"""Log-in, sessions, passwords, rate limits, CSRF and security headers."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import services as accounts
from app.audit.models import CatalogAuditEvent
from app.errors import ValidationError
from app.extensions import db
from tests.helpers import PASSWORD, csrf_token_from, login, make_app


def test_login_page_is_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page and "用户名" in page


def test_good_login_lands_on_the_users_bureau(client, bureau_a):
    response = login(client, bureau_a.admin.username)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/b/{bureau_a.slug}/")
    assert "市财政局" in client.get(f"/b/{bureau_a.slug}/").get_data(as_text=True)


def test_city_users_land_on_the_city(client, city_admin):
    assert login(client, "city").headers["Location"].endswith("/city/")


def test_bad_password_and_unknown_user_look_the_same(client, bureau_a):
    wrong = login(client, bureau_a.admin.username, "wrong-password-123")
    unknown = login(client, "nobody-here", "wrong-password-123")
    assert wrong.status_code == unknown.status_code == 200
    assert "用户名或密码不正确" in wrong.get_data(as_text=True)
    assert "用户名或密码不正确" in unknown.get_data(as_text=True)


def test_open_redirect_is_refused(client, bureau_a):
    response = client.post("/login", data={"username": bureau_a.admin.username, "password": PASSWORD,
                                           "next": "https://evil.example/"})
    assert response.headers["Location"].endswith(f"/b/{bureau_a.slug}/")
    client.post("/logout")
    response = client.post("/login", data={"username": bureau_a.admin.username, "password": PASSWORD,
                                           "next": f"/b/{bureau_a.slug}/users"})
    assert response.headers["Location"].endswith(f"/b/{bureau_a.slug}/users")


def test_disabled_users_cannot_log_in(client, city_admin, bureau_a):
    accounts.set_active(bureau_a.viewer, False, actor=city_admin)
    assert login(client, bureau_a.viewer.username).status_code == 200


def test_the_eleventh_bad_login_in_a_minute_is_blocked_per_account(client, bureau_a):
    for attempt in range(10):
        assert login(client, bureau_a.admin.username, f"wrong-{attempt}-password").status_code == 200
    assert login(client, bureau_a.admin.username, "wrong-again-password").status_code == 429
    # even the right password is refused while the account is throttled
    assert login(client, bureau_a.admin.username).status_code == 429


def test_bad_logins_are_limited_per_ip_across_accounts(client, bureau_a):
    for attempt in range(10):
        assert login(client, f"guess-{attempt}", "wrong-password-1").status_code == 200
    assert login(client, "guess-11", "wrong-password-1").status_code == 429


def test_successful_logins_do_not_count(client, bureau_a):
    for _ in range(12):
        assert login(client, bureau_a.admin.username).status_code == 302
        client.post("/logout")


def test_session_is_rotated_at_login(client, bureau_a):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, bureau_a.admin.username)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_password_change_logs_out_other_sessions(app, bureau_a):
    first, second = app.test_client(), app.test_client()
    login(first, bureau_a.editor.username)
    login(second, bureau_a.editor.username)
    response = first.post("/account/password", data={"current_password": PASSWORD,
                                                     "new_password": "A-brand-new-secret", "confirm": "A-brand-new-secret"})
    assert response.status_code == 302
    assert first.get(f"/b/{bureau_a.slug}/").status_code == 200  # this session stays
    assert second.get(f"/b/{bureau_a.slug}/").status_code == 302  # the other one is gone
    assert login(app.test_client(), bureau_a.editor.username, "A-brand-new-secret").status_code == 302


def test_logout_ends_every_session(app, bureau_a):
    first, second = app.test_client(), app.test_client()
    login(first, bureau_a.editor.username)
    login(second, bureau_a.editor.username)
    first.post("/logout")
    assert first.get(f"/b/{bureau_a.slug}/").status_code == 302
    assert second.get(f"/b/{bureau_a.slug}/").status_code == 302


def test_password_rules_are_explained(client, bureau_a):
    login(client, bureau_a.editor.username)
    page = client.post("/account/password", data={"current_password": "wrong-one-xx", "new_password": "short",
                                                  "confirm": "short"}).get_data(as_text=True)
    assert "当前密码不正确" in page and "至少 10 个字符" in page
    with pytest.raises(ValidationError):
        accounts.create_user("new-user", "新用户", "new-user")


def test_passwords_are_scrypt_hashes(app, bureau_a):
    assert bureau_a.admin.password_hash.startswith("scrypt:")
    assert PASSWORD not in bureau_a.admin.password_hash


def test_logins_are_audited(client, bureau_a):
    login(client, bureau_a.admin.username)
    actions = db.session.scalars(select(CatalogAuditEvent.action)).all()
    assert "user.login" in actions


def test_post_without_csrf_token_is_rejected(tmp_path, postgres_database, monkeypatch):
    from app.tenancy.migrations import upgrade_catalog

    app = make_app(tmp_path, postgres_database, WTF_CSRF_ENABLED=True)
    with app.app_context():
        upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
        accounts.create_user("city", "工委", PASSWORD, role="city_admin")
        client = app.test_client()
        assert client.post("/login", data={"username": "city", "password": PASSWORD}).status_code == 400
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"username": "city", "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        assert client.post("/city/bureaus", data={"name": "x", "slug": "xx"}).status_code == 400
        assert client.post("/logout").status_code == 400
        db.session.remove()
        app.extensions["zeren.tenant_store"].dispose_all()
        db.engine.dispose()


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_have_no_inline_script_and_only_local_assets(client, bureau_a):
    import re

    login(client, bureau_a.admin.username)
    for url in ("/login", f"/b/{bureau_a.slug}/", f"/b/{bureau_a.slug}/users"):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert not re.search(r"""(src|href)=["']https?://""", page), url
        for asset in re.findall(r"""(?:src|href)=["'](/(?:static|bootstrap)[^"']+)""", page):
            assert client.get(asset).status_code == 200, asset


def test_language_can_be_switched_to_english(client):
    client.post("/language/en", data={"next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)
    client.post("/language/zh_Hans", data={"next": "/login"})
    assert "登录" in client.get("/login").get_data(as_text=True)
