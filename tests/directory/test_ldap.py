"""Log-in through the city's directory, against a real OpenLDAP server (slapd)."""
from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import pytest
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Membership, User
from app.audit.models import CatalogAuditEvent
from app.directory import ldap, services
from app.directory.models import DirectoryIdentity
from app.extensions import db
from tests.helpers import PASSWORD, login
from tests.support import slapd as directory
from tests.support.slapd import PEOPLE

DIRECTORY = "ldap"


def _password(uid: str) -> str:
    return PEOPLE[uid][1]


def _user(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _roles(user: User) -> set[str]:
    rows = db.session.execute(select(Membership.role, Membership.tenant_id).where(Membership.user_id == user.id))
    slugs = {None: None}
    from app.tenancy.models import Tenant

    slugs.update({t.id: t.slug for t in db.session.scalars(select(Tenant))})
    return {f"{role}@{slugs[tenant]}" if tenant else role for role, tenant in rows}


def _actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(CatalogAuditEvent).order_by(CatalogAuditEvent.id))]


def test_first_log_in_makes_the_account_with_the_directorys_name_and_roles(client, bureau_a):
    response = login(client, "LiNa", _password("lina"))  # the directory matches names without case
    assert response.status_code == 302 and response.headers["Location"].endswith("/b/bureau-a/")
    user = _user("lina")
    assert user.display_name == "李娜" and user.email == "lina@city.gov.cn" and not user.must_change_password
    assert _roles(user) == {"bureau_editor@bureau-a"}
    identity = db.session.scalar(select(DirectoryIdentity).where(DirectoryIdentity.user_id == user.id))
    assert identity.source == "ldap" and identity.dn == directory.person_dn("lina")
    assert identity.managed_roles == ["bureau_editor@bureau-a"]
    actions = _actions()
    assert {"user.create", "directory.link", "membership.grant", "directory.login", "user.login"} <= set(actions)
    assert "市财政局" in client.get("/b/bureau-a/").get_data(as_text=True)


def test_the_strongest_of_several_groups_wins_and_a_city_group_gives_the_city_role(client, bureau_a):
    assert login(client, "wangfang", _password("wangfang")).status_code == 302
    assert _roles(_user("wangfang")) == {"bureau_admin@bureau-a"}
    client.post("/logout")
    assert login(client, "zhangwei", _password("zhangwei")).headers["Location"].endswith("/city/")
    assert _roles(_user("zhangwei")) == {"city_admin"}


def test_a_person_in_no_mapped_group_gets_an_account_and_no_role(client, bureau_a):
    assert login(client, "liuyang", _password("liuyang")).status_code == 302
    assert _roles(_user("liuyang")) == set()


def test_the_directory_password_is_never_stored(app, client, bureau_a):
    login(client, "lina", _password("lina"))
    user = _user("lina")
    from werkzeug.security import check_password_hash

    assert not check_password_hash(user.password_hash, _password("lina"))
    texts = [json.dumps([e.summary, e.before, e.after], ensure_ascii=False)
             for e in db.session.scalars(select(CatalogAuditEvent))]
    assert not any(_password("lina") in text for text in texts)
    if app.config["DATABASE_URL"].startswith("sqlite"):
        db.session.remove()
        db.engine.dispose()
        path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
        assert _password("lina").encode() not in open(path, "rb").read()


def test_roles_follow_the_groups_on_each_log_in_and_hand_given_roles_stay(app, client, bureau_a, bureau_b):
    login(client, "lina", _password("lina"))
    user = _user("lina")
    accounts.grant_role(user, "bureau_viewer", tenant=bureau_b.tenant)  # given by hand
    client.post("/logout")
    # The directory now says: editor of bureau B instead of bureau A, and city viewer.
    app.config["LDAP_ROLE_MAP"] = json.dumps({directory.group_dn("jgswj-editors"): "city_viewer"})
    assert login(client, "lina", _password("lina")).status_code == 302
    assert _roles(_user("lina")) == {"city_viewer", "bureau_viewer@bureau-b"}
    revoked = db.session.scalars(select(CatalogAuditEvent).where(CatalogAuditEvent.action == "membership.revoke")).all()
    assert revoked and revoked[-1].tenant_slug == "bureau-a"
    client.post("/logout")
    app.config["LDAP_ROLE_MAP"] = "{}"
    login(client, "lina", _password("lina"))
    assert _roles(_user("lina")) == {"bureau_viewer@bureau-b"}


