"""Hostile values in every accounts form: never a 5xx, never a stored control character."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from tests.helpers import PASSWORD, login

HOSTILE = {
    "crlf": "a\r\nb",
    "lf": "x\ny",
    "nul": "nul\x00byte",
    "emoji": "😀🔥👍🏽",
    "long": "长" * 20000,
    "long-ascii": "A1-" * 7000,
    "rtl": "\u202eevil",
}


def _fields(value: str, *names: str) -> list[dict]:
    """The form with each field in turn (and all at once) set to ``value``."""
    forms = [{name: value} for name in names]
    forms.append({name: value for name in names})
    return forms


@pytest.mark.parametrize("kind", HOSTILE)
def test_login_form(client, bureau_a, kind):
    value = HOSTILE[kind]
    for data in _fields(value, "username", "password", "next"):
        data = {"username": bureau_a.admin.username, "password": "wrong-Password-1", **data}
        response = client.post("/login", data=data)
        assert response.status_code in (200, 302, 429), (data.keys(), response.status_code)
    assert client.get("/login?next=" + value[:3000]).status_code == 200


@pytest.mark.parametrize("kind", HOSTILE)
def test_change_password_form(client, bureau_a, kind):
    value = HOSTILE[kind]
    login(client, bureau_a.editor.username)
    for data in _fields(value, "current_password", "new_password", "confirm"):
        data = {"current_password": PASSWORD, "new_password": "New-secret-2026", "confirm": "New-secret-2026", **data}
        if "new_password" in data and data["new_password"] == value:
            data["confirm"] = value
        response = client.post("/account/password", data=data)
        assert response.status_code == 200, (data.keys(), response.status_code)  # refused, with reasons
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 200  # still logged in, password unchanged


def _assert_no_hostile_user_stored():
    for username, display_name, email in db.session.execute(select(User.username, User.display_name, User.email)):
        for text in (username, display_name, email or ""):
            assert not any(ch in text for ch in "\r\n\x00\u202e"), text
            assert len(text) <= 254


@pytest.mark.parametrize("kind", HOSTILE)
def test_bureau_user_forms(client, bureau_a, kind):
    value = HOSTILE[kind]
    login(client, bureau_a.admin.username)
    base = {"username": "new-colleague", "display_name": "新同事", "role": "bureau_editor", "email": "",
            "password": "Initial-pass-2026"}
    for data in _fields(value, "username", "display_name", "role", "email", "password"):
        response = client.post(f"/b/{bureau_a.slug}/users", data={**base, **data})
        assert response.status_code in (200, 302), (data.keys(), response.status_code)
    response = client.post(f"/b/{bureau_a.slug}/users/{bureau_a.viewer.id}/role", data={"role": value})
    assert response.status_code == 302
    assert client.post(f"/b/{bureau_a.slug}/users/{bureau_a.viewer.id}/reset", data={"submit": value}).status_code == 302
    _assert_no_hostile_user_stored()


@pytest.mark.parametrize("kind", HOSTILE)
def test_city_user_forms(client, city_admin, bureau_a, kind):
    value = HOSTILE[kind]
    login(client, "city")
    base = {"username": "new-city-user", "display_name": "新用户", "role": "city_viewer", "email": "",
            "password": "Initial-pass-2026"}
    for data in _fields(value, "username", "display_name", "role", "email", "password"):
        assert client.post("/city/users", data={**base, **data}).status_code in (200, 302), data.keys()
        admin = {key: val for key, val in {**base, **data}.items() if key != "role"}
        assert client.post(f"/city/bureaus/{bureau_a.slug}/admins", data=admin).status_code == 302, data.keys()
    for n, data in enumerate(_fields(value, "admin_username", "admin_display_name", "admin_password")):
        bureau = {"name": "市统计局", "slug": f"tjj{n}", "category": "general", "admin_username": f"tjj{n}-admin",
                  "admin_display_name": "赵统计", "admin_password": "Tongji-2026-pass", **data}
        response = client.post("/city/bureaus", data=bureau)
        assert response.status_code in (200, 302), (data.keys(), response.status_code)
        if response.status_code == 302:  # accepted (an emoji is a fine name): the bureau has its admin
            assert "赵统计" in client.get(f"/city/bureaus/tjj{n}").get_data(as_text=True) or value in \
                client.get(f"/city/bureaus/tjj{n}").get_data(as_text=True)
        else:  # refused: nothing was built
            assert client.get(f"/city/bureaus/tjj{n}").status_code == 404
    assert client.post(f"/city/bureaus/{bureau_a.slug}/users/{bureau_a.viewer.id}/reset").status_code == 302
    _assert_no_hostile_user_stored()


@pytest.mark.parametrize("kind", HOSTILE)
def test_language_switch(client, kind):
    value = HOSTILE[kind]
    assert client.post("/language/en", data={"next": value}).status_code == 302
    assert client.post("/language/" + value[:200].replace("\x00", ""), data={"next": "/login"}).status_code in (404, 405)
