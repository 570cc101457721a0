"""Screenshots of Zeren's main pages, on a desktop and on a phone, for the README.

Run it against a demo that is already running (it seeds nothing and changes nothing; it
only logs in and opens pages):

    .venv/bin/flask demo seed --bureaus 6 --password zeren-demo-2026
    .venv/bin/flask run -p 5000 &
    .venv/bin/python docs/screenshots.py --url http://127.0.0.1:5000

Every page is taken at 1366x768 ("-desktop") and at 390x844 ("-phone") into docs/images/
as PNG: the whole page, cut at --max-height pixels so that a long list stays a modest
file, and reduced to a 256-colour palette (text and flat colours survive it).  Pages are
found by following the demo's own links (the first duty list, its first item with a
record, the first finding...), so the script keeps working when ids change.  A page it
cannot find is reported and skipped; the exit status is 1 when any was.

Needs Playwright (the Python package) and Chromium (Debian's /usr/bin/chromium, or
--chromium PATH).
"""
from __future__ import annotations

import argparse
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin, urlparse

SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass
class Shot:
    """One page to take: its file name, who looks at it and how to reach it.

    ``path`` is either a fixed path (``{slug}`` and ``{year}`` filled in) or a function
    of the Finder that returns one, or None when the page cannot be found."""

    name: str
    account: str  # "anonymous", "city", "admin" or "editor"
    path: str | Callable[["Finder"], str | None]
    title: str
    optional: bool = False  # a state the demo may not have (skipped quietly)


class Finder:
    """Finds pages by following links of pages already open, as a user would."""

    def __init__(self, page, base: str, slug: str, year: int):
        self.page, self.base, self.slug, self.year = page, base, slug, year

    def links(self, path: str, pattern: str) -> list[str]:
        """Paths of the links on ``path`` whose address matches ``pattern`` (in page order)."""
        self.page.goto(urljoin(self.base, path))
        hrefs = self.page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        found = []
        for href in hrefs:
            local = urlparse(urljoin(self.page.url, href)).path
            if re.search(pattern, local) and local not in found:
                found.append(local)
        return found

    def first(self, path: str, pattern: str) -> str | None:
        """The first link of ``path`` matching ``pattern``, or None."""
        found = self.links(path, pattern)
        return found[0] if found else None

    def duty_list(self) -> str | None:
        """The bureau's list of the demo year (or its newest)."""
        lists = self.links(f"/b/{self.slug}/duties/", rf"/b/{self.slug}/duties/\d+$")
        return lists[0] if lists else None

    def duty_item(self) -> str | None:
        """An item of the list that already has progress records (so the page is full)."""
        duty_list = self.duty_list()
        if not duty_list:
            return None
        items = self.links(duty_list, rf"/b/{self.slug}/duties/items/\d+$")
        for item in items[:12]:
            if self.first(item, r"/duties/records/\d+/edit$"):
                return item
        return items[0] if items else None

    def record_form(self) -> str | None:
        """The edit form of a progress record."""
        item = self.duty_item()
        return self.first(item, r"/duties/records/\d+/edit$") if item else None

    def finding(self) -> str | None:
        """A finding of the bureau, the first of the list."""
        return self.first(f"/b/{self.slug}/findings/", rf"/b/{self.slug}/findings/\d+$")

    def duty_template(self) -> str | None:
        """The city's duty-list template of the demo year (or the first)."""
        return self.first("/city/duty-templates/", r"/city/duty-templates/\d+$")

    def score_template(self) -> str | None:
        """The city's first score-sheet template."""
        return self.first("/city/scoring/", r"/city/scoring/templates/\d+$")

    def open_review(self) -> str | None:
        """The city's review of a sheet still being scored (its fields can be typed in)."""
        slugs = [path.rsplit("/", 1)[-1] for path in self.links("/city/bureaus", r"^/city/bureaus/[^/]+$")]
        for slug in slugs:
            review = f"/b/{slug}/scoring/{self.year}/review"
            response = self.page.goto(urljoin(self.base, review))
            if response and response.ok and self.page.locator(
                    "main form input[type=number]:not([disabled]), main form textarea:not([disabled])").count():
                return review
        return None

    def compare(self) -> str | None:
        """The compare page with the first three bureaus ticked (read from the form)."""
        self.page.goto(urljoin(self.base, f"/city/compare?year={self.year}"))
        boxes = self.page.locator("input[type=checkbox][name=b]")
        values = [boxes.nth(i).get_attribute("value") for i in range(min(boxes.count(), 3))]
        if len(values) < 2:
            return None
        return f"/city/compare?year={self.year}&" + "&".join(f"b={v}" for v in values)


