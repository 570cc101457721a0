"""Malformed and oversized values posted to every score-sheet and year-lock form give
form errors (or a refusal), never a server error.

The forms are found in the URL map (every POST rule of the scoring and years
blueprints), so a new form is covered without editing this file.
"""
from __future__ import annotations

import pytest

from app.core.actor import Actor
from app.scoring import services
from tests.helpers import login, start_and_fill, version_of

BAD_VALUES = ["", " ", "abc", "-1", "1e999", "NaN", "Infinity", "-0", "0x10", "1,5", "９", "5.555", "3.",
              "99999999999999999999", "<script>alert(1)</script>", "\x00\x01", "' OR 1=1 --", "../../etc/passwd",
              "长" * 3000, "9" * 20000]
FIELDS = (["version", "year", "name", "source", "reason", "target", "kind", "rule", "points", "document", "comment",
           "summary", "eligible", "present", "held_on", "note", "op", "weight_self", "weight_reviewer",
           "weight_ballot", "bonus_cap", "description", "dimensions-0-code", "dimensions-0-title",
           "dimensions-0-indicators-0-code", "dimensions-0-indicators-0-max_points",
           "dimensions-0-indicators-0-method", "dimensions-0-indicators-0-rules-0-points",
           "dimensions-0-indicators-0-levels-0-fraction", "dimensions-9999999-code", "grades-0-min",
           "gates-0-ballot_approval_below", "adjustment_rules-0-kind"]
          + [f"i{n}" for n in range(16)] + [f"i{n}_r{m}" for n in range(16) for m in range(3)]
          + [f"i{n}_note" for n in range(16)] + [f"v{n}" for n in range(5)])
LIST_FIELDS = ["bureaus", "i0_ev", "i3_ev"]
ERROR_MARKERS = ("is-invalid", "invalid-feedback", "alert-danger", "text-danger")


def scoring_post_rules(app) -> list:
    return [rule for rule in app.url_map.iter_rules()
            if "POST" in rule.methods and rule.endpoint.rsplit(".", 1)[0] in ("bureau.scoring", "city.scoring", "city.years")]


def url_of(rule, template_id: int, slug: str) -> str:
    values = {}
    for argument in rule.arguments:
        values[argument] = {"slug": slug, "year": 2026, "template_id": template_id, "adjustment_id": 1}.get(argument, 1)
    return rule.build(values)[1]


def payloads(version: int):
    for index, value in enumerate(BAD_VALUES):
        # Most values with the right version (so the fields are parsed); a few with a bad one.
        for version_value in (str(version), value) if index % 4 == 0 else (str(version),):
            data = {name: value for name in FIELDS}
            data["version"] = version_value
            for name in LIST_FIELDS:
                data[name] = [value, "1", "-5", "abc"]
            yield data


@pytest.fixture
def stage(app, client, bureau_a, bureau_b, assigned, city_admin):
    """bureau_a has a draft sheet, bureau_b a submitted one; a draft template exists."""
    start_and_fill(client, bureau_a, {"SX1": "3"})
    start_and_fill(client, bureau_b, submit=True)
    client.post("/logout")
    draft = services.create_from_body(2027, services.example_body(), actor=Actor.city(city_admin))
    return draft.id


def test_every_form_survives_malformed_and_oversized_values(app, client, bureau_a, bureau_b, stage):
    rules = scoring_post_rules(app)
    assert len(rules) >= 20
    checked = 0
    for rule in rules:
        bureau_route = rule.rule.startswith("/b/<slug>")
        # self-assessment routes on the draft sheet as its admin; review routes on the submitted one as the city
        review_route = bureau_route and ("/review" in rule.rule or rule.endpoint in ("bureau.scoring.finalise",
                                                                                    "bureau.scoring.reopen"))
        bureau = bureau_b if review_route else bureau_a
        client.post("/logout")
        login(client, "city" if review_route or not bureau_route else bureau.admin.username)
        url = url_of(rule, stage, bureau.slug)
        for data in payloads(version_of(bureau.tenant)):
            response = client.post(url, data=data)
            assert response.status_code < 500, f"{url} answered {response.status_code}"
            if response.status_code == 200:
                page = response.get_data(as_text=True)
                assert any(marker in page for marker in ERROR_MARKERS), f"{url}: 200 without an error message"
            checked += 1
    assert checked >= len(rules) * len(BAD_VALUES)


def test_garbage_in_the_self_form_saves_nothing(app, client, bureau_a, stage):
    login(client, bureau_a.admin.username)
    for data in payloads(version_of(bureau_a.tenant)):
        client.post(f"/b/{bureau_a.slug}/scoring/2026", data=data)
    from tests.helpers import sheet_of

    entry = sheet_of(bureau_a.tenant).entry_for("SX1")
    assert str(entry.self_points) == "3.00" and entry.self_note == ""


def test_oversized_uploads_and_bodies_are_refused_cleanly(app, client, city_admin, stage):
    import io

    login(client, "city")
    huge = io.BytesIO(b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10))
    response = client.post("/city/scoring/import", data={"file": (huge, "huge.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    many = {f"dimensions-{n}-code": "X" for n in range(3000)}
    response = client.post(f"/city/scoring/templates/{stage}", data=dict(many, version="1", op="save"))
    assert response.status_code == 302
    from app.extensions import db
    from app.scoring.models import ScoreTemplate

    db.session.expire_all()
    assert len(db.session.get(ScoreTemplate, stage).body["dimensions"]) == 50  # the editor's limit


def test_absurd_years_and_ids_in_urls_are_not_found(app, client, bureau_a, stage):
    login(client, "city")
    for year in ("0", "99999", "99999999999999999999999"):
        for path in ("", "/result", "/print", "/review", "/scores.json"):
            assert client.get(f"/b/{bureau_a.slug}/scoring/{year}{path}").status_code == 404, (year, path)
        assert client.post(f"/b/{bureau_a.slug}/scoring/{year}/finalise", data={"version": "1"}).status_code == 404
        assert client.post(f"/city/years/{year}/unlock", data={"reason": "x"}).status_code in (302, 404)
    for template_id in ("0", "99999999999999999999999"):
        assert client.get(f"/city/scoring/templates/{template_id}").status_code == 404
    client.post("/logout")
    login(client, bureau_a.admin.username)
    assert client.post(f"/b/{bureau_a.slug}/scoring/99999999999999999999999/start").status_code == 302
