"""Redirect targets taken from the request (log-in ``next``, language switch ``next``)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import CatalogAuditEvent
from app.extensions import db
from app.web import safe_next
from tests.helpers import PASSWORD

HOSTILE_TARGETS = [
    "/x\ny", "/a\r\nb", "/a\r\nSet-Cookie: planted=1", "/x\x00y", "/x\ty", "/x\x7f", "/\u2028x", "/\u202eevil",
    "//evil.example/", "/\\evil.example", "\\\\evil.example", "/%2F%2Fevil.example", "/%2f/evil.example",
    "/%5cevil.example", "/%0d%0aSet-Cookie:%20a=1", "/%250d%250a", "/%252F%252Fevil.example",
    "https://evil.example/", "http:/evil.example", "javascript:alert(1)", " /x", "x", "/" + "a" * 20000,
]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_safe_next_refuses_hostile_targets(app, target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/b/czj/users", "/b/czj/duties/?year=2026&page=2", "/city/", "/b/czj/数据",
                                    "/b/czj/%E6%95%B0"])
def test_safe_next_keeps_same_site_paths(app, target):
    assert safe_next(target, "/home") == target


@pytest.mark.parametrize("target", ["/x\ny", "/a\r\nb", "//evil.example/", "/%2F%2Fevil.example", "/\\evil"])
def test_login_with_a_hostile_next_logs_in_and_goes_home(client, bureau_a, target):
    response = client.post("/login", data={"username": bureau_a.admin.username, "password": PASSWORD,
                                           "next": target})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/b/{bureau_a.slug}/")
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 200


@pytest.mark.parametrize("target", ["/a\r\nb", "/x\ny", "//evil.example/", "/%0d%0aX-Injected:%201"])
def test_language_switch_with_a_hostile_next_goes_home(client, target):
    response = client.post("/language/en", data={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "X-Injected" not in response.headers


def test_a_failing_login_response_leaves_nobody_logged_in(app, client, bureau_a, monkeypatch):
    """The response is built before the session switches: if it fails, the log-in did not happen."""
    from app.accounts import views

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error becomes a 500 page
    monkeypatch.setattr(views, "safe_next", lambda target, default: "/x\ny")  # a target that cannot be a header
    response = client.post("/login", data={"username": bureau_a.admin.username, "password": PASSWORD})
    assert response.status_code == 500
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 302  # not logged in
    assert "user.login" not in db.session.scalars(select(CatalogAuditEvent.action)).all()
