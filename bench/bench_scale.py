"""Scale of the bureau layout: provisioning, catalog size and bulk upgrades at thousands of bureaus.

    .venv/bin/python bench/bench_scale.py --backend sqlite --bureaus 5000 [--jobs 2] [--write]
    .venv/bin/python bench/bench_scale.py --backend postgresql --bureaus 5000 --write

Provisions ``--bureaus`` empty bureaus in a scratch data root under bench/.work/ (on
PostgreSQL: a database of its own, schemas ``t_<slug>`` in it, dropped first), then times
whole ``flask`` commands as an operator runs them:

* ``flask tenants upgrade`` with nothing to do (every bureau at head), against
  ``flask tenants --help`` in the same run (the cost of starting the application);
* ``flask tenants upgrade --jobs N`` after a migration that adds one column to one table
  of every bureau (written into a copy of ``migrations/`` the run points to).

Each command runs ``--repeat`` times where that is cheap; figures are medians.  With
``--write`` the figures go into bench/RESULTS.md between the ``<!-- scale:<backend> -->``
markers.
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
WORK = ROOT / "bench" / ".work"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "zeren_bench_scale"
SECRET_KEY = "bench-scale-secret-key-0123456789abcdef"
sys.path.insert(0, str(ROOT))

from bench_foundation import write_section  # noqa: E402 - the one writer of RESULTS.md sections

ADDED_COLUMN = '''"""bench: one added column

Revision ID: 9999_bench_column
Revises: {down}
"""
from alembic import op
import sqlalchemy as sa

revision = "9999_bench_column"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch_op:
        batch_op.add_column(sa.Column("bench_note", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch_op:
        batch_op.drop_column("bench_note")
'''


def _pg(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(statement)


def environment(data_root: Path, database_url: str | None, migrations_dir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEREN_")}
    env.update({"ZEREN_TENANTS_DIR": str(data_root), "ZEREN_SECRET_KEY": SECRET_KEY, "FLASK_APP": "wsgi.py",
                "ZEREN_QUEUE_URL": "memory://"})
    if database_url:
        env["ZEREN_DATABASE_URL"] = database_url
    if migrations_dir:
        env["ZEREN_MIGRATIONS_DIR"] = str(migrations_dir)
    return env


def flask_seconds(env: dict[str, str], *args: str) -> float:
    """Wall time of one whole ``flask`` command (it must succeed)."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return seconds


def median_seconds(env: dict[str, str], repeat: int, *args: str) -> float:
    return statistics.median(flask_seconds(env, *args) for _ in range(repeat))


def provision(env: dict[str, str], bureaus: int) -> dict:
    """Create ``bureaus`` bureaus through the service, timing each; return the figures."""
    code = f"""
import statistics, sys, time, json
from app import create_app
from app.tenancy import services
app = create_app()
times = []
with app.app_context():
    for n in range({bureaus}):
        started = time.perf_counter()
        services.create_tenant(f"s{{n:05d}}", f"规模测试单位{{n:05d}}")
        times.append(time.perf_counter() - started)
        if n % 500 == 499:
            print(f"{{n + 1}} bureaus", file=sys.stderr, flush=True)
print(json.dumps({{"median": statistics.median(times), "p95": sorted(times)[int(len(times) * 0.95)],
                  "total": sum(times)}}))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"provisioning failed:\n{result.stderr[-4000:]}")
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def catalog_bytes(data_root: Path, database_url: str | None) -> int:
    if database_url is None:
        return (data_root / "catalog.sqlite3").stat().st_size
    import psycopg

    with psycopg.connect(PG_SERVER.replace("+psycopg", "").rsplit("/", 1)[0] + f"/{PG_DATABASE}") as connection:
        return connection.execute("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                                  "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                  "WHERE n.nspname = 'public' AND c.relkind = 'r'").fetchone()[0]


def with_added_column(target: Path) -> Path:
    """A copy of migrations/ with one more bureau revision that adds a column."""
    from app.tenancy import migrations

    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "migrations", target, ignore=shutil.ignore_patterns("__pycache__"))
    head = migrations.head_revision(ROOT / "migrations", migrations.TENANT)
    (target / "tenant" / "versions" / "9999_bench_column.py").write_text(ADDED_COLUMN.format(down=head))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--bureaus", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=5, help="runs of the cheap commands (medians)")
    parser.add_argument("--write", action="store_true", help="write the figures into bench/RESULTS.md")
    args = parser.parse_args()

    data_root = WORK / f"scale-{args.backend}"
    database_url = PG_SERVER.rsplit("/", 1)[0] + f"/{PG_DATABASE}" if args.backend == "postgresql" else None
    if data_root.exists():
        shutil.rmtree(data_root)
    data_root.mkdir(parents=True)
    if database_url:
        _pg(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        _pg(f'CREATE DATABASE "{PG_DATABASE}"')
    env = environment(data_root, database_url)
    load_at_start = os.getloadavg()[0]
    flask_seconds(env, "catalog", "upgrade")
    print(f"provisioning {args.bureaus} bureaus ({args.backend}) …", flush=True)
    provisioned = provision(env, args.bureaus)
    print(f"provisioned: median {provisioned['median'] * 1000:.1f} ms per bureau", flush=True)
    catalog = catalog_bytes(data_root, database_url)

    start_up = median_seconds(env, args.repeat, "tenants", "--help")
    noop = median_seconds(env, args.repeat, "tenants", "upgrade", "--jobs", str(args.jobs))
    print(f"no-op upgrade: {noop:.2f} s (application start {start_up:.2f} s)", flush=True)

    added = environment(data_root, database_url, with_added_column(data_root / "migrations-added-column"))
    one_column = flask_seconds(added, "tenants", "upgrade", "--jobs", str(args.jobs))
    print(f"one added column: {one_column:.1f} s", flush=True)
    verified = flask_seconds(added, "tenants", "upgrade", "--jobs", str(args.jobs), "--verify")
    print(f"verify every bureau: {verified:.1f} s", flush=True)

    if not args.write:
        return
    backend = "SQLite" if args.backend == "sqlite" else "PostgreSQL"
    layout = "one file each" if args.backend == "sqlite" else "one schema each in one database"
    write_section(f"scale:{args.backend}", f"""### Scale on {backend} (`bench/bench_scale.py --backend {args.backend}`)

Measured {time.strftime('%Y-%m-%d')}; {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load average {load_at_start:.1f} at the start and {os.getloadavg()[0]:.1f} at the end; {args.bureaus} empty bureaus ({layout}); whole `flask` commands, cheap ones medians of {args.repeat}.

| what | figure | target |
|---|---|---|
| provisioning, median per bureau (of {args.bureaus}) | {provisioned['median'] * 1000:.1f} ms (p95 {provisioned['p95'] * 1000:.0f} ms) | < 300 ms |
| catalog size | {catalog / 1024 / 1024:.1f} MiB ({catalog / args.bureaus / 1024:.1f} KiB per bureau) | |
| `flask tenants upgrade`, nothing to do | **{noop:.2f} s** ({noop / start_up:.2f} × the application's start, `flask tenants --help`: {start_up:.2f} s) | < 5 s |
| `flask tenants upgrade --jobs {args.jobs}`, one added column in every bureau | **{one_column:.1f} s** ({one_column / args.bureaus * 1000:.1f} ms per bureau) | < 300 s |
| `flask tenants upgrade --jobs {args.jobs} --verify` (every bureau opened, all at head) | {verified:.1f} s | |
""")


if __name__ == "__main__":
    main()
