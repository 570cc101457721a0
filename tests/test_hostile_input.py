"""Hostile input to every form of the application (acceptance test of the trust issue).

The forms are found, not listed: every GET route whose arguments are only the bureau's
slug or a year is opened as the city admin, a bureau admin and a bureau editor, links of
those pages are followed one step (detail pages have forms too), and every
``<form method="post">`` is parsed with its fields and CSRF token.  Each form is then
posted with hostile values in all of its text fields (deep JSON and YAML, YAML aliases,
huge and special numbers, XML entities, CR/LF, emoji, NUL, 20,000 characters) and
hostile files in its file fields.  No answer may be a 5xx, and a refused post (4xx, or a
page with field errors) must leave the audit trails unchanged (nothing half-written).

The Excel imports (duties, findings, score templates) are also given hostile workbooks
built in memory: billion laughs, XXE, a ZIP bomb, a non-ZIP, a truncated ZIP, a sheet
with an undefined entity; each is refused with a message and imports nothing.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.audit.models import CatalogAuditEvent, TenantAuditEvent
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import PASSWORD, csrf_token_from, login, make_finding

# -- hostile workbooks ---------------------------------------------------------------------
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(8)) + "]>")
XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _sheet(prolog: str, cell: str) -> str:
    return (f'{prolog}<worksheet xmlns="{NS}"><dimension ref="A1:C2"/><sheetData><row r="1">'
            f'<c r="A1" t="inlineStr"><is><t>{cell}</t></is></c></row></sheetData></worksheet>')


def _good_workbook() -> bytes:
    book = Workbook()
    book.active.append(["责任类别", "工作领域", "责任事项"])
    book.active.append(["x", "y", "z"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _replace(data: bytes, name: str, content: str | bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, content if info.filename == name else source.read(info.filename))
    return out.getvalue()


def _zip_bomb() -> bytes:
    """A valid workbook plus one part of 200 MB of zeros (200 KB compressed)."""
    out = io.BytesIO(_good_workbook())
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/media/bomb.xml", "w") as part:
            block = b"\0" * (1024 * 1024)
            for _ in range(200):
                part.write(block)
    return out.getvalue()


def hostile_workbooks() -> dict[str, bytes]:
    good = _good_workbook()
    workbook_xml = zipfile.ZipFile(io.BytesIO(good)).read("xl/workbook.xml").decode()
    return {
        "billion laughs in the sheet": _replace(good, "xl/worksheets/sheet1.xml", _sheet(LAUGHS, "&i;")),
        "billion laughs in workbook.xml": _replace(good, "xl/workbook.xml", LAUGHS + workbook_xml),
        "XXE file:///etc/passwd": _replace(good, "xl/worksheets/sheet1.xml", _sheet(XXE, "&xxe;")),
        "undefined entity after the dimension": _replace(good, "xl/worksheets/sheet1.xml", _sheet("", "&u;")),
        "sheet XML cut short": _replace(good, "xl/worksheets/sheet1.xml", _sheet("", "x")[:-40]),
        "ZIP bomb": _zip_bomb(),
        "not a ZIP": b"%PDF-1.4 this is no workbook",
        "truncated ZIP": good[: len(good) // 2],
    }


WORKBOOKS = hostile_workbooks()
REFUSALS = ("不是有效的 Excel 工作簿", "Excel 不会生成的 XML 声明", "解压后超过")


def _bureau_count(bureau) -> int:
    with tenant_context(bureau.tenant):
        return db.session.scalar(select(func.count()).select_from(TenantAuditEvent))


def _counts(bureau) -> tuple[int, int]:
    return _bureau_count(bureau), db.session.scalar(select(func.count()).select_from(CatalogAuditEvent))


@pytest.fixture
def importers(app, client, bureau_a, city_admin, bureau_list):  # noqa: F811 - fixture
    """(url, login name, how to count what was imported) of each import form."""
    from app.duties.models import DutyItem
    from app.findings.models import Finding
    from app.scoring.models import ScoreTemplate

    def items():
        with tenant_context(bureau_a.tenant):
            return db.session.scalar(select(func.count()).select_from(DutyItem))

    def findings():
        with tenant_context(bureau_a.tenant):
            return db.session.scalar(select(func.count()).select_from(Finding))

    def templates():
        return db.session.scalar(select(func.count()).select_from(ScoreTemplate))

    slug = bureau_a.slug
    return {
        "duties": (f"/b/{slug}/duties/{bureau_list['list_id']}/import", bureau_a.admin.username, items),
        "findings": (f"/b/{slug}/findings/import", bureau_a.admin.username, findings),
        "city findings": (f"/city/findings/{slug}/import", city_admin.username, findings),
        "score templates": ("/city/scoring/import", city_admin.username, templates),
    }


@pytest.mark.parametrize("kind", sorted(WORKBOOKS))
def test_hostile_workbooks_are_refused_with_a_message_by_every_import(app, bureau_a, importers, kind):
    for name, (url, user, count) in importers.items():
        client = app.test_client()
        login(client, user)
        before, audit = count(), _counts(bureau_a)
        response = client.post(url, data={"file": (io.BytesIO(WORKBOOKS[kind]), "清单.xlsx")},
                               content_type="multipart/form-data", follow_redirects=True)
        page = response.get_data(as_text=True)
        assert response.status_code < 500, (name, kind, page[:500])
        assert any(refusal in page for refusal in REFUSALS), (name, kind, re.sub(r"\s+", " ", page)[:3000])
        assert count() == before and _counts(bureau_a) == audit, (name, kind)


# -- every form of the application -------------------------------------------------------
DEEP_YAML = "a: " + "[" * 10_000 + "]" * 10_000 + "\nb: " + "{x: " * 5_000 + "1" + "}" * 5_000 + "\n"
YAML_ALIASES = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
HOSTILE_TEXT = {
    "deep JSON": "[" * 100_000,
    "deep YAML": DEEP_YAML,
    "YAML aliases": YAML_ALIASES,
    "5001 digits": "9" * 5001,
    "1e309": "1e309",
    "NaN": "NaN",
    "-0": "-0",
    "XML entities": LAUGHS + "<x>&i;</x>",
    "CR/LF": "第一行\r\n第二行\rX-Injected: 1\n",
    "emoji": "整改问题 \U0001F600\U0001F1E8\U0001F1F3 \U00020000",
    "NUL": "abc\x00def",
    "20,000 characters": "责" * 20_000,
}
#: Endpoints never posted: they end the session or destroy a whole bureau, and carry no
#: field a hostile value could reach.
EXCLUDED = {
    "accounts.logout": "ends the session the crawl runs in",
    "city.dashboard.delete_bureau": "deletes the bureau the other forms work on (a confirm-only form)",
}
#: Forms posted last: they archive or delete what the other forms work on.
LAST = re.compile(r"delete|remove|archive|status|lock")
#: (file name, content) given to file fields, one per post: the hostile workbooks, deep
#: and aliased JSON/YAML, a file name with CR/LF, emoji and NUL.
HOSTILE_FILES = [(f"{kind}.xlsx", data) for kind, data in WORKBOOKS.items()] + [
    ("deep.json", b"[" * 100_000), ("deep.yaml", DEEP_YAML.encode()), ("aliases.yaml", YAML_ALIASES.encode()),
    ("numbers.json", b'{"year": 1e309, "x": NaN, "n": ' + b"9" * 5001 + b"}"),
    ("\r\n\U0001F600\x00.pdf", b"%PDF-1.4\n%%EOF\n")]
ROLES = ("city", "bureau-a-admin", "bureau-a-editor")
MIN_FORMS = {"city": 15, "bureau-a-admin": 15, "bureau-a-editor": 3}


@dataclass
class Form:
    action: str
    page: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, name, default)
    options: dict[str, list[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


class _Forms(HTMLParser):
    """The post forms and the links of a page."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url, self.forms, self.links = url, [], []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):  # noqa: D102
        attrs = {k: v or "" for k, v in attrs}
        if tag == "a" and attrs.get("href"):
            self.links.append(urljoin(self.url, attrs["href"]))
        elif tag == "form" and attrs.get("method", "get").lower() == "post":
            self._form = Form(urljoin(self.url, attrs.get("action") or self.url), self.url)
        elif self._form is None or not attrs.get("name"):
            return
        elif tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind == "file":
                self._form.files.append(attrs["name"])
            elif kind in ("checkbox", "radio"):
                if kind == "checkbox" or attrs["name"] not in {f[1] for f in self._form.fields}:
                    self._form.fields.append((kind, attrs["name"], attrs.get("value", "y")))
            elif kind not in ("submit", "button", "reset", "image"):
                self._form.fields.append((kind, attrs["name"], attrs.get("value", "")))
        elif tag == "textarea":
            self._form.fields.append(("textarea", attrs["name"], ""))
        elif tag == "select":
            self._select = attrs["name"]
            self._form.fields.append(("select", attrs["name"], ""))
            self._form.options[attrs["name"]] = []
        elif tag == "option" and self._select:
            self._form.options[self._select].append(attrs.get("value", ""))

    def handle_endtag(self, tag):  # noqa: D102
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None


