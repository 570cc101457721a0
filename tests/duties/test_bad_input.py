"""Malformed and oversized input to every form of the duties pages: a form error or a
refusal, never a 500 (in tests an unhandled exception propagates and fails the test)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.duties import catalog, services
from app.evidence.models import Attachment
from app.duties.models import DutyItem, ProgressRecord
from app.people.models import Person
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import SYSTEM, login, pdf_bytes

FIELDS = ["category", "area", "content", "measures", "owner_id", "lead_unit", "cadence", "expected_count", "due_date",
          "occurred_on", "summary", "count", "version", "name", "post", "kind", "user_id", "sort_order", "active",
          "year", "template_id", "title", "target", "direction", "done", "source", "areas", "due_month", "q"]
JUNK = ["", "abc", "-1", "1e309", "0x10", "９", "9" * 5000, "2026-02-30", "99999-01-01",
        "2026/13/01", "' OR 1=1 --", "<script>alert(1)</script>", "\x00", "长" * 20000, "x" * 100000]
ALLOWED = {200, 302, 400, 403, 404, 409, 413, 423}


@pytest.fixture
def ids(app, bureau_a, city_admin):
    template = catalog.ensure_default_published(2026)
    draft = catalog.new_edition(template, actor=city_admin)
    with tenant_context(bureau_a.tenant):
        person = Person(name="王建国", post="党组书记", kind="secretary", user_id=bureau_a.editor.id)
        db.session.add(person)
        db.session.commit()
        duty_list = services.create_list(2026, template_id=template.id, actor=SYSTEM)
        item = duty_list.items[0]
        item.owner_id = person.id
        db.session.commit()
        services.add_record(item, {"occurred_on": "2026-03-01", "summary": "记录"}, actor=SYSTEM,
                            files=[services.Upload(io.BytesIO(pdf_bytes()), "a.pdf")])
        record = db.session.scalars(select(ProgressRecord)).one()
        return {"list_id": duty_list.id, "item_id": item.id, "record_id": record.id,
                "attachment_id": db.session.scalars(select(Attachment.id)).one(), "person_id": person.id,
                "template_id": draft.id, "key": draft.items[0]["key"]}


def _urls(app, prefix: str, ids: dict, slug: str | None = None) -> list[str]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or "POST" not in rule.methods:
            continue
        values = {a: (slug if a == "slug" else ids[a]) for a in rule.arguments}
        found.append(app.url_map.bind("localhost").build(rule.endpoint, values))
    return sorted(found)


def _payloads():
    for junk in JUNK:
        yield {name: junk for name in FIELDS}
    yield {name: [JUNK[2], JUNK[3]] for name in FIELDS}  # every field twice


def _check(client, urls):
    checked = 0
    for url in urls:
        for data in _payloads():
            response = client.post(url, data=data)
            assert response.status_code in ALLOWED, f"{url}: {response.status_code}"
            checked += 1
        files = {"files": [(io.BytesIO(b"\x00" * 10), "../../x.pdf"), (io.BytesIO(b""), "")],
                 "file": (io.BytesIO(b"PK\x03\x04" + b"\x00" * 50), "a.xlsx"), "summary": "x" * 10, "version": "1"}
        response = client.post(url, data=files, content_type="multipart/form-data")
        assert response.status_code in ALLOWED, f"{url} (files): {response.status_code}"
    return checked


def test_every_bureau_form_survives_junk(app, client, bureau_a, ids):
    urls = _urls(app, "/b/<slug>/duties", ids, bureau_a.slug)
    assert len(urls) >= 18
    for user in (bureau_a.editor, bureau_a.admin):  # the editor first: the admin's junk deletes the file
        client.post("/logout")
        login(client, user.username)
        assert _check(client, urls) >= len(urls) * len(JUNK)


def test_every_city_form_survives_junk(app, client, city_admin, ids):
    login(client, "city")
    urls = _urls(app, "/city/duty-templates", ids)
    assert len(urls) >= 8
    _check(client, urls)
    assert catalog.published_templates(2026)[0].items  # the published edition is untouched


def test_the_list_page_survives_junk_filters(app, client, bureau_a, ids):
    login(client, bureau_a.admin.username)
    for junk in JUNK:
        query = {name: junk for name in ("category", "area", "owner", "status", "attention", "q", "arrange")}
        assert client.get(f"/b/{bureau_a.slug}/duties/{ids['list_id']}", query_string=query).status_code == 200
