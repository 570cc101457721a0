"""Issue 17's identity rules: lockout, two factors, session limits, password history and
expiry, the last log-in, demo accounts in production, and 三员分立."""
from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import RecoveryCode, User
from app.audit.models import CatalogAuditEvent
from app.core import clock
from app.core.actor import Actor
from app.errors import ValidationError
from app.extensions import db
from tests.helpers import PASSWORD, login

ROOT = Path(__file__).resolve().parents[2]
SYSTEM = Actor.system()


def _user(name: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == name))


def _actions(*names: str) -> list[str]:
    return list(db.session.scalars(select(CatalogAuditEvent.action).where(CatalogAuditEvent.action.in_(names))
                                   .order_by(CatalogAuditEvent.id)))


@pytest.fixture
def frozen(monkeypatch):
    """A clock the test moves: ``frozen.move(minutes=…)``."""
    class Clock:
        moment = datetime(2026, 12, 4, 2, 0, tzinfo=timezone.utc)

        def move(self, **delta):
            self.moment += timedelta(**delta)

    state = Clock()
    monkeypatch.setattr(clock, "now", lambda: state.moment)
    return state


@pytest.fixture
def security_admin(app):
    user = accounts.create_user("sec-admin", "安全管理员", PASSWORD, role="security_admin")
    return user


# -- lockout ---------------------------------------------------------------------------
def test_five_failures_lock_the_account_and_say_until_when(client, bureau_a, frozen):
    name = bureau_a.admin.username
    for _ in range(4):
        assert "用户名或密码不正确" in login(client, name, "Wrong-password-1").get_data(as_text=True)
    page = login(client, name, "Wrong-password-1").get_data(as_text=True)
    assert "账号已锁定" in page and "10:15" in page  # 02:00 UTC + 15 minutes, in Beijing time
    # The right password does not open a locked account.
    assert login(client, name).status_code == 200
    assert _user(name).locked_until is not None
    assert _actions("user.login_failed", "user.lockout").count("user.lockout") == 1
    frozen.move(minutes=16)
    assert login(client, name).status_code == 302
    assert _user(name).failed_logins == 0


def test_an_unknown_name_is_locked_alike(client, app):
    # Counted in the limiter's storage, which keeps real time: the clock is not frozen here.
    answers = [login(client, "nobody-at-all", "Wrong-password-1").get_data(as_text=True) for _ in range(6)]
    assert all("用户名或密码不正确" in a for a in answers[:4])
    assert "账号已锁定" in answers[4] and "账号已锁定" in answers[5]
    assert re.search(r"请在 \d{4}-\d\d-\d\d \d\d:\d\d 之后再试", answers[4])


