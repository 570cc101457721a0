"""Helpers of the duty-list tests: a published city template, a bureau's people and list,
sample files of every allowed type (and some that must be refused), a fixed "today"."""
from __future__ import annotations

import io
import struct
import zipfile
from datetime import date

import pytest

from app.core.actor import Actor
from app.duties import catalog, services
from app.evidence.demo import minimal_pdf
from app.people.models import Person
from app.extensions import db
from app.tenancy.session import tenant_context

TODAY = date(2026, 5, 15)
SYSTEM = Actor.system()


@pytest.fixture
def today(monkeypatch):
    """Pages and services see 15 May 2026 as today."""
    monkeypatch.setattr(services, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def template(app):
    """The default template, published for 2026 (what a new city starts with)."""
    return catalog.ensure_default_published(2026)


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


@pytest.fixture
def bureau_list(app, bureau_a, template):
    """Bureau A with people and its 2026 list copied from the template; returns ids."""
    with tenant_context(bureau_a.tenant):
        people = add_people(bureau_a.editor)
        duty_list = services.create_list(2026, template_id=template.id, actor=SYSTEM)
        return {"list_id": duty_list.id, "people": {k: p.id for k, p in people.items()},
                "item_ids": [i.id for i in duty_list.items]}


# -- sample files ------------------------------------------------------------------------
def pdf_bytes(text: str = "evidence") -> bytes:
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
