"""The deployment files, run for real: gunicorn and the job worker started with the commands
of deploy/systemd/, nginx with deploy/nginx/zeren.conf (paths and ports substituted), and a
clerk's journey through nginx over HTTPS: log in, record progress with a PDF, download it
(sent by nginx through X-Accel-Redirect), a static file, the year's PDF report, and an
upload over the limit answered by the application."""
from __future__ import annotations

import hashlib
import http.cookiejar
import contextlib
import os
import re
import shlex
import shutil
import signal
import ssl
import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from tests.helpers import PASSWORD, pdf_bytes
from tests.support.live import PROJECT_ROOT, free_port, run_flask, server_env

DEPLOY = PROJECT_ROOT / "deploy"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
VENV_BIN = Path(sys.executable).parent
BUREAU, EDITOR = "jgswj", "jgswj-editor"  # the demo's first bureau and its editor

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run does)")


# -- the deployment files ---------------------------------------------------------------
def unit_command(unit: str) -> list[str]:
    """The ExecStart of a unit in deploy/systemd/, with the virtual environment of this test run."""
    text = (DEPLOY / "systemd" / unit).read_text()
    lines = re.findall(r"^ExecStart=(.+)$", text, re.MULTILINE)
    assert len(lines) == 1, f"{unit}: one ExecStart expected"
    command = shlex.split(lines[0])
    assert command[0].startswith("/srv/zeren/venv/bin/"), f"{unit}: runs {command[0]}, not from the venv"
    command[0] = str(VENV_BIN / Path(command[0]).name)
    assert Path(command[0]).exists(), f"{command[0]} is not installed in this environment"
    return command


def unit_value(unit: str, key: str, default: str) -> str:
    found = re.findall(rf"^{key}=(.+)$", (DEPLOY / "systemd" / unit).read_text(), re.MULTILINE)
    return found[-1].strip() if found else default


def substituted(text: str, replacements: dict[str, str]) -> str:
    """``text`` with every token replaced; a token missing from the file fails the test, so
    a change to the deployment file breaks this test instead of testing something else."""
    for token, value in replacements.items():
        assert token in text, f"deploy/nginx/zeren.conf no longer contains {token!r}: update this test"
        text = text.replace(token, value)
    return text


@dataclass
class Ports:
    http: int = field(default_factory=free_port)
    https: int = field(default_factory=free_port)
    app: int = field(default_factory=free_port)


def nginx_site(tmp: Path, data_root: Path, ports: Ports, cert: Path, key: Path) -> str:
    site = substituted((DEPLOY / "nginx" / "zeren.conf").read_text(), {
        "listen 80;": f"listen 127.0.0.1:{ports.http};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{ports.https} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{ports.app};",
        "/srv/zeren/app/": f"{PROJECT_ROOT}/",
        "/srv/zeren/venv/lib/python3.11/site-packages/": sysconfig.get_paths()["purelib"] + "/",
        "/var/lib/zeren/": f"{data_root}/",
        "/etc/ssl/zeren/fullchain.pem": str(cert),
        "/etc/ssl/zeren/privkey.pem": str(key),
        "/var/log/nginx/zeren.": f"{tmp}/nginx-zeren.",
        "/var/www/html": str(tmp / "www"),
    })
    directives = "\n".join(line.split("#", 1)[0] for line in site.splitlines())
    for production_path in ("/srv/zeren", "/var/lib/zeren", "/var/log", "/etc/ssl"):
        assert production_path not in directives, f"{production_path} left in the site file: substitute it here"
    return site


def nginx_main(tmp: Path, site: Path) -> str:
    """A main configuration of nginx's own, like Debian's nginx.conf, with every path in ``tmp``."""
    temp = tmp / "nginx-temp"
    # As root the workers would run as nobody, who cannot enter pytest's private folders.
    user = "user root root;" if os.geteuid() == 0 else ""
    return f"""
{user}
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    access_log {tmp}/nginx-access.log;
    include {site};
}}
"""


