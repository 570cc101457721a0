"""The webhook channel against a local HTTP receiver started by the test: the signed JSON
body, a delivery recorded with its status, a retry by the job queue after a 500."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs import services as jobs
from app.jobs.models import Job
from app.notifications import services as notifications
from app.notifications.channels import SIGNATURE_HEADER
from app.notifications.models import Delivery
from tests.helpers import work_queue

SECRET = "城市网关-secret"


class Receiver:
    """A gateway on 127.0.0.1 answering the statuses it is given, in turn."""

    def __init__(self, port: int, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    import socket

    for port in range(7450, 7500):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 7450-7499")


@pytest.fixture
def gateway(app):
    port = _free_port()
    app.config.update(NOTIFY_WEBHOOK_URL=f"http://127.0.0.1:{port}/notify", NOTIFY_WEBHOOK_SECRET=SECRET,
                      NOTIFY_WEBHOOK_TIMEOUT=3, NOTIFY_PUBLIC_URL="https://zeren.example.gov.cn")
    return port


def test_signed_json_reaches_the_gateway(gateway, bureau_a):
    with Receiver(gateway, [200]) as receiver:
        notifications.notify(notifications.bureau_role(bureau_a.tenant, "bureau_admin"), "task_urged",
                             "督办：请于12月10日前报送材料", "/b/bureau-a/tasks/3", tenant=bureau_a.tenant)
    (headers, body), = receiver.requests
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER.lower()] == expected
    document = json.loads(body)
    assert document["event"] == "task_urged" and document["title"].startswith("督办")
    assert document["url"] == "https://zeren.example.gov.cn/b/bureau-a/tasks/3"
    assert document["bureau"] == "bureau-a"
    assert [r["username"] for r in document["recipients"]] == ["bureau-a-admin"]
    delivery = db.session.scalars(select(Delivery)).one()
    assert (delivery.status, delivery.attempts, delivery.channel) == ("sent", 1, "webhook")


def test_a_500_is_retried_by_the_queue_and_recorded(gateway, bureau_a, queued):
    with Receiver(gateway, [500, 200]) as receiver:
        notifications.notify([bureau_a.editor.id], "task_returned", "退回：缺少盖章件", "/", tenant=bureau_a.tenant)
        work_queue()  # the first attempt, answered 500; the retry waits for its delay
        delivery = db.session.scalars(select(Delivery)).one()
        assert (delivery.status, delivery.attempts) == ("failed", 1)
        assert "500" in delivery.last_error
        job = db.session.scalars(select(Job).where(Job.kind == "notifications.deliver")).one()
        assert (job.state, job.attempts) == ("queued", 1) and "500" in job.error
        # The queue hands the retry over after its delay: be the worker that takes it then.
        assert jobs.execute(job.id) == "done"
    assert len(receiver.requests) == 2
    assert receiver.requests[0][1] == receiver.requests[1][1]  # the same body, signed the same
    db.session.expire_all()
    delivery = db.session.scalars(select(Delivery)).one()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")


def test_an_unreachable_gateway_is_a_failed_delivery_not_an_error_page(gateway, bureau_a):
    notifications.notify([bureau_a.editor.id], "task_urged", "督办", "/", tenant=bureau_a.tenant)
    delivery = db.session.scalars(select(Delivery)).one()
    assert delivery.status == "failed" and "unreachable" in delivery.last_error
    assert notifications.unread_count(bureau_a.editor.id) == 1


def test_without_a_url_nothing_goes_out(app, bureau_a):
    notifications.notify([bureau_a.editor.id], "task_urged", "督办", "/")
    assert db.session.scalars(select(Delivery)).all() == []


def test_kinds_limit_what_goes_out(gateway, app, bureau_a):
    app.config["NOTIFY_WEBHOOK_KINDS"] = "task_urged"
    with Receiver(gateway, []) as receiver:
        notifications.notify([bureau_a.editor.id], "task_accepted", "已通过", "/")
        notifications.notify([bureau_a.editor.id], "task_urged", "督办", "/")
    assert [json.loads(body)["event"] for _h, body in receiver.requests] == ["task_urged"]
