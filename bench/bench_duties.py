"""Duty-list benchmarks: the list page of a large list, and what it is made of.

    .venv/bin/python bench/bench_duties.py [--items 300] [--records 1000] [--runs 40]

Builds one bureau on SQLite in a scratch data root (bench/.work/duties/), with a list of
``--items`` items and ``--records`` progress records (a fifth with an evidence file),
then times requests in-process through the WSGI app (the server's own time: routing,
membership check, queries, derived status, template rendering).  Prints medians and
ratios and writes its section of bench/RESULTS.md between the ``<!-- duties -->``
markers.  Nothing here asserts: the target (median < 50 ms) is reported, not enforced.
"""
from __future__ import annotations

import argparse
import io
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
WORK = ROOT / "bench" / ".work" / "duties"
RESULTS = ROOT / "bench" / "RESULTS.md"
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-2026"
TARGET_MS = 50.0


def make_app(root: Path):
    """A fresh application on a SQLite data root, catalog migrated."""
    from app import create_app
    from app.extensions import db
    from app.tenancy.migrations import upgrade_catalog

    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    app = create_app({"TENANTS_DIR": str(root), "DATABASE_URL": None, "TENANT_SERVERS": "", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    with app.app_context():
        upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
    return app


def build(app, slug: str, items: int, records: int, seed: int = 2026) -> int:
    """One bureau with people, a published list of ``items`` items and ``records`` records."""
    from app.accounts import services as accounts
    from app.duties import catalog, services
    from app.duties.demo import minimal_pdf
    from app.duties.models import Attachment, DutyItem, Person, ProgressRecord
    from app.duties.storage import put_bytes
    from app.extensions import db
    from app.tenancy import services as tenancy
    from app.tenancy.session import tenant_context

    rng = random.Random(seed)
    with app.app_context():
        template = catalog.ensure_default_published(2026)
        tenant = tenancy.create_tenant(slug, f"基准测试局{slug[-3:]}")
        accounts.create_user(f"{slug}-admin", "基准管理员", PASSWORD, tenant=tenant, role="bureau_admin")
        source = template.items
        with tenant_context(tenant):
            actor = services.Actor.system()
            people = [Person(name=f"人员{n:02d}", post="党组成员、副局长", kind="member", sort_order=n) for n in range(12)]
            db.session.add_all(people)
            db.session.flush()
            duty_list = services.create_list(2026, actor=actor)
            duty_list.areas = template.areas
            for n in range(items):
                base = source[n % len(source)]
                db.session.add(DutyItem(
                    list_id=duty_list.id, category=base["category"], area=base["area"],
                    content=f"{base['content']}（第{n + 1}项）", measures=base["measures"], lead_unit=base["lead_unit"],
                    cadence=base["cadence"], expected_count=base["expected_count"],
                    due_date=date(2026, base["due_month"] or 12, 28), owner_id=rng.choice(people).id,
                    sort_order=(n + 1) * 10, source_key=base["key"]))
            db.session.flush()
            item_ids = [i for (i,) in db.session.execute(db.select(DutyItem.id).where(DutyItem.list_id == duty_list.id))]
            pdfs = [put_bytes(slug, minimal_pdf([f"bench evidence {k}"]), f"佐证{k}.pdf") for k in range(20)]
            for n in range(records):
                record = ProgressRecord(item_id=rng.choice(item_ids), occurred_on=date(2026, 1, 1) + timedelta(days=rng.randrange(320)),
                                        summary="召开会议，研究部署机关党建工作，形成会议纪要。", count=1, author_name="基准")
                if n % 5 == 0:
                    upload = rng.choice(pdfs)
                    record.attachments.append(Attachment(sha256=upload.sha256, size=upload.size, kind=upload.kind,
                                                         original_name=upload.name))
                db.session.add(record)
            duty_list.status = "published"
            db.session.commit()
            return duty_list.id


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
    """Replace (or append) only the duties section of bench/RESULTS.md."""
    begin, end = "<!-- duties -->", "<!-- /duties -->"
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    block = f"{begin}\n{text.rstrip()}\n{end}"
    if begin in current and end in current:
        current = current[:current.index(begin)] + block + current[current.index(end) + len(end):]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()

    app = make_app(WORK)
    big = build(app, "bench-big", args.items, args.records)
    small = build(app, "bench-small", 30, 100)
    client = app.test_client()
    assert client.post("/login", data={"username": "bench-big-admin", "password": PASSWORD}).status_code == 302
    list_url = f"/b/bench-big/duties/{big}"
    results = {
        "list": timed(client, list_url, args.runs),
        "filtered": timed(client, f"{list_url}?status=overdue&q=会议", args.runs),
        "home": timed(client, "/b/bench-big/", args.runs),
        "export": timed(client, f"{list_url}/export.xlsx", max(5, args.runs // 4)),
    }
    client_small = app.test_client()
    client_small.post("/login", data={"username": "bench-small-admin", "password": PASSWORD})
    results["small"] = timed(client_small, f"/b/bench-small/duties/{small}", args.runs)
    with app.app_context():
        from app.duties import services
        from app.tenancy import services as tenancy
        from app.tenancy.session import tenant_context

        samples = []
        for _ in range(args.runs):
            with tenant_context(tenancy.get_tenant("bench-big")):
                start = time.perf_counter()
                services.metrics(2026)
                samples.append((time.perf_counter() - start) * 1000)
        results["metrics"] = samples

    med = {name: statistics.median(values) for name, values in results.items()}
    worst = max(results["list"])
    page_kib = len(client.get(list_url).data) / 1024
    for name, value in med.items():
        print(f"{name:>9}: median {value:7.2f} ms")
    print(f"list page {page_kib:.0f} KiB; ratio 300-item / 30-item list: {med['list'] / med['small']:.2f}; "
          f"target {TARGET_MS:.0f} ms: {'met' if med['list'] < TARGET_MS else 'MISSED'}")

    cpu = f"{platform.machine()}, {__import__('os').cpu_count()} cores"
    section = f"""## Duty lists (`bench/bench_duties.py`)

Measured {date.today().isoformat()} on {cpu}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version};
one bureau with {args.items} items, {args.records} progress records ({args.records // 5} with a PDF), 12 people.
Server time in-process (WSGI, logged-in bureau administrator), median of {args.runs} after two warm-up requests.

| what | figure | target |
|---|---|---|
| list page, {args.items} items grouped by category with derived status ({page_kib:.0f} KiB) | {med['list']:.1f} ms (max {worst:.0f} ms) | < {TARGET_MS:.0f} ms |
| same page filtered (status + search) | {med['filtered']:.1f} ms | |
| a 30-item list (100 records) | {med['small']:.1f} ms | |
| ratio {args.items}-item / 30-item list page | {med['list'] / med['small']:.2f} | |
| bureau home with the overdue / due-this-month panel | {med['home']:.1f} ms | |
| Excel export of the list (median of {max(5, args.runs // 4)}) | {med['export']:.1f} ms | |
| `duties.services.metrics(2026)` (what the roll-up calls per commit) | {med['metrics']:.1f} ms | |
"""
    write_section(section)
    print(f"wrote the duties section of {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
