"""Excel: the template, the all-or-nothing import and the ledger export."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.errors import ValidationError
from app.extensions import db
from app.findings import services, xlsx
from app.findings.models import Finding
from app.tenancy.session import tenant_context
from tests.helpers import login

from tests.helpers import admin_of, make_finding

HEADERS = ["问题来源*", "督查批次", "督查日期", "问题描述*", "问题领域", "严重程度", "责任人", "发现日期*", "整改时限*", "整改措施"]


def workbook(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _count(bureau) -> int:
    with tenant_context(bureau.tenant):
        return db.session.scalar(select(func.count(Finding.id)))


def test_the_template_has_headers_lists_and_people(app, bureau_a, people):
    with tenant_context(bureau_a.tenant):
        data = xlsx.template_workbook(services.people())
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[0].rstrip("*") in ("问题来源", "Source") and len(headers) == len(xlsx.IMPORT_COLUMNS)
    lists = book.worksheets[1]
    assert lists.sheet_state == "hidden"
    assert "孙联络（机关党委专职副书记）" in [c.value for c in lists["D"]]
    assert len(sheet.data_validations.dataValidation) == 4


def test_a_good_workbook_imports_every_row(app, bureau_a, people):
    today = services.today()
    rows = [
        ["专项督查", "2026年机关党建专项督查", today, "“第一议题”制度落实不到位", "政治建设", "较重", "孙联络", today,
         today + timedelta(days=30), "修订议事规则"],
        ["internal_patrol", "2026年度内部巡视第二轮", None, "'=HYPERLINK(\"x\")", "", "", "王书记（党组书记、局长）",
         today.isoformat(), (today + timedelta(days=60)).strftime("%Y/%m/%d"), None],
        [None, None, None, None, None, None, None, None, None, None],  # blank rows are skipped
        ["Self-inspection", "", "", "警示教育频次不足", "discipline", "Serious", "", f"{today.year}年{today.month}月{today.day}日",
         datetime.combine(today + timedelta(days=10), datetime.min.time()), ""],
    ]
    with tenant_context(bureau_a.tenant):
        result = xlsx.import_findings(workbook(rows), actor=admin_of(bureau_a))
        assert len(result.findings) == 3
        first, second, third = sorted(result.findings, key=lambda f: f.id)
        assert (first.source, first.area, first.severity, first.person_id) == ("special_inspection", "political",
                                                                                "major", people.liaison)
        assert second.person_id == people.secretary and second.description == '=HYPERLINK("x")'
        assert (third.source, third.severity, third.area) == ("self_check", "serious", "discipline")
        assert [e.action for e in services.history(first)] == ["import"]


def test_one_bad_row_and_nothing_is_imported(app, bureau_a, people):
    today = services.today()
    rows = [
        ["专项督查", "批次", None, "好的一行", "", "", "", today, today + timedelta(days=5), ""],
        ["道听途说", "批次", None, "", "", "极严重", "张三", "2026-02-30", today - timedelta(days=400), ""],
        ["自查", "批次", None, "时限早于发现日期", "", "", "", today, today - timedelta(days=1), ""],
    ]
    with tenant_context(bureau_a.tenant):
        with pytest.raises(ValidationError) as refused:
            xlsx.import_findings(workbook(rows), actor=admin_of(bureau_a))
    messages = refused.value.errors["file"]
    text = "\n".join(messages)
    # row 3 (the second data row): source, description, severity, person, found date; row 4: deadline
    for column in ("A", "D", "F", "G", "H"):
        assert any(m.startswith(("第3行", "Row 3")) and column in m for m in messages), (column, text)
    assert any(m.startswith(("第4行", "Row 4")) and "I" in m for m in messages), text
    assert not any(m.startswith(("第2行", "Row 2")) for m in messages)
    assert _count(bureau_a) == 0


def test_wrong_files_and_headers_are_reported(app, bureau_a):
    with tenant_context(bureau_a.tenant):
        for data in (b"not a workbook", b"PK\x03\x04broken zip", workbook([["a"]], headers=["随便", "什么"])):
            with pytest.raises(ValidationError) as refused:
                xlsx.import_findings(data, actor=admin_of(bureau_a))
            assert refused.value.errors["file"]
        with pytest.raises(ValidationError):
            xlsx.import_findings(workbook([]), actor=admin_of(bureau_a))
    assert _count(bureau_a) == 0


def test_a_zip_bomb_is_refused_before_parsing(app, bureau_a):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (xlsx.MAX_UNCOMPRESSED + 1))
    with tenant_context(bureau_a.tenant):
        with pytest.raises(ValidationError) as refused:
            xlsx.import_findings(buffer.getvalue(), actor=admin_of(bureau_a))
    assert refused.value.errors["file"]


def test_import_through_the_page(app, client, bureau_a):
    today = services.today()
    login(client, bureau_a.admin.username)
    good = workbook([["自查", "", None, "制度不健全", "", "", "", today, today + timedelta(days=9), ""]])
    bad = workbook([["自查", "", None, "", "", "", "", today, today + timedelta(days=9), ""]])
    response = client.post(f"/b/{bureau_a.slug}/findings/import", data={"file": (io.BytesIO(bad), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "import-problems" in response.get_data(as_text=True)
    assert _count(bureau_a) == 0
    response = client.post(f"/b/{bureau_a.slug}/findings/import", data={"file": (io.BytesIO(good), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and _count(bureau_a) == 1


def test_the_export_escapes_formulas_and_is_formatted(app, client, bureau_a, people):
    make_finding(bureau_a, description="=1+2", measures="+cmd|' /C calc'!A0", batch="@SUM(A1)", person_id=people.member)
    make_finding(bureau_a, description="-2 正常文字")
    login(client, bureau_a.viewer.username)
    response = client.get(f"/b/{bureau_a.slug}/findings/export.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.active
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'=1+2" in values and "'+cmd|' /C calc'!A0" in values and "'@SUM(A1)" in values and "'-2 正常文字" in values
    assert not [v for v in values if v.startswith(("=", "+", "-", "@"))]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert sheet.freeze_panes == "A4" and sheet["A3"].font.bold
    assert sheet.page_setup.orientation == "landscape"
    assert any("李成员" in v for v in values)


def test_safe_leaves_plain_values_alone():
    assert xlsx.safe("普通文字") == "普通文字"
    assert xlsx.safe(3) == 3 and xlsx.safe(None) is None and xlsx.safe(date(2026, 1, 1)) == date(2026, 1, 1)
    assert xlsx.safe("\tx") == "'\tx"
