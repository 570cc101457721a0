"""The city's pages at 5,000 bureaus (issue 14, point 4): server time and size of each page.

    .venv/bin/python bench/bench_city_pages.py [--bureaus 5000] [--runs 15] [--backend sqlite|postgresql|both]
                                               [--snapshot-days 30] [--work DIR] [--write]

The city's pages read only the catalog (bureaus and their stored figures, pushed by the
roll-up jobs), so this makes catalog rows and figure rows only — no bureau database is
provisioned.  It measures, through the test client (server time: routing, log-in
check, queries, templates; no network), the median of ``--runs`` requests and the size of
the response for: the dashboard's first page, a search, a category filter, the last page,
all figures sorted by a figure, compare of 6 bureaus, the bureau list, the trends page
(its city average over every bureau's daily snapshots: ``--snapshot-days`` days of each
bureau, the days its figures changed) and the xlsx export of every bureau.  The references measured in the same run, on the same machine and
process: ``/healthz`` and the dashboard at 60 bureaus (the catalog is first filled with
60 bureaus, measured, then topped up).  ``--write`` replaces the ``<!-- city-pages -->``
section of bench/RESULTS.md.  On PostgreSQL it uses the scratch database
``zeren_h_cityscale_bench`` (dropped and made again).
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_foundation import write_section  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "zeren_h_cityscale_bench"
PASSWORD = "bench-password-1"
DISTRICTS = ("东城", "西城", "南岗", "道里", "香坊", "平房", "松北", "呼兰", "阿城", "双城", "尚志", "五常")
KINDS = ("财政局", "教育局", "卫生健康委", "交通运输局", "民政局", "司法局", "审计局", "统计局", "商务局",
         "文化旅游局", "应急管理局", "生态环境局", "自然资源局", "住房建设局", "农业农村局", "市场监管局")
CATEGORIES = ("general", "economic", "social", "law", "mass", "institution")
DIMENSIONS = (("ZZ", "政治建设", 20), ("SX", "思想建设", 15), ("ZZJ", "组织建设", 20), ("ZF", "作风建设", 15),
              ("JL", "纪律建设", 15), ("ZD", "制度建设", 15))


def figures(rng: random.Random, year: int) -> dict:
    """Plausible figures of one bureau, shaped as the features' metrics functions store
    them (with the scoring dimensions the comparison lists)."""
    total = rng.randint(25, 60)
    done = rng.randint(0, total)
    scored = rng.random() < 0.8
    composite = round(rng.uniform(62, 97), 2) if scored else None
    grade = None if composite is None else "优秀" if composite >= 95 else "好" if composite >= 90 else \
        "较好" if composite >= 80 else "一般"
    dimensions = [{"code": code, "title": title, "max_points": points, "count": 4,
                   "self": round(points * rng.uniform(0.7, 1), 2), "self_scored": 4,
                   "reviewer": round(points * rng.uniform(0.6, 1), 2) if scored else None,
                   "reviewer_scored": 4 if scored else rng.randint(0, 3)} for code, title, points in DIMENSIONS]
    return {
        "activity": {"events": rng.randint(10, 900),
                     "last_activity": f"{year}-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"},
        "duties": {"has_list": True, "list_status": "published" if rng.random() < 0.95 else "draft",
                   "items_total": total, "items_done": done, "items_overdue": rng.randint(0, 6),
                   "completion_rate": round(rng.uniform(0.3, 1.0), 4), "evidence_count": rng.randint(0, 300)},
        "findings": {"findings_total": 12, "findings_open": rng.randint(0, 8), "findings_overdue": rng.randint(0, 3),
                     "closure_rate": round(rng.uniform(0.4, 1.0), 4), "median_days_to_close": rng.randint(5, 60)},
        "scoring": {"status": "final" if scored else "submitted", "final": scored, "self_complete": True,
                    "reviewer_complete": scored,
                    "progress": {"self": None, "reviewer": None if scored else {"scored": 14, "total": 24}},
                    "self_total": round((composite or 80) + rng.uniform(0, 4), 2),
                    "reviewer_total": composite, "composite": composite, "grade": grade, "grade_by_score": grade,
                    "vetoed": False, "dimensions": dimensions},
    }


def bureau_name(n: int) -> str:
    return f"{DISTRICTS[n % len(DISTRICTS)]}区{KINDS[n // len(DISTRICTS) % len(KINDS)]}{n // 192 + 1:02d}"


def make_app(backend: str, work: Path):
    from sqlalchemy import create_engine, text

    from app import create_app
    from app.extensions import db
    from app.tenancy.migrations import upgrade_catalog

    root = work / backend
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    url = None
    if backend == "postgresql":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    app = create_app({"TENANTS_DIR": str(root), "DATABASE_URL": url, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "TESTING": False,
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    with app.app_context():
        upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
    return app


def add_bureaus(app, start: int, stop: int, year: int, snapshot_days: int = 0) -> None:
    """Catalog rows of bureaus ``start``..``stop - 1``, their figures of ``year`` and
    snapshots of ``snapshot_days`` days of it (the days their figures changed)."""
    from datetime import date, timedelta

    from sqlalchemy import insert, select

    from app.city import rollup
    from app.city.models import MetricSnapshot, TenantMetrics
    from app.extensions import db
    from app.models import utcnow
    from app.tenancy import services as tenancy
    from app.tenancy.models import Tenant

    rng = random.Random(start)
    with app.app_context():
        head = tenancy.tenant_head()
        for first in range(start, stop, 1000):
            numbers = range(first, min(stop, first + 1000))
            db.session.execute(insert(Tenant), [
                {"slug": f"b{n:04d}", "name": bureau_name(n), "category": CATEGORIES[n % len(CATEGORIES)],
                 "status": "active", "backend": "sqlite", "server": "sqlite", "storage_key": f"k{n:04d}",
                 "revision": head, "data_version": 3 + (n % 50 == 0)} for n in numbers])
            ids = dict(db.session.execute(select(Tenant.slug, Tenant.id).where(
                Tenant.slug.in_([f"b{n:04d}" for n in numbers]))).all())
            made = {n: figures(rng, year) for n in numbers}
            db.session.execute(insert(TenantMetrics), [
                {"tenant_id": ids[f"b{n:04d}"], "year": year, "figures": made[n], "data_version": 3,
                 "computed_at": utcnow(), **rollup.list_values(made[n])} for n in numbers])
            for n in numbers if snapshot_days else ():
                days = sorted(rng.sample(range(1, 330), snapshot_days))
                rows = []
                for step, day in enumerate(days, 1):
                    shown = {**made[n], "duties": {**made[n]["duties"], "completion_rate":
                                                   round(made[n]["duties"]["completion_rate"] * step / len(days), 4)}}
                    rows.append({"tenant_id": ids[f"b{n:04d}"], "year": year, "figures": shown,
                                 "day": date(year, 1, 1) + timedelta(days=day), **rollup.list_values(shown)})
                db.session.execute(insert(MetricSnapshot), rows)
            db.session.commit()


def measure(client, url: str, runs: int) -> dict:
    """Median and maximum server time of ``runs`` GETs of ``url`` (one warm-up first)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, url
    return {"url": url, "median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000,
            "bytes": len(response.data), "runs": runs}


