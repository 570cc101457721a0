"""The city-task pages end to end through the test client: issue with a form file, sign,
submit, return, resubmit, accept; the board, its Excel, downloads, refusals."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from openpyxl import load_workbook

from app.core.clock import today
from app.citytasks import services
from app.extensions import db
from tests.helpers import csrf_token_from, login, pdf_bytes, xlsx_bytes


def _issue(client, **overrides):
    login(client, "city")
    token = csrf_token_from(client.get("/city/tasks/new").get_data(as_text=True))
    data = {"csrf_token": token, "title": "报送党建工作总结", "body": "请填写附表并报送。", "scope": "all",
            "due_on": (today() + timedelta(days=7)).isoformat(), "file_required": "y",
            "form_files": (io.BytesIO(xlsx_bytes()), "附表.xlsx"), "notice_files": (io.BytesIO(pdf_bytes()), "通知.pdf")}
    data.update(overrides)
    return client.post("/city/tasks/new", data=data, content_type="multipart/form-data")


def test_the_whole_way(client, bureaus, city_admin):
    a, b, _c = bureaus
    answer = _issue(client)
    assert answer.status_code == 302
    task_id = int(re.search(r"/city/tasks/(\d+)", answer.headers["Location"]).group(1))
    board = client.get(f"/city/tasks/{task_id}").get_data(as_text=True)
    assert 'data-count="unread"' in board and "附表.xlsx" in board
    client.post("/logout", data={"csrf_token": csrf_token_from(board)})

    login(client, "bureau-a-editor")
    page = client.get(f"/b/bureau-a/tasks/{task_id}").get_data(as_text=True)
    assert "报送党建工作总结" in page and 'id="sign-form"' in page
    file_id = re.search(rf"/b/bureau-a/tasks/{task_id}/files/(\d+)", page).group(1)
    assert client.get(f"/b/bureau-a/tasks/{task_id}/files/{file_id}").status_code == 200
    token = csrf_token_from(page)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert client.post(f"/b/bureau-a/tasks/{task_id}/sign", data={"csrf_token": token, "version": version}).status_code == 302
    page = client.get(f"/b/bureau-a/tasks/{task_id}").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    refused = client.post(f"/b/bureau-a/tasks/{task_id}/answer", data={"csrf_token": token, "version": version,
                                                                        "text": "见附件"})
    assert refused.status_code == 400 and "此任务要求上传文件" in refused.get_data(as_text=True)
    done = client.post(f"/b/bureau-a/tasks/{task_id}/answer", content_type="multipart/form-data",
                       data={"csrf_token": token, "version": version, "text": "已填写附表",
                             "files": (io.BytesIO(xlsx_bytes()), "财政局附表.xlsx")})
    assert done.status_code == 302
    client.post("/logout", data={"csrf_token": token})

    login(client, "city")
    page = client.get(f"/city/tasks/{task_id}/bureaus/bureau-a").get_data(as_text=True)
    assert "财政局附表.xlsx" in page
    token = csrf_token_from(page)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    empty = client.post(f"/city/tasks/{task_id}/bureaus/bureau-a",
                        data={"csrf_token": token, "version": version, "reason": "", "send_back": "y"})
    assert empty.status_code == 400
    returned = client.post(f"/city/tasks/{task_id}/bureaus/bureau-a",
                           data={"csrf_token": token, "version": version, "reason": "缺少盖章", "send_back": "y"})
    assert returned.status_code == 302
    xlsx = client.get(f"/city/tasks/{task_id}/board.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(row[1] == "市财政局" and row[2] == "已退回" for row in values if len(row) > 2)
    assert client.get(f"/city/tasks/{task_id}?state=returned&category=economic&overdue=x").status_code == 200
    token = csrf_token_from(client.get(f"/city/tasks/{task_id}").get_data(as_text=True))
    assert client.post(f"/city/tasks/{task_id}/urge", data={"csrf_token": token}).status_code == 302
    client.post("/logout", data={"csrf_token": token})

    login(client, "bureau-a-editor")
    page = client.get(f"/b/bureau-a/tasks/{task_id}").get_data(as_text=True)
    assert "缺少盖章" in page
    token = csrf_token_from(page)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    again = client.post(f"/b/bureau-a/tasks/{task_id}/answer", content_type="multipart/form-data",
                        data={"csrf_token": token, "version": version, "text": "已补充盖章件",
                              "files": (io.BytesIO(pdf_bytes()), "盖章件.pdf")})
    assert again.status_code == 302
    client.post("/logout", data={"csrf_token": token})

    login(client, "city")
    page = client.get(f"/city/tasks/{task_id}/bureaus/bureau-a").get_data(as_text=True)
    token = csrf_token_from(page)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert client.post(f"/city/tasks/{task_id}/bureaus/bureau-a",
                       data={"csrf_token": token, "version": version, "accept": "y"}).status_code == 302
    db.session.expire_all()
    assert services.assignment_for(task_id, a.tenant.id).state == "accepted"
    # Bureau B's user cannot reach bureau A's pages, nor A's answer through its own.
    client.post("/logout", data={"csrf_token": token})
    login(client, "bureau-b-editor")
    assert client.get(f"/b/bureau-a/tasks/{task_id}").status_code == 404
    assert client.get(f"/b/bureau-b/tasks/{task_id}/answer-files/1").status_code == 404
    assert client.get(f"/city/tasks/{task_id}").status_code == 404


def test_the_issue_form_shows_every_problem(client, bureaus, city_admin):
    answer = _issue(client, title="", body="", due_on="昨天", scope="chosen", form_files=(io.BytesIO(b"MZ"), "a.exe"))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    for message in ("任务", "日期", "单位"):
        assert message in page


def test_the_board_as_pdf_is_laid_out_by_the_reports_job(client, bureaus, city_admin):
    answer = _issue(client)
    task_id = int(re.search(r"/city/tasks/(\d+)", answer.headers["Location"]).group(1))
    pdf = client.get(f"/city/reports/tasks/{task_id}/board.pdf?state=unread")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    from app.jobs.models import Job

    assert db.session.scalar(db.select(Job.kind).where(Job.kind == "report.taskboard")) == "report.taskboard"
    assert client.get("/city/reports/tasks/999999/board.pdf").status_code == 404


def test_an_archived_bureau_reads_its_task_without_a_read_receipt(client, bureaus, city_admin):
    from app.core.actor import Actor
    from app.tenancy import services as tenancy

    a, _b, _c = bureaus
    task = services.issue_task({"title": "报送总结", "body": "请报送。", "scope": "all",
                                "due_on": (today() + timedelta(days=3)).isoformat()}, actor=Actor.city(city_admin))
    tenancy.set_status(db.session.get(type(a.tenant), a.tenant.id), "archived")
    login(client, "city")  # the city reads an archived bureau's pages
    page = client.get(f"/b/bureau-a/tasks/{task.id}")
    assert page.status_code == 200 and 'id="sign-form"' not in page.get_data(as_text=True)
    db.session.expire_all()
    assert services.assignment_for(task.id, a.tenant.id).state == "unread"