@pytest.fixture
def world(app, bureau_a, city_admin, bureau_list):  # noqa: F811 - fixture
    """A bureau with people, a 2026 duty list, a finding with a note, a score template."""
    app.config["WTF_CSRF_ENABLED"] = True  # the crawl posts the tokens the pages carry
    make_finding(bureau_a, description="个别党支部“三会一课”记录不规范。")
    from app.scoring import services as scoring

    body = scoring.example_body()
    published = scoring.create_from_body(2026, body, how="test")
    scoring.publish(published, version=published.version)
    scoring.set_assignments(published, [bureau_a.tenant.id])
    scoring.create_from_body(2026, body, how="test")  # a draft: the template editor's form
    with tenant_context(bureau_a.tenant):
        scoring.start_sheet(2026, tenant_id=bureau_a.tenant.id, assessee_name=bureau_a.tenant.name)
    _signed_city_task(bureau_a, city_admin)
    return bureau_a


def _signed_city_task(bureau, city_admin) -> None:
    """A city task the bureau has signed for: its page carries the answer form."""
    from datetime import timedelta

    from app.citytasks import services as citytasks
    from app.core.actor import Actor

    task = citytasks.issue_task({"title": "报送党建工作总结", "body": "请报送。", "scope": "all",
                                 "due_on": (citytasks.today() + timedelta(days=5)).isoformat()},
                                actor=Actor.city(city_admin))
    with tenant_context(bureau.tenant):
        citytasks.sign(citytasks.assignment_for(task.id, bureau.tenant.id),
                       actor=Actor.bureau(bureau.editor, "bureau_editor"))