def run_backend(backend: str, bureaus: int, runs: int, work: Path, snapshot_days: int = 30) -> dict:
    from app.accounts import services as accounts
    from app.city import metrics

    app = make_app(backend, work)
    with app.app_context():
        year = metrics.today().year
        accounts.create_user("city", "工委", PASSWORD, role="city_admin")
    client = app.test_client()
    client.post("/login", data={"username": "city", "password": PASSWORD})
    add_bureaus(app, 0, 60, year, snapshot_days)
    results = {"healthz": measure(client, "/healthz", runs * 4), "dashboard_60": measure(client, "/city/", runs)}
    started = time.perf_counter()
    add_bureaus(app, 60, bureaus, year, snapshot_days)
    seeding = time.perf_counter() - started
    last = -(-bureaus // 50)
    chosen = "&".join(f"b=b{n:04d}" for n in (7, 404, 1203, 2222, 3901, bureaus - 1))
    pages = {
        "dashboard": "/city/",
        "search": "/city/?q=财政局",
        "category": "/city/?category=law",
        "last_page": f"/city/?page={last}",
        "all_figures": "/city/?figures=all&sort=closure_rate&dir=desc&page=17",
        "compare_6": f"/city/compare?{chosen}",
        "compare_search": "/city/compare?q=南岗&b=b0007",
        "bureaus": "/city/bureaus?page=3",
        "trends": "/city/trends",
        "trends_6": f"/city/trends?figure=completion_rate&{chosen}",
        "compare_xlsx": f"/city/compare.xlsx?{chosen}",
    }
    for key, url in pages.items():
        results[key] = measure(client, url, runs)
    results["export"] = measure(client, "/city/dashboard.xlsx", max(3, runs // 3))
    results["export_law"] = measure(client, "/city/dashboard.xlsx?category=law", max(3, runs // 3))
    return {"backend": backend, "bureaus": bureaus, "seeding_s": seeding, "results": results,
            "snapshots": bureaus * snapshot_days}


LABELS = {
    "healthz": "reference: `GET /healthz`",
    "dashboard_60": "reference: dashboard at 60 bureaus",
    "dashboard": "dashboard, page 1 (50 of {n})",
    "search": "dashboard, search “财政局”",
    "category": "dashboard, one category (政法部门)",
    "last_page": "dashboard, last page",
    "all_figures": "dashboard, all figures, sorted by closure rate, page 17",
    "compare_6": "compare, 6 bureaus",
    "compare_search": "compare, picker searching “南岗”, 1 ticked",
    "bureaus": "bureau list, page 3",
    "trends": "trends, city average of {snapshots} snapshots",
    "trends_6": "trends, 6 bureaus and the city average",
    "compare_xlsx": "compare.xlsx, 6 bureaus",
    "export": "dashboard.xlsx, every bureau ({n} rows)",
    "export_law": "dashboard.xlsx, one category",
}
PAGE_TARGETS = {"dashboard", "search", "category", "last_page", "all_figures", "compare_6", "compare_search", "bureaus",
                "trends", "trends_6"}


def table(run: dict) -> str:
    reference = run["results"]["dashboard_60"]["median_ms"]
    lines = ["| what | median server time | max | ratio to dashboard at 60 | size | target |", "|---|---|---|---|---|---|"]
    for key, found in run["results"].items():
        target = "< 150 ms, < 300 KB" if key in PAGE_TARGETS else ("reference" if key in ("healthz", "dashboard_60")
                                                                     else "measured")
        lines.append(f"| {LABELS[key].format(n=run['bureaus'], snapshots=run.get('snapshots', 0))} (median of {found['runs']}) | {found['median_ms']:.1f} ms "
                     f"| {found['max_ms']:.0f} ms | {found['median_ms'] / reference:.2f} | {found['bytes'] / 1024:.0f} KiB "
                     f"| {target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bureaus", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--snapshot-days", type=int, default=30,
                        help="days of snapshots of each bureau (the days its figures changed)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".work" / "city-pages")
    parser.add_argument("--write", action="store_true", help="write the section of bench/RESULTS.md")
    args = parser.parse_args()

    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    load_before = os.getloadavg()
    runs = []
    for backend in backends:
        run = run_backend(backend, args.bureaus, args.runs, args.work, args.snapshot_days)
        runs.append(run)
        print(f"== {backend}: {args.bureaus} bureaus (catalog rows made in {run['seeding_s']:.1f} s)")
        print(table(run))
    load_after = os.getloadavg()
    import sqlite3

    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"SQLite {sqlite3.sqlite_version}")
    sections = "\n\n".join(f"### {run['backend']}\n\n{table(run)}" for run in runs)
    text = f"""## The city's pages at {args.bureaus} bureaus (`bench/bench_city_pages.py`)

Measured {time.strftime('%Y-%m-%d %H:%M')} UTC on {machine}; catalog rows and figures only
(the city's pages read nothing else), made by the script; PostgreSQL on the same machine.
Server time through Flask's test client (routing, log-in check, queries, templates, no
network), medians; the ratio is to the dashboard at 60 bureaus measured in the same run.
The machine was shared with other engineers' work: load average {load_before[0]:.2f} at the
start, {load_after[0]:.2f} at the end (1 min).

{sections}
"""
    print(text)
    if args.write:
        write_section("city-pages", text)


if __name__ == "__main__":
    main()
