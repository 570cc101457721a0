"""Every ``/b/<slug>/...`` route, present and future, answers 404 to outsiders.

The routes are read from ``app.url_map`` at test time, so a route added by a later
feature is covered without editing this file.
"""
from __future__ import annotations

import pytest
from werkzeug.routing import FloatConverter, IntegerConverter, Rule, UUIDConverter

from tests.helpers import PASSWORD, login

def bureau_rules(app) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/b/<slug>")]


def placeholder(rule: Rule, argument: str):
    """A syntactically valid value for a URL argument other than the slug."""
    converter = rule._converters[argument]
    if isinstance(converter, (IntegerConverter, FloatConverter)):
        return 1
    if isinstance(converter, UUIDConverter):
        return "00000000-0000-0000-0000-000000000001"
    return "x"


def url_for_rule(app, rule: Rule, slug: str) -> str:
    values = {arg: slug if arg == "slug" else placeholder(rule, arg) for arg in rule.arguments}
    return app.url_map.bind("localhost").build(rule.endpoint, values, force_external=False)


def _methods(rule: Rule) -> list[str]:
    return [m for m in ("GET", "POST") if m in rule.methods]


def test_there_are_bureau_routes_to_check(app):
    assert len(bureau_rules(app)) >= 5


def test_users_of_another_bureau_get_404_everywhere(app, client, bureau_a, bureau_b):
    assert login(client, bureau_b.admin.username).status_code == 302
    checked = 0
    for rule in bureau_rules(app):
        url = url_for_rule(app, rule, bureau_a.slug)
        for method in _methods(rule):
            response = client.open(url, method=method, data={"name": "x", "role": "bureau_admin"})
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
            checked += 1
    assert checked >= len(bureau_rules(app))


def test_user_without_any_membership_gets_404_and_unknown_bureau_too(app, client, bureau_a):
    from app.accounts import services as accounts

    accounts.create_user("nobody", "无单位用户", PASSWORD)
    login(client, "nobody")
    for rule in bureau_rules(app):
        for slug in (bureau_a.slug, "no-such-bureau", "../etc"):
            url = url_for_rule(app, rule, slug)
            for method in _methods(rule):
                assert client.open(url, method=method).status_code == 404, f"{method} {url}"


def test_anonymous_users_are_sent_to_login(app, client, bureau_a):
    for rule in bureau_rules(app):
        url = url_for_rule(app, rule, bureau_a.slug)
        for method in _methods(rule):
            response = client.open(url, method=method)
            assert response.status_code == 302, f"{method} {url}"
            assert "/login" in response.headers["Location"]


def test_members_do_reach_their_own_pages(app, client, bureau_a, bureau_b):
    """Guard against a vacuous isolation test: the same URLs work for the bureau's admin."""
    login(client, bureau_a.admin.username)
    plain = [r for r in bureau_rules(app) if "GET" in r.methods and r.arguments == {"slug"}]
    assert plain
    for rule in plain:
        url = url_for_rule(app, rule, bureau_a.slug)
        assert client.get(url).status_code == 200, url


def _branch_user_of_first_branch(bureau):
    """A branch user leading bureau's first 党支部; returns (user, own unit id, other unit id)."""
    from datetime import date

    from app.accounts import services as accounts
    from app.extensions import db
    from app.orgs import services as orgs
    from app.people.models import Person
    from app.tenancy.session import tenant_context
    from tests.helpers import admin_of

    user = accounts.create_user(f"{bureau.slug}-branch", "支部书记", PASSWORD, tenant=bureau.tenant,
                                role="branch_editor")
    with tenant_context(bureau.tenant):
        mine, other = Person(name="甲书记", user_id=user.id), Person(name="乙书记")
        db.session.add_all([mine, other])
        db.session.commit()
        admin = admin_of(bureau)
        top = orgs.create_unit({"name": "机关党委", "kind": "party_committee"}, actor=admin)
        own = orgs.create_unit({"name": "第一党支部", "kind": "branch", "parent_id": top.id, "secretary_id": mine.id,
                                "elected_on": date(2025, 1, 1)}, actor=admin)
        foreign = orgs.create_unit({"name": "第二党支部", "kind": "branch", "parent_id": top.id,
                                    "secretary_id": other.id}, actor=admin)
        from app.meetings import services as meetings

        meeting = meetings.record_meeting(foreign, {"kind": "committee", "held_on": date(2025, 3, 1),
                                                    "topic": "研究支部工作"}, actor=admin)
        return user, own.id, foreign.id, meeting.id


def _url_with_ids(app, rule: Rule, slug: str, unit_id: int, meeting_id: int = 1) -> str:
    ids = {"slug": slug, "unit_id": unit_id, "meeting_id": meeting_id}
    values = {arg: ids[arg] if arg in ids else placeholder(rule, arg) for arg in rule.arguments}
    return app.url_map.bind("localhost").build(rule.endpoint, values, force_external=False)


#: The pages a branch user reaches without naming a unit: the bureau's home sends them on
#: to the tree, which shows their own units only; the task list shows the tasks asked of
#: every branch (their parts are tests/citytasks/test_branches.py's).
BRANCH_LANDING = {"bureau.home.home": 302, "bureau.orgs.index": 200, "bureau.citytasks.index": 200}


def test_a_branch_user_gets_404_for_other_branches_and_every_other_page(app, client, bureau_a, bureau_b):
    """A branch user reaches their own units' pages and nothing else: another branch's
    pages, every other page of their bureau, and every page of another bureau are 404."""
    user, own, foreign, foreign_meeting = _branch_user_of_first_branch(bureau_a)
    login(client, user.username)
    checked = 0
    for rule in bureau_rules(app):
        for method in _methods(rule):
            url = _url_with_ids(app, rule, bureau_a.slug, foreign, foreign_meeting)
            expected = BRANCH_LANDING.get(rule.endpoint, 404) if method == "GET" else 404
            if rule.endpoint == "bureau.orgs.edit" and method == "POST":
                expected = 404  # the other branch, whatever the form says
            response = client.open(url, method=method, data={"name": "x", "version": "1"})
            assert response.status_code == expected, f"{method} {url} answered {response.status_code}"
            response = client.open(_url_with_ids(app, rule, bureau_b.slug, 1), method=method)
            assert response.status_code == 404, f"{method} {rule.rule} of another bureau"
            checked += 1
    assert checked >= len(bureau_rules(app))
    # not vacuous: the same pages of the user's own branch answer
    assert client.get(f"/b/{bureau_a.slug}/orgs/{own}").status_code == 200
    assert client.get(f"/b/{bureau_a.slug}/orgs/{own}/edit").status_code == 200
    assert client.get(f"/b/{bureau_a.slug}/meetings/units/{own}").status_code == 200