def _start_urls(app, slug: str) -> list[str]:
    urls = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or not set(rule.arguments) <= {"slug", "bureau", "year"}:
            continue
        values = {"slug": slug, "bureau": slug, "year": 2026}
        try:
            urls.append(adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments}))
        except Exception:  # noqa: BLE001 - a rule url_for cannot build (converters, defaults)
            continue
    return sorted(set(urls))


SKIP_LINK = re.compile(r"\.(pdf|xlsx|docx|csv|zip|png|jpg|svg|js|css)(\?|$)|/logout|/evidence/|/download|/files/")


def _crawl(app, client) -> list[Form]:
    """The post forms of the start pages and of the pages they link to (one step)."""
    seen: set[str] = set()
    forms: dict[tuple, Form] = {}
    queue = [(url, 0) for url in _start_urls(app, "bureau-a")]
    while queue:
        url, depth = queue.pop(0)
        path = urlsplit(url).path + ("?" + urlsplit(url).query if urlsplit(url).query else "")
        if path in seen or SKIP_LINK.search(path) or len(seen) > 150:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = _Forms("http://localhost" + path)
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:  # one form per endpoint and field set (not one per item)
            endpoint = _endpoint(app, urlsplit(form.action).path)
            forms.setdefault((endpoint, tuple(sorted(f[1] for f in form.fields)), tuple(form.files)), form)
        if depth == 0:
            queue += [(link, 1) for link in parser.links if urlsplit(link).netloc in ("", "localhost")]
    return list(forms.values())


