"""The demo seed's findings: closed ones exist, and each was verified by someone other
than whoever submitted its rectification (the rule ``services.transition`` enforces)."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.findings import services
from app.findings.models import Finding
from app.tenancy.models import Tenant
from app.tenancy.session import tenant_context


def test_demo_findings_are_closed_by_someone_other_than_the_submitter(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--bureaus", "3", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    closed = 0
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all():
        with tenant_context(tenant):
            for finding in db.session.scalars(select(Finding).where(Finding.status == "closed")):
                steps = services.history(finding)
                submitted = [e.actor_name for e in steps if e.action == "submit"][-1]
                verified = [e.actor_name for e in steps if e.action == "close"][-1]
                assert submitted and verified and submitted != verified, (tenant.slug, finding.id)
                assert finding.verified_by_name == verified
                closed += 1
    assert closed >= 3
