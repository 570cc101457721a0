"""Health pages, request ids, proxy headers, structured logs and the production refusals."""
from __future__ import annotations

import json
import logging
import re
import urllib.request
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import select, update

from app import create_app
from app.audit.models import CatalogAuditEvent
from app.config import ProductionConfig
from app.extensions import db
from app.ops.request_log import JsonFormatter
from app.tenancy.models import Tenant
from tests.helpers import PASSWORD, make_app
from tests.support.live import LiveServer, run_flask, server_env


def test_healthz_answers_without_a_log_in_or_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_catalog_fonts_and_bureaus_are(client, bureau_a, bureau_b):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "ready"
    assert all(check["ok"] for check in response.get_json()["checks"].values())


def test_readyz_counts_a_bureau_behind_the_head_revision_without_naming_it(app, client, bureau_a, bureau_b):
    db.session.execute(update(Tenant).where(Tenant.id == bureau_a.tenant.id).values(revision="0001_older"))
    db.session.commit()
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "not ready"
    assert not body["checks"]["bureaus"]["ok"] and body["checks"]["catalog"]["ok"]
    assert "1 bureau" in body["checks"]["bureaus"]["detail"]
    assert bureau_a.slug not in response.get_data(as_text=True)


def test_readyz_is_not_ready_before_the_catalog_is_migrated(tmp_path):
    # A data root of its own whatever the database of the run: no template, an empty catalog.
    application = make_app(tmp_path, None)
    response = application.test_client().get("/readyz")
    assert response.status_code == 503
    assert "flask catalog upgrade" in response.get_json()["checks"]["catalog"]["detail"]


def test_every_response_carries_a_request_id_and_a_forwarded_one_is_kept_only_if_plain(client):
    made = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["X-Request-ID"] != made
    forwarded = "0123456789abcdef0123456789abcdef"
    assert client.get("/healthz", headers={"X-Request-ID": forwarded}).headers["X-Request-ID"] == forwarded
    for hostile in ("short", "<script>alert(1)</script>0000", "a" * 65, "id with spaces 1234"):
        answered = client.get("/healthz", headers={"X-Request-ID": hostile}).headers["X-Request-ID"]
        assert answered != hostile and re.fullmatch(r"[0-9a-f]{32}", answered)


def test_a_request_refused_by_the_bureau_scope_still_gets_its_id(client, bureau_a):
    # The bureau's URL processor answers before any before-request hook runs.
    response = client.get(f"/b/{bureau_a.slug}/duties/", headers={"X-Request-ID": "scope-0123456789"})
    assert response.status_code == 302 and response.headers["X-Request-ID"] == "scope-0123456789"
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/b/no-such-bureau/").headers["X-Request-ID"])


def test_metrics_time_requests_and_count_bureaus_behind_on_their_figures(app, client, bureau_a, bureau_b):
    from app.city import metrics as rollup

    for tenant in (bureau_a.tenant, bureau_b.tenant):
        rollup.refresh_tenant(tenant.ref)
    client.get("/healthz")
    exported = client.get("/metrics").get_data(as_text=True)
    assert 'zeren_request_duration_seconds_count{endpoint="ops.healthz",method="GET",status="2xx"}' in exported
    assert "zeren_active_bureaus 2.0" in exported and "zeren_rollup_stale_bureaus 0.0" in exported
    db.session.execute(update(Tenant).where(Tenant.id == bureau_a.tenant.id).values(data_version=Tenant.data_version + 5))
    db.session.commit()
    assert "zeren_rollup_stale_bureaus 1.0" in client.get("/metrics").get_data(as_text=True)


