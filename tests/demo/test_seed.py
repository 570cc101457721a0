"""``flask demo seed``: the demo city every feature grows."""
from __future__ import annotations

import json

from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.tenancy.models import Tenant
from tests.helpers import login


def test_seed_builds_a_city_and_prints_credentials(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--bureaus", "3", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    names = db.session.scalars(select(Tenant.name).order_by(Tenant.id)).all()
    assert names == ["市机关事务管理局", "市财政局", "市教育局"]
    assert "city" in result.output and "jgswj-admin" in result.output and "demo-password-1" in result.output
    users = set(db.session.scalars(select(User.username)))
    assert {"city", "jgswj-admin", "czj-admin", "jyj-admin"} <= users
    client = app.test_client()
    assert login(client, "czj-admin", "demo-password-1").headers["Location"].endswith("/b/czj/")
    assert "市财政局" in client.get("/b/czj/").get_data(as_text=True)
    listed = json.loads(runner.invoke(args=["tenants", "list", "--json"]).output)
    assert [r["slug"] for r in listed] == ["jgswj", "czj", "jyj"]


def test_seed_refuses_a_non_empty_catalog_without_force(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed", "--bureaus", "1", "--password", "demo-password-1"]).exit_code == 0
    result = runner.invoke(args=["demo", "seed", "--bureaus", "2", "--password", "demo-password-1"])
    assert result.exit_code == 1 and "--force" in result.output
    assert db.session.scalars(select(Tenant.slug)).all() == ["jgswj"]
    result = runner.invoke(args=["demo", "seed", "--bureaus", "2", "--if-empty"])
    assert result.exit_code == 0 and db.session.scalars(select(Tenant.slug)).all() == ["jgswj"]
    result = runner.invoke(args=["demo", "seed", "--bureaus", "2", "--password", "demo-password-2", "--force"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalars(select(Tenant.slug).order_by(Tenant.id)).all() == ["jgswj", "czj"]
    assert login(app.test_client(), "city", "demo-password-2").status_code == 302


def test_random_passwords_are_printed_when_none_is_given(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--bureaus", "1"])
    assert result.exit_code == 0
    line = next(l for l in result.output.splitlines() if l.strip().startswith("jgswj-admin"))
    password = line.split()[1]
    assert len(password) >= 10
    assert login(app.test_client(), "jgswj-admin", password).status_code == 302


def test_the_demo_audit_trail_is_varied_and_its_chains_verify(app):
    from collections import Counter

    from app.audit.models import CatalogAuditEvent

    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed", "--bureaus", "3", "--password", "demo-password-1"]).exit_code == 0
    actions = Counter(db.session.scalars(select(CatalogAuditEvent.action)))
    assert actions["user.login"] >= 6 and actions["file.download"] >= 3 and actions["file.export"] >= 3
    slugs = set(db.session.scalars(select(CatalogAuditEvent.tenant_slug).where(
        CatalogAuditEvent.action == "file.download")))
    assert {"jgswj", "czj", "jyj"} <= slugs
    result = runner.invoke(args=["audit", "verify", "--all"])
    assert result.exit_code == 0, result.output