def _endpoint(app, path: str) -> str:
    try:
        return app.url_map.bind("localhost").match(path, method="POST")[0]
    except Exception:  # noqa: BLE001 - 404/405: not a route
        return "?"


def _payload(form: Form, value: str, index: int) -> dict:
    data: dict = {}
    for kind, name, default in form.fields:
        if name == "csrf_token":
            data[name] = default
        elif kind == "select":
            choices = [o for o in form.options.get(name, []) if o]
            data[name] = value if index % 2 else (choices[0] if choices else value)
        elif kind in ("checkbox", "radio"):
            data[name] = default
        else:
            data[name] = value
    name_of, content = HOSTILE_FILES[index % len(HOSTILE_FILES)]
    for name in form.files:
        data[name] = (io.BytesIO(content), name_of)
    return data


def _where(error: BaseException) -> str:
    """The innermost frame of the application's own code in the traceback."""
    import traceback

    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/app/" in f.filename]
    return f"{frames[-1].filename.split('/app/')[-1]}:{frames[-1].lineno}" if frames else "?"


def _login(client, username: str) -> None:
    """Log in through the form, with its CSRF token (the crawl runs with CSRF on)."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, username


def _refused(response) -> bool:
    if 400 <= response.status_code < 500:
        return True
    return response.status_code == 200 and ("is-invalid" in response.get_data(as_text=True))


def _post_hostile(app, world, role: str, only: str | None = None) -> list[str]:
    """Post every hostile value to every form ``role`` sees; the problems found."""
    client = app.test_client()
    _login(client, role)
    problems = []
    forms = _crawl(app, client)
    posted = set()
    forms.sort(key=lambda f: (bool(LAST.search(_endpoint(app, urlsplit(f.action).path))), f.action))
    for form in forms:
        path = urlsplit(form.action).path
        endpoint = _endpoint(app, path)
        if endpoint in EXCLUDED or (only and endpoint != only):
            continue
        for index, (label, value) in enumerate(HOSTILE_TEXT.items()):
            before = _counts(world)
            posted.add(endpoint)
            try:
                response = client.post(path, data=_payload(form, value, index), content_type="multipart/form-data")
            except Exception as error:  # noqa: BLE001 - TESTING propagates what would be a 500
                problems.append(f"{role} {endpoint} {path} [{label}]: 500 {type(error).__name__}: "
                                f"{str(error)[:120]} at {_where(error)}")
                continue
            if response.status_code >= 500:
                problems.append(f"{role} {endpoint} {path} [{label}]: {response.status_code}")
            elif _refused(response) and _counts(world) != before:
                problems.append(f"{role} {endpoint} {path} [{label}]: refused ({response.status_code}) "
                                "but the audit trail changed")
            if urlsplit(response.headers.get("Location", "")).path.endswith("/login"):
                _login(client, role)  # a form that ended the session (password change …)
            if response.status_code in (302, 303) and not form.fields and not form.files:
                break  # a button-only form: the first post did what it does
    if only is None:  # the crawl must have found the application's forms, or it proves nothing
        assert len(posted) >= MIN_FORMS[role], sorted(posted)
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_form_survives_hostile_values(app, world, role):
    problems = _post_hostile(app, world, role)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ["aliases.yaml", "deep.json", "deep.yaml", "numbers.json"])
def test_score_template_import_refuses_hostile_files_at_once(app, city_admin, name):
    """Once a 500 or a hang each: an alias bomb, 100,000 nested arrays, 10,000 nested YAML
    sequences, a 5,001-digit number."""
    import time

    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    _login(client, city_admin.username)
    token = csrf_token_from(client.get("/city/scoring/").get_data(as_text=True))
    content = dict(HOSTILE_FILES)[name]
    started = time.perf_counter()
    try:
        response = client.post("/city/scoring/import", content_type="multipart/form-data",
                               data={"csrf_token": token, "file": (io.BytesIO(content), name)})
    except Exception as error:  # noqa: BLE001 - TESTING propagates what would be a 500
        pytest.fail(f"500 {type(error).__name__} at {_where(error)}")
    assert response.status_code < 500
    assert time.perf_counter() - started < 2, "the import took longer than 2 s"
