"""PDF report benchmarks: WeasyPrint (as Zeren uses it) against headless Chromium printing
the same HTML.

    .venv/bin/python bench/pdf_bench.py [--bureaus 100] [--runs 5] [--reseed] [--city-only]

Runs on a demo city of ``--bureaus`` bureaus (``flask demo seed``) in a scratch data root
under bench/.work/reports/ (seeded once; ``--reseed`` builds it again).  Every figure is
the median of ``--runs`` runs unless said otherwise.  Parts are files
(``<data root>/_cache/parts``, :mod:`app.reports.parts`); no process keeps anything laid
out in memory, so "after a change" is what any worker does, also one that never rendered
the report (it reads the other parts' files):

1. **Bureau report** (fonts and code warmed as a worker does at start): *after a change*
   — a progress record is added before each run, so the PDF cache misses and the changed
   parts are laid out again while unchanged parts are read from their files; *cold* — the
   parts folder emptied before each run.  Chromium prints the same HTML (``--html`` of
   ``flask reports bureau``), start-up included, as the reference.
2. **City summary of all bureaus**: *after one bureau changed* (a record in a different
   bureau before each run: its profile is read again, the parts whose HTML changed —
   overview, its profile and appendix blocks — laid out again, the rest read from their
   files); *cold* (parts folder empty, profiles from the disk cache; the parts laid out by
   the layout pool, ``REPORTS_LAYOUT_PROCESSES`` default); *nothing cached* (once: every
   bureau's profile read from its database too); Chromium on the same HTML.  Also: the
   peak memory (RSS) of the rendering process and of its layout processes during a cold
   render in a fresh process; two renders compared byte for byte; the size against a
   one-pass layout of the same HTML.
3. **First render in a fresh server process**: ``wsgi.py`` served by Werkzeug in a new
   process (its warm-up thread starts with it); as soon as the port answers, log in and
   request a bureau report that is not cached.  The request's time, and the time from
   starting the process to the PDF.
4. **Repeat render of unchanged data**: the same report requested again (disk cache).

Writes its section of bench/RESULTS.md (between ``<!-- reports -->`` markers).
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "reports"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "zeren-demo-2026"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_foundation import write_section  # noqa: E402


def environment(root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEREN_")}
    env.update(ZEREN_TENANTS_DIR=str(root), FLASK_APP="wsgi.py")
    return env


def seed(root: Path, bureaus: int, reseed: bool) -> None:
    """The demo city, built once by the real commands."""
    marker = root / f".seeded-{bureaus}"
    if marker.exists() and not reseed:
        return
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    flask = str(Path(sys.executable).with_name("flask"))
    started = time.perf_counter()
    subprocess.run([flask, "catalog", "upgrade"], cwd=ROOT, env=environment(root), check=True, capture_output=True)
    subprocess.run([flask, "demo", "seed", "--bureaus", str(bureaus), "--password", PASSWORD], cwd=ROOT,
                   env=environment(root), check=True, capture_output=True)
    marker.write_text(f"seeded in {time.perf_counter() - started:.0f} s\n")


def median(values: list[float]) -> float:
    return statistics.median(values)


def chromium(html: str, runs: int) -> tuple[float, int]:
    """Median seconds for headless Chromium to print ``html`` (process start included) and
    its page count.  The HTML's relative links resolve through symlinks to app/static."""
    from pypdf import PdfReader

    with tempfile.TemporaryDirectory(prefix="zeren-chromium-") as folder:
        base = Path(folder)
        for name in ("print", "css"):
            (base / name).symlink_to(ROOT / "app" / "static" / name)
        source, target = base / "report.html", base / "report.pdf"
        source.write_text(html, encoding="utf-8")
        times = []
        for _run in range(runs):
            target.unlink(missing_ok=True)
            started = time.perf_counter()
            subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                            f"--print-to-pdf={target}", source.as_uri()], check=True, capture_output=True, timeout=300)
            times.append(time.perf_counter() - started)
        return median(times), len(PdfReader(str(target)).pages)


def pages_of(data: bytes) -> int:
    from io import BytesIO

    from pypdf import PdfReader

    return len(PdfReader(BytesIO(data)).pages)


