"""The log-in rate limit holds across processes (catalog storage or Redis)."""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app import create_app
from app.accounts.ratelimit import CatalogStorage
from app.extensions import db
from tests.helpers import PASSWORD
from tests.support.settings import cleared

REDIS_URL = "redis://127.0.0.1:6379/0"
GUNICORN = Path(sys.executable).with_name("gunicorn")


# -- the catalog storage -----------------------------------------------------------------
def test_catalog_storage_counts_in_windows(app):
    storage = CatalogStorage()
    assert storage.check()
    assert storage.get("k") == 0
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and time.time() < storage.get_expiry("k") <= time.time() + 60
    assert storage.incr("short", 1) == 1
    time.sleep(1.1)
    assert storage.get("short") == 0 and storage.incr("short", 1) == 1  # a new window
    storage.clear("k")
    assert storage.get("k") == 0
    long_key = "login-user:" + "名" * 400 + "\x00"
    assert [storage.incr(long_key, 60) for _ in range(2)] == [1, 2]
    assert storage.reset() >= 2 and storage.get("short") == 0


def test_catalog_storage_loses_no_hit_under_concurrency(app):
    storage = CatalogStorage()
    errors = []

    def hammer():
        with app.app_context():
            try:
                for _ in range(25):
                    storage.incr("shared", 60)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and storage.get("shared") == 100


# -- configuration -----------------------------------------------------------------------
def _production_env(monkeypatch, tmp_path, **extra):
    for name in list(os.environ):
        if cleared(name):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ZEREN_ENV", "production")
    monkeypatch.setenv("ZEREN_SECRET_KEY", "a-production-secret-" + "k" * 32)
    monkeypatch.setenv("ZEREN_TENANTS_DIR", str(tmp_path / "data"))
    for name, value in extra.items():
        monkeypatch.setenv(f"ZEREN_{name}", value)


def test_production_refuses_per_process_storage(monkeypatch, tmp_path):
    _production_env(monkeypatch, tmp_path, RATELIMIT_STORAGE_URI="memory://")
    with pytest.raises(RuntimeError, match="memory://"):
        create_app()


def test_production_counts_in_the_catalog_or_in_redis(monkeypatch, tmp_path):
    _production_env(monkeypatch, tmp_path)
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "catalogdb://"
    monkeypatch.setenv("ZEREN_REDIS_URL", REDIS_URL)
    assert create_app().config["RATELIMIT_STORAGE_URI"] == REDIS_URL


# -- real processes ----------------------------------------------------------------------
class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket: the servers need no TCP port."""

    def __init__(self, path: str):
        super().__init__("localhost", timeout=30)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.socket_path)


class Browser:
    """One visitor of one server: keeps its session cookie, posts the log-in form with its CSRF token."""

    def __init__(self, socket_path: str):
        self.socket_path = socket_path
        self.cookie = ""

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
        connection = UnixHTTPConnection(self.socket_path)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            if header.startswith("session="):
                self.cookie = header.split(";", 1)[0]
        connection.close()
        return response.status, text

    def login(self, username: str, password: str) -> int:
        status, page = self.request("GET", "/login")
        assert status == 200, page[:500]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        status, _ = self.request("POST", "/login", {"username": username, "password": password, "csrf_token": token})
        return status


def _start_servers(app, tmp_path, count: int = 2, **env) -> list[tuple[subprocess.Popen, str]]:
    environment = {key: value for key, value in os.environ.items() if not cleared(key)}
    environment.update({
        "ZEREN_ENV": "production",
        "ZEREN_SECRET_KEY": "shared-secret-of-both-servers-" + "k" * 32,
        "ZEREN_TENANTS_DIR": app.config["TENANTS_DIR"],
        "ZEREN_DATABASE_URL": app.config["DATABASE_URL"],
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        **{f"ZEREN_{name}": value for name, value in env.items()},
    })
    servers = []
    for n in range(count):
        path = str(tmp_path / f"server-{n}.sock")
        log = open(tmp_path / f"server-{n}.log", "w")
        process = subprocess.Popen(
            [str(GUNICORN), "--workers", "1", "--bind", f"unix:{path}", "--chdir", str(Path(__file__).resolve().parents[2]),
             "app:create_app()"], env=environment, stdout=log, stderr=subprocess.STDOUT)
        servers.append((process, path))
    deadline = time.monotonic() + 60
    for process, path in servers:
        while not os.path.exists(path):
            assert process.poll() is None, (tmp_path / "server-0.log").read_text()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
    return servers


def _stop(servers) -> None:
    for process, _ in servers:
        process.terminate()
    for process, _ in servers:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def redis_prefix():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"zeren-test-{uuid.uuid4().hex}"
    yield prefix
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed beside this Python")
@pytest.mark.parametrize("storage", ["catalog", "redis"])
def test_two_server_processes_share_the_login_limit(app, bureau_a, tmp_path, storage, request):
    """Ten wrong passwords in all, alternating between two processes, lock the account on both."""
    env = {}
    if storage == "redis":
        env = {"REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": request.getfixturevalue("redis_prefix")}
    username = bureau_a.admin.username
    db.session.remove()  # the servers write to the same catalog
    servers = _start_servers(app, tmp_path, **env)
    try:
        browsers = [Browser(path) for _, path in servers]
        statuses = [browsers[attempt % 2].login(username, f"wrong-{attempt}-Password")
                    for attempt in range(10)]
        assert statuses == [200] * 10  # every one was a wrong password, counted
        assert browsers[0].login(username, "wrong-again-Password") == 429
        assert browsers[1].login(username, "wrong-again-Password") == 429
        assert browsers[1].login(username, PASSWORD) == 429  # locked, even with the right one
    finally:
        _stop(servers)
