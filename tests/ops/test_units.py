"""What can be checked of deploy/ without systemd: the units run programs of the layout
docs/deploy.md makes, their flask commands and the guide's are real commands, the
environment example holds every setting production needs (and starts production), and
gunicorn.conf.py's worker exit keeps the exit status and ends a worker quickly."""
from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.live import PROJECT_ROOT, LiveServer, run_flask, server_env

DEPLOY = PROJECT_ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
GUIDE = (PROJECT_ROOT / "docs" / "deploy.md").read_text()
ENV_EXAMPLE = DEPLOY / "zeren.env.example"
VENV_BIN = Path(sys.executable).parent
#: The guide's names (docs/deploy.md, "From an empty Debian server to a running city").
APP_DIR, VENV_DIR, DATA_ROOT, ENV_FILE = "/srv/zeren/app", "/srv/zeren/venv", "/var/lib/zeren", "/etc/zeren/zeren.env"

UNITS = sorted(SYSTEMD.glob("*.service"))
TIMERS = sorted(SYSTEMD.glob("*.timer"))


def directives(path: Path) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit file, by key, in order (comments and sections left out)."""
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def exec_start(unit: Path) -> list[str]:
    """The unit's one ExecStart, split as systemd does, with its %% and $$ unescaped."""
    lines = directives(unit).get("ExecStart", [])
    assert len(lines) == 1, f"{unit.name}: one ExecStart expected, found {len(lines)}"
    return [word.replace("%%", "%").replace("$$", "$") for word in shlex.split(lines[0])]


def flask_arguments(command: list[str]) -> list[str] | None:
    """The arguments after ``flask --app wsgi`` of a command that runs the venv's flask."""
    if Path(command[0]).name != "flask":
        return None
    assert command[1:3] == ["--app", "wsgi"], f"{command}: flask without --app wsgi"
    return command[3:]


