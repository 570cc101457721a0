"""Excel: formatted export with formula-injection escaping, the import template, and an
import that checks every row first and names the bad ones."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.audit.models import TenantAuditEvent
from app.duties import services, xlsx
from app.duties.models import DutyItem
from app.extensions import db
from app.tenancy.session import tenant_context
from tests.helpers import SYSTEM, login

HEADERS = [c.header for c in xlsx.COLUMNS]


def _export(bureau, list_id) -> bytes:
    with tenant_context(bureau.tenant):
        duty_list = services.get_list(list_id)
        return xlsx.export_list(duty_list, services.item_rows(duty_list), bureau_name="市财政局")


def _import(bureau, list_id, data: bytes):
    with tenant_context(bureau.tenant):
        return xlsx.import_items(services.get_list(list_id), io.BytesIO(data), actor=SYSTEM)


def _snapshot(bureau, list_id) -> list[tuple]:
    with tenant_context(bureau.tenant):
        return sorted((i.category, i.area, i.content, i.measures, i.owner_id, i.lead_unit, i.cadence,
                       i.expected_count, i.due_date) for i in services.get_list(list_id).items)


def _workbook(rows: list[dict], headers=HEADERS) -> bytes:
    book = xlsx.Workbook()
    sheet = book.active
    sheet.title = xlsx.SHEET
    sheet.append(["2026年度责任清单"])
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = {"责任类别": "党组（党委）主体责任", "工作领域": "政治建设", "责任事项": "召开全面从严治党工作会议",
        "工作措施": "总结部署", "责任人": "王建国", "牵头单位": "办公室", "频次": "一次性", "完成时限": "2026-03-31"}


def test_export_is_formatted_and_escapes_formulas(app, bureau_a, bureau_list, today):
    with tenant_context(bureau_a.tenant):
        item = services.get_list(bureau_list["list_id"]).items[0]
        services.update_item(item, {**services.item_snapshot(item), "content": "=HYPERLINK(\"http://evil\",\"点击\")",
                                    "measures": "-1+1", "lead_unit": "@SUM(A1)", "owner_id": item.owner_id},
                             version=item.version, actor=SYSTEM)
        item_id = item.id
    book = load_workbook(io.BytesIO(_export(bureau_a, bureau_list["list_id"])))
    sheet = book[xlsx.SHEET]
    assert "市财政局" in sheet["A1"].value and sheet["A1"].font.bold
    assert [c.value for c in sheet[2]] == HEADERS
    assert sheet["B2"].font.bold and sheet.freeze_panes == "B3" and sheet.auto_filter.ref.startswith("A2:")
    assert sheet.column_dimensions["D"].width >= 40
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=3)}
    escaped = rows[item_id]
    assert escaped[3].value == "'=HYPERLINK(\"http://evil\",\"点击\")" and escaped[3].data_type == "s"
    assert escaped[4].value == "'-1+1" and escaped[6].value == "'@SUM(A1)"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert xlsx.HELP_SHEET in book.sheetnames and sheet.data_validations.dataValidation
    dated = next(r for r in rows.values() if r[9].value is not None)
    assert dated[9].number_format == "yyyy-mm-dd"


def test_export_then_import_round_trips(app, bureau_a, bureau_list, today):
    with tenant_context(bureau_a.tenant):
        item = services.get_list(bureau_list["list_id"]).items[0]
        services.update_item(item, {**services.item_snapshot(item), "content": "=1+2 看似公式的文字",
                                    "owner_id": item.owner_id}, version=item.version, actor=SYSTEM)
        target = services.create_list(2027, actor=SYSTEM)
        target.areas = services.get_list(bureau_list["list_id"]).areas
        db.session.commit()
        target_id = target.id
    exported = _export(bureau_a, bureau_list["list_id"])
    # into the same list: nothing changes
    same = _import(bureau_a, bureau_list["list_id"], exported)
    assert (same.added, same.changed) == (0, 0) and same.unchanged == len(bureau_list["item_ids"])
    # into another list (numbers cleared, as the instructions say): the same items, due dates a year on refused,
    # so the 2027 list takes the items of a 2027 export
    book = load_workbook(io.BytesIO(exported))
    sheet = book[xlsx.SHEET]
    for row in sheet.iter_rows(min_row=3):
        row[0].value = None
        row[14].value = None
        if row[9].value is not None:
            row[9].value = row[9].value.replace(year=2027)
    out = io.BytesIO()
    book.save(out)
    result = _import(bureau_a, target_id, out.getvalue())
    assert result.added == len(bureau_list["item_ids"])
    original = [(*r[:8], r[8].replace(year=2027) if r[8] else None) for r in _snapshot(bureau_a, bureau_list["list_id"])]
    assert sorted(original, key=repr) == sorted(_snapshot(bureau_a, target_id), key=repr)
    assert any(r[2] == "=1+2 看似公式的文字" for r in _snapshot(bureau_a, target_id))


def test_import_updates_exported_items_and_refuses_stale_rows(app, bureau_a, bureau_list, today):
    exported = _export(bureau_a, bureau_list["list_id"])
    book = load_workbook(io.BytesIO(exported))
    sheet = book[xlsx.SHEET]
    first = next(sheet.iter_rows(min_row=3))
    item_id = first[0].value
    first[7].value = "每季度"
    first[8].value = 4
    out = io.BytesIO()
    book.save(out)
    edited = out.getvalue()
    result = _import(bureau_a, bureau_list["list_id"], edited)
    assert (result.added, result.changed) == (0, 1)
    with tenant_context(bureau_a.tenant):
        item = db.session.get(DutyItem, item_id)
        assert (item.cadence, item.expected_count) == ("quarterly", 4)
        event = db.session.scalars(select(TenantAuditEvent).where(TenantAuditEvent.action == "duty_item.update")
                                   .order_by(TenantAuditEvent.id.desc())).first()
        assert event.after["cadence"] == "quarterly" and event.before["cadence"] != "quarterly"
    # the same workbook again: its version numbers are now stale
    with pytest.raises(xlsx.ImportRefused) as refused:
        _import(bureau_a, bureau_list["list_id"], edited)
    assert refused.value.problems[0].row == 3 and refused.value.problems[0].column == "版本号"
    assert "已被他人修改" in refused.value.problems[0].message


def test_one_bad_row_imports_nothing_and_is_named(app, bureau_a, bureau_list, today):
    before = _snapshot(bureau_a, bureau_list["list_id"])
    rows = [GOOD, {**GOOD, "责任事项": "第二行正常"},
            {**GOOD, "责任类别": "党小组", "工作领域": "", "频次": "每天", "完成时限": "明年", "全年应完成次数": "许多",
             "责任人": "查无此人"},
            {**GOOD, "责任事项": "第四行正常"}]
    with pytest.raises(xlsx.ImportRefused) as refused:
        _import(bureau_a, bureau_list["list_id"], _workbook(rows))
    problems = refused.value.problems
    assert {p.row for p in problems} == {5}  # the third data row, under the title and header rows
    assert {p.column for p in problems} == {"责任类别", "工作领域", "频次", "完成时限", "全年应完成次数", "责任人"}
    messages = " ".join(str(p) for p in problems)
    assert "第 5 行“责任类别”列" in messages and "党小组" in messages and "查无此人" in messages
    assert _snapshot(bureau_a, bureau_list["list_id"]) == before
    with tenant_context(bureau_a.tenant):
        assert not db.session.scalar(select(func.count()).select_from(TenantAuditEvent)
                                     .where(TenantAuditEvent.action == "duty_list.import"))


@pytest.mark.parametrize("data,message", [
    (b"", "文件为空"),
    (b"not a workbook at all", "不是有效的 Excel 工作簿"),
    (b"PK\x03\x04garbage", "不是有效的 Excel 工作簿"),
])
def test_files_that_are_not_workbooks(app, bureau_a, bureau_list, data, message):
    with pytest.raises(xlsx.ImportRefused) as refused:
        _import(bureau_a, bureau_list["list_id"], data)
    assert message in refused.value.message


def test_layout_problems(app, bureau_a, bureau_list):
    with pytest.raises(xlsx.ImportRefused) as refused:
        _import(bureau_a, bureau_list["list_id"], _workbook([GOOD], headers=["甲", "乙"]))
    assert "责任事项" in refused.value.message
    with pytest.raises(xlsx.ImportRefused) as refused:
        _import(bureau_a, bureau_list["list_id"], _workbook([], headers=["责任事项", "频次"]))
    assert "责任类别" in refused.value.message
    with pytest.raises(xlsx.ImportRefused) as refused:
        _import(bureau_a, bureau_list["list_id"], _workbook([]))
    assert "没有事项行" in refused.value.message


def test_import_page_and_template_download(app, client, bureau_a, bureau_list, today):
    login(client, bureau_a.admin.username)
    base = f"/b/{bureau_a.slug}/duties"
    template = client.get(f"{base}/import-template.xlsx")
    assert template.status_code == 200 and template.headers["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(template.data))
    assert [c.value for c in book[xlsx.SHEET][2]] == HEADERS
    bad = _workbook([GOOD, {**GOOD, "责任类别": "不存在的类别"}])
    response = client.post(f"{base}/{bureau_list['list_id']}/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(bad), "清单.xlsx")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "未导入任何内容" in page and "不存在的类别" in page
    good = _workbook([GOOD])
    response = client.post(f"{base}/{bureau_list['list_id']}/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(good), "清单.xlsx")}, follow_redirects=True)
    assert "新增 1 项" in response.get_data(as_text=True)
    export = client.get(f"{base}/{bureau_list['list_id']}/export.xlsx")
    assert export.status_code == 200 and "filename*=UTF-8''" in export.headers["Content-Disposition"]


def test_people_with_the_same_name_are_exported_with_their_post(app, bureau_a, bureau_list, today):
    from app.people.models import Person

    with tenant_context(bureau_a.tenant):
        twin = Person(name="王建国", post="二级调研员", kind="staff")
        db.session.add(twin)
        db.session.commit()
        item = services.get_list(bureau_list["list_id"]).items[0]
        services.update_item(item, {**services.item_snapshot(item), "owner_id": twin.id}, version=item.version,
                             actor=SYSTEM)
        twin_id = twin.id
    exported = _export(bureau_a, bureau_list["list_id"])
    owners = {r[5].value for r in load_workbook(io.BytesIO(exported))[xlsx.SHEET].iter_rows(min_row=3)}
    assert "王建国（二级调研员）" in owners and "王建国（党组书记、局长）" in owners
    assert _import(bureau_a, bureau_list["list_id"], exported).changed == 0
    with tenant_context(bureau_a.tenant):
        assert db.session.scalar(select(func.count()).select_from(DutyItem).where(DutyItem.owner_id == twin_id)) == 1
    with pytest.raises(xlsx.ImportRefused) as refused:  # the bare name is ambiguous now
        _import(bureau_a, bureau_list["list_id"], _workbook([GOOD]))
    assert "有多人名为“王建国”" in refused.value.problems[0].message
