"""The demo seed's score sheets: one published 2026 template for every bureau, and the
bureaus spread over every stage and grade."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.scoring import services
from app.scoring.models import ScoreTemplate, TemplateAssignment
from app.tenancy.models import Tenant
from app.tenancy.session import tenant_context
from tests.helpers import login


def test_the_demo_city_has_sheets_at_every_stage(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--bureaus", "8", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    templates = db.session.scalars(select(ScoreTemplate)).all()
    assert len(templates) == 1 and templates[0].is_published and templates[0].year == 2026
    tenants = db.session.scalars(select(Tenant).order_by(Tenant.id)).all()
    assert db.session.scalar(select(db.func.count()).select_from(TemplateAssignment)) == len(tenants) == 8
    seen = []
    for tenant in tenants:
        with tenant_context(tenant):
            sheet = services.get_sheet(2026)
            result_, _missing = services.evaluate_sheet(sheet)
            gate = bool(result_ and result_.grade != result_.grade_by_score and not result_.vetoes)
            seen.append((sheet.status, result_.grade if result_ and sheet.status == "final" else None,
                         bool(result_ and result_.vetoes), gate))
    statuses = [status for status, *_rest in seen]
    assert {"draft", "self_submitted", "reviewed", "final"} <= set(statuses)
    grades = {grade for _status, grade, _veto, _gate in seen if grade}
    assert {"好", "较好", "一般"} <= grades
    assert any(veto for *_rest, veto, _gate in seen) and any(gate for *_rest, gate in seen)

    client = app.test_client()
    login(client, "city", "demo-password-1")
    slug = tenants[0].slug
    assert client.get(f"/b/{slug}/scoring/2026/review").status_code == 200
    assert client.get(f"/b/{slug}/scoring/2026/print").status_code == 200
