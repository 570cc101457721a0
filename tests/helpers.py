"""Plain helpers of the test suite: constants, factories called inside tests, page helpers.

Fixtures live in the ``conftest.py`` files; what a test module needs besides fixtures is
imported from here, never from another test module or a ``conftest.py`` (pytest imports
those itself, and importing them again registers their fixtures twice).
"""
from __future__ import annotations

import io
import re
import shutil
import struct
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from sqlalchemy import create_engine
from sqlalchemy import text as sql_text
from sqlalchemy.pool import NullPool

from app import create_app
from app.config import TestConfig
from app.evidence.demo import minimal_pdf
from app.people.models import Person
from app.extensions import db
from app.findings import services as finding_services
from app.core.actor import Actor
from app.scoring import engine, services as scoring_services
from app.tenancy.session import tenant_context

PASSWORD = "Correct-horse-battery"
MIGRATIONS_DIR = str(TestConfig.MIGRATIONS_DIR)


# -- applications ----------------------------------------------------------------------
# Jinja parses and compiles every template again for each application's environment, and
# each test builds its own application: the compiled code is shared instead (see below).
class _SharedTemplateBytecode(BytecodeCache):
    """An in-memory Jinja bytecode cache shared by every test application.

    Jinja keys a bucket by template name and file and checks the source's checksum, so
    an edited template is compiled afresh; all test applications share one environment
    configuration, so a compiled template is valid in each of them.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        data = self._code.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_BYTECODE = _SharedTemplateBytecode()


#: The tables of the ``public`` schema that are Zeren's catalog: not an extension's (on a
#: Citus coordinator, Citus keeps objects there that must survive every reset).
_CATALOG_TABLES = """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"""


def _drop_bureau_schemas(connection) -> None:
    schemas = connection.execute(sql_text(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")).scalars().all()
    for schema in schemas:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


def drop_catalog(url: str) -> None:
    """Remove every bureau schema and every catalog table (and the catalog's version table)
    from a PostgreSQL database, leaving the ``public`` schema and any extension in it (Citus)
    alone: what a test run does before migrating the catalog once."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        _drop_bureau_schemas(connection)
        for table in connection.execute(sql_text(_CATALOG_TABLES)).scalars().all():
            connection.exec_driver_sql(f'DROP TABLE IF EXISTS public."{table}" CASCADE')
    engine.dispose()


def _reset_postgres(url: str) -> None:
    """Empty the migrated catalog and drop every bureau schema (much faster than migrating)."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        _drop_bureau_schemas(connection)
        tables = [t for t in connection.execute(sql_text(_CATALOG_TABLES)).scalars().all() if t != "alembic_version"]
        if tables:
            connection.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    engine.dispose()


def make_app(tmp_path, postgres_database, catalog_template=None, **overrides):
    """An application on a fresh data root; with ``catalog_template`` its catalog starts migrated."""
    settings = {"TENANTS_DIR": str(tmp_path / "tenants"), "DATABASE_URL": None, "TENANT_SERVERS": "",
                "REDIS_URL": None}
    if postgres_database:
        _reset_postgres(postgres_database)
        settings["DATABASE_URL"] = postgres_database
    elif catalog_template is not None:
        (tmp_path / "tenants").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(catalog_template, tmp_path / "tenants" / "catalog.sqlite3")
    settings.update(overrides)
    application = create_app(_config_class(settings))
    application.jinja_env.bytecode_cache = TEMPLATE_BYTECODE
    application.test_client_class = FreshContextClient
    return application


class FreshContextClient(FlaskClient):
    """Runs every request in its own application context, as in production.

    Flask reuses an already pushed app context for a request, which would share ``g``
    (Flask-Login's cached user) and the database session between the test body and every
    request.  Pushing a fresh context per request keeps requests independent.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _config_class(settings: dict) -> type:
    # A subclass per test: create_app reads a class, then the environment, then finalises.
    return type("PerTestConfig", (TestConfig,), settings)


# -- accounts and bureaus ------------------------------------------------------------
@dataclass
class Bureau:
    """A test bureau and its three accounts (one per bureau role)."""

    tenant: object
    slug: str
    admin: object
    editor: object
    viewer: object


def make_bureau(slug: str, name: str) -> Bureau:
    """Register a bureau (database at head) with an admin, an editor and a viewer."""
    from app.accounts import services as accounts
    from app.tenancy import services as tenancy

    tenant = tenancy.create_tenant(slug, name)
    admin = accounts.create_user(f"{slug}-admin", f"{name}管理员", PASSWORD, tenant=tenant, role="bureau_admin")
    editor = accounts.create_user(f"{slug}-editor", f"{name}联络员", PASSWORD, tenant=tenant, role="bureau_editor")
    viewer = accounts.create_user(f"{slug}-viewer", f"{name}查看", PASSWORD, tenant=tenant, role="bureau_viewer")
    return Bureau(tenant=tenant, slug=slug, admin=admin, editor=editor, viewer=viewer)


def login(client, username: str, password: str = PASSWORD, follow: bool = False):
    """Log in through the real form; returns the response."""
    return client.post("/login", data={"username": username, "password": password}, follow_redirects=follow)


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


# -- duties --------------------------------------------------------------------------
SYSTEM = Actor.system()


def add_people(with_editor=None) -> dict[str, Person]:
    """A secretary, two members, the organ committee's and discipline's heads, a liaison
    (linked to ``with_editor``'s account).  Call inside the bureau's context."""
    people = {
        "secretary": Person(name="王建国", post="党组书记、局长", kind="secretary", sort_order=10),
        "member1": Person(name="李海燕", post="党组成员、副局长", kind="member", sort_order=20),
        "member2": Person(name="张志强", post="党组成员、副局长", kind="member", sort_order=30),
        "organ": Person(name="刘丽华", post="机关党委书记", kind="organ_committee", sort_order=40),
        "discipline": Person(name="陈文杰", post="纪检组长", kind="discipline", sort_order=50),
        "liaison": Person(name="杨晓东", post="机关党委专职副书记", kind="staff", sort_order=60,
                          user_id=with_editor.id if with_editor is not None else None),
    }
    db.session.add_all(people.values())
    db.session.commit()
    return people


def pdf_bytes(text: str = "evidence") -> bytes:
    """A small valid PDF showing ``text``."""
    return minimal_pdf([text])


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def xlsx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


def ofd_bytes() -> bytes:
    return zip_bytes({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<ofd:Document/>"})


def ole2_bytes(stream_name: str) -> bytes:
    """A minimal Compound File (OLE2) whose directory holds a root and one stream."""
    free, end, fat_sector = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)        # one FAT sector
    struct.pack_into("<I", header, 48, 1)        # directory starts at sector 1
    struct.pack_into("<I", header, 56, 4096)
    struct.pack_into("<II", header, 60, end, 0)  # no mini FAT
    struct.pack_into("<II", header, 68, end, 0)  # no DIFAT sectors
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sector, end, *([free] * 126))

    def entry(name: str, kind: int, child: int = free) -> bytes:
        raw = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        raw[:len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, free, free, child)
        struct.pack_into("<IQ", raw, 116, end, 0)
        return bytes(raw)

    directory = entry("Root Entry", 5, child=1) + entry(stream_name, 2) + bytes(128) * 2
    return bytes(header) + fat + directory


# -- findings ------------------------------------------------------------------------
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class People:
    liaison: int      # linked to bureau A's editor
    secretary: int
    member: int


def finding_data(**overrides) -> dict:
    """Valid values of a new finding (found today, due in 30 days)."""
    today = finding_services.today()
    data = {"source": "internal_patrol", "batch": "2026年度内部巡视第二轮", "batch_date": today,
            "description": "个别党支部“三会一课”记录不规范。", "area": "organisational", "severity": "general",
            "found_on": today, "due_on": today + timedelta(days=30), "person_id": None, "duty_item_id": None,
            "measures": ""}
    data.update(overrides)
    return data


def admin_of(bureau) -> Actor:
    return Actor.bureau(bureau.admin, "bureau_admin")


def editor_of(bureau) -> Actor:
    return Actor.bureau(bureau.editor, "bureau_editor")


def branch_of(user) -> Actor:
    """A branch user (a branch's secretary or 组织委员) on the bureau's pages."""
    return Actor.bureau(user, "branch_editor")


def city_of(user) -> Actor:
    return Actor.city(user)


def make_finding(bureau, actor: Actor | None = None, **overrides) -> int:
    """Record a finding in ``bureau`` through the services; returns its id."""
    with tenant_context(bureau.tenant):
        return finding_services.create_finding(finding_data(**overrides), actor=actor or admin_of(bureau)).id


def add_evidence(bureau, finding_id: int, actor: Actor, name: str = "整改报告.pdf") -> None:
    """A progress note with one PDF, through the services."""
    with tenant_context(bureau.tenant):
        finding = finding_services.get_finding(finding_id)
        finding_services.add_note(finding, {"occurred_on": finding_services.today(), "text": "召开专题会议研究整改。"},
                                  files=[finding_services.Upload(stream=io.BytesIO(PDF), filename=name)], actor=actor)


# -- scoring -------------------------------------------------------------------------
EXAMPLES = Path(__file__).resolve().parents[1] / "app" / "scoring" / "examples"
EXAMPLE_SCORES = engine.load_document(EXAMPLES / "annual-2026-scores.yaml")
YEAR = 2026


def form_fields(body: dict, part: str, values: dict[str, Any], *, version: int,
                notes: dict[str, str] | None = None) -> dict[str, str]:
    """The POST data of a sheet form (self or reviewer) holding ``values`` (a scores
    document's part)."""
    data: dict[str, str] = {"version": str(version)}
    for index, (_dimension, indicator) in enumerate(scoring_services.indicators_of(body)):
        stem = f"i{index}"
        value = values.get(indicator["code"])
        if indicator["method"] == "deduct":
            for r_index, rule in enumerate(indicator["rules"]):
                data[f"{stem}_r{r_index}"] = str((value or {}).get(rule["code"], 0))
            if value is not None:  # entered ({} = checked, nothing to deduct)
                data[f"{stem}_ok"] = "y"
        elif value is not None:
            data[stem] = str(value)
        data[f"{stem}_note"] = (notes or {}).get(indicator["code"], "")
    return data


def sheet_of(tenant):
    """The 2026 sheet of a bureau, read in a fresh session (detached, fully loaded)."""
    with tenant_context(tenant):
        sheet = scoring_services.get_sheet(YEAR)
        for entry in sheet.entries:
            entry.evidence  # noqa: B018 - load before the session closes
        sheet.adjustments, sheet.ballot  # noqa: B018
        return sheet


def version_of(tenant) -> int:
    return sheet_of(tenant).version


def start_and_fill(client, bureau, values: dict[str, Any] | None = None, *, submit: bool = False) -> None:
    """As the bureau's admin: start the 2026 sheet, save ``values`` (default: the example
    self-assessment) through the page, and optionally submit it."""
    client.post("/logout")
    login(client, bureau.admin.username)
    response = client.post(f"/b/{bureau.slug}/scoring/{YEAR}/start")
    assert response.status_code == 302, response.get_data(as_text=True)
    body = sheet_of(bureau.tenant).template_body
    data = form_fields(body, "self", values if values is not None else EXAMPLE_SCORES["self"],
                       version=version_of(bureau.tenant))
    response = client.post(f"/b/{bureau.slug}/scoring/{YEAR}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    if submit:
        response = client.post(f"/b/{bureau.slug}/scoring/{YEAR}/submit",
                               data={"version": version_of(bureau.tenant)})
        assert response.status_code == 302
        assert sheet_of(bureau.tenant).status == "self_submitted"
    client.post("/logout")


def review_fully(client, bureau, scores: dict[str, Any] = EXAMPLE_SCORES, *, finalise: bool = True) -> None:
    """As the city admin: enter the reviewer's scores, the ballot and the adjustments of
    ``scores`` through the pages, complete the review and (optionally) finalise."""
    client.post("/logout")
    login(client, "city")
    base = f"/b/{bureau.slug}/scoring/{YEAR}"
    body = sheet_of(bureau.tenant).template_body
    response = client.post(f"{base}/review", data=form_fields(body, "reviewer", scores["reviewer"],
                                                               version=version_of(bureau.tenant)))
    assert response.status_code == 302, response.get_data(as_text=True)
    labels = [level["label"] for level in body["ballot_levels"]]
    ballot = {f"v{index}": str(scores["ballot"].get(label, 0)) for index, label in enumerate(labels)}
    response = client.post(f"{base}/review/ballot", data=dict(ballot, version=version_of(bureau.tenant)))
    assert response.status_code == 302, response.get_data(as_text=True)
    for adjustment in scores.get("adjustments", []):
        data = {"version": version_of(bureau.tenant), "kind": adjustment["kind"],
                "rule": adjustment.get("rule", ""), "points": str(adjustment.get("points", "")),
                "reason": adjustment.get("reason") or "事由", "document": adjustment.get("document") or "文号〔2026〕1号"}
        response = client.post(f"{base}/review/adjustments", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
    assert client.post(f"{base}/review/complete", data={"version": version_of(bureau.tenant)}).status_code == 302
    assert sheet_of(bureau.tenant).status == "reviewed"
    if finalise:
        assert client.post(f"{base}/finalise", data={"version": version_of(bureau.tenant)}).status_code == 302
        assert sheet_of(bureau.tenant).status == "final"
    client.post("/logout")


def page_figures(html: str) -> dict[str, Decimal | str]:
    """The ``data-figure`` values of a page: numbers as Decimal, other text as is."""
    figures: dict[str, Decimal | str] = {}
    for key, text in re.findall(r'data-figure="([^"]+)">([^<]*)<', html):
        text = text.strip().lstrip("+−").rstrip("%")
        figures[key] = Decimal(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else text
    return figures


# -- browser ---------------------------------------------------------------------------
def log_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form in a Playwright page."""
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")


# -- jobs ----------------------------------------------------------------------------
def work_queue() -> int:
    """Be the job worker: run every message waiting in the queue (the ``queued`` fixture's),
    as the consumer does; return how many."""
    from app.jobs import queue

    count = 0
    while (task := queue.queue.dequeue()) is not None:
        queue.queue.execute(task)
        count += 1
    return count


def bureau_commits(tenant, n: int = 1) -> None:
    """``n`` commits of a bureau, one audit event each, as a service would make them (each
    bumps its data version and asks for its figures to be recomputed)."""
    from app.audit.services import record_bureau
    from app.core.unit_of_work import unit_of_work
    from app.tenancy.session import tenant_context

    for i in range(n):
        with tenant_context(tenant), unit_of_work():
            record_bureau("test.write", "thing", i, summary=f"第{i}次")