def test_a_role_changed_by_hand_is_not_the_directorys_to_take_back(app, client, bureau_a):
    login(client, "lina", _password("lina"))
    accounts.grant_role(_user("lina"), "bureau_admin", tenant=bureau_a.tenant)
    client.post("/logout")
    app.config["LDAP_ROLE_MAP"] = "{}"
    login(client, "lina", _password("lina"))
    assert _roles(_user("lina")) == {"bureau_admin@bureau-a"}


def test_unknown_roles_and_bureaus_in_the_map_are_skipped(app, client, bureau_a):
    app.config["LDAP_ROLE_MAP"] = json.dumps({directory.group_dn("jgswj-editors"): "bureau_editor@no-such-bureau",
                                              directory.group_dn("jgswj-admins"): "emperor"})
    assert login(client, "wangfang", _password("wangfang")).status_code == 302
    assert _roles(_user("wangfang")) == set()


def test_the_display_name_follows_the_directory(client, bureau_a):
    login(client, "lina", _password("lina"))
    user = _user("lina")
    user.display_name = "旧名字"
    db.session.commit()
    client.post("/logout")
    login(client, "lina", _password("lina"))
    assert _user("lina").display_name == "李娜"
    assert "user.display_name" in _actions()


def test_a_wrong_directory_password_is_refused_like_any_other(client, bureau_a):
    response = login(client, "lina", "Not-her-password-1")
    assert response.status_code == 200 and "用户名或密码不正确" in response.get_data(as_text=True)
    assert _user("lina") is None


def test_an_empty_password_never_binds(app, bureau_a):
    # An LDAP bind with a DN and no password is an anonymous bind, which slapd accepts.
    settings = ldap.Settings.from_config(app.config)
    assert ldap.verify(settings, "lina", "").status == ldap.REFUSED
    assert accounts.authenticate("lina", "") is None