def add_record(slug: str, year: int, note: str) -> None:
    """A progress record in one bureau (a real change: data version, roll-up push)."""
    from app.duties import services as duties
    from app.tenancy import services as tenancy
    from app.tenancy.session import tenant_context

    with tenant_context(tenancy.get_tenant(slug)):
        duty_list = duties.list_for_year(year)
        rows = [r for r in duties.item_rows(duty_list) if r.status != "done"] or duties.item_rows(duty_list)
        duties.add_record(rows[0].item, {"occurred_on": date(year, 1, 15), "summary": note, "count": 1},
                          actor=duties.Actor.system())


def bureau_report(app, slug: str, year: int, runs: int) -> dict:
    from app.reports import pdf, services
    from app.reports.cache import parts_cache
    from app.tenancy import services as tenancy
    from app.tenancy.session import tenant_context

    def render(**options):
        with tenant_context(tenancy.get_tenant(slug)):
            from app.extensions import db
            from app.tenancy.models import Tenant

            tenant = db.session.scalar(db.select(Tenant).where(Tenant.slug == slug))
            return services.bureau_report(tenant, year, city=True, **options)

    render(use_cache=False)  # this report's templates compiled, its parts in the layout cache
    changed = []
    for run in range(runs):
        add_record(slug, year, f"基准测试记录 {run}")
        rendered = render()
        assert not rendered.cached
        changed.append(rendered.seconds)
    cold = []
    for _run in range(runs):
        parts_cache(app).clear()
        rendered = render(use_cache=False)
        cold.append(rendered.seconds)
    with tenant_context(tenancy.get_tenant(slug)):
        from app.extensions import db
        from app.tenancy.models import Tenant

        html = services.bureau_report_html(db.session.scalar(db.select(Tenant).where(Tenant.slug == slug)), year,
                                           city=True)
    chrome, chrome_pages = chromium(html, runs)
    return {"changed": median(changed), "cold": median(cold), "chromium": chrome, "pages": pages_of(rendered.data),
            "chromium_pages": chrome_pages, "parts": html.count(pdf.PART) + 1}


