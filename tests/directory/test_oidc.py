"""Log-in through the city's unified identity service, against a provider the test starts."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey
from sqlalchemy import select

from app.accounts.models import Membership, User
from app.audit.models import CatalogAuditEvent
from app.directory.models import DirectoryIdentity
from app.extensions import db
from tests.helpers import PASSWORD, login

DIRECTORY = "oidc"

LINA = {"sub": "3f9a-0001", "preferred_username": "lina", "name": "李娜", "email": "lina@city.gov.cn",
        "groups": ["jgswj-editors"]}


def _start(client, next_page: str | None = None):
    """The app's redirect to the provider, and the provider's redirect back (its URL)."""
    response = client.get("/login/sso" + (f"?next={next_page}" if next_page else ""))
    assert response.status_code == 302
    at_provider = requests.get(response.headers["Location"], allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302, at_provider.text
    return response.headers["Location"], at_provider.headers["Location"]


def _back(client, callback_url: str):
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def _user(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_the_log_in_page_offers_the_identity_service(client):
    page = client.get("/login").get_data(as_text=True)
    assert "使用统一身份认证登录" in page and 'href="/login/sso' in page


def test_first_log_in_makes_the_account_with_pkce_state_and_nonce(client, oidc_provider, bureau_a):
    oidc_provider.next_claims = LINA
    to_provider, back = _start(client, "/b/bureau-a/")
    query = parse_qs(urlsplit(to_provider).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    response = _back(client, back)
    assert response.status_code == 302 and response.headers["Location"].endswith("/b/bureau-a/")
    assert oidc_provider.token_requests[-1]["code_verifier"]
    user = _user("lina")
    assert user.display_name == "李娜" and user.email == "lina@city.gov.cn"
    rows = db.session.execute(select(Membership.role, Membership.tenant_id).where(Membership.user_id == user.id)).all()
    assert rows == [("bureau_editor", bureau_a.tenant.id)]
    identity = db.session.scalar(select(DirectoryIdentity))
    assert identity.source == "oidc" and identity.subject == f"{oidc_provider.issuer} 3f9a-0001"
    actions = {e.action for e in db.session.scalars(select(CatalogAuditEvent))}
    assert {"user.create", "directory.link", "directory.login", "user.login"} <= actions
    assert "市财政局" in client.get("/b/bureau-a/").get_data(as_text=True)


def test_the_next_log_in_finds_the_same_account_by_subject(client, oidc_provider, bureau_a):
    oidc_provider.next_claims = LINA
    _back(client, _start(client)[1])
    client.post("/logout")
    oidc_provider.next_claims = {**LINA, "preferred_username": "li.na", "groups": ["city-admins"]}
    assert _back(client, _start(client)[1]).headers["Location"].endswith("/city/")
    assert _user("li.na") is None and _user("lina").city_role == "city_admin"


def test_a_forged_state_is_refused(client, oidc_provider):
    oidc_provider.next_claims = LINA
    _, back = _start(client)
    forged = back.replace("state=", "state=forged")
    response = _back(client, forged)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert "无法核实" in page and _user("lina") is None


def test_a_callback_without_a_log_in_started_here_is_refused(client):
    response = client.get("/login/sso/callback?code=abc&state=xyz")
    assert response.status_code == 302 and _user("lina") is None
    assert "无法核实" in client.get("/login").get_data(as_text=True)


def test_the_same_callback_cannot_be_used_twice(client, oidc_provider):
    oidc_provider.next_claims = LINA
    _, back = _start(client)
    assert _back(client, back).status_code == 302
    client.post("/logout")
    response = _back(client, back)
    assert response.headers["Location"].endswith("/login")


@pytest.mark.parametrize("tamper", [
    {"claims": {"aud": "another-client"}},
    {"claims": {"iss": "http://127.0.0.1:1"}},
    {"claims": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}},
    {"claims": {"nonce": "not-the-nonce"}},
    {"key": RSAKey.generate_key(2048, parameters={"kid": "test-1"})},
], ids=["audience", "issuer", "expired", "nonce", "signature"])
def test_an_id_token_that_does_not_hold_is_refused(client, oidc_provider, tamper):
    oidc_provider.next_claims = LINA
    oidc_provider.tamper.update(tamper)
    response = _back(client, _start(client)[1])
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "无法核实" in client.get("/login").get_data(as_text=True)
    assert _user("lina") is None and db.session.scalar(select(DirectoryIdentity.id)) is None


def test_a_cancelled_log_in_says_so(client):
    response = client.get("/login/sso/callback?error=access_denied&state=x")
    assert response.status_code == 302
    assert "取消登录" in client.get("/login").get_data(as_text=True)


def test_a_name_of_a_local_account_is_refused(client, oidc_provider, city_admin):
    oidc_provider.next_claims = {**LINA, "sub": "x-2", "preferred_username": "city"}
    response = _back(client, _start(client)[1])
    assert response.headers["Location"].endswith("/login")
    assert "已有同名" in client.get("/login").get_data(as_text=True)
    assert login(client, "city", PASSWORD).status_code == 302


def test_an_unreachable_provider_says_so(app, client):
    from app.directory import oidc

    app.config["OIDC_ISSUER"] = "http://127.0.0.1:1"
    oidc.init_app(app)
    response = client.get("/login/sso")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "暂时无法连接" in client.get("/login").get_data(as_text=True)


def test_without_an_identity_service_there_is_no_button_and_no_route(app, client):
    app.config["OIDC_ISSUER"] = ""
    assert "统一身份认证" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=a&state=b").status_code == 404


@pytest.mark.parametrize("query", ["", "code=&state=", "code=a%00b&state=%00", "state=" + "x" * 5000,
                                   "code=a&state=a&state=b", "code[]=1&state[]=2", "error=%0d%0a&state=x"])
def test_hostile_callbacks_are_refused_plainly(client, query):
    response = client.get(f"/login/sso/callback?{query}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_a_user_name_zeren_cannot_use_is_refused_with_a_message(client, oidc_provider):
    oidc_provider.next_claims = {**LINA, "sub": "x-3", "preferred_username": "李 娜", "email": "not an address",
                                 "groups": {"odd": "shape"}}
    assert _back(client, _start(client)[1]).headers["Location"].endswith("/login")
    assert "不符合本系统的规则" in client.get("/login").get_data(as_text=True)
    assert db.session.scalar(select(DirectoryIdentity.id)) is None


def test_odd_claims_still_make_a_plain_account(client, oidc_provider):
    oidc_provider.next_claims = {"sub": "x-4", "preferred_username": "Zhao.Lei", "name": "赵磊\u202e\n" + "长" * 80,
                                 "email": "not an address", "groups": "city-admins"}
    assert _back(client, _start(client)[1]).headers["Location"].endswith("/city/")
    user = _user("zhao.lei")
    assert user.display_name.startswith("赵磊") and len(user.display_name) <= 60 and "\n" not in user.display_name
    assert user.email is None and user.city_role == "city_admin"
