"""Cost of the trust guards on a bureau write: the storage check and the year-lock guard.

    .venv/bin/python bench/bench_trust.py [--writes 2000]

Writes its section of bench/RESULTS.md (between the ``<!-- trust -->`` markers).  One
write transaction = one audit row added and committed in a bureau (SQLite, scratch data
root under bench/.work/).  Each variant runs interleaved in rounds in the same process;
figures are medians, the overhead a ratio of medians against the unguarded write.
"""
from __future__ import annotations

import argparse
import platform
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_foundation import fresh_app, write_section  # noqa: E402


def timed_writes(app, tenant, count: int) -> list[float]:
    from app.audit.services import record_bureau
    from app.extensions import db
    from app.tenancy.session import tenant_context

    times = []
    with app.app_context(), tenant_context(tenant):
        for n in range(count):
            started = time.perf_counter()
            record_bureau("bench.write", "bench", n, summary="基准写入")
            db.session.commit()
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from app.tenancy import session as tenancy_session
    from app.tenancy import services
    from app.years import guard

    app = fresh_app()
    with app.app_context():
        tenant = services.create_tenant("bench-trust", "基准单位").ref
    real_verify, real_guard = tenancy_session.verify_storage, guard.refuse_writes_to_locked_years
    from sqlalchemy import event

    from app.tenancy.session import RoutingSession

    variants: dict[str, list[float]] = {"unguarded": [], "storage check": [], "storage check + year lock": []}
    per_round = max(1, args.writes // args.rounds)
    for _round in range(args.rounds):
        for name in variants:
            tenancy_session.verify_storage = real_verify if name != "unguarded" else (lambda ref: None)
            listening = event.contains(RoutingSession, "before_flush", real_guard)
            if name.endswith("year lock") and not listening:
                event.listen(RoutingSession, "before_flush", real_guard)
            elif not name.endswith("year lock") and listening:
                event.remove(RoutingSession, "before_flush", real_guard)
            variants[name].extend(timed_writes(app, tenant, per_round))
    tenancy_session.verify_storage = real_verify
    if not event.contains(RoutingSession, "before_flush", real_guard):
        event.listen(RoutingSession, "before_flush", real_guard)

    base = statistics.median(variants["unguarded"])
    rows = "\n".join(f"| {name} | {statistics.median(t) * 1000:.2f} ms | {statistics.median(t) / base:.2f} |"
                     for name, t in variants.items())
    section = f"""## Trust guards (`bench/bench_trust.py`)

Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}: one audit row added and committed in a bureau, {per_round * args.rounds} writes per variant in {args.rounds} interleaved rounds.

| write transaction | median | ratio to unguarded |
|---|---|---|
{rows}
"""
    write_section("trust", section)
    print(section)


if __name__ == "__main__":
    main()
