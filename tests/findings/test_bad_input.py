"""Bad input in every findings form gives a form error (or a refusal), never a 500.

Every POST route of the findings blueprints is read from the URL map, so a form added
later is covered too; each gets malformed and oversized values.
"""
from __future__ import annotations

import io

import pytest

from app.core.actor import Actor
from app.findings import services
from app.tenancy.session import tenant_context
from tests.helpers import login

from tests.helpers import add_evidence, admin_of, make_finding

HUGE = "问" * 100_000
FIELDS = ("source", "batch", "batch_date", "description", "area", "severity", "found_on", "due_on", "person_id",
          "duty_item_id", "measures", "version", "note", "occurred_on", "text", "links", "email", "file", "files")
PREFIXES = ("", "start-", "submit-", "return-", "close-", "reopen-")


def payloads():
    malformed = {"source": ["rumour", ""], "batch_date": "31/02/2026", "found_on": "2026-13-45",
                 "due_on": "yesterday", "person_id": ["abc", "-1", "99999999999999999999"],
                 "duty_item_id": "1e9", "version": "NaN", "occurred_on": "0000-00-00", "links": ["x", "-5"],
                 "email": "not-an-address", "severity": "\x00", "area": "'; drop table findings; --",
                 "description": "\ud800"[:0] + "<script>alert(1)</script>", "note": None}
    oversized = {name: HUGE for name in FIELDS}
    oversized.update({"version": "9" * 400, "person_id": "9" * 400, "found_on": "2" * 400})
    empty = {}
    return [malformed, oversized, empty]


def _form(values: dict) -> dict:
    data = {}
    for name, value in values.items():
        if value is None:
            continue
        for prefix in PREFIXES if name in ("note", "version") else ("",):
            data[prefix + name] = value
    data["files"] = (io.BytesIO(b"MZ not a pdf"), "x.pdf")
    data["file"] = (io.BytesIO(b"PK\x03\x04 not a workbook"), "x.xlsx")
    return data


def _routes(app, prefix):
    return [r for r in app.url_map.iter_rules()
            if r.endpoint.rsplit(".", 1)[0] in ("bureau.findings", "bureau.reminders", "city.findings") and r.rule.startswith(prefix)
            and "POST" in r.methods]


@pytest.fixture
def setup(app, bureau_a, city_admin, people):
    admin = admin_of(bureau_a)
    open_id = make_finding(bureau_a, person_id=people.liaison, measures="措施")
    city = Actor.city(city_admin)
    city_id = make_finding(bureau_a, actor=city, person_id=people.liaison, measures="措施")
    add_evidence(bureau_a, city_id, admin)
    with tenant_context(bureau_a.tenant):
        finding = services.get_finding(city_id)
        services.transition(finding, "start", version=finding.version, actor=admin)
        evidence_id = finding.notes[0].evidence[0].id
    return {"open": open_id, "city": city_id, "evidence": evidence_id}


def _urls(app, rule, slug, ids):
    values = {}
    for argument in rule.arguments:
        if argument == "slug":
            values["slug"] = slug
        elif argument == "bureau":
            values["bureau"] = slug
        elif argument == "finding_id":
            values["finding_id"] = [ids["open"], ids["city"]]
        elif argument == "evidence_id":
            values["evidence_id"] = [ids["evidence"]]
        elif argument == "action":
            values["action"] = ["start", "submit", "return", "close", "reopen", "bogus"]
    keys = [k for k, v in values.items() if isinstance(v, list)]
    combos = [{}]
    for key in keys:
        combos = [{**c, key: option} for c in combos for option in values[key]]
    adapter = app.url_map.bind("localhost")
    return [adapter.build(rule.endpoint, {**values, **combo}) for combo in combos]


@pytest.mark.parametrize("side", ["bureau", "city"])
def test_every_findings_form_survives_bad_input(app, client, bureau_a, setup, side):
    if side == "bureau":
        login(client, bureau_a.admin.username)
        rules = _routes(app, "/b/<slug>/")
    else:
        login(client, "city")
        rules = _routes(app, "/city/findings")
    assert len(rules) >= (8 if side == "bureau" else 5)
    posted = 0
    for rule in rules:
        if rule.endpoint in ("bureau.findings.delete_evidence",):
            continue  # checked last: it succeeds with any body (a button)
        for url in _urls(app, rule, bureau_a.slug, setup):
            for values in payloads():
                response = client.post(url, data=_form(values), content_type="multipart/form-data")
                assert response.status_code < 500, f"POST {url} {sorted(values)[:3]} → {response.status_code}"
                posted += 1
    assert posted > 40
    # nothing was changed by the bad submits
    with tenant_context(bureau_a.tenant):
        assert services.get_finding(setup["open"]).status == "open"
        assert services.get_finding(setup["city"]).status == "rectifying"


def test_list_pages_survive_bad_query_strings(app, client, bureau_a, setup):
    login(client, bureau_a.admin.username)
    for path in ("/findings/", "/findings/responsibility", "/findings/rectification", "/findings/ledger",
                 "/findings/export.xlsx"):
        for query in ("year=abcd", "year=99999", "person=1%3Bdrop", "status=%00", "batch=" + "x" * 5000,
                      "q=%25%25%25", "overdue=maybe&origin=mars&source=%3Cscript%3E"):
            response = client.get(f"/b/{bureau_a.slug}{path}?{query}")
            assert response.status_code == 200, f"{path}?{query[:40]}"
    client.post("/logout")
    login(client, "city")
    for query in ("bureau=..%2F..", "status=bogus", "overdue=1&batch=" + "y" * 3000):
        assert client.get(f"/city/findings/?{query}").status_code == 200
    assert client.get("/city/findings/go?bureau=no-such").status_code == 404