def test_metrics_answer_only_the_allowed_addresses(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    assert client.get("/metrics").status_code == 200


def _login_address(application, forwarded_for: str) -> str | None:
    client = application.test_client()
    client.post("/login", data={"username": "city", "password": PASSWORD},
                headers={"X-Forwarded-For": forwarded_for})
    with application.app_context():
        return db.session.scalars(select(CatalogAuditEvent.ip).where(CatalogAuditEvent.action == "user.login")
                                  .order_by(CatalogAuditEvent.id.desc())).first()


def test_the_client_address_comes_from_the_proxy_only_when_one_is_trusted(tmp_path, postgres_database,
                                                                          catalog_template, monkeypatch):
    from app.accounts import services as accounts

    for hops, expected in ((0, "127.0.0.1"), (1, "203.0.113.9")):
        application = make_app(tmp_path / str(hops), postgres_database, catalog_template, PROXY_HOPS=hops)
        with application.app_context():
            accounts.create_user("city", "市直机关工委", PASSWORD, role="city_admin")
        # A client cannot pretend to be someone else through a header no proxy set.
        assert _login_address(application, "203.0.113.9") == expected


def test_json_log_lines_carry_the_request_id_user_and_path(app):
    with app.test_request_context("/b/x/duties/", method="POST"):
        g.request_id = "f" * 32
        record = logging.LogRecord("app", logging.WARNING, __file__, 1, "保存失败：%s", ("甲",), None)
        line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "保存失败：甲" and line["level"] == "WARNING"
    assert line["request_id"] == "f" * 32 and line["method"] == "POST" and line["path"] == "/b/x/duties/"


@pytest.mark.parametrize("secret", ["test-secret-key-not-for-production", "change-me", "short-but-random-8"])
def test_production_refuses_a_development_or_weak_secret_key(tmp_path, monkeypatch, secret):
    monkeypatch.setenv("ZEREN_TENANTS_DIR", str(tmp_path))
    monkeypatch.setenv("ZEREN_SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="ZEREN_SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_starts_with_a_strong_secret_and_logs_json(tmp_path, monkeypatch):
    monkeypatch.setenv("ZEREN_TENANTS_DIR", str(tmp_path))
    monkeypatch.setenv("ZEREN_SECRET_KEY", "x" * 16 + "Zeren-production-secret-0123456789")
    application = create_app(ProductionConfig)
    assert application.config["LOG_FORMAT"] == "json"
    assert isinstance(application.logger.handlers[0].formatter, JsonFormatter)


def test_gunicorn_with_the_projects_configuration_serves_and_logs_the_request_id(tmp_path):
    env = server_env(tmp_path / "tenants")
    run_flask(env, "catalog", "upgrade")
    server = LiveServer(env=env, workers=2).start()
    try:
        request = urllib.request.Request(f"{server.url}/healthz",
                                         headers={"X-Request-ID": "req-0123456789abcdef"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200 and response.headers["X-Request-ID"] == "req-0123456789abcdef"
        with urllib.request.urlopen(f"{server.url}/readyz", timeout=30) as response:
            assert json.load(response)["checks"]["catalog"]["ok"]
        for _ in range(20):  # spread over both workers by the kernel
            urllib.request.urlopen(f"{server.url}/healthz", timeout=10).read()
        with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as response:
            exported = response.read().decode()
    finally:
        server.stop()
    log = Path(tmp_path / f"gunicorn-{server.port}.log").read_text()
    assert "request_id=req-0123456789abcdef" in log
    assert "Booting worker" in log and log.count("Booting worker") >= 2
    # Every worker's requests in one export, whichever worker answered the scrape.
    served = re.search(r'zeren_request_duration_seconds_count\{endpoint="ops.healthz",method="GET",status="2xx"\} (\S+)',
                       exported)
    assert served and float(served.group(1)) == 21.0


def test_readyz_says_when_the_job_queue_cannot_be_reached(app, client):
    from app.jobs import queue

    app.config["QUEUE_URL"] = "redis://127.0.0.1:1/0"
    queue.configure(app)
    try:
        body = client.get("/readyz").get_json()
    finally:
        app.config["QUEUE_URL"] = "memory://"
        queue.configure(app)
    assert body["status"] == "not ready" and not body["checks"]["queue"]["ok"]
    assert "job queue unreachable" in body["checks"]["queue"]["detail"]


def test_metrics_count_waiting_jobs_by_kind(app, client, queued):
    from app.jobs import services

    services.handler("test.wait")(lambda progress: None)
    services.submit("test.wait", "one", {})
    services.submit("test.wait", "two", {})
    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert 'zeren_jobs{kind="test.wait",state="queued"} 2.0' in text
    assert "zeren_jobs_oldest_queued_seconds" in text
