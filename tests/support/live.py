"""Real server processes for tests of behaviour across processes.

A :class:`LiveServer` is a gunicorn process serving ``wsgi:app`` on a free loopback port
with a given environment (data root, secret key); a :class:`Browser` is a cookie-keeping
HTTP client that fills CSRF tokens from the pages, as a user's browser would.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.support.settings import cleared

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run ``flask ARGS`` as a separate process with ``env``; fail the test on a non-zero exit."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def run_python(env: dict[str, str], code: str) -> str:
    """Run a Python snippet in an application context of a separate process; return its stdout."""
    script = "from app import create_app\napp = create_app()\nwith app.app_context():\n" + \
        "\n".join("    " + line for line in code.strip().splitlines())
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"script failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@dataclass
class LiveServer:
    """One gunicorn master with ``workers`` sync workers on a loopback port, started with
    the project's ``gunicorn.conf.py``."""

    env: dict[str, str]
    workers: int = 1
    port: int = 0
    process: subprocess.Popen | None = None

    def start(self) -> "LiveServer":
        self.port = self.port or free_port()
        log = open(Path(self.env["ZEREN_TENANTS_DIR"]).parent / f"gunicorn-{self.port}.log", "w")
        self.process = subprocess.Popen(
            # The project's own gunicorn.conf.py (preloaded app, forked workers), with the
            # worker count and port of the test on the command line, which wins over it.
            [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "gunicorn.conf.py"),
             "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "wsgi:app"],
            cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {log.name}")
            try:
                urllib.request.urlopen(f"{self.url}/login", timeout=2).read()
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 60 s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Reply:
    status: int
    location: str
    text: str


class Browser:
    """Keeps cookies across servers that share a secret key, like one user's browser."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(self, url: str, data: dict | None = None) -> Reply:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(urllib.request.Request(url, data=body), timeout=60) as response:
                return Reply(response.status, response.headers.get("Location", ""), response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers.get("Location", ""), error.read().decode(errors="replace"))

    def get(self, url: str) -> Reply:
        return self.request(url)

    def post_form(self, page_url: str, data: dict, action: str | None = None) -> Reply:
        """GET ``page_url``, take its CSRF token, POST ``data`` to ``action`` (default: the page)."""
        page = self.get(page_url)
        assert page.status == 200, f"GET {page_url}: {page.status}"
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token, f"no CSRF token on {page_url}"
        return self.request(action or page_url, {"csrf_token": token.group(1), **data})

    def login(self, server_url: str, username: str, password: str) -> None:
        reply = self.post_form(f"{server_url}/login", {"username": username, "password": password})
        assert reply.status == 302, f"log-in as {username} failed: {reply.status}"


def server_env(data_root: Path, **extra: str) -> dict[str, str]:
    """Environment for processes sharing one SQLite data root and one secret key."""
    env = {k: v for k, v in os.environ.items() if not cleared(k)}
    env.update({"ZEREN_TENANTS_DIR": str(data_root), "ZEREN_SECRET_KEY": "live-test-secret-" + "x" * 40,
                "ZEREN_REPORTS_PREPARE": "0", "PYTHONPATH": str(PROJECT_ROOT)})
    env.update(extra)
    return env
