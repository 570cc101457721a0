"""The password rule and one-time passwords set by administrators."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User
from app.accounts.passwords import character_classes, common_passwords, password_problems, random_password
from app.errors import ValidationError
from app.extensions import db
from tests.helpers import PASSWORD, login

WEAK = {
    "1234567890": "三类",  # digits only (and common)
    "aaaaaaaaaa": "三类",
    "password12": "常见",
    "Password12": "常见",  # three classes, but lower-cased it is a common password
    "1Q2w3e4r5t": "常见",
    "new-user": "至少 10",
    "Xnew-user9": "用户名",  # contains the user name
    "NEW-USER-2026!": "用户名",
    "abcdefghij中文": "三类",  # lower + other: two classes
    "Line\nBreak-2026": "控制字符",
    "Nul\x00Byte-2026": "控制字符",
}


@pytest.mark.parametrize("password, reason", WEAK.items())
def test_weak_passwords_are_refused_with_the_reason(app, password, reason):
    with pytest.raises(ValidationError) as caught:
        accounts.create_user("new-user", "新用户", password)
    assert any(reason in message for message in caught.value.errors["password"]), caught.value.errors
    assert db.session.scalar(select(User.id).where(User.username == "new-user")) is None


@pytest.mark.parametrize("password", ["Correct-horse-battery", "abcdefgh中文1", "dang建Zeren2026", "zeren-demo-2026",
                                      "ABCDEFGH-123", "五星红旗迎风飘扬abc1"])
def test_good_passwords_are_accepted(app, password):
    assert password_problems(password, "new-user") == []
    assert accounts.create_user("new-user", "新用户", password).must_change_password is False


def test_cjk_counts_as_other_characters():
    assert character_classes("中文") == {"other"}
    assert character_classes("aB3中") == {"lower", "upper", "digit", "other"}


def test_the_common_list_is_loaded_and_lower_case():
    words = common_passwords()
    assert len(words) > 19000 and {"password12", "1234567890", "aaaaaaaaaa", "qwertyuiop"} <= words
    assert all(word == word.lower() for word in words)


def test_random_passwords_always_satisfy_the_rule(app):
    for _ in range(300):
        assert password_problems(random_password(), "someone") == []


def test_every_reason_is_shown_at_once_by_the_fields_in_chinese(client, bureau_a):
    login(client, bureau_a.editor.username)
    page = client.post("/account/password", data={"current_password": "wrong-one-XX1", "new_password": "aaaa",
                                                  "confirm": "aaaa"}).get_data(as_text=True)
    for reason in ("当前密码不正确", "至少 10 个字符", "三类", "最常见的密码"):
        assert reason in page, reason
    assert page.count('class="invalid-feedback') >= 2  # by the fields, not only in a banner


def test_the_current_password_cannot_be_the_new_one(client, bureau_a):
    login(client, bureau_a.editor.username)
    response = client.post("/account/password", data={"current_password": PASSWORD, "new_password": PASSWORD,
                                                      "confirm": PASSWORD})
    assert response.status_code == 200 and "新密码不能与当前密码相同" in response.get_data(as_text=True)
    page = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "Bureau-a-editor-1",
                                                  "confirm": "Bureau-a-editor-1"}).get_data(as_text=True)
    assert "不能包含用户名" in page


def _flash_password(page: str) -> str:
    match = re.search(r"：([A-Za-z0-9]{14}) —", page) or re.search(r": ([A-Za-z0-9]{14}) —", page)
    assert match, "no new password in the page"
    return match.group(1)


def _must_change_everywhere(client, slug: str) -> None:
    for method, url in (("get", f"/b/{slug}/"), ("get", "/choose"), ("get", "/city/"),
                        ("post", f"/b/{slug}/users"), ("get", "/")):
        response = getattr(client, method)(url)
        assert response.status_code in (302, 303), url
        assert response.headers["Location"].endswith("/account/password"), url
    page = client.get("/account/password").get_data(as_text=True)
    assert "只能使用一次" in page


def test_a_bureau_admin_creates_a_colleague_whose_password_is_one_time(app, client, bureau_a):
    login(client, bureau_a.admin.username)
    response = client.post(f"/b/{bureau_a.slug}/users", data={
        "username": "zhou", "display_name": "周同志", "role": "bureau_editor", "password": "Initial-pass-2026"})
    assert response.status_code == 302
    colleague = app.test_client()
    assert login(colleague, "zhou", "Initial-pass-2026").headers["Location"].endswith("/account/password")
    _must_change_everywhere(colleague, bureau_a.slug)
    response = colleague.post("/account/password", data={
        "current_password": "Initial-pass-2026", "new_password": "My-own-choice-77", "confirm": "My-own-choice-77"})
    assert response.status_code == 302
    assert colleague.get(f"/b/{bureau_a.slug}/").status_code == 200
    assert db.session.scalar(select(User.must_change_password).where(User.username == "zhou")) is False


def test_a_reset_password_is_one_time(app, client, bureau_a):
    login(client, bureau_a.admin.username)
    page = client.post(f"/b/{bureau_a.slug}/users/{bureau_a.viewer.id}/reset",
                       follow_redirects=True).get_data(as_text=True)
    new_password = _flash_password(page)
    viewer = app.test_client()
    assert login(viewer, bureau_a.viewer.username, new_password).headers["Location"].endswith("/account/password")
    _must_change_everywhere(viewer, bureau_a.slug)


def test_city_admins_set_one_time_passwords_too(app, client, city_admin, bureau_a):
    login(client, "city")
    assert client.post("/city/users", data={"username": "leader-2", "display_name": "工委领导",
                                            "role": "city_viewer", "password": "Leader-initial-1"}).status_code == 302
    assert client.post(f"/city/bureaus/{bureau_a.slug}/admins", data={
        "username": "admin-2", "display_name": "第二管理员", "password": "Admin2-initial-x"}).status_code == 302
    page = client.post(f"/city/bureaus/{bureau_a.slug}/users/{bureau_a.editor.id}/reset",
                       follow_redirects=True).get_data(as_text=True)
    assert _flash_password(page)
    flags = dict(db.session.execute(select(User.username, User.must_change_password)).all())
    assert flags["leader-2"] and flags["admin-2"] and flags[bureau_a.editor.username]
    # the fixtures' own accounts (no administrator chose their passwords) are not forced
    assert not flags["city"] and not flags[bureau_a.admin.username]