@pytest.mark.parametrize("name", ["*", "lina)(uid=*", "*)(|(uid=*", "lin*", "lina\\2a", "(uid=*)"])
def test_filter_injection_in_the_user_name_finds_nobody(app, client, bureau_a, name):
    settings = ldap.Settings.from_config(app.config)
    assert ldap.verify(settings, name, _password("lina")).status == ldap.UNKNOWN
    response = login(client, name, _password("lina"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and ("用户名或密码不正确" in page or "invalid-feedback" in page)
    assert db.session.scalar(select(DirectoryIdentity.id)) is None
    assert db.session.scalar(select(DirectoryIdentity.id)) is None


def test_injection_in_a_dn_template_is_escaped_too(app, bureau_a):
    settings = ldap.Settings.from_config({**app.config, "LDAP_USER_DN_TEMPLATE": f"uid={{username}},ou=people,{directory.BASE}"})
    assert ldap.verify(settings, "lina", _password("lina")).status == ldap.ACCEPTED
    for name in ("lina,ou=people", "x+uid=lina", "lina\x00"):
        assert ldap.verify(settings, name, _password("lina")).status in (ldap.UNKNOWN, ldap.REFUSED)


def test_a_directory_name_already_used_by_a_local_account_is_refused(client, city_admin):
    response = login(client, "city", _password("city"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已有同名" in page
    assert db.session.scalar(select(DirectoryIdentity.id)) is None
    assert "directory.refused" in _actions()
    # … and the local account itself still logs in with its own password.
    assert login(client, "city", PASSWORD).headers["Location"].endswith("/city/")


def test_local_accounts_the_directory_does_not_know_still_log_in(client, bureau_a):
    assert login(client, bureau_a.admin.username).status_code == 302


def test_a_directory_account_never_logs_in_with_a_local_password(app, client, city_admin, bureau_a):
    login(client, "lina", _password("lina"))
    client.post("/logout")
    from app.core.actor import Actor

    local_password = accounts.reset_password(_user("lina"), actor=Actor.city(city_admin))
    assert login(client, "lina", local_password).status_code == 200
    # not even while the directory is down
    app.config["LDAP_URL"] = f"ldap://127.0.0.1:{directory.free_port()}"
    assert login(client, "lina", local_password).status_code == 200


def test_with_the_fallback_off_local_accounts_are_refused(app, client, bureau_a):
    app.config["LDAP_LOCAL_FALLBACK"] = False
    assert login(client, bureau_a.admin.username).status_code == 200
    assert login(client, "lina", _password("lina")).status_code == 302


def test_a_disabled_directory_account_stays_out(app, client, city_admin, bureau_a):
    from app.core.actor import Actor

    login(client, "lina", _password("lina"))
    client.post("/logout")
    accounts.set_active(_user("lina"), False, actor=Actor.city(city_admin))
    assert login(client, "lina", _password("lina")).status_code == 200


def test_a_refused_service_account_is_the_directory_being_unreachable(app, bureau_a):
    settings = ldap.Settings.from_config({**app.config, "LDAP_BIND_PASSWORD": "wrong"})
    assert ldap.verify(settings, "lina", _password("lina")).status == ldap.UNREACHABLE


def test_a_dead_directory_leaves_local_accounts_and_says_so(app, client, bureau_a):
    app.config["LDAP_URL"] = f"ldap://127.0.0.1:{directory.free_port()}"
    response = login(client, "lina", _password("lina"))
    assert response.status_code == 200 and "无法连接" in response.get_data(as_text=True)
    assert "无法连接" in client.get("/login").get_data(as_text=True)
    assert login(client, bureau_a.admin.username).status_code == 302


def test_a_dead_directory_with_the_fallback_off_lets_nobody_in_and_says_so(app, client, bureau_a):
    app.config.update(LDAP_URL=f"ldap://127.0.0.1:{directory.free_port()}", LDAP_LOCAL_FALLBACK=False)
    response = login(client, bureau_a.admin.username)
    assert response.status_code == 200 and "任何人都无法登录" in response.get_data(as_text=True)


def test_a_directory_that_accepts_and_never_answers_times_out(app, client, bureau_a):
    # A black hole: the port accepts connections and never says a word.
    listener = socket.socket()
    listener.bind(("127.0.0.1", directory.free_port()))
    listener.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):  # the 0.2 s timeout: look at the stop flag again
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        app.config.update(LDAP_URL=f"ldap://127.0.0.1:{listener.getsockname()[1]}", LDAP_TIMEOUT=1)
        started = time.monotonic()
        assert login(client, bureau_a.admin.username).status_code == 302
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def test_the_directory_stopping_and_coming_back(app, client, slapd, bureau_a):
    slapd.stop()
    try:
        response = login(client, "lina", _password("lina"))
        assert response.status_code == 200 and "无法连接" in response.get_data(as_text=True)
        assert "无法连接" in client.get("/login").get_data(as_text=True)
        assert login(client, bureau_a.admin.username).status_code == 302
        client.post("/logout")
    finally:
        slapd.start()
    assert login(client, "lina", _password("lina")).status_code == 302
    client.post("/logout")
    assert "无法连接" not in client.get("/login").get_data(as_text=True)


def test_the_service_decides_without_a_request(app, bureau_a):
    user = accounts.authenticate("zhangwei", _password("zhangwei"))
    assert user is not None and user.username == "zhangwei" and _roles(user) == {"city_admin"}
    assert services.is_linked(user)


@pytest.mark.parametrize("name", ["a" * 5000, "张伟", "lina\x00", "lina\r\nuid: x", "\u202elina", " ", "ｌｉｎａ",
                                  "cn=admin,dc=city,dc=gov", "lina\\", "lina#"])
def test_hostile_user_names_get_the_usual_refusal(client, bureau_a, name):
    response = login(client, name, _password("lina"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and ("用户名或密码不正确" in page or "invalid-feedback" in page)
    assert db.session.scalar(select(DirectoryIdentity.id)) is None


@pytest.mark.parametrize("fallback", [True, False])
def test_wrong_directory_passwords_lock_the_name_like_local_ones(app, client, bureau_a, fallback):
    """Guessing at Zeren's log-in is guessing at the directory: the failures count towards
    the same lock, for a directory person with an account and for one without one yet."""
    from app.accounts import policy

    app.config["LDAP_LOCAL_FALLBACK"] = fallback
    assert login(client, "lina", _password("lina")).status_code == 302  # lina has an account now
    attempts = policy.current().lockout_attempts
    for number, username in enumerate(("lina", "wangfang")):
        client = app.test_client()  # someone else, guessing (from an address of their own: the
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{number + 1}"  # per-address limit is not the point)
        for attempt in range(1, attempts + 1):
            page = login(client, username, "Not-the-password-1").get_data(as_text=True)
            # the last failure locks the name, and its page says so
            assert ("锁定" if attempt == attempts else "用户名或密码不正确") in page, (username, attempt)
        assert accounts.lock_ends(username) is not None, username
        late = login(client, username, _password(username))  # the right password, once locked
        assert late.status_code == 200 and "锁定" in late.get_data(as_text=True)
    assert _user("wangfang") is None  # nor was an account made for the locked name
