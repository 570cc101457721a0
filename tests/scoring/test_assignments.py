"""Assigning a published edition to bureaus (``/city/scoring/templates/<id>``): the page
shows the current assignment ticked, saving it as shown changes nothing, and taking the
edition away from every bureau is an explicit action, never an empty form."""
from __future__ import annotations

import re

import pytest

from app.core.actor import Actor
from app.errors import ValidationError
from app.scoring import services
from app.scoring.forms import IdsField
from tests.helpers import login


@pytest.fixture
def bureaus(app, bureau_a, bureau_b, bureau_factory):
    return [bureau_a, bureau_b, bureau_factory("bureau-c", "市审计局")]


def _assigned_slugs(template) -> set[str]:
    from app.tenancy.models import Tenant
    from app.extensions import db

    ids = {row.tenant_id for row in services.assignments_of(template)}
    return {t.slug for t in db.session.query(Tenant).filter(Tenant.id.in_(ids))} if ids else set()


def _ticked(page: str) -> set[str]:
    return set(re.findall(r'name="bureaus" value="(\d+)"[^>]*\bchecked\b', page, flags=re.S))


def _shown(page: str) -> str:
    return re.search(r'name="shown"[^>]*value="([^"]*)"', page).group(1)


def test_the_page_ticks_the_assigned_bureaus_and_saving_it_as_shown_changes_nothing(
        app, client, bureaus, template_2026, city_admin):
    services.set_assignments(template_2026, [b.tenant.id for b in bureaus[:2]], actor=Actor.city(city_admin))
    login(client, "city")
    url = f"/city/scoring/templates/{template_2026.id}"
    page = client.get(url).get_data(as_text=True)
    assert _ticked(page) == {str(b.tenant.id) for b in bureaus[:2]}
    data = {"bureaus": sorted(_ticked(page)), "shown": _shown(page), "save": "1"}
    response = client.post(f"{url}/assign", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "分配未变" in response.get_data(as_text=True)
    assert _assigned_slugs(template_2026) == {"bureau-a", "bureau-b"}
    # Ticking one more adds one and removes none.
    data["bureaus"] = sorted(_ticked(page) | {str(bureaus[2].tenant.id)})
    response = client.post(f"{url}/assign", data=data, follow_redirects=True)
    assert "新增 1 个单位，取消 0 个单位" in response.get_data(as_text=True)
    assert _assigned_slugs(template_2026) == {"bureau-a", "bureau-b", "bureau-c"}
    assert _ticked(client.get(url).get_data(as_text=True)) == {str(b.tenant.id) for b in bureaus}


def test_none_ticked_is_refused_with_a_message_and_unassign_all_is_explicit(
        app, client, bureaus, template_2026, city_admin):
    services.set_assignments(template_2026, [b.tenant.id for b in bureaus], actor=Actor.city(city_admin))
    login(client, "city")
    url = f"/city/scoring/templates/{template_2026.id}"
    page = client.get(url).get_data(as_text=True)
    for data in ({"save": "1", "shown": _shown(page)}, {"save": "1"}, {}):
        response = client.post(f"{url}/assign", data=data)
        assert response.status_code == 400
        assert "取消全部分配" in response.get_data(as_text=True) or "Unassign all" in response.get_data(as_text=True)
        assert _assigned_slugs(template_2026) == {"bureau-a", "bureau-b", "bureau-c"}
    response = client.post(f"{url}/assign", data={"none": "1"}, follow_redirects=True)
    assert response.status_code == 200
    assert _assigned_slugs(template_2026) == set()
    # A page with nobody ticked, saved as shown: nothing happens.
    page = client.get(url).get_data(as_text=True)
    assert _ticked(page) == set() and _shown(page) == ""
    assert client.post(f"{url}/assign", data={"save": "1", "shown": ""}).status_code == 302
    assert _assigned_slugs(template_2026) == set()


def test_a_stale_page_does_not_take_away_a_bureau_assigned_meanwhile(app, client, bureaus, template_2026, city_admin):
    services.set_assignments(template_2026, [bureaus[0].tenant.id], actor=Actor.city(city_admin))
    login(client, "city")
    url = f"/city/scoring/templates/{template_2026.id}"
    page = client.get(url).get_data(as_text=True)
    # A colleague assigns bureau-b after the page was rendered.
    services.set_assignments(template_2026, [bureaus[0].tenant.id, bureaus[1].tenant.id], actor=Actor.city(city_admin))
    data = {"bureaus": sorted(_ticked(page) | {str(bureaus[2].tenant.id)}), "shown": _shown(page), "save": "1"}
    assert client.post(f"{url}/assign", data=data).status_code == 302
    assert _assigned_slugs(template_2026) == {"bureau-a", "bureau-b", "bureau-c"}


def test_garbled_ids_are_form_errors_not_500(app, client, bureaus, template_2026, city_admin):
    services.set_assignments(template_2026, [bureaus[0].tenant.id], actor=Actor.city(city_admin))
    login(client, "city")
    url = f"/city/scoring/templates/{template_2026.id}/assign"
    for value in ("abc", "1e309", "-1", "9" * 40, "1\x00", "🙂", "999999"):
        response = client.post(url, data={"bureaus": [value], "shown": value, "save": "1"})
        assert response.status_code == 400, value
    assert _assigned_slugs(template_2026) == {"bureau-a"}


def test_the_service_refuses_none_and_an_empty_list_without_the_explicit_flag(app, bureaus, template_2026,
                                                                              city_admin):
    services.set_assignments(template_2026, [bureaus[0].tenant.id], actor=Actor.city(city_admin))
    with pytest.raises(ValidationError):
        services.set_assignments(template_2026, None, actor=Actor.city(city_admin))
    with pytest.raises(ValidationError):
        services.set_assignments(template_2026, [], actor=Actor.city(city_admin))
    assert services.set_assignments(template_2026, [], unassign_all=True, actor=Actor.city(city_admin))["removed"] == ["bureau-a"]


def test_ids_fields_hold_ints_from_the_prefill_and_the_post(app):
    from flask_wtf import FlaskForm
    from werkzeug.datastructures import MultiDict
    from wtforms.fields.choices import SelectChoice

    class Form(FlaskForm):
        ids = IdsField(choices=[SelectChoice(1, "a"), SelectChoice(2, "b")])

    with app.test_request_context():
        prefilled = Form(formdata=None, data={"ids": [2]})
        assert prefilled.ids.data == [2]
        assert [choice.selected for choice in prefilled.ids.iter_choices()] == [False, True]
        posted = Form(formdata=MultiDict([("ids", "2"), ("ids", "2")]))
        assert posted.ids.data == [2] and posted.validate()
        assert [choice.selected for choice in posted.ids.iter_choices()] == [False, True]
        assert Form(formdata=MultiDict()).ids.data == []
        assert Form(formdata=None).ids.data == []
