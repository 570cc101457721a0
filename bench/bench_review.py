"""The reviewer's queue with many records awaiting review (issue 16).

    .venv/bin/python bench/bench_review.py [--pending 1000] [--approved 2000] [--runs 40]

Builds one bureau on SQLite in a scratch data root (bench/.work/review/) with the default
template's list, ``--approved`` approved records and ``--pending`` records awaiting review
(a fifth with a file), then times the queue page in-process through the WSGI app as the
bureau's administrator: unfiltered (the oldest 200 shown, the count of all), filtered by
category and date, and the bulk approval of every matching record.  Writes its section of
bench/RESULTS.md between the ``<!-- review -->`` markers with the load average; the target
(median < 100 ms) is reported, not enforced.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "review"
RESULTS = ROOT / "bench" / "RESULTS.md"
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-2026"
TARGET_MS = 100.0


def make_app(root: Path):
    """A fresh application on a SQLite data root, catalog migrated, the roll-up push off."""
    from app import create_app
    from app.extensions import db
    from app.tenancy.migrations import upgrade_catalog

    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    app = create_app({"TENANTS_DIR": str(root), "DATABASE_URL": None, "TENANT_SERVERS": "", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "ROLLUP_PUSH": False,
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    with app.app_context():
        upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
    return app


def build(app, slug: str, pending: int, approved: int, seed: int = 2026) -> None:
    """One bureau reviewed by itself, its 2026 list and the records."""
    from app.accounts import services as accounts
    from app.core.actor import Actor
    from app.deadlines import services as deadlines
    from app.duties import catalog, services
    from app.duties.models import ProgressRecord
    from app.evidence.demo import minimal_pdf
    from app.evidence.models import Attachment
    from app.evidence.storage import put_bytes
    from app.extensions import db
    from app.tenancy import services as tenancy
    from app.tenancy.session import tenant_context

    rng = random.Random(seed)
    with app.app_context():
        city = accounts.create_user("city", "工委管理员", PASSWORD, role="city_admin")
        deadlines.update_settings({"blue_days": "15", "yellow_days": "5", "grace_days": "", "late_approver": "bureau",
                                   "review_mode": "bureau"}, actor=Actor.city(city))
        db.session.commit()
        template = catalog.ensure_default_published(2026)
        tenant = tenancy.create_tenant(slug, "基准测试局")
        accounts.create_user(f"{slug}-admin", "基准管理员", PASSWORD, tenant=tenant, role="bureau_admin")
        editors = [accounts.create_user(f"{slug}-editor{n}", f"信息员{n}", PASSWORD, tenant=tenant, role="bureau_editor")
                   for n in range(4)]
        with tenant_context(tenant):
            duty_list = services.create_list(2026, template_id=template.id, actor=Actor.system())
            item_ids = [i.id for i in duty_list.items]
            pdfs = [put_bytes(slug, minimal_pdf([f"bench evidence {k}"]), f"佐证{k}.pdf") for k in range(20)]
            for n in range(pending + approved):
                author = rng.choice(editors)
                record = ProgressRecord(item_id=rng.choice(item_ids), count=1, author_id=author.id,
                                        author_name=author.display_name,
                                        occurred_on=date(2026, 1, 1) + timedelta(days=rng.randrange(320)),
                                        summary="召开会议，研究部署机关党建工作，形成会议纪要。",
                                        review_state="pending" if n < pending else "approved")
                if n % 5 == 0:
                    upload = rng.choice(pdfs)
                    record.attachments.append(Attachment(sha256=upload.sha256, size=upload.size, kind=upload.kind,
                                                         original_name=upload.name))
                db.session.add(record)
            duty_list.status = "published"
            db.session.commit()


def timed(client, url: str, runs: int) -> list[float]:
    """Milliseconds of ``runs`` GETs of ``url`` after two warm-up requests."""
    for _ in range(2):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    return samples


def write_section(text: str) -> None:
    """Replace (or append) only the review section of bench/RESULTS.md."""
    begin, end = "<!-- review -->", "<!-- /review -->"
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    block = f"{begin}\n{text.rstrip()}\n{end}"
    if begin in current and end in current:
        current = current[:current.index(begin)] + block + current[current.index(end) + len(end):]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=1000)
    parser.add_argument("--approved", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    app = make_app(WORK)
    slug = "bench-review"
    build(app, slug, args.pending, args.approved)
    client = app.test_client()
    response = client.post("/login", data={"username": f"{slug}-admin", "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    load_before = os.getloadavg()
    pages = {
        "queue, unfiltered (100 of %d shown, all counted)" % args.pending: f"/b/{slug}/duties/review",
        "queue filtered by category and date": f"/b/{slug}/duties/review?category=party_group&from=2026-03-01&to=2026-08-31",
        "queue filtered by author": None,
    }
    with app.app_context():
        from app.accounts.models import User
        from app.extensions import db
        author = db.session.scalar(db.select(User.id).where(User.username == f"{slug}-editor1"))
    pages["queue filtered by author"] = f"/b/{slug}/duties/review?author={author}"
    # a page of known quiet cost (bench_duties: ~8 ms for a small list) to read the load by
    pages["reference: the bureau's lists page, same run"] = f"/b/{slug}/duties/"
    figures = {}
    for label, url in pages.items():
        samples = timed(client, url, args.runs)
        figures[label] = (statistics.median(samples), max(samples), len(client.get(url).data))
        print(f"{label:<55} median {figures[label][0]:7.1f} ms   max {figures[label][1]:7.1f} ms")
    start = time.perf_counter()
    response = client.post(f"/b/{slug}/duties/review/approve?category=party_group", data={"all": "1"})
    approve_ms = (time.perf_counter() - start) * 1000
    assert response.status_code == 302, response.status_code
    load_after = os.getloadavg()
    print(f"bulk approval of every party-group record awaiting review: {approve_ms:.0f} ms")
    lines = [
        "## Reviewer's queue (`bench/bench_review.py`)",
        "",
        f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}; one bureau, the default list (39 items), "
        f"{args.pending} records awaiting review and {args.approved} approved (a fifth with a file), four authors.",
        f"Server time in-process (WSGI, logged-in bureau administrator), median of {args.runs} after two warm-up "
        f"requests.  Load average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}: **a shared machine** (other engineers' tests).",
        "",
        "| what | figure | target |",
        "|---|---|---|",
    ]
    for n, (label, (median, worst, size)) in enumerate(figures.items()):
        target = f"< {TARGET_MS:.0f} ms" if n == 0 else ""
        lines.append(f"| {label} ({size // 1024} KiB) | {median:.1f} ms (max {worst:.0f} ms) | {target} |")
    lines.append(f"| bulk approval of every matching record (party-group category, one request) | {approve_ms:.0f} ms | |")
    write_section("\n".join(lines) + "\n")
    print(f"wrote the review section of {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