def self_signed(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


# -- processes ---------------------------------------------------------------------------
@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    stop_signal: int = signal.SIGTERM

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        """Stop its whole process group (gunicorn's or the consumer's workers with it), as
        systemd's KillMode=mixed would: the unit's signal, then SIGKILL after a while."""
        if self.alive():
            os.killpg(self.popen.pid, self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):  # then the SIGKILL below
                self.popen.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(self.popen.pid, signal.SIGKILL)
        if self.popen.poll() is None:
            self.popen.wait(timeout=10)


def start(name: str, command: list[str], env: dict[str, str], tmp: Path, stop_signal: int = signal.SIGTERM) -> Process:
    log = tmp / f"{name}.log"
    with open(log, "w") as out:
        popen = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    return Process(name, popen, log, stop_signal)


def wait_until(check, what: str, seconds: float, processes: list[Process]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            assert process.alive(), f"{process.name} exited:\n{process.log.read_text()[-3000:]}"
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds} s")


# -- a browser over HTTPS ------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class Clerk:
    """A browser that does not verify the (self-signed) certificate and keeps its cookies."""

    def __init__(self) -> None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                                  urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def open(self, url: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 60) -> Answer:
        headers = dict(headers or {})
        if body is not None:
            # Flask-WTF checks, over HTTPS, that a form comes from the same site, as a browser says.
            headers.setdefault("Referer", url)
        request = urllib.request.Request(url, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def csrf(self, url: str) -> tuple[str, str]:
        page = self.open(url)
        assert page.status == 200, f"GET {url}: {page.status}"
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token, f"no CSRF token on {url}"
        return page.text, token.group(1)

    def post(self, url: str, fields: dict[str, str], files: list[tuple[str, str, bytes]] = ()) -> Answer:
        """POST a multipart form: ``fields`` and ``files`` as (field, file name, bytes)."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, filename, data in files:
            quoted = urllib.parse.quote(filename)
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{quoted}"; '
                         f"filename*=UTF-8''{quoted}\r\nContent-Type: application/pdf\r\n\r\n".encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.open(url, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"},
                         timeout=120)

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)


# -- the stack ----------------------------------------------------------------------------
@dataclass
class Stack:
    tmp: Path
    data_root: Path
    ports: Ports
    processes: list[Process]

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.ports.https}"

    def log(self, name: str) -> str:
        path = self.tmp / name
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture
def stack(tmp_path):
    data_root = tmp_path / "data"
    ports = Ports()
    # The settings of deploy/zeren.env.example that matter behind nginx; SQLite and the
    # default queue under the data root instead of PostgreSQL and Redis.
    env = server_env(data_root, ZEREN_ENV="production", ZEREN_PROXY_HOPS="1", ZEREN_ACCEL_REDIRECT="/_protected/",
                     ZEREN_BIND=f"127.0.0.1:{ports.app}", ZEREN_WORKERS="2", ZEREN_TIMEOUT="120",
                     ZEREN_LOG_FORMAT="json")
    for name in ("ZEREN_ACCEL_REDIRECT", "ZEREN_PROXY_HOPS", "ZEREN_BIND"):
        assert re.search(rf"^{name}=", (DEPLOY / "zeren.env.example").read_text(), re.MULTILINE), name
    run_flask(env, "catalog", "upgrade")
    run_flask(env, "demo", "seed", "--bureaus", "2", "--password", PASSWORD)
    # Production refuses the demo's accounts: the clerk is made a real account of the seeded city.
    with sqlite3.connect(data_root / "catalog.sqlite3") as catalog:
        catalog.execute("UPDATE users SET demo_account = 0 WHERE username = ?", (EDITOR,))

    cert, key = self_signed(tmp_path)
    (tmp_path / "www").mkdir()
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "nginx-temp" / folder).mkdir(parents=True)
    site = tmp_path / "zeren-site.conf"
    site.write_text(nginx_site(tmp_path, data_root, ports, cert, key))
    main = tmp_path / "nginx.conf"
    main.write_text(nginx_main(tmp_path, site))
    nginx = [NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "nginx-error.log"), "-c", str(main)]
    checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, f"nginx -t:\n{checked.stderr}"

    processes: list[Process] = []
    try:
        processes.append(start("gunicorn", unit_command("zeren-web.service"), env, tmp_path))
        processes.append(start("worker", unit_command("zeren-worker.service"), env, tmp_path,
                               getattr(signal, unit_value("zeren-worker.service", "KillSignal", "SIGTERM"))))
        processes.append(start("nginx", nginx, env, tmp_path))
        clerk = Clerk()
        wait_until(lambda: _answers(clerk, f"https://127.0.0.1:{ports.https}/healthz"), "nginx and gunicorn answer",
                   60, processes)
        yield Stack(tmp_path, data_root, ports, processes)
    finally:
        for process in reversed(processes):
            process.stop()


def _answers(clerk: Clerk, url: str) -> bool:
    try:
        return clerk.open(url, timeout=2).status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, ssl.SSLError):
        return False


# -- the journey --------------------------------------------------------------------------
def _recordable_item(clerk: Clerk, stack: Stack) -> str:
    """The URL of the first of the editor's items that has the form to record progress."""
    mine = clerk.open(f"{stack.https}/b/{BUREAU}/duties/mine")
    assert mine.status == 200
    for path in dict.fromkeys(re.findall(rf'href="(/b/{BUREAU}/duties/items/\d+)"', mine.text)):
        page = clerk.open(stack.https + path)
        if f'action="{path}/records"' in page.text:
            return stack.https + path
    raise AssertionError("the demo editor has no item to record progress on")


def test_a_clerk_works_through_nginx_with_the_deployment_files(stack):
    clerk = Clerk()
    plain = urllib.request.build_opener(_NoRedirect)
    try:
        plain.open(f"http://127.0.0.1:{stack.ports.http}/login?next=/", timeout=10)
        raise AssertionError("port 80 answered without a redirect")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 301 and redirect.headers["Location"] == "https://127.0.0.1/login?next=/"

    login_page, token = clerk.csrf(f"{stack.https}/login")
    hsts = "max-age=31536000; includeSubDomains"
    answer = clerk.open(f"{stack.https}/login", urllib.parse.urlencode(
        {"csrf_token": token, "username": EDITOR, "password": PASSWORD}).encode())
    assert answer.status == 302, answer.text[-2000:]
    assert answer.headers["Strict-Transport-Security"] == hsts
    assert any(cookie.secure for cookie in clerk.cookies), "production's session cookie is Secure"

    # Record progress with a PDF, then download it.
    item_url = _recordable_item(clerk, stack)
    _page, token = clerk.csrf(item_url)
    pdf = pdf_bytes("部署冒烟测试")
    name = "部署验证 会议纪要.pdf"
    fields = {"csrf_token": token, "occurred_on": date.today().isoformat(), "summary": "通过 nginx 记录履责", "count": "1"}
    recorded = clerk.post(f"{item_url}/records", fields, [("files", name, pdf)])
    assert recorded.status == 302, recorded.text[-3000:]
    page = clerk.open(item_url).text
    link = re.search(rf'href="(/b/{BUREAU}/duties/files/\d+)">{re.escape(name)}</a>', page)
    assert link, "the uploaded file is not listed on the item"
    download = clerk.open(stack.https + link.group(1))
    assert download.status == 200 and download.body == pdf
    assert download.headers["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    assert download.headers["Strict-Transport-Security"] == hsts
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Accel-Redirect" not in download.headers
    # gunicorn itself answered headers only and named the stored file for nginx.
    direct = clerk.open(f"http://127.0.0.1:{stack.ports.app}{link.group(1)}",
                        headers={"Cookie": clerk.cookie_header(), "X-Forwarded-Proto": "https"})
    sha = hashlib.sha256(pdf).hexdigest()
    assert direct.status == 200 and direct.body == b""
    assert direct.headers["X-Accel-Redirect"] == f"/_protected/{BUREAU}/files/{sha[:2]}/{sha}"
    # No client reaches the internal location, even with the right path.
    assert clerk.open(f"{stack.https}/_protected/{BUREAU}/files/{sha[:2]}/{sha}").status == 404

    # Static files come from nginx, cached, and never reach gunicorn.
    css = clerk.open(f"{stack.https}/static/css/app.css")
    assert css.status == 200 and css.body == (PROJECT_ROOT / "app/static/css/app.css").read_bytes()
    assert "max-age=" in css.headers["Cache-Control"] and css.headers["Strict-Transport-Security"] == hsts
    bootstrap = re.search(r'href="(/bootstrap/static/[^"]+\.css)"', login_page)
    assert bootstrap and clerk.open(stack.https + bootstrap.group(1)).status == 200

    # An upload over the per-file limit: the application's message by the field, not nginx's 413.
    _page, token = clerk.csrf(item_url)
    big = b"%PDF-1.4\n" + b"0" * (25 * 1024 * 1024)
    refused = clerk.post(f"{item_url}/records", {**fields, "csrf_token": token}, [("files", "大文件.pdf", big)])
    assert refused.status == 400, refused.status
    assert "“大文件.pdf”超过 20 MB 的大小上限。" in refused.text

    # The year's report as a PDF: the job queue answers 202 while a worker makes it.
    report_url = f"{stack.https}/b/{BUREAU}/reports/{date.today().year}.pdf"
    deadline = time.monotonic() + 120
    while True:
        report = clerk.open(report_url, timeout=120)
        if report.status != 202 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert report.status == 200, report.text[-2000:]
    assert report.body.startswith(b"%PDF")

    gunicorn_log = stack.log("gunicorn.log")
    nginx_log = stack.log("nginx-zeren.access.log")
    assert '"POST /login HTTP' in gunicorn_log and "/static/" not in gunicorn_log
    # One request id from nginx through gunicorn: the download's line in both logs.
    ids = re.findall(rf'"GET {re.escape(link.group(1))} HTTP/[\d.]+" 200 {len(pdf)} .*request_id=([0-9a-f]{{32}})',
                     nginx_log)
    assert ids and f"request_id={ids[0]}" in gunicorn_log