SHOTS: list[Shot] = [
    Shot("login", "anonymous", "/login", "Log-in"),
    # the city committee
    Shot("city-dashboard", "city", "/city/?year={year}", "City overview"),
    Shot("city-compare", "city", Finder.compare, "Compare bureaus"),
    Shot("city-trends", "city", "/city/trends", "Trends"),
    Shot("city-bureaus", "city", "/city/bureaus", "Bureaus"),
    Shot("city-bureau", "city", "/city/bureaus/{slug}", "One bureau"),
    Shot("city-duty-templates", "city", "/city/duty-templates/", "Duty-list templates"),
    Shot("city-duty-template", "city", Finder.duty_template, "A duty-list template"),
    Shot("city-score-templates", "city", "/city/scoring/", "Score-sheet templates"),
    Shot("city-score-template", "city", Finder.score_template, "A score-sheet template"),
    Shot("city-review", "city", "/b/{slug}/scoring/{year}/review", "Review of a score sheet"),
    Shot("city-review-open", "city", Finder.open_review, "A review still being scored", optional=True),
    Shot("city-findings", "city", "/city/findings/", "Findings of every bureau"),
    Shot("city-years", "city", "/city/years/", "Year locks"),
    Shot("city-reports", "city", "/city/reports/", "City reports"),
    Shot("city-accounts", "city", "/city/users", "City accounts"),
    Shot("city-audit", "city", "/city/audit/", "City audit log"),
    Shot("city-jobs", "city", "/city/jobs/", "Background jobs"),
    # a bureau: its administrator
    Shot("bureau-home", "admin", "/b/{slug}/", "Bureau home"),
    Shot("duty-lists", "admin", "/b/{slug}/duties/", "Responsibility lists"),
    Shot("duty-list", "admin", Finder.duty_list, "A responsibility list"),
    Shot("duty-item", "admin", Finder.duty_item, "A duty item with its records"),
    Shot("record-form", "admin", Finder.record_form, "Editing a progress record"),
    Shot("people", "admin", "/b/{slug}/duties/people", "People (责任人)"),
    Shot("findings", "admin", "/b/{slug}/findings/", "Findings"),
    Shot("finding", "admin", Finder.finding, "A finding"),
    Shot("ledger", "admin", "/b/{slug}/findings/ledger", "Rectification ledger"),
    Shot("score-sheet", "admin", "/b/{slug}/scoring/{year}", "Self-assessment"),
    Shot("score-result", "admin", "/b/{slug}/scoring/{year}/result", "Score result"),
    Shot("reports", "admin", "/b/{slug}/reports/", "Bureau reports"),
    Shot("bureau-users", "admin", "/b/{slug}/users", "Bureau users"),
    Shot("bureau-audit", "admin", "/b/{slug}/audit/", "Bureau audit log"),
    # a bureau: the clerk who keeps the records
    Shot("editor-home", "editor", "/b/{slug}/", "A clerk's home"),
    Shot("my-items", "editor", "/b/{slug}/duties/mine", "My items"),
    Shot("reminders", "editor", "/b/{slug}/reminders/", "Reminders"),
]


def accounts(slug: str) -> dict[str, str | None]:
    """The demo's user name of each kind of account."""
    return {"anonymous": None, "city": "city", "admin": f"{slug}-admin", "editor": f"{slug}-editor"}


def log_in(page, base: str, username: str, password: str) -> None:
    """Log in through the real form; fail loudly when the demo refuses."""
    page.goto(urljoin(base, "/login"))
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("input#submit, button#submit")
    if urlparse(page.url).path.startswith("/login"):
        raise SystemExit(f"log-in as {username} refused: is this the demo, with password {password!r}?")


def save(page, target: Path, width: int, max_height: int) -> int:
    """Write the page (cut at max_height) as a palette PNG; return its size in bytes."""
    from PIL import Image

    height = page.evaluate("Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
    clip = {"x": 0, "y": 0, "width": width, "height": min(max(height, 1), max_height)}
    png = page.screenshot(full_page=True, clip=clip, animations="disabled")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(target, format="PNG", optimize=True)
    return target.stat().st_size


def main(argv: list[str] | None = None) -> int:
    """Take every shot (or those named by --only) at both sizes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000", help="the running demo")
    parser.add_argument("--password", default="zeren-demo-2026", help="the demo accounts' password")
    parser.add_argument("--bureau", default="czj", help="slug of the bureau to show")
    parser.add_argument("--year", type=int, default=None, help="the demo year (default: this year)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "images"))
    parser.add_argument("--max-height", type=int, default=1800, help="cut pages longer than this (px)")
    parser.add_argument("--only", default="", help="comma-separated shot names")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)

    from datetime import date

    from playwright.sync_api import sync_playwright

    year = args.year or date.today().year
    base = args.url.rstrip("/") + "/"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wanted = {name for name in args.only.split(",") if name}
    shots = [shot for shot in SHOTS if not wanted or shot.name in wanted]
    users = accounts(args.bureau)
    missing, total = [], 0

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        for account in dict.fromkeys(shot.account for shot in shots):
            # one log-in per account (the demo limits log-ins), both sizes in one context
            context = browser.new_context(viewport=dict(zip(("width", "height"), SIZES["desktop"])),
                                          locale="zh-CN", device_scale_factor=1)
            page = context.new_page()
            page.set_default_timeout(30_000)
            if users[account]:
                log_in(page, base, users[account], args.password)
            finder = Finder(page, base, args.bureau, year)
            for shot in (s for s in shots if s.account == account):
                page.set_viewport_size(dict(zip(("width", "height"), SIZES["desktop"])))
                path = shot.path(finder) if callable(shot.path) else shot.path.format(slug=args.bureau, year=year)
                if not path:
                    if not shot.optional:
                        missing.append(shot.name)
                    print(f"  {shot.name}: not found in the demo, skipped", file=sys.stderr)
                    continue
                for size, (width, height) in SIZES.items():
                    page.set_viewport_size({"width": width, "height": height})
                    response = page.goto(urljoin(base, path))
                    page.wait_for_load_state("networkidle")
                    if response is None or response.status >= 400:
                        print(f"  {shot.name}: {path} answered {response and response.status}", file=sys.stderr)
                        missing.append(shot.name)
                        break
                    target = out / f"{shot.name}-{size}.png"
                    total += save(page, target, width, args.max_height)
                    print(f"{target.name:32} {path}")
            context.close()
        browser.close()
    print(f"{total / 1e6:.1f} MB written to {out}")
    if missing:
        print("not taken: " + ", ".join(dict.fromkeys(missing)), file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
