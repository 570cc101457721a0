"""Foundation benchmarks: provisioning, tenant-resolution overhead, bulk upgrades.

    .venv/bin/python bench/bench_foundation.py [--bureaus 1000] [--provision 100]

Writes its section of bench/RESULTS.md (between the ``<!-- foundation -->`` markers).
Everything runs in a scratch data root under bench/.work/ on SQLite.  Figures are
medians; the resolution overhead is a ratio of medians measured in the same process.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "foundation"
sys.path.insert(0, str(ROOT))


def fresh_app():
    from app import create_app
    from app.extensions import db
    from app.tenancy.migrations import upgrade_catalog

    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    app = create_app({"TENANTS_DIR": str(WORK), "DATABASE_URL": None, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "TESTING": False,
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    with app.app_context():
        upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
    return app


def bench_provisioning(app, count: int) -> dict:
    from app.tenancy import services

    times = []
    with app.app_context():
        for n in range(count):
            started = time.perf_counter()
            services.create_tenant(f"prov-{n:04d}", f"市直单位{n:04d}")
            times.append(time.perf_counter() - started)
    return {"count": count, "median_s": statistics.median(times), "max_s": max(times)}


def bench_resolution(app, requests: int) -> dict:
    """A trivial bureau route vs the identical route outside /b/ (both need log-in)."""
    from flask import Blueprint
    from flask_login import login_required

    from app.accounts import services as accounts

    plain = Blueprint("bench_plain", __name__)
    scoped = Blueprint("bench_scoped", __name__, url_prefix="/b/<slug>")

    @plain.route("/bench-ping")
    @login_required
    def ping_plain():
        return "ok"

    @scoped.route("/bench-ping")
    @login_required
    def ping_scoped():
        return "ok"

    app.register_blueprint(plain)
    app.register_blueprint(scoped)
    with app.app_context():
        from app.tenancy import services

        tenant = services.create_tenant("resolve", "市测试局")
        accounts.create_user("resolve-admin", "测试", "bench-password-1", tenant=tenant, role="bureau_admin")
    client = app.test_client()
    client.post("/login", data={"username": "resolve-admin", "password": "bench-password-1"})
    assert client.get("/b/resolve/bench-ping").data == b"ok"
    assert client.get("/bench-ping").data == b"ok"
    plain_times, scoped_times = [], []
    for _ in range(requests):  # interleaved, so drift affects both alike
        started = time.perf_counter()
        client.get("/bench-ping")
        plain_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        client.get("/b/resolve/bench-ping")
        scoped_times.append(time.perf_counter() - started)
    plain_median, scoped_median = statistics.median(plain_times), statistics.median(scoped_times)
    return {"requests": requests, "plain_ms": plain_median * 1000, "scoped_ms": scoped_median * 1000,
            "ratio": scoped_median / plain_median}


def bench_upgrade(app, bureaus: int, jobs: int) -> dict:
    """Provision ``bureaus``, put each one revision behind head, time `flask tenants upgrade`."""
    from sqlalchemy import update

    from app.extensions import db
    from app.tenancy import migrations, services
    from app.tenancy.models import Tenant

    with app.app_context():
        # top up to exactly ``bureaus`` (the earlier benches already made some)
        for n in range(bureaus - len(services.list_tenants())):
            services.create_tenant(f"up-{n:04d}", f"升级测试单位{n:04d}")
        store = app.extensions["zeren.tenant_store"]
        previous = None
        for tenant in services.list_tenants():
            previous = migrations.downgrade_tenant(store, tenant.ref, app.config["MIGRATIONS_DIR"], "-1")
            store.forget(tenant.ref)
        db.session.execute(update(Tenant).values(revision=previous))
        db.session.commit()
        total = len(services.list_tenants())
    env = dict(os.environ, ZEREN_TENANTS_DIR=str(WORK), FLASK_APP="wsgi.py", ZEREN_SECRET_KEY="bench")
    env.pop("ZEREN_DATABASE_URL", None)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "flask", "tenants", "upgrade", "--jobs", str(jobs)],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"upgrade failed:\n{result.stdout}\n{result.stderr}")
    return {"bureaus": total, "jobs": jobs, "seconds": seconds, "summary": result.stdout.strip().splitlines()[-1]}


def write_section(name: str, section: str) -> None:
    """Replace (or append) the ``<!-- name -->`` … ``<!-- /name -->`` block of bench/RESULTS.md."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\nEach section is written by its script; rerun the script to refresh it.\n"
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    block = f"{begin}\n{section.rstrip()}\n{end}"
    if begin in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provision", type=int, default=100)
    parser.add_argument("--bureaus", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    app = fresh_app()
    provisioning = bench_provisioning(app, args.provision)
    print(f"provisioning: median {provisioning['median_s'] * 1000:.1f} ms per bureau")
    resolution = bench_resolution(app, args.requests)
    print(f"resolution: plain {resolution['plain_ms']:.2f} ms, bureau {resolution['scoped_ms']:.2f} ms, ratio {resolution['ratio']:.2f}")
    upgrade = bench_upgrade(app, args.bureaus, args.jobs)
    print(f"upgrade: {upgrade['bureaus']} bureaus in {upgrade['seconds']:.1f} s ({upgrade['summary']})")

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}"
    write_section("foundation", f"""## Foundation (`bench/bench_foundation.py`)

Measured {time.strftime('%Y-%m-%d')} on {machine}; SQLite data root on local disk.

| what | figure | target |
|---|---|---|
| provisioning, median per bureau (of {provisioning['count']}) | {provisioning['median_s'] * 1000:.1f} ms (max {provisioning['max_s'] * 1000:.0f} ms) | < 300 ms |
| trivial route outside `/b/`, median (of {resolution['requests']}, logged in) | {resolution['plain_ms']:.2f} ms | |
| same route under `/b/<slug>/` (membership, revision check, binding), median | {resolution['scoped_ms']:.2f} ms | |
| tenant-resolution ratio (bureau / plain) | {resolution['ratio']:.2f} | ≤ 1.3 |
| `flask tenants upgrade --jobs {upgrade['jobs']}` over {upgrade['bureaus']} bureaus, one pending revision (whole command) | {upgrade['seconds']:.1f} s | < 30 s |
""")


if __name__ == "__main__":
    main()