def test_the_deployment_has_the_three_services_and_the_nightly_dump():
    assert {unit.stem for unit in UNITS} == {"zeren-web", "zeren-worker", "zeren-scheduler", "zeren-dump"}
    assert {timer.stem for timer in TIMERS} == {"zeren-dump"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_each_unit_runs_a_program_of_the_layout_the_guide_makes(unit):
    found = directives(unit)
    command = exec_start(unit)
    program = command[0]
    if program.startswith(VENV_DIR + "/"):
        # The guide's venv is this test run's: the same console scripts must be in it.
        assert program.startswith(f"{VENV_DIR}/bin/"), program
        assert (VENV_BIN / Path(program).name).is_file(), f"{unit.name}: {Path(program).name} is not in the venv"
    else:
        assert Path(program).is_absolute() and os.access(program, os.X_OK), f"{unit.name}: {program}"
    assert found["User"] == ["zeren"] and found["Group"] == ["zeren"], f"{unit.name} must run as zeren"
    assert found.get("UMask") == ["0027"], f"{unit.name}: files readable by the zeren group only"
    assert DATA_ROOT in found.get("ReadWritePaths", [""])[0].split(), f"{unit.name} cannot write the data root"
    if "WorkingDirectory" in found:
        assert found["WorkingDirectory"] == [APP_DIR]
        for word in command[1:]:
            if word.endswith((".py", ".conf")) and "/" not in word:
                assert (PROJECT_ROOT / word).is_file(), f"{unit.name}: {word} is not in the code"
    if unit.stem != "zeren-dump":  # the dump needs no setting of the application
        assert found["EnvironmentFile"] == [ENV_FILE], unit.name
        assert found["WorkingDirectory"] == [APP_DIR], unit.name


def test_the_guide_installs_every_unit_and_timer_it_enables():
    copy = re.search(r"^cp (.+) /etc/systemd/system/$", GUIDE, re.MULTILINE)
    assert copy, "the guide copies the units into /etc/systemd/system/"
    patterns = [Path(word).name for word in copy.group(1).split()]
    for path in UNITS + TIMERS:
        assert any(Path(path.name).match(pattern) for pattern in patterns), f"the guide does not install {path.name}"
    enabled = re.search(r"^systemctl enable --now (.+)$", GUIDE, re.MULTILINE).group(1).split()
    for name in ("zeren-web", "zeren-worker", "zeren-scheduler", "zeren-dump.timer"):
        assert name in enabled, f"the guide does not enable {name}"
    for timer in TIMERS:
        assert (SYSTEMD / f"{timer.stem}.service").is_file(), f"{timer.name} starts no unit of deploy/systemd"
        assert directives(timer).get("OnCalendar"), f"{timer.name} has no OnCalendar"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_units_with_this_runs_paths(tmp_path):
    """The units as systemd reads them (syntax, programs that exist), the guide's paths
    replaced by this checkout's and this test run's venv."""
    for path in UNITS + TIMERS:
        text = path.read_text().replace(VENV_DIR, str(VENV_BIN.parent)).replace(APP_DIR, str(PROJECT_ROOT))
        (tmp_path / path.name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
                            capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "zeren" in line and "Documentation" not in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


@pytest.mark.parametrize("unit", [u for u in UNITS if Path(exec_start(u)[0]).name == "flask"],
                         ids=lambda unit: unit.name)
def test_each_units_flask_command_is_a_real_command_with_valid_options(unit, tmp_path):
    arguments = flask_arguments(exec_start(unit))
    env = server_env(tmp_path / "tenants")
    run_flask(env, *arguments, "--help")  # exit 0: the command and its options exist
    # Options are converted (types, choices) only without --help: parse them as click does.
    from click import Context

    from app import create_app

    cli = create_app({"TESTING": True, "TENANTS_DIR": str(tmp_path / "t2"),
                      "SECRET_KEY": "x" * 40}).cli
    with Context(cli) as context:
        group = cli.get_command(context, arguments[0])
        command = group.get_command(context, arguments[1])
        assert command is not None, f"{unit.name}: flask {arguments[0]} has no command {arguments[1]}"
        command.make_context(arguments[1], list(arguments[2:]), parent=context)


def guide_commands() -> list[list[str]]:
    """Every ``zeren-flask …`` command of the guide's code blocks (placeholders as written)."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", GUIDE, re.DOTALL):
        for line in block.splitlines():
            line = line.strip().split("  #", 1)[0].split(" <<", 1)[0]
            if line.startswith("zeren-flask "):
                commands.append(shlex.split(line)[1:])
    return commands


def test_the_guides_zeren_flask_commands_exist_with_their_options(tmp_path):
    commands = guide_commands()
    assert ["catalog", "upgrade"] in commands and ["tenants", "upgrade"] in commands
    env = server_env(tmp_path / "tenants")
    for arguments in {tuple(c) for c in commands}:
        run_flask(env, *arguments, "--help")


def test_zeren_flask_runs_the_units_flask_with_their_settings():
    script = (DEPLOY / "zeren-flask").read_text()
    web = directives(SYSTEMD / "zeren-web.service")
    assert f". {ENV_FILE}" in script and f"cd {APP_DIR}" in script
    assert f"runuser -u zeren -- {VENV_DIR}/bin/flask --app wsgi" in script
    assert "umask 0027" in script and web["UMask"] == ["0027"]
    cache = [value for value in web["Environment"] if value.startswith("XDG_CACHE_HOME=")]
    assert cache and f"export {cache[0]}" in script


# -- the environment example ---------------------------------------------------------------
def example_settings() -> tuple[dict[str, str], set[str]]:
    """The example's active settings, and the names of every setting it mentions (commented too)."""
    active, named = {}, set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            named.add(match.group(2))
            if not match.group(1):
                active[match.group(2)] = match.group(3)
    return active, named


def test_the_env_example_names_every_setting_of_the_guides_table():
    _, named = example_settings()
    table = GUIDE.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(ZEREN_[A-Z0-9_]+)`", table))
    assert len(documented) > 15
    missing = sorted(documented - named)
    assert not missing, f"deploy/zeren.env.example does not name {missing}"


def production_start(env_overrides: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZEREN_", "FLASK_"))}
    active, _ = example_settings()
    env.update(active)
    env.update({"ZEREN_TENANTS_DIR": str(tmp_path / "data"), "PYTHONPATH": str(PROJECT_ROOT)})
    env.update(env_overrides)
    code = ("from app import create_app\napp = create_app()\nc = app.config\n"
            "print(c['ENV_NAME'], c['SESSION_COOKIE_SECURE'], c['PROXY_HOPS'], c['ACCEL_REDIRECT'], "
            "c['QUEUE_URL'].split(':')[0], c['RATELIMIT_STORAGE_URI'].split(':')[0])")
    return subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_env_example_starts_production_once_its_key_is_replaced(tmp_path):
    active, _ = example_settings()
    for required in ("ZEREN_ENV", "ZEREN_SECRET_KEY", "ZEREN_TENANTS_DIR", "ZEREN_DATABASE_URL", "ZEREN_REDIS_URL",
                     "ZEREN_QUEUE_URL", "ZEREN_PROXY_HOPS", "ZEREN_ACCEL_REDIRECT", "ZEREN_BIND"):
        assert required in active, f"{required} is not set in the example"
    assert active["ZEREN_ENV"] == "production" and active["ZEREN_TENANTS_DIR"] == DATA_ROOT
    # The guide's sed replaces exactly this line; the example's own value is refused.
    assert re.search(r'sed -i "s\|\^ZEREN_SECRET_KEY=\.\*\|', GUIDE)
    refused = production_start({}, tmp_path)
    assert refused.returncode != 0 and "ZEREN_SECRET_KEY" in refused.stderr
    started = production_start({"ZEREN_SECRET_KEY": secrets.token_urlsafe(48)}, tmp_path)
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["production", "True", "1", "/_protected/", "redis", "redis"]


def test_the_nginx_site_and_the_example_agree_on_gunicorns_address():
    active, _ = example_settings()
    site = (DEPLOY / "nginx" / "zeren.conf").read_text()
    upstream = re.search(r"upstream zeren_app \{[^}]*?server ([0-9.:]+);", site).group(1)
    assert upstream == active["ZEREN_BIND"]
    assert f"alias {APP_DIR}/app/static/;" in site and f"{VENV_DIR}/lib/python3.11/site-packages/" in site


# -- gunicorn.conf.py's worker exit ------------------------------------------------------------
def gunicorn_settings(monkeypatch, tmp_path):
    """gunicorn.conf.py as a module; its metrics directory set first, so that loading it
    does not put this test process into prometheus_client's multiprocess mode."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    spec = importlib.util.spec_from_file_location("zeren_gunicorn_conf", PROJECT_ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Worker:
    def __init__(self, pid: int):
        self.pid = pid


@pytest.mark.parametrize("status", [0, 3])
def test_a_worker_ends_with_its_own_exit_status(status, monkeypatch, tmp_path):
    """gunicorn calls worker_exit while the worker's SystemExit is on its way: the status
    (3: the worker could not boot, which stops the master) must come out unchanged."""
    settings = gunicorn_settings(monkeypatch, tmp_path)
    child = os.fork()
    if child == 0:  # the worker
        try:
            try:
                sys.exit(status)
            finally:
                settings.worker_exit(None, _Worker(os.getpid()))
        finally:
            os._exit(99)  # worker_exit returned: wrong
    _, code = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(code) == status


def test_in_the_master_worker_exit_does_nothing(monkeypatch, tmp_path):
    gunicorn_settings(monkeypatch, tmp_path).worker_exit(None, _Worker(os.getpid() + 1))  # the test process goes on


def test_a_stopped_server_ends_quickly_and_keeps_every_log_line(tmp_path):
    env = server_env(tmp_path / "tenants")
    run_flask(env, "catalog", "upgrade")
    server = LiveServer(env=env, workers=3).start()
    for number in range(6):
        request = urllib.request.Request(f"{server.url}/login", headers={"X-Request-ID": f"stop-test-{number:04d}"})
        urllib.request.urlopen(request, timeout=10).read()
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    took = time.monotonic() - started
    log = (tmp_path / f"gunicorn-{server.port}.log").read_text()
    assert all(f"request_id=stop-test-{number:04d}" in log for number in range(6))
    assert log.count("Worker exiting") == 3 and "Shutting down: Master" in log
    # Teardown of three workers took 8 s before worker_exit; generous for a loaded machine.
    assert took < 6, f"the stop took {took:.1f} s"
