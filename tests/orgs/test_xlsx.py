"""The organisation import: all or nothing, every problem by row and column."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from app.errors import ValidationError
from app.extensions import db
from app.orgs import xlsx
from app.orgs.models import OrgUnit
from app.tenancy.session import tenant_context
from tests.helpers import admin_of, login

HEADER = ["党组织名称", "类别", "上级党组织", "书记", "副书记", "组织委员", "委员", "党员人数", "上次换届", "任期（年）"]


def _book(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_good_workbook_builds_the_tree_in_row_order(bureau_a, tree):
    data = _book([
        ["离退休干部党总支", "党总支", "市财政局机关党委", "周组长", None, None, None, None, "2025-01-10", 3],
        ["离退休干部第一党支部", "党支部", "离退休干部党总支", "孙副书", None, "李二书", "孙副书、李二书", 31,
         "2024/6/1", None],
        ["办公室党支部", "党支部", "市财政局机关党委", "李二书", None, "钱二支", None, 11, "2025-06-01", 3],
    ])
    with tenant_context(bureau_a.tenant):
        assert xlsx.import_units(data, actor=admin_of(bureau_a)) == (2, 1)
        unit = db.session.query(OrgUnit).filter_by(name="离退休干部第一党支部").one()
        assert unit.parent.name == "离退休干部党总支" and unit.member_count == 31 and len(unit.committee) == 2
        assert db.session.query(OrgUnit).filter_by(name="办公室党支部").one().member_count == 11


def test_any_wrong_row_imports_nothing_and_names_every_problem(bureau_a, tree):
    data = _book([
        ["新党支部", "党支部", "市财政局机关党委", "不存在的人", None, None, None, "很多", None, None],
        ["新党小组", "党小组", None, None, None, None, None, None, "2030-01-01", None],
        ["", "支部", "无此组织", None, None, None, None, None, None, None],
        ["新党支部", "党支部", "市财政局机关党委", None, None, None, None, None, None, None],
    ])
    with tenant_context(bureau_a.tenant):
        before = db.session.query(OrgUnit).count()
        with pytest.raises(ValidationError) as caught:
            xlsx.import_units(data, actor=admin_of(bureau_a))
        assert db.session.query(OrgUnit).count() == before
    problems = caught.value.errors["file"]
    text = "\n".join(problems)
    for expected in ("第2行D列", "第2行H列", "第3行C列", "第3行I列", "第4行A列", "第4行B列", "第4行C列",
                     "第5行A列"):
        assert expected in text, (expected, text)


def test_the_template_holds_the_tree_and_imports_back_unchanged(client, bureau_a, tree):
    login(client, bureau_a.admin.username)
    response = client.get(f"/b/{bureau_a.slug}/orgs/import/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == HEADER and sheet.max_row == 5
    with tenant_context(bureau_a.tenant):
        assert xlsx.import_units(response.data, actor=admin_of(bureau_a)) == (0, 0)


def test_the_import_page_lists_the_problems(client, bureau_a, tree):
    login(client, bureau_a.admin.username)
    page = client.get(f"/b/{bureau_a.slug}/orgs/import").get_data(as_text=True)
    from tests.helpers import csrf_token_from

    data = {"csrf_token": csrf_token_from(page),
            "file": (io.BytesIO(_book([["x", "党小组", None]])), "组织.xlsx")}
    response = client.post(f"/b/{bureau_a.slug}/orgs/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "第2行" in response.get_data(as_text=True)
