"""The bureau's dashboard over its branches (issue 15, point 4): server time at 50
branches with a year of meetings, and the push cost of one write.

    .venv/bin/python bench/bench_branch_dashboard.py [--branches 50] [--runs 30] [--work DIR] [--write]

Builds one bureau (SQLite) with a 机关党委 and ``--branches`` 党支部, each with a full
year of 支委会, 主题党日 (monthly), 党课 and 党员大会 (quarterly) — 32 meetings a branch
— and its stored branch figures.  Measures through the test client (server time:
routing, log-in check, queries, template; no network) the median of ``--runs`` requests
of the dashboard and of the comparison of 6 branches; then the cost of the push, in the
service: one meeting recorded (its write, audit event and the branch's figures
recomputed, committed) and the nightly recompute of every branch.  ``--write`` replaces
the ``<!-- branch-dashboard -->`` section of bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_foundation import write_section  # noqa: E402

PASSWORD = "bench-password-1"


def build(work: Path, branches: int):
    from app import create_app
    from app.accounts import services as accounts
    from app.core.actor import Actor
    from app.core.unit_of_work import unit_of_work
    from app.extensions import db
    from app.meetings.models import Meeting
    from app.orgs import services as orgs
    from app.people.models import Person
    from app.tenancy import services as tenancy
    from app.tenancy.migrations import upgrade_catalog
    from app.tenancy.session import tenant_context

    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    app = create_app({"TENANTS_DIR": str(work), "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "TESTING": False, "ROLLUP_PUSH": False,
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    with app.app_context():
        upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
        tenant = tenancy.create_tenant("bench", "市测试局")
        accounts.create_user("bench-admin", "管理员", PASSWORD, tenant=tenant, role="bureau_admin")
        system = Actor.system()
        year = orgs.today().year
        months = orgs.today().month
        with tenant_context(tenant), unit_of_work():
            top = orgs.create_unit({"name": "市测试局机关党委", "kind": "party_committee"}, actor=system)
            for number in range(branches):
                secretary = Person(name=f"书记{number}", post="科长", kind="staff")
                db.session.add(secretary)
                db.session.flush()
                unit = orgs.create_unit({"name": f"机关第{number + 1}党支部", "kind": "branch", "parent_id": top.id,
                                         "secretary_id": secretary.id, "member_count": str(10 + number % 30),
                                         "elected_on": date(year - 1 - number % 4, 3, 1)}, actor=system)
                for month in range(1, months + 1):
                    kinds = ["committee", "theme_day"] + (["lecture", "general_assembly"] if month % 3 == 0 else [])
                    for kind in kinds:
                        if (number + month) % 11 == 0 and kind == "theme_day":
                            continue  # a few months missed
                        db.session.add(Meeting(unit_id=unit.id, kind=kind, year=year, held_on=date(year, month, 3),
                                               topic="研究本月党建工作", expected=20, present=18, minutes="会议纪要。"))
            db.session.flush()
            orgs.refresh_figures()
        return app, tenant


def timed(function, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=50)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "zeren-branch-bench")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()

    from app.core.actor import Actor
    from app.core.unit_of_work import unit_of_work
    from app.meetings import services as meetings
    from app.orgs import services as orgs
    from app.orgs.models import OrgUnit
    from app.extensions import db
    from app.tenancy.session import tenant_context
    from sqlalchemy import func, select

    app, tenant = build(args.work, args.branches)
    with app.app_context():
        with tenant_context(tenant):
            from app.meetings.models import Meeting

            count = db.session.scalar(select(func.count()).select_from(Meeting))
            units = list(db.session.scalars(select(OrgUnit.id).where(OrgUnit.kind == "branch")))
    client = app.test_client()
    client.post("/login", data={"username": "bench-admin", "password": PASSWORD})
    assert client.get("/b/bench/orgs/dashboard").status_code == 200
    board = timed(lambda: client.get("/b/bench/orgs/dashboard"), args.runs)
    compare = "&".join(f"u={i}" for i in units[:6])
    compared = timed(lambda: client.get(f"/b/bench/orgs/dashboard?{compare}"), args.runs)
    health = timed(lambda: client.get("/healthz"), args.runs)

    def one_write():
        with app.app_context(), tenant_context(tenant), unit_of_work():
            unit = meetings.get_unit(units[0], Actor.system())
            meetings.record_meeting(unit, {"kind": "committee", "held_on": orgs.today(), "topic": "追加会议"},
                                    actor=Actor.system())

    def nightly():
        with app.app_context(), tenant_context(tenant), unit_of_work():
            orgs.refresh_figures()

    write = timed(one_write, max(5, args.runs // 3))
    night = timed(nightly, max(3, args.runs // 10))
    load = os.getloadavg()
    section = f"""## The bureau's dashboard over its branches (`bench/bench_branch_dashboard.py`)

{platform.python_version()} on {platform.machine()}, SQLite, {os.cpu_count()} cores; load average
{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min) while measuring: a shared, busy machine, so
the figures are upper bounds. One bureau, {args.branches} 党支部, {count} meetings this year
(32 a branch over a full year); medians of {args.runs} requests through the test client.

| what | median |
|---|---|
| `/healthz` (reference) | {health:.1f} ms |
| the dashboard, {args.branches} branches (target < 100 ms) | {board:.1f} ms |
| the comparison of 6 branches | {compared:.1f} ms |
| push: one meeting recorded (write, audit, that branch's figures recomputed, commit) | {write:.1f} ms |
| nightly: every branch's figures recomputed | {night:.1f} ms |

The dashboard reads the stored `branch_figures` rows only (one query joining the tree), so
its cost does not grow with the meetings; the comparison filters the same rows. A write
recomputes one branch only (one query over that branch's meetings of the year, one row
updated) inside its own unit of work; the write's time includes its commit, the audit
event and the storage check every write pays. Measured on a machine with the load
above (about seven runnable processes per core), so read these as upper bounds; rerun on
a quiet machine for the real figures.
"""
    print(section)
    if args.write:
        write_section("branch-dashboard", section)


if __name__ == "__main__":
    main()
