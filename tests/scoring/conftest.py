"""Fixtures and helpers of the score-sheet page and service tests."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.core.actor import Actor
from app.scoring import engine, services
from app.tenancy.session import tenant_context
from tests.conftest import login

EXAMPLES = Path(__file__).resolve().parents[2] / "app" / "scoring" / "examples"
EXAMPLE_SCORES = engine.load_document(EXAMPLES / "annual-2026-scores.yaml")
YEAR = 2026


@pytest.fixture
def template_2026(app, city_admin):
    """The example annual sheet, published for 2026."""
    template = services.create_from_body(YEAR, services.example_body(), actor=Actor.city(city_admin), how="测试")
    return services.publish(template, version=template.version, actor=Actor.city(city_admin))


@pytest.fixture
def assigned(template_2026, bureau_a, bureau_b, city_admin):
    """The 2026 sheet assigned to both test bureaus."""
    services.set_assignments(template_2026, [bureau_a.tenant.id, bureau_b.tenant.id], actor=Actor.city(city_admin))
    return template_2026


def form_fields(body: dict, part: str, values: dict[str, Any], *, version: int,
                notes: dict[str, str] | None = None) -> dict[str, str]:
    """The POST data of a sheet form (self or reviewer) holding ``values`` (a scores
    document's part)."""
    data: dict[str, str] = {"version": str(version)}
    for index, (_dimension, indicator) in enumerate(services.indicators_of(body)):
        stem = f"i{index}"
        value = values.get(indicator["code"])
        if indicator["method"] == "deduct":
            for r_index, rule in enumerate(indicator["rules"]):
                data[f"{stem}_r{r_index}"] = str((value or {}).get(rule["code"], 0))
            if value is not None:  # entered ({} = checked, nothing to deduct)
                data[f"{stem}_ok"] = "y"
        elif value is not None:
            data[stem] = str(value)
        data[f"{stem}_note"] = (notes or {}).get(indicator["code"], "")
    return data


def sheet_of(tenant):
    """The 2026 sheet of a bureau, read in a fresh session (detached, fully loaded)."""
    with tenant_context(tenant):
        sheet = services.get_sheet(YEAR)
        for entry in sheet.entries:
            entry.evidence  # noqa: B018 - load before the session closes
        sheet.adjustments, sheet.ballot  # noqa: B018
        return sheet


def version_of(tenant) -> int:
    return sheet_of(tenant).version


def start_and_fill(client, bureau, values: dict[str, Any] | None = None, *, submit: bool = False) -> None:
    """As the bureau's admin: start the 2026 sheet, save ``values`` (default: the example
    self-assessment) through the page, and optionally submit it."""
    client.post("/logout")
    login(client, bureau.admin.username)
    response = client.post(f"/b/{bureau.slug}/scoring/{YEAR}/start")
    assert response.status_code == 302, response.get_data(as_text=True)
    body = sheet_of(bureau.tenant).template_body
    data = form_fields(body, "self", values if values is not None else EXAMPLE_SCORES["self"],
                       version=version_of(bureau.tenant))
    response = client.post(f"/b/{bureau.slug}/scoring/{YEAR}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    if submit:
        response = client.post(f"/b/{bureau.slug}/scoring/{YEAR}/submit",
                               data={"version": version_of(bureau.tenant)})
        assert response.status_code == 302
        assert sheet_of(bureau.tenant).status == "self_submitted"
    client.post("/logout")


def review_fully(client, bureau, scores: dict[str, Any] = EXAMPLE_SCORES, *, finalise: bool = True) -> None:
    """As the city admin: enter the reviewer's scores, the ballot and the adjustments of
    ``scores`` through the pages, complete the review and (optionally) finalise."""
    client.post("/logout")
    login(client, "city")
    base = f"/b/{bureau.slug}/scoring/{YEAR}"
    body = sheet_of(bureau.tenant).template_body
    response = client.post(f"{base}/review", data=form_fields(body, "reviewer", scores["reviewer"],
                                                               version=version_of(bureau.tenant)))
    assert response.status_code == 302, response.get_data(as_text=True)
    labels = [level["label"] for level in body["ballot_levels"]]
    ballot = {f"v{index}": str(scores["ballot"].get(label, 0)) for index, label in enumerate(labels)}
    response = client.post(f"{base}/review/ballot", data=dict(ballot, version=version_of(bureau.tenant)))
    assert response.status_code == 302, response.get_data(as_text=True)
    for adjustment in scores.get("adjustments", []):
        data = {"version": version_of(bureau.tenant), "kind": adjustment["kind"],
                "rule": adjustment.get("rule", ""), "points": str(adjustment.get("points", "")),
                "reason": adjustment.get("reason") or "事由", "document": adjustment.get("document") or "文号〔2026〕1号"}
        response = client.post(f"{base}/review/adjustments", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
    assert client.post(f"{base}/review/complete", data={"version": version_of(bureau.tenant)}).status_code == 302
    assert sheet_of(bureau.tenant).status == "reviewed"
    if finalise:
        assert client.post(f"{base}/finalise", data={"version": version_of(bureau.tenant)}).status_code == 302
        assert sheet_of(bureau.tenant).status == "final"
    client.post("/logout")


def page_figures(html: str) -> dict[str, Decimal | str]:
    """The ``data-figure`` values of a page: numbers as Decimal, other text as is."""
    figures: dict[str, Decimal | str] = {}
    for key, text in re.findall(r'data-figure="([^"]+)">([^<]*)<', html):
        text = text.strip().lstrip("+−").rstrip("%")
        figures[key] = Decimal(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else text
    return figures