def city_summary(app, slugs: list[str], year: int, runs: int) -> dict:
    from app.reports import pdf, services
    from app.reports.cache import parts_cache, report_cache

    report_cache(app).clear()
    parts_cache(app).clear()
    started = time.perf_counter()
    services.city_pdf(year)  # nothing cached: every profile read, every part laid out
    nothing = time.perf_counter() - started
    changed = []
    for run in range(runs):
        add_record(slugs[(run * 7 + 3) % len(slugs)], year, f"基准测试记录 城市 {run}")
        rendered = services.city_pdf(year)
        assert not rendered.cached
        changed.append(rendered.seconds)
    cold = []
    for _run in range(max(1, runs // 2)):
        parts_cache(app).clear()
        cold.append(services.city_pdf(year, use_cache=False).seconds)
    again = services.city_pdf(year, use_cache=False)  # every part from its file
    html = services.city_summary_html(services.city_summary(year))
    one_pass = pdf.html_to_pdf(html, static_dir=app.static_folder, fonts=pdf.check_fonts(app.config))
    chrome, chrome_pages = chromium(html, max(1, runs // 2))
    docx = services.city_docx(year, use_cache=False)
    return {"changed": median(changed), "cold": median(cold), "nothing": nothing, "chromium": chrome,
            "pages": pages_of(rendered.data), "chromium_pages": chrome_pages, "docx": docx.seconds,
            "bytes": len(again.data), "one_pass_bytes": len(one_pass), "same_bytes": again.data == rendered.data,
            "parts": html.count(pdf.PART) + 1}


RSS_PROBE = """
import json, os, resource, sys, time
sys.path.insert(0, sys.argv[1])
from app import create_app
from app.reports import pdf, render, services
from app.reports.cache import parts_cache
app = create_app({"SECRET_KEY": "bench"})
render.warm(app)
with app.app_context():
    parts_cache(app).clear()
    started = time.perf_counter()
    rendered = services.city_pdf(int(sys.argv[2]), use_cache=False)
    seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def peak_memory(root: Path, year: int) -> dict:
    """A cold city summary in a fresh process: the peak RSS of that process and of the
    largest of its children (the layout processes; fc-list too, which is small)."""
    result = subprocess.run([sys.executable, "-c", RSS_PROBE, str(ROOT), str(year)], cwd=ROOT,
                            env=environment(root), capture_output=True, text=True, check=True, timeout=900)
    return __import__("json").loads(result.stdout.strip().splitlines()[-1])


def repeat(app, slug: str, year: int, runs: int) -> dict:
    """Requests for unchanged reports through the pages (disk cache)."""
    client = app.test_client()
    response = client.post("/login", data={"username": "city-viewer", "password": PASSWORD})
    assert response.status_code == 302
    results = {}
    from app.jobs import queue
    from app.jobs import services as jobs

    for name, url in (("bureau", f"/b/{slug}/reports/{year}.pdf"), ("city", f"/city/reports/{year}.pdf")):
        if client.get(url).status_code == 202:  # ordered: run the job here, as a worker would
            queue.bind_worker_app(app)
            for job in jobs.recent(kind="report.city" if name == "city" else "report.bureau"):
                if job.state == "queued":
                    jobs.execute(job.id)
        times = []
        for _run in range(max(runs, 20)):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.headers["X-Report-Cache"] == "hit"
        results[name] = median(times)
    return results


SERVER = """
import sys, time
from werkzeug.serving import make_server
import wsgi
make_server("127.0.0.1", int(sys.argv[1]), wsgi.app, threaded=True).serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def first_render(root: Path, slug: str, year: int, runs: int) -> dict:
    """A new server process per run; the bureau report is not in the cache."""
    request_times, totals, ready = [], [], []
    for _run in range(runs):
        shutil.rmtree(root / "_cache", ignore_errors=True)
        port = _free_port()
        env = environment(root)
        env["ZEREN_SECRET_KEY"] = "bench"
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], cwd=ROOT,
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if process.poll() is not None or time.perf_counter() - started > 60:
                        raise RuntimeError("the server did not start")
                    time.sleep(0.02)
            ready.append(time.perf_counter() - started)
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            base = f"http://127.0.0.1:{port}"
            page = opener.open(base + "/login").read().decode()
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            opener.open(base + "/login", urllib.parse.urlencode(
                {"csrf_token": token, "username": "city-viewer", "password": PASSWORD}).encode())
            asked = time.perf_counter()
            with opener.open(f"{base}/b/{slug}/reports/{year}.pdf") as response:
                data = response.read()
                assert response.headers["X-Report-Cache"] == "miss" and data[:5] == b"%PDF-"
            done = time.perf_counter()
            request_times.append(done - asked)
            totals.append(done - started)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return {"request": median(request_times), "total": median(totals), "ready": median(ready)}


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    import weasyprint

    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"WeasyPrint {weasyprint.__version__}, {version or 'Chromium'}, load average {load:.1f} at the start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bureaus", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--city-only", action="store_true",
                        help="only the city summary (its own section, reports-<bureaus>)")
    args = parser.parse_args()
    root = WORK / f"city{args.bureaus}"
    about = machine()
    seed(root, args.bureaus, args.reseed)
    os.environ["ZEREN_TENANTS_DIR"] = str(root)

    from app import create_app
    from app.reports import layoutpool, render
    from app.reports.cache import report_cache
    from app.tenancy.services import list_tenants

    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench"})
    render.warm(app)
    processes = layoutpool.pool(app).size if layoutpool.pool(app) else 1
    year = 2026
    bureau = again = first = None
    with app.app_context():
        report_cache(app).clear()
        slugs = [t.slug for t in list_tenants(include_archived=False)]
        slug = "czj"
        if not args.city_only:
            bureau = bureau_report(app, slug, year, args.runs)
            print(f"bureau report: after a change {bureau['changed']:.2f} s, cold {bureau['cold']:.2f} s, "
                  f"Chromium {bureau['chromium']:.2f} s ({bureau['pages']} / {bureau['chromium_pages']} pages)")
        city = city_summary(app, slugs, year, args.runs)
        print(f"city summary: after one change {city['changed']:.2f} s, cold {city['cold']:.2f} s, "
              f"Chromium {city['chromium']:.2f} s ({city['pages']} / {city['chromium_pages']} pages), "
              f"docx {city['docx']:.2f} s, {city['bytes']:,} bytes (one pass {city['one_pass_bytes']:,})")
        if not args.city_only:
            again = repeat(app, slug, year, args.runs)
            print(f"repeat: bureau {again['bureau'] * 1000:.1f} ms, city {again['city'] * 1000:.1f} ms")
    layoutpool._close_all()
    memory = peak_memory(root, year)
    print(f"peak RSS of a cold city render: {memory['self_mb']:.0f} MB, layout processes {memory['children_mb']:.0f} MB")
    if not args.city_only:
        first = first_render(root, "jyj", year, max(3, args.runs // 2))
        print(f"first render in a fresh server: request {first['request']:.2f} s, from process start {first['total']:.2f} s")
    load_end = os.getloadavg()[0]

    def verdict(value: float, target: float) -> str:
        return "✓" if value <= target else "✗"

    changed_target = 2 if args.bureaus <= 100 else 4
    rows = []
    if bureau:
        rows += [
            f"| bureau report ({bureau['pages']} pages, {bureau['parts']} parts), after a change | {bureau['changed']:.2f} s "
            f"| {bureau['chromium']:.2f} s ({bureau['chromium_pages']} pages) | {bureau['changed'] / bureau['chromium']:.2f} "
            f"| ≤ 0.5 s {verdict(bureau['changed'], 0.5)} |",
            f"| bureau report, cold (parts folder empty) | {bureau['cold']:.2f} s | | {bureau['cold'] / bureau['chromium']:.2f} "
            f"| ≤ Chromium {verdict(bureau['cold'], bureau['chromium'])} |"]
    rows += [
        f"| city summary, {args.bureaus} bureaus ({city['pages']} pages, {city['parts']} parts), after one bureau changed "
        f"| {city['changed']:.2f} s | {city['chromium']:.2f} s ({city['chromium_pages']} pages) "
        f"| {city['changed'] / city['chromium']:.2f} | ≤ {changed_target} s {verdict(city['changed'], changed_target)} |",
        f"| city summary, cold ({processes} layout processes; profiles from the disk cache) | {city['cold']:.2f} s | "
        f"| {city['cold'] / city['chromium']:.2f} | ≤ Chromium {verdict(city['cold'], city['chromium'])} |",
        f"| city summary, nothing cached (every profile read from its bureau too) | {city['nothing']:.2f} s | "
        f"| {city['nothing'] / city['chromium']:.2f} | (once) |",
        f"| peak RSS during a cold city render (the rendering process / a layout process) "
        f"| {memory['self_mb']:.0f} MB / {memory['children_mb']:.0f} MB | | | ≤ 500 MB "
        f"{verdict(max(memory['self_mb'], memory['children_mb']), 500)} |",
        f"| city summary as .docx | {city['docx']:.2f} s | | | |"]
    if first:
        rows += [f"| first render in a fresh server process (request) | {first['request']:.2f} s | | | ≤ 3 s "
                 f"{verdict(first['request'], 3)} |",
                 f"| … from starting the process | {first['total']:.2f} s | | | (port open after {first['ready']:.2f} s) |"]
    if again:
        rows += [f"| repeat, unchanged data (bureau report / city summary) | {again['bureau'] * 1000:.1f} ms / "
                 f"{again['city'] * 1000:.1f} ms | | | ≤ 50 ms {verdict(max(again['bureau'], again['city']), 0.05)} |"]
    table = "\n".join(rows)
    name = "reports" if not args.city_only else f"reports-{args.bureaus}"
    title = "## PDF reports (`bench/pdf_bench.py`)" if not args.city_only else \
        f"### PDF reports: city summary of {args.bureaus} bureaus (`bench/pdf_bench.py --bureaus {args.bureaus} --city-only`)"
    write_section(name, f"""{title}

{about}, load average {load_end:.1f} at the end (the machine was shared with other engineers'
test runs and benchmarks: figures move with the load).  Demo city of {args.bureaus} bureaus
(`flask demo seed`); medians of {args.runs} runs (the city's cold render and Chromium on it:
{max(1, args.runs // 2)} runs).  Chromium = `{CHROMIUM} --headless --print-to-pdf` on the same
HTML, process start included (it has no warm mode).

| measure | WeasyPrint (parts) | Chromium | ratio | target |
|---|---|---|---|---|
{table}

Parts are PDF files shared by every process (`<data root>/_cache/parts`); nothing laid out
is kept in memory, so "after a change" is what a worker that never rendered the report
does too: it lays out the parts whose HTML changed and reads the others' files.  The city
PDF is {city['bytes'] / 1e6:.2f} MB, the same HTML laid out in one pass {city['one_pass_bytes'] / 1e6:.2f} MB
({(city['bytes'] / city['one_pass_bytes'] - 1) * 100:+.1f} %: each face is embedded once, subset over every
part's glyphs; the rest is pypdf writing the page dictionaries without object streams);
two renders of the same data are {'byte for byte the same' if city['same_bytes'] else 'NOT the same'}.
""")


if __name__ == "__main__":
    main()
