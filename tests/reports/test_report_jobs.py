"""Report pages with a queue that waits for a worker: the page shows the job's progress and
reloads itself, a crowd shares one job, the file comes once the job is done, a failure
is shown with its reason and a way to try again."""
from __future__ import annotations

import pytest

from app.jobs import services as jobs
from app.jobs.models import DONE, FAILED, QUEUED
from app.reports import services as reports
from tests.helpers import bureau_commits, login, work_queue


@pytest.fixture
def city_user(app, city_admin):
    client = app.test_client()
    login(client, city_admin.username)
    return client


def _report_jobs() -> list:
    return [j for j in jobs.recent(kind="report.city")]


def test_the_page_waits_for_the_job_and_then_gives_the_file(queued, city_user, bureau_a):
    first = city_user.get("/city/reports/2026.pdf")
    assert first.status_code == 202
    page = first.get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "排队等待中" in page
    job = _report_jobs()[0]
    assert f"job={job.id}" in page and job.requested_by == "city"
    state = city_user.get("/city/reports/2026.pdf", headers={"Accept": "application/json"})
    assert state.status_code == 202
    assert state.get_json()["state"] == QUEUED and f"job={job.id}" in state.get_json()["poll"]
    for _ in range(5):  # a crowd at the meeting
        assert city_user.get("/city/reports/2026.pdf").status_code == 202
    assert len(_report_jobs()) == 1
    work_queue()
    done = jobs.get(job.id)
    assert done.state == DONE and done.total >= 1 and done.result["bytes"] > 1000
    made = city_user.get(f"/city/reports/2026.pdf?job={job.id}")
    assert made.status_code == 200 and made.data[:5] == b"%PDF-" and made.headers["X-Report-Cache"] == "hit"


def test_a_followed_job_gives_its_file_even_after_the_data_moved_on(queued, city_user, bureau_a):
    city_user.get("/city/reports/2026.pdf")
    job = _report_jobs()[0]
    work_queue()
    bureau_commits(bureau_a.tenant)  # a bureau saves while the user's page reloads
    work_queue()
    made = city_user.get(f"/city/reports/2026.pdf?job={job.id}")
    assert made.status_code == 200 and made.data[:5] == b"%PDF-"
    assert city_user.get("/city/reports/2026.pdf").status_code == 202  # a fresh order: newer figures


def test_a_failed_rendering_is_shown_with_its_reason_and_can_be_retried(queued, city_user, bureau_a, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("磁盘空间不足")

    monkeypatch.setattr(reports, "produce", broken)
    city_user.get("/city/reports/2026.pdf")
    monkeypatch.setattr(jobs, "MAX_ATTEMPTS", 1)
    work_queue()
    failed = city_user.get("/city/reports/2026.pdf")
    page = failed.get_data(as_text=True)
    assert failed.status_code == 503 and "文件生成失败" in page and "磁盘空间不足" in page
    assert "retry=1" in page and 'http-equiv="refresh"' not in page
    state = city_user.get("/city/reports/2026.pdf", headers={"Accept": "application/json"}).get_json()
    assert state["state"] == FAILED and state["error"] == "磁盘空间不足"
    assert len(_report_jobs()) == 1  # reloading shows the failure; it does not start over
    assert city_user.get("/city/reports/2026.pdf?retry=1").status_code == 202
    assert [j.state for j in _report_jobs()] == [QUEUED, FAILED]


def test_an_unreachable_queue_gives_a_clear_503(app, city_user, bureau_a):
    from app.jobs import queue

    app.config["QUEUE_URL"] = "redis://127.0.0.1:1/0"
    queue.configure(app)
    try:
        response = city_user.get("/city/reports/2026.pdf")
    finally:
        app.config["QUEUE_URL"] = "memory://"
        queue.configure(app)
    assert response.status_code == 503 and "任务队列没有响应" in response.get_data(as_text=True)


def test_a_bureau_report_is_a_job_about_that_bureau(queued, app, bureau_a):
    client = app.test_client()
    login(client, bureau_a.admin.username)
    assert client.get("/b/bureau-a/reports/2026.pdf").status_code == 202
    job = jobs.recent(kind="report.bureau")[0]
    assert job.tenant_slug == "bureau-a" and job.params["city"] is False
    work_queue()
    response = client.get(f"/b/bureau-a/reports/2026.pdf?job={job.id}")
    assert response.status_code == 200 and response.data[:5] == b"%PDF-"
