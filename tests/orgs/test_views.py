"""The organisation pages: the administrator's tree and form, a branch user's view."""
from __future__ import annotations

import re

from app.extensions import db
from app.orgs.models import OrgUnit
from app.tenancy.session import tenant_context
from tests.helpers import csrf_token_from, login


def _form(client, url: str) -> dict:
    page = client.get(url).get_data(as_text=True)
    return {"csrf_token": csrf_token_from(page)}


def test_the_administrator_adds_a_branch_and_sees_the_tree(client, bureau_a, tree):
    login(client, bureau_a.admin.username)
    data = _form(client, f"/b/{bureau_a.slug}/orgs/new")
    data.update({"name": "机关第三党支部", "kind": "branch", "parent_id": str(tree.committee),
                 "secretary_id": str(tree.people["d1"]), "member_count": "12", "elected_on": "2024-09-01",
                 "term_years": "3"})
    response = client.post(f"/b/{bureau_a.slug}/orgs/new", data=data)
    assert response.status_code == 302, re.findall(r'invalid-feedback[^>]*>([^<]+)', response.get_data(as_text=True))
    page = client.get(f"/b/{bureau_a.slug}/orgs/").get_data(as_text=True)
    assert "机关第三党支部" in page and "党支部3个" in page
    # 机关第一党支部 was elected on 2022-03-01 for three years: overdue
    assert "换届已逾期" in page


def test_hostile_values_get_messages_by_their_fields(client, bureau_a, tree):
    login(client, bureau_a.admin.username)
    data = _form(client, f"/b/{bureau_a.slug}/orgs/new")
    data.update({"name": "组织\x00名", "kind": "branch", "parent_id": str(tree.group), "member_count": "9" * 400,
                 "term_years": "1e309", "secretary_id": "99999999999999999999999"})
    response = client.post(f"/b/{bureau_a.slug}/orgs/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "党小组" in page or "上级" in page
    with tenant_context(bureau_a.tenant):
        assert db.session.query(OrgUnit).count() == 4


def test_a_branch_user_lands_on_their_branch_and_nowhere_else(client, bureau_a, bureau_b, tree):
    login(client, tree.branch1.username)
    home = client.get(f"/b/{bureau_a.slug}/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/orgs/")
    page = client.get(f"/b/{bureau_a.slug}/orgs/").get_data(as_text=True)
    assert "机关第一党支部" in page and "办公室党支部" not in page and "本支部" in page
    assert "/duties/" not in page  # the bureau's other pages are not offered
    assert client.get(f"/b/{bureau_a.slug}/orgs/{tree.first}").status_code == 200
    for url in (f"/b/{bureau_a.slug}/orgs/{tree.second}", f"/b/{bureau_a.slug}/orgs/{tree.second}/edit",
                f"/b/{bureau_a.slug}/orgs/{tree.committee}", f"/b/{bureau_a.slug}/duties/",
                f"/b/{bureau_a.slug}/findings/", f"/b/{bureau_a.slug}/orgs/new", f"/b/{bureau_b.slug}/orgs/",
                f"/b/{bureau_b.slug}/orgs/{tree.first}"):
        assert client.get(url).status_code == 404, url


def test_a_branch_user_edits_their_branch(client, bureau_a, tree):
    login(client, tree.branch1.username)
    url = f"/b/{bureau_a.slug}/orgs/{tree.first}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="name"' not in page and 'name="member_count"' in page
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    response = client.post(url, data={"csrf_token": csrf_token_from(page), "version": version,
                                      "member_count": "25", "elected_on": "2025-11-20", "term_years": "3",
                                      "deputy_id": str(tree.people["d1"]),
                                      "committee_ids": [str(tree.people["s1"])]})
    assert response.status_code == 302
    with tenant_context(bureau_a.tenant):
        unit = db.session.get(OrgUnit, tree.first)
        assert unit.member_count == 25 and unit.name == "机关第一党支部"
        assert [m.person_id for m in unit.committee] == [tree.people["s1"]]


def test_viewers_read_the_tree_but_cannot_edit(client, bureau_a, tree):
    login(client, bureau_a.viewer.username)
    assert client.get(f"/b/{bureau_a.slug}/orgs/{tree.second}").status_code == 200
    assert client.get(f"/b/{bureau_a.slug}/orgs/{tree.second}/edit").status_code == 403
    assert client.get(f"/b/{bureau_a.slug}/orgs/new").status_code == 403
