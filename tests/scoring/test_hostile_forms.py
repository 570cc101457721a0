"""Hostile values posted to every score-sheet form, city and bureau side: each field of
each form (as the page renders it) gets deep JSON and YAML, aliases, huge numbers, NaN,
-0, CR/LF, emoji, NUL bytes and 20,000-character strings.  No answer is a 5xx, and a
refused post leaves the data as it was (no half-written sheet or template)."""
from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.core.actor import Actor
from app.extensions import db
from app.scoring import services
from app.scoring.models import ScoreTemplate, TemplateAssignment
from app.tenancy.session import tenant_context
from tests.helpers import YEAR, login, sheet_of, start_and_fill

HOSTILE = [
    "[" * 5000, '{"a":' * 3000, "a: &x [*x]", "*a", "1e309", "9" * 5000, "NaN", "-0", "-1", "1.005", "0x1F",
    "a\r\nb", "🙂" * 30, "a\x00b", "长" * 20_000, " ", "", "99999999999999999999",
]


class _Forms(HTMLParser):
    """The POST forms of a page: action and the (name, value) pairs a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {"action": a.get("action") or "", "fields": [], "buttons": []}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form["fields"].append((name, a.get("value") or "y"))
                else:
                    self._form["fields"].append((name, None))  # a field that can be posted
            elif kind == "submit":
                self._form["buttons"].append((name, a.get("value") or ""))
            elif kind != "file":
                self._form["fields"].append((name, a.get("value") or ""))
        elif tag == "button" and name:
            self._form["buttons"].append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select = name
            self._form["fields"].append((name, ""))
        elif tag == "option" and self._select and "selected" in a:
            fields = self._form["fields"]
            fields[-1] = (self._select, a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._form["fields"].append((name, ""))

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            fields = self._form["fields"]
            fields[-1] = (self._textarea, fields[-1][1] + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _forms(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    return parser.forms


def _post_hostile(client, url: str, *, snapshot, skip_actions=(), values=HOSTILE, sample: int = 0) -> int:
    """Post every hostile value into every field of every form of ``url`` (``sample``:
    into that many fields spread over each form); returns the number of posts.
    ``snapshot()`` must be unchanged by every refused post."""
    posts = 0
    for index, form in enumerate(_forms(client, url)):
        action = form["action"] or url
        if any(part in action for part in skip_actions):
            continue
        base = [(n, v) for n, v in form["fields"] if v is not None]
        names = sorted({n for n, _v in form["fields"]} - {"csrf_token"})
        if sample and len(names) > sample:
            names = names[::len(names) // sample]
        buttons = form["buttons"][:1]
        for name in names:
            for value in values:
                data = [(n, v) for n, v in base if n != name] + [(name, value)] + buttons
                before = snapshot()
                response = client.post(action, data=MultiDict(data))
                posts += 1
                assert response.status_code < 500, (action, name, value[:40], response.status_code)
                if response.status_code != 302:
                    assert snapshot() == before, (action, name, value[:40])
                else:  # saved: go on from the page as it is now (its new version), not a stale copy
                    fresh = _forms(client, url)
                    if index < len(fresh) and (fresh[index]["action"] or url) == action:
                        base = [(n, v) for n, v in fresh[index]["fields"] if v is not None]
    return posts


def _template_snapshot():
    db.session.expire_all()
    return [(t.id, t.version, json.dumps(t.body, sort_keys=True, default=str), t.published_at is not None)
            for t in db.session.scalars(select(ScoreTemplate).order_by(ScoreTemplate.id))] + [
        (a.tenant_id, a.template_id) for a in db.session.scalars(select(TemplateAssignment))]


def _sheet_snapshot(tenant):
    def snapshot():
        with tenant_context(tenant):
            sheet = services.find_sheet(YEAR)
            if sheet is None:
                return None
            return (sheet.version, sheet.status, json.dumps(services.scores_document(sheet), sort_keys=True,
                                                            default=str),
                    sheet.self_summary, sheet.reviewer_comment,
                    [(e.indicator_code, e.self_note, e.reviewer_comment) for e in sheet.entries])
    return snapshot


def test_city_template_forms_take_hostile_values_without_5xx(app, client, city_admin, bureau_a, template_2026):
    draft = services.create_from_body(YEAR, services.example_body(), actor=Actor.city(city_admin))
    login(client, "city")
    posts = _post_hostile(client, "/city/scoring/", snapshot=_template_snapshot)
    # The tree editor of a draft: every field, a few values each (it has hundreds).
    posts += _post_hostile(client, f"/city/scoring/templates/{draft.id}", snapshot=_template_snapshot,
                           skip_actions=("/delete", "/publish"), values=HOSTILE[:6] + HOSTILE[11:15], sample=30)
    posts += _post_hostile(client, f"/city/scoring/templates/{template_2026.id}", snapshot=_template_snapshot,
                           skip_actions=("/new-edition",))
    assert posts > 150
    for fmt in ("json", "yaml", "xlsx", "exe", "%00", "🙂"):
        assert client.get(f"/city/scoring/templates/{draft.id}/export.{fmt}").status_code < 500


def test_bureau_sheet_forms_take_hostile_values_without_5xx(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, {"SX1": "5"})
    login(client, bureau_a.admin.username)
    snapshot = _sheet_snapshot(bureau_a.tenant)
    posts = _post_hostile(client, f"/b/{bureau_a.slug}/scoring/{YEAR}", snapshot=snapshot,
                          skip_actions=("/submit",), values=HOSTILE[:6] + HOSTILE[11:15] + HOSTILE[-1:], sample=25)
    assert posts > 100
    assert sheet_of(bureau_a.tenant).status == "draft"


def test_review_forms_take_hostile_values_without_5xx(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, submit=True)
    login(client, "city")
    snapshot = _sheet_snapshot(bureau_a.tenant)
    posts = _post_hostile(client, f"/b/{bureau_a.slug}/scoring/{YEAR}/review", snapshot=snapshot,
                          skip_actions=("/complete", "/finalise"),
                          values=HOSTILE[:4] + HOSTILE[6:10] + HOSTILE[11:14], sample=20)
    assert posts > 100
    for path in ("review/adjustments/99999999999999999999999/delete", "review/adjustments/-1/delete",
                 "reopen", "complete", "finalise"):
        response = client.post(f"/b/{bureau_a.slug}/scoring/{YEAR}/{path}",
                               data={"version": "9" * 5000, "target": "🙂", "reason": "\x00" * 10})
        assert response.status_code < 500, path
    for year in ("99999999999999999999", "0", "-1"):
        assert client.get(f"/b/{bureau_a.slug}/scoring/{year}/review").status_code < 500


@pytest.mark.parametrize("version", ["9" * 5000, "1e309", "NaN", "-0", "\x00", "🙂"])
def test_version_fields_are_conflicts_not_5xx(app, client, bureau_a, assigned, version):
    start_and_fill(client, bureau_a, {"SX1": "5"})
    login(client, bureau_a.admin.username)
    snapshot = _sheet_snapshot(bureau_a.tenant)
    before = snapshot()
    response = client.post(f"/b/{bureau_a.slug}/scoring/{YEAR}", data={"version": version, "i3": "5"})
    assert response.status_code < 500 and snapshot() == before
    assert client.post(f"/b/{bureau_a.slug}/scoring/{YEAR}/submit", data={"version": version}).status_code < 500


def test_control_characters_are_dropped_from_what_is_saved(app, client, bureau_a, assigned, city_admin):
    # PostgreSQL refuses NUL in text: posted notes, names and file names lose their
    # control characters (tab and line breaks stay).
    from tests.helpers import form_fields, version_of

    start_and_fill(client, bureau_a, {"SX1": "5"})
    login(client, bureau_a.admin.username)
    data = form_fields(sheet_of(bureau_a.tenant).template_body, "self", {"SX1": "5"},
                       version=version_of(bureau_a.tenant), notes={"SX1": "台账\x00齐全\r\n第二行\x07"})
    data["summary"] = "自评\x00总结\t完"
    assert client.post(f"/b/{bureau_a.slug}/scoring/{YEAR}", data=data).status_code == 302
    sheet = sheet_of(bureau_a.tenant)
    assert sheet.entry_for("SX1").self_note == "台账齐全\r\n第二行" and sheet.self_summary == "自评总结\t完"
    client.post("/logout")
    login(client, "city")
    assert client.post("/city/scoring/new", data={"year": "2026", "name": "评分\x00表", "source": "blank"}).status_code == 302
    assert db.session.scalar(select(ScoreTemplate).where(ScoreTemplate.name == "评分表")) is not None
    body = json.dumps(dict(services.example_body(), name="名\u0000称")).encode()
    import io

    response = client.post("/city/scoring/import", data={"file": (io.BytesIO(body), "a\x00b.json")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "NUL" in response.get_data(as_text=True)
    response = client.post("/city/scoring/import", data={
        "file": (io.BytesIO(json.dumps(services.example_body()).encode()), "a\x00b.json")},
        content_type="multipart/form-data")
    assert response.status_code == 302
