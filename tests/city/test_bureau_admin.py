"""City pages: bureaus and their administrators; bureau pages: the bureau's users."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import CatalogAuditEvent
from app.extensions import db
from app.tenancy.models import Tenant
from tests.helpers import PASSWORD, login


def test_city_admin_creates_a_bureau_with_its_admin_in_the_browser(app, client, city_admin):
    login(client, "city")
    response = client.post("/city/bureaus", data={
        "name": "市统计局", "slug": "tjj", "category": "general",
        "admin_username": "tjj-admin", "admin_display_name": "赵统计", "admin_password": "tongji-2026-pass"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/city/bureaus/tjj")
    assert "市统计局" in client.get("/city/bureaus/tjj").get_data(as_text=True)
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "tjj"))
    assert tenant is not None and tenant.name == "市统计局"
    other = app.test_client()
    # the initial password was chosen by the city admin: one-time, so the new admin changes it first
    assert login(other, "tjj-admin", "tongji-2026-pass").headers["Location"].endswith("/account/password")
    assert "tenant.create" in db.session.scalars(select(CatalogAuditEvent.action)).all()


def test_bad_bureau_input_gives_form_errors_and_creates_nothing(app, client, city_admin):
    login(client, "city")
    cases = [
        {"name": "", "slug": "", "category": "general"},
        {"name": "市审计局", "slug": "../etc", "category": "general"},
        {"name": "市审计局", "slug": "sjj", "category": "not-a-category"},
        {"name": "市审计局" * 40, "slug": "sjj", "category": "general"},
        {"name": "市审计局", "slug": "sjj", "category": "general", "admin_username": "sjj-admin",
         "admin_password": "short"},
        {"name": "市审计局", "slug": "S" * 300, "category": "general"},
    ]
    for data in cases:
        response = client.post("/city/bureaus", data=data)
        assert response.status_code == 200, data
        assert 'class="invalid-feedback' in response.get_data(as_text=True) or "alert-danger" in response.get_data(as_text=True)
    assert db.session.scalars(select(Tenant.slug)).all() == []
    assert not any(p.name == "sjj" for p in Path(app.config["TENANTS_DIR"]).iterdir())


def test_stale_bureau_edit_is_refused_with_a_clear_message(app, client, city_admin, bureau_a):
    login(client, "city")
    stale = bureau_a.tenant.version
    assert client.post(f"/city/bureaus/{bureau_a.slug}", data={
        "name": "市财政局（新）", "category": "economic", "version": stale}).status_code == 302
    page = client.post(f"/city/bureaus/{bureau_a.slug}", data={
        "name": "市财政局（旧稿）", "category": "general", "version": stale}).get_data(as_text=True)
    assert "已被他人修改" in page
    db.session.expire_all()
    assert db.session.get(Tenant, bureau_a.tenant.id).name == "市财政局（新）"


def test_city_viewer_reads_but_cannot_change(client, city_viewer, bureau_a):
    login(client, "leader")
    assert client.get("/city/").status_code == 200
    assert client.get(f"/city/bureaus/{bureau_a.slug}").status_code == 200
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 200
    assert client.post("/city/bureaus", data={"name": "市某局", "slug": "mj", "category": "general"}).status_code == 403
    assert client.post(f"/city/bureaus/{bureau_a.slug}/status").status_code == 403
    assert client.get("/city/users").status_code == 403
    # reading a bureau does not make the city an editor of it
    assert client.post(f"/b/{bureau_a.slug}/users", data={"username": "x1", "display_name": "x",
                                                        "role": "bureau_admin", "password": PASSWORD}).status_code == 403


def test_bureau_users_get_404_on_city_pages(client, bureau_a):
    login(client, bureau_a.admin.username)
    for url in ("/city/", "/city/bureaus", f"/city/bureaus/{bureau_a.slug}", "/city/users", "/city/audit/"):
        assert client.get(url).status_code == 404, url
    assert client.post("/city/bureaus", data={"name": "x", "slug": "xx"}).status_code == 404


def test_archived_bureau_is_hidden_from_its_users_and_readable_by_the_city(app, client, city_admin, bureau_a):
    login(client, "city")
    client.post(f"/city/bureaus/{bureau_a.slug}/status")
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 200
    member = app.test_client()
    login(member, bureau_a.admin.username)
    assert member.get(f"/b/{bureau_a.slug}/").status_code == 404


def test_city_admin_deletes_a_bureau_only_with_the_typed_slug(app, client, city_admin, bureau_a):
    login(client, "city")
    client.post(f"/city/bureaus/{bureau_a.slug}/delete", data={"confirm": "wrong"})
    assert db.session.scalar(select(Tenant).where(Tenant.slug == bureau_a.slug)) is not None
    client.post(f"/city/bureaus/{bureau_a.slug}/delete", data={"confirm": bureau_a.slug})
    db.session.expire_all()
    assert db.session.scalar(select(Tenant).where(Tenant.slug == bureau_a.slug)) is None
    assert not (Path(app.config["TENANTS_DIR"]) / bureau_a.slug).exists()


def test_bureau_admin_manages_the_bureaus_users(app, client, bureau_a):
    login(client, bureau_a.admin.username)
    response = client.post(f"/b/{bureau_a.slug}/users", data={
        "username": "liaison-1", "display_name": "钱联络", "role": "bureau_editor", "password": "liaison-pass-01"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "liaison-1"))
    assert user.bureau_role(bureau_a.tenant.id) == "bureau_editor"
    client.post(f"/b/{bureau_a.slug}/users/{user.id}/role", data={"role": "bureau_viewer"})
    db.session.expire_all()
    assert db.session.get(User, user.id).bureau_role(bureau_a.tenant.id) == "bureau_viewer"
    client.post(f"/b/{bureau_a.slug}/users/{user.id}/remove")
    db.session.expire_all()
    assert db.session.get(User, user.id).bureau_role(bureau_a.tenant.id) is None


def test_the_last_admin_cannot_be_demoted_or_removed(app, client, bureau_a):
    login(client, bureau_a.admin.username)
    admin_id = bureau_a.admin.id
    page = client.post(f"/b/{bureau_a.slug}/users/{admin_id}/role", data={"role": "bureau_viewer"},
                       follow_redirects=True).get_data(as_text=True)
    assert "不能取消自己的管理员角色" in page
    db.session.expire_all()
    assert db.session.get(User, admin_id).bureau_role(bureau_a.tenant.id) == "bureau_admin"


def test_editors_and_viewers_cannot_manage_users(app, bureau_a):
    for user in (bureau_a.editor, bureau_a.viewer):
        client = app.test_client()
        login(client, user.username)
        assert client.get(f"/b/{bureau_a.slug}/users").status_code == 403
        assert client.post(f"/b/{bureau_a.slug}/users", data={"username": "zz"}).status_code == 403
        assert client.get(f"/b/{bureau_a.slug}/audit/").status_code == 403


def test_bureau_users_cannot_touch_members_of_another_bureau(app, client, bureau_a, bureau_b):
    login(client, bureau_a.admin.username)
    target = bureau_b.editor.id
    assert client.post(f"/b/{bureau_a.slug}/users/{target}/reset").status_code == 404
    assert client.post(f"/b/{bureau_a.slug}/users/{target}/role", data={"role": "bureau_admin"}).status_code == 404


def test_bad_user_input_gives_form_errors(app, client, bureau_a):
    login(client, bureau_a.admin.username)
    for data in ({"username": "", "display_name": "", "role": "bureau_editor", "password": ""},
                 {"username": "Bad Name!", "display_name": "x", "role": "bureau_editor", "password": "long-enough-pw"},
                 {"username": "ok-name", "display_name": "x", "role": "city_admin", "password": "long-enough-pw"},
                 {"username": bureau_a.editor.username, "display_name": "x", "role": "bureau_editor", "password": "long-enough-pw"},
                 {"username": "x" * 500, "display_name": "y" * 500, "role": "bureau_editor", "password": "z" * 5000}):
        assert client.post(f"/b/{bureau_a.slug}/users", data=data).status_code == 200, data


def test_audit_logs_show_city_and_bureau_events(app, client, city_admin, bureau_a):
    login(client, "city")
    page = client.get("/city/audit/").get_data(as_text=True)
    # a story in Chinese, not action codes
    assert "创建单位" in page and "创建用户" in page and "tenant.create" not in page
    member = app.test_client()
    login(member, bureau_a.admin.username)
    page = member.get(f"/b/{bureau_a.slug}/audit/?source=accounts").get_data(as_text=True)
    assert bureau_a.editor.username in page
