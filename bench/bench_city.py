"""City roll-up benchmarks: dashboard over 1,000 bureaus, push cost per write, refresh.

    .venv/bin/python bench/bench_city.py [--bureaus 1000] [--real 200]

Writes its section of bench/RESULTS.md (between the ``<!-- city -->`` markers).  Runs in a
scratch data root under bench/.work/ on SQLite.  Figures are medians of repeated runs;
the push cost is the difference of medians of the same write with the push on and off,
measured in the same process.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "city"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_foundation import write_section  # noqa: E402


def make_app(root: Path, **extra):
    from app import create_app
    from app.extensions import db
    from app.tenancy.migrations import upgrade_catalog

    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    app = create_app({"TENANTS_DIR": str(root), "DATABASE_URL": None, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1", **extra})
    with app.app_context():
        upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
    return app


def figures(rng: random.Random) -> dict:
    """Plausible figures of one bureau (what the features' metrics functions return)."""
    total = rng.randint(25, 40)
    done = rng.randint(0, total)
    composite = round(rng.uniform(62, 97), 2)
    return {
        "activity": {"events": rng.randint(10, 900), "last_activity": f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"},
        "duties": {"items_total": total, "items_done": done, "items_overdue": rng.randint(0, 6),
                   "completion_rate": round(rng.uniform(0.3, 1.0), 4), "evidence_count": rng.randint(0, 300)},
        "findings": {"findings_total": 12, "findings_open": rng.randint(0, 8), "findings_overdue": rng.randint(0, 3),
                     "closure_rate": round(rng.uniform(0.4, 1.0), 4), "median_days_to_close": rng.randint(5, 60)},
        "scoring": {"self_total": round(composite + rng.uniform(0, 4), 2), "reviewer_total": composite,
                    "composite": composite, "grade": "好" if composite >= 90 else "较好" if composite >= 80 else "一般"},
    }


def bench_dashboard(bureaus: int, runs: int) -> dict:
    """Catalog rows only (the dashboard never opens bureau databases)."""
    from app.accounts import services as accounts
    from app.city.models import TenantMetrics
    from app.extensions import db
    from app.models import utcnow
    from app.tenancy.models import Tenant

    app = make_app(WORK / "dashboard")
    rng = random.Random(7)
    with app.app_context():
        accounts.create_user("city", "工委", "bench-password-1", role="city_admin")
        for n in range(bureaus):
            tenant = Tenant(slug=f"b{n:04d}", name=f"市直单位{n:04d}", category=("general", "economic", "social")[n % 3],
                            backend="sqlite", server="sqlite", revision="x", data_version=3)
            db.session.add(tenant)
            db.session.flush()
            db.session.add(TenantMetrics(tenant_id=tenant.id, year=2026, figures=figures(rng), data_version=3,
                                         computed_at=utcnow()))
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "city", "password": "bench-password-1"})
    assert client.get("/city/?year=2026").status_code == 200
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get("/city/?year=2026")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return {"bureaus": bureaus, "runs": runs, "median_ms": statistics.median(times) * 1000,
            "max_ms": max(times) * 1000, "bytes": len(response.data)}


def bench_push(writes: int) -> dict:
    """The same small bureau write with the roll-up push on and off, in a demo bureau with
    a full year of data (its list, records, score sheet and findings are what the push
    recomputes)."""
    from app.audit.services import record_bureau
    from app.demo import services as demo
    from app.extensions import db
    from app.tenancy.session import tenant_context

    app = make_app(WORK / "push")
    with app.app_context():
        tenant = demo.seed(bureaus=1, password="bench-password-1").bureaus[0]
        on, off = [], []
        for index in range(writes * 2):
            push = index % 2 == 0  # interleaved so drift affects both alike
            app.config["ROLLUP_PUSH"] = push
            started = time.perf_counter()
            with tenant_context(tenant):
                record_bureau("bench.write", "thing", index, summary="一次填报")
                db.session.commit()
            (on if push else off).append(time.perf_counter() - started)
    return {"writes": writes, "on_ms": statistics.median(on) * 1000, "off_ms": statistics.median(off) * 1000}


def bench_refresh(real: int, jobs: int) -> dict:
    """`flask rollup refresh --all` over ``real`` bureau databases built by the demo seed."""
    root = WORK / "refresh"
    if root.exists():
        shutil.rmtree(root)
    env = dict(os.environ, ZEREN_TENANTS_DIR=str(root), FLASK_APP="wsgi.py", ZEREN_SECRET_KEY="bench")
    env.pop("ZEREN_DATABASE_URL", None)
    run = lambda *args: subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,  # noqa: E731
                                       capture_output=True, text=True, check=True)
    run("catalog", "upgrade")
    started = time.perf_counter()
    run("demo", "seed", "--bureaus", str(real), "--password", "bench-password-1")
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    result = run("rollup", "refresh", "--all", "--jobs", str(jobs))
    return {"bureaus": real, "jobs": jobs, "seconds": time.perf_counter() - started, "seed_seconds": seeded,
            "summary": result.stdout.strip().splitlines()[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bureaus", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--real", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    dashboard = bench_dashboard(args.bureaus, args.runs)
    print(f"dashboard: {dashboard['bureaus']} bureaus, median {dashboard['median_ms']:.1f} ms ({dashboard['bytes'] // 1024} KiB)")
    push = bench_push(args.writes)
    print(f"push: write {push['off_ms']:.2f} ms without, {push['on_ms']:.2f} ms with the push")
    refresh = bench_refresh(args.real, args.jobs)
    print(f"refresh: {refresh['bureaus']} bureaus in {refresh['seconds']:.1f} s ({refresh['summary']})")

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    write_section("city", f"""## City roll-up (`bench/bench_city.py`)

Measured {time.strftime('%Y-%m-%d')} on {machine}; SQLite.

| what | figure | target |
|---|---|---|
| `GET /city/` for {dashboard['bureaus']} bureaus' figures, median of {dashboard['runs']} (page {dashboard['bytes'] // 1024} KiB) | {dashboard['median_ms']:.1f} ms (max {dashboard['max_ms']:.0f} ms) | < 150 ms |
| a write in a demo bureau with a year of data (one audit row + commit), push off, median of {push['writes']} | {push['off_ms']:.2f} ms | |
| the same write with the roll-up push, median | {push['on_ms']:.2f} ms | |
| extra time per write for the push | {push['on_ms'] - push['off_ms']:.2f} ms | < 20 ms |
| `flask rollup refresh --all --jobs {refresh['jobs']}` over {refresh['bureaus']} seeded bureau databases | {refresh['seconds']:.1f} s | measured |
| (`flask demo seed --bureaus {refresh['bureaus']}` that built them) | {refresh['seed_seconds']:.1f} s | |
""")


if __name__ == "__main__":
    main()
