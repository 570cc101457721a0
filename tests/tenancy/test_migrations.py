"""The two Alembic environments and bureau upgrades."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from app.extensions import db
from app.tenancy import migrations
from app.tenancy import services as tenancy
from app.tenancy.models import Tenant
from tests.helpers import login


def test_each_environment_has_exactly_one_head(app):
    for env in (migrations.CATALOG, migrations.TENANT):
        assert len(migrations.heads(app.config["MIGRATIONS_DIR"], env)) == 1


def test_models_match_the_migrations(app, bureau_a):
    """Autogenerate finds nothing to do: every model change came with a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from app.models import CatalogModel, TenantModel

    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), CatalogModel.metadata) == []
    store = app.extensions["zeren.tenant_store"]
    ref = bureau_a.tenant.ref
    with migrations.migration_connection(store, ref) as connection:
        if ref.schema:
            connection.exec_driver_sql(f'SET LOCAL search_path TO "{ref.schema}"')
            connection.dialect.default_schema_name = ref.schema  # as the tenant env.py does
        # with the bureau's schema as the default one, its version table reads as unqualified
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, TenantModel.metadata) == []


def test_catalog_upgrade_is_idempotent(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["catalog", "upgrade"])
    assert result.exit_code == 0 and migrations.head_revision(app.config["MIGRATIONS_DIR"], "catalog") in result.output


def _set_back_one_revision(app, tenant) -> str:
    """Downgrade a bureau one step (to base when there is a single revision)."""
    store = app.extensions["zeren.tenant_store"]
    previous = migrations.downgrade_tenant(store, tenant.ref, app.config["MIGRATIONS_DIR"], "-1")
    db.session.execute(update(Tenant).where(Tenant.id == tenant.id).values(revision=previous))
    db.session.commit()
    return previous


def test_a_bureau_behind_head_answers_503_until_upgraded(app, client, bureau_a, bureau_b):
    previous = _set_back_one_revision(app, bureau_a.tenant)
    assert previous != tenancy.tenant_head()
    login(client, bureau_a.admin.username)
    response = client.get(f"/b/{bureau_a.slug}/")
    assert response.status_code == 503
    assert "flask tenants upgrade" in response.get_data(as_text=True)

    result = app.test_cli_runner().invoke(args=["tenants", "upgrade", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "1 upgraded, 1 already current, 0 failed" in result.output
    db.session.expire_all()
    assert db.session.get(Tenant, bureau_a.tenant.id).revision == tenancy.tenant_head()
    assert client.get(f"/b/{bureau_a.slug}/").status_code == 200


def test_upgrade_reports_a_broken_bureau_and_carries_on(app, bureau_a, bureau_b):
    _set_back_one_revision(app, bureau_b.tenant)
    broken = bureau_a.tenant
    if broken.backend == "sqlite":
        store = app.extensions["zeren.tenant_store"]
        store.forget(broken.ref)
        Path(store.sqlite_path(broken.ref)).write_bytes(b"this is not a database" * 100)
    else:
        db.session.execute(update(Tenant).where(Tenant.id == broken.id).values(server="nowhere"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["tenants", "upgrade"])
    assert result.exit_code == 1
    assert f"FAILED {broken.slug}" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Tenant.revision).where(Tenant.id == bureau_b.tenant.id)) == tenancy.tenant_head()