def test_the_lock_holds_across_processes(app, bureau_a):
    """Two failures here, three in another process on the same database: locked here."""
    name = bureau_a.admin.username
    for _ in range(2):
        assert accounts.authenticate(name, "Wrong-password-1") is None
    db.session.commit()
    script = textwrap.dedent(f"""
        from app import create_app
        from app.config import TestConfig
        settings = {{"TENANTS_DIR": {app.config["TENANTS_DIR"]!r}, "DATABASE_URL": {app.config["DATABASE_URL"]!r},
                    "TENANT_SERVERS": "", "REDIS_URL": None,
                    "PG_PREPARED_STATEMENTS": {app.config.get("PG_PREPARED_STATEMENTS", True)!r}}}
        other = create_app(type("Other", (TestConfig,), settings))
        with other.app_context():
            from app.accounts import services
            for _ in range(3):
                assert services.authenticate({name!r}, "Wrong-password-1") is None
            print(services.lock_ends({name!r}) is not None)
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEREN_") or k.startswith("ZEREN_TEST")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("True")
    db.session.expire_all()
    assert accounts.lock_ends(name) is not None
    assert accounts.authenticate(name, PASSWORD) is None  # locked here too, right password or not


def test_the_security_administrator_unlocks_on_the_page(client, bureau_a, security_admin):
    name = bureau_a.admin.username
    for _ in range(5):
        login(client, name, "Wrong-password-1")
    user = _user(name)
    assert accounts.lock_ends(name) is not None
    login(client, "sec-admin")
    page = client.get("/security").get_data(as_text=True)
    assert name in page and "已锁定的账号" in page
    assert client.post(f"/security/users/{user.id}/unlock").status_code == 303
    db.session.expire_all()
    assert accounts.lock_ends(name) is None
    assert "user.unlock" in _actions("user.unlock")


def test_flask_accounts_unlock(app, bureau_a):
    name = bureau_a.admin.username
    for _ in range(5):
        accounts.authenticate(name, "Wrong-password-1")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["accounts", "unlock", name])
    assert result.exit_code == 0, result.output
    assert accounts.lock_ends(name) is None
    assert app.test_cli_runner().invoke(args=["accounts", "unlock", "no-such-user"]).exit_code == 1


def test_the_lockout_settings_override_the_configuration(client, app, bureau_a, security_admin):
    login(client, "sec-admin")
    response = client.post("/security/settings", data={"lockout_attempts": "3", "lockout_minutes": "60",
                                                       "idle_minutes": "", "two_factor": ""})
    assert response.status_code == 303
    client.post("/logout")
    for _ in range(3):
        login(client, bureau_a.editor.username, "Wrong-password-1")
    db.session.expire_all()
    until = accounts.lock_ends(bureau_a.editor.username)
    assert until is not None and until - clock.now() > timedelta(minutes=55)


@pytest.mark.parametrize("field,value", [("lockout_attempts", "-1"), ("lockout_attempts", "五"),
                                         ("lockout_minutes", "99999999999999999999"), ("idle_minutes", "1e3"),
                                         ("idle_minutes", "\x00"), ("two_factor", "<script>"),
                                         ("lockout_attempts", "２"), ("lockout_minutes", "0")])
def test_the_settings_form_refuses_hostile_input_with_a_message(client, security_admin, field, value):
    login(client, "sec-admin")
    data = {"lockout_attempts": "", "lockout_minutes": "", "idle_minutes": "", "two_factor": "", field: value}
    response = client.post("/security/settings", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请输入" in page or "请从列表中选择" in page


def test_every_settings_error_at_once(app, security_admin):
    with pytest.raises(ValidationError) as caught:
        accounts.save_security_settings({"lockout_attempts": "1", "lockout_minutes": "x", "idle_minutes": "1",
                                         "two_factor": "sometimes"}, actor=SYSTEM)
    assert set(caught.value.errors) == {"lockout_attempts", "lockout_minutes", "idle_minutes", "two_factor"}


# -- two factors -----------------------------------------------------------------------
def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    wrong = client.post("/account/two-factor", data={"code": "000000"}).get_data(as_text=True)
    assert "不是应用当前显示的验证码" in wrong
    done = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).at(clock.now())}).get_data(as_text=True)
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done)
    assert len(codes) == 10
    return secret, codes


def test_an_admin_must_enrol_before_any_page_and_then_logs_in_with_a_code(client, app, bureau_a, frozen):
    app.config["TWO_FACTOR"] = "required-for-admins"
    response = login(client, bureau_a.admin.username)
    assert response.status_code == 302
    for url in (f"/b/{bureau_a.slug}/", f"/b/{bureau_a.slug}/users", "/account/two-factor/recovery-codes"):
        assert client.get(url).headers.get("Location", "").endswith("/account/two-factor"), url
    secret, codes = _enrol(client)
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 200
    client.post("/logout")
    frozen.move(seconds=60)
    step = login(client, bureau_a.admin.username)
    assert step.status_code == 303 and step.headers["Location"].endswith("/login/code")
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 302  # not logged in yet
    code = pyotp.TOTP(secret).at(clock.now())
    assert client.post("/login/code", data={"code": code}).status_code == 302
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 200
    # The same code cannot log in a second time.
    client.post("/logout")
    login(client, bureau_a.admin.username)
    assert "验证码不正确或已使用过" in client.post("/login/code", data={"code": code}).get_data(as_text=True)


def test_an_editor_is_not_made_to_enrol(client, app, bureau_a):
    app.config["TWO_FACTOR"] = "required-for-admins"
    login(client, bureau_a.editor.username)
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 200


def test_a_recovery_code_logs_in_once(client, app, bureau_a):
    app.config["TWO_FACTOR"] = "optional"
    login(client, bureau_a.editor.username)
    _secret, codes = _enrol(client)
    client.post("/logout")
    login(client, bureau_a.editor.username)
    assert client.post("/login/code", data={"code": codes[3].upper().replace("-", " ")}).status_code == 302
    client.post("/logout")
    login(client, bureau_a.editor.username)
    assert client.post("/login/code", data={"code": codes[3]}).status_code == 200
    user = _user(bureau_a.editor.username)
    used = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                         RecoveryCode.used_at.is_not(None))).all()
    assert len(used) == 1 and codes[3] not in used[0].code_hash  # only the hash is kept
    assert "user.two_factor.recovery_used" in _actions("user.two_factor.recovery_used")


def test_wrong_codes_count_towards_the_lock(client, app, bureau_a):
    app.config["TWO_FACTOR"] = "optional"
    login(client, bureau_a.editor.username)
    _enrol(client)
    client.post("/logout")
    login(client, bureau_a.editor.username)
    for _ in range(4):
        assert client.post("/login/code", data={"code": "123456"}).status_code == 200
    locked = client.post("/login/code", data={"code": "123456"}, follow_redirects=True).get_data(as_text=True)
    assert "账号已锁定" in locked


@pytest.mark.parametrize("code", ["", " " * 50, "\x00\x00", "1" * 41, "<b>x</b>", "１２３４５６", "99999999999"])
def test_hostile_codes_are_refused_with_a_message(client, app, bureau_a, code):
    app.config["TWO_FACTOR"] = "optional"
    login(client, bureau_a.editor.username)
    page = client.post("/account/two-factor", data={"code": code}).get_data(as_text=True)
    assert page.count('class="invalid-feedback') >= 1 or "验证码" in page
    assert _user(bureau_a.editor.username).totp_secret is None


def test_the_security_administrator_resets_two_factor(client, app, bureau_a, security_admin):
    app.config["TWO_FACTOR"] = "optional"
    login(client, bureau_a.editor.username)
    _enrol(client)
    client.post("/logout")
    user = _user(bureau_a.editor.username)
    login(client, "sec-admin")
    assert bureau_a.editor.username in client.get("/security").get_data(as_text=True)
    assert client.post(f"/security/users/{user.id}/two-factor/reset").status_code == 303
    assert not _user(bureau_a.editor.username).has_two_factor
    assert "user.two_factor.reset" in _actions("user.two_factor.reset")
    assert client.post("/security/users/999999/two-factor/reset").status_code == 404


def test_the_code_step_needs_a_fresh_password_step(client, app, bureau_a):
    assert client.get("/login/code").status_code == 302
    with client.session_transaction() as session:
        session["pending_login"] = {"user": "1; drop", "token": None}
    assert client.post("/login/code", data={"code": "123456"}).status_code == 302


# -- sessions --------------------------------------------------------------------------
def test_an_idle_session_ends_and_the_login_page_says_why(client, bureau_a, frozen):
    login(client, bureau_a.editor.username)
    frozen.move(minutes=29)
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 200
    frozen.move(minutes=29)
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 200  # activity kept it alive
    frozen.move(minutes=31)
    response = client.get(f"/b/{bureau_a.slug}/")
    assert response.status_code == 303 and "reason=idle" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "30 分钟没有操作" in page
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 302  # logged out
    assert "user.idle" in _actions("user.idle")


def test_a_log_in_ends_after_its_lifetime_however_busy(client, bureau_a, frozen):
    login(client, bureau_a.editor.username)
    for _ in range(12 * 3 + 1):
        frozen.move(minutes=20)
        response = client.get(f"/b/{bureau_a.slug}/")
        if response.status_code != 200:
            break
    assert response.status_code == 303 and "reason=expired" in response.headers["Location"]
    assert "12 小时" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_last_log_in_is_shown(client, bureau_a, frozen):
    login(client, bureau_a.editor.username)
    client.post("/logout")
    frozen.move(hours=3)
    page = login(client, bureau_a.editor.username, follow=True).get_data(as_text=True)
    assert "上次登录：2026-12-04 10:00 来自 127.0.0.1" in page


# -- passwords ---------------------------------------------------------------------------
def test_the_last_five_passwords_are_refused(app, bureau_a):
    user = _user(bureau_a.editor.username)
    passwords = [PASSWORD] + [f"Another-pass-{n}x" for n in range(5)]
    for old, new in zip(passwords, passwords[1:]):
        accounts.change_password(user, old, new)
    current = passwords[-1]
    for recent in passwords[-5:-1]:
        with pytest.raises(ValidationError) as caught:
            accounts.change_password(user, current, recent)
        assert "最近" in " ".join(caught.value.errors["new_password"]) or "不同" in " ".join(
            caught.value.errors["new_password"])
    accounts.change_password(user, current, PASSWORD)  # six passwords ago: allowed again


def test_an_expired_password_must_be_changed_after_log_in(client, app, bureau_a, frozen):
    app.config["PASSWORD_MAX_AGE_DAYS"] = 90
    user = _user(bureau_a.editor.username)
    user.password_changed_at = clock.now() - timedelta(days=91)
    db.session.commit()
    login(client, bureau_a.editor.username)
    response = client.get(f"/b/{bureau_a.slug}/")
    assert response.headers["Location"].endswith("/account/password")
    assert "超过 90 天" in client.get("/account/password").get_data(as_text=True)
    client.post("/account/password", data={"current_password": PASSWORD, "new_password": "Fresh-password-2027",
                                           "confirm": "Fresh-password-2027"})
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 200


def test_demo_accounts_cannot_log_in_in_production(app, caplog):
    accounts.create_user("city", "演示", PASSWORD, role="city_admin", demo_account=True)
    assert accounts.authenticate("city", PASSWORD) is not None
    app.config["ENV_NAME"] = "production"
    with caplog.at_level(logging.WARNING):
        assert accounts.authenticate("city", PASSWORD) is None
    assert "demo account city refused" in caplog.text


# -- 三员分立 -------------------------------------------------------------------------------
def test_with_separation_no_account_holds_two_of_the_three(app, security_admin):
    app.config["SEPARATION_OF_DUTIES"] = True
    with pytest.raises(ValidationError) as caught:
        accounts.grant_role(security_admin, "audit_admin", actor=SYSTEM)
    assert "三员分立" in caught.value.errors["role"][0]
    other = accounts.create_user("sys-admin", "系统管理员", PASSWORD, role="system_admin")
    with pytest.raises(ValidationError):
        accounts.grant_role(other, "security_admin", actor=SYSTEM)
    with pytest.raises(ValidationError) as caught:
        accounts.grant_role(other, "city_admin", actor=SYSTEM)
    assert "市级管理员" in caught.value.errors["role"][0]
    app.config["SEPARATION_OF_DUTIES"] = False
    accounts.grant_role(other, "security_admin", actor=SYSTEM)  # allowed when off
    assert _user("sys-admin").admin_roles == {"system_admin", "security_admin"}


def test_separation_is_refused_on_the_page_and_the_command(client, app, security_admin):
    app.config["SEPARATION_OF_DUTIES"] = True
    accounts.create_user("auditor", "审计员", PASSWORD, role="audit_admin")
    login(client, "sec-admin")
    page = client.post("/security/roles", data={"username": "auditor", "role": "system_admin"})
    assert page.status_code == 422 and "三员分立" in page.get_data(as_text=True)
    page = client.post("/security/roles", data={"username": "ghost\x00", "role": "system_admin"})
    assert page.status_code == 422 and "没有这个用户" in page.get_data(as_text=True) or "用户" in page.get_data(
        as_text=True)
    result = app.test_cli_runner().invoke(args=["accounts", "grant-role", "auditor", "security_admin"])
    assert result.exit_code == 1 and "三员分立" in result.output


def test_each_administrator_reaches_only_their_work(client, app, city_admin):
    accounts.create_user("sec-admin", "安全", PASSWORD, role="security_admin")
    accounts.create_user("sys-admin", "系统", PASSWORD, role="system_admin")
    accounts.create_user("audit-admin", "审计", PASSWORD, role="audit_admin")
    app.config["SEPARATION_OF_DUTIES"] = True
    expectations = {"sec-admin": {"/security": 200, "/city/users": 403, "/city/": 404},
                    "sys-admin": {"/security": 403, "/city/users": 200},
                    "audit-admin": {"/security": 403, "/city/users": 403, "/city/": 404},
                    "city": {"/security": 403, "/city/users": 403, "/city/": 200}}
    for name, pages in expectations.items():
        login(client, name)
        for url, status in pages.items():
            assert client.get(url).status_code == status, (name, url)
        client.post("/logout")
    app.config["SEPARATION_OF_DUTIES"] = False
    login(client, "city")
    assert client.get("/security").status_code == 200 and client.get("/city/users").status_code == 200


def test_can_read_audit(app, city_admin):
    auditor = accounts.create_user("audit-admin", "审计", PASSWORD, role="audit_admin")
    admin = _user("city")
    assert accounts.can_read_audit(Actor.city(auditor)) and accounts.can_read_audit(admin)
    app.config["SEPARATION_OF_DUTIES"] = True
    assert accounts.can_read_audit(auditor) and not accounts.can_read_audit(Actor.city(admin))
    assert not accounts.can_read_audit(SYSTEM)


def test_grant_role_command(app, bureau_a):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["accounts", "grant-role", bureau_a.viewer.username, "audit_admin"]).exit_code == 0
    assert "audit_admin" in _user(bureau_a.viewer.username).admin_roles
    result = runner.invoke(args=["accounts", "grant-role", bureau_a.viewer.username, "bureau_admin",
                                 "--bureau", bureau_a.slug])
    assert result.exit_code == 0 and _user(bureau_a.viewer.username).bureau_role(bureau_a.tenant.id) == "bureau_admin"
    assert runner.invoke(args=["accounts", "grant-role", "nobody", "audit_admin"]).exit_code == 1
