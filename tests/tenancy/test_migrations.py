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
    _set_back_one_revision(app, broken)  # behind head, so the run opens it
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


def _break(app, tenant) -> object:
    """Make a bureau's database unreachable; return what puts it back."""
    store = app.extensions["zeren.tenant_store"]
    if tenant.backend == "sqlite":
        store.forget(tenant.ref)
        path = Path(store.sqlite_path(tenant.ref))
        good = path.read_bytes()
        path.write_bytes(b"this is not a database" * 100)

        def repair() -> None:
            store.forget(tenant.ref)
            path.write_bytes(good)
        return repair
    server = tenant.server
    db.session.execute(update(Tenant).where(Tenant.id == tenant.id).values(server="nowhere"))
    db.session.commit()

    def repair() -> None:
        db.session.execute(update(Tenant).where(Tenant.id == tenant.id).values(server=server))
        db.session.commit()
    return repair


def test_bureaus_the_catalog_records_at_head_are_not_opened_unless_verified(app, bureau_a, bureau_b):
    repair = _break(app, bureau_a.tenant)
    try:
        result = app.test_cli_runner().invoke(args=["tenants", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "0 upgraded, 2 already current, 0 failed" in result.output
        # --verify reads every bureau's own version table, so the broken one is found.
        result = app.test_cli_runner().invoke(args=["tenants", "upgrade", "--verify"])
        assert result.exit_code == 1 and f"FAILED {bureau_a.slug}" in result.output
    finally:
        repair()


def test_a_failed_upgrade_is_recorded_and_the_next_run_continues_with_what_is_left(app, bureau_a, bureau_b):
    _set_back_one_revision(app, bureau_a.tenant)
    _set_back_one_revision(app, bureau_b.tenant)
    repair = _break(app, bureau_a.tenant)
    result = app.test_cli_runner().invoke(args=["tenants", "upgrade"])
    assert result.exit_code == 1 and "1 upgraded, 0 already current, 1 failed" in result.output
    listed = app.test_cli_runner().invoke(args=["tenants", "list"])
    assert "last upgrade failed" in listed.output and bureau_a.slug in listed.output
    failed = db.session.scalar(select(Tenant).where(Tenant.id == bureau_a.tenant.id).execution_options(
        populate_existing=True))
    assert failed.upgrade_error and failed.upgrade_failed_at is not None and failed.revision != tenancy.tenant_head()

    repair()
    result = app.test_cli_runner().invoke(args=["tenants", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "1 upgraded, 1 already current, 0 failed" in result.output  # bureau_b is not opened again
    db.session.expire_all()
    done = db.session.get(Tenant, bureau_a.tenant.id)
    assert done.revision == tenancy.tenant_head() and done.upgrade_error is None and done.upgrade_failed_at is None
    assert "last upgrade failed" not in app.test_cli_runner().invoke(args=["tenants", "list"]).output


def test_a_migration_that_rebuilds_a_table_keeps_the_rows_under_it(app, bureau_a, bureau_list):
    """SQLite rebuilds a table to add a constraint (copy, drop, rename); with foreign keys
    on, the drop deleted every row that cascades from it (revision 0011 on duty_items
    emptied progress_records).  Down past the rebuilds and up again: nothing is lost."""
    import io

    from sqlalchemy import func

    from app.duties import services as duties
    from app.duties.models import ProgressRecord
    from app.evidence.models import Attachment
    from app.tenancy.session import tenant_context
    from tests.helpers import admin_of, pdf_bytes

    with tenant_context(bureau_a.tenant):
        item = duties.get_item(bureau_list["item_ids"][0])
        duties.add_record(item, {"occurred_on": "2026-04-01", "summary": "召开党组会议"},
                          files=[duties.Upload(io.BytesIO(pdf_bytes()), "纪要.pdf")], actor=admin_of(bureau_a))
        db.session.commit()

    def counts():
        with tenant_context(bureau_a.tenant):
            return (db.session.scalar(select(func.count(ProgressRecord.id))),
                    db.session.scalar(select(func.count(Attachment.id))))

    before = counts()
    assert before == (1, 1)
    store, ref, where = app.extensions["zeren.tenant_store"], bureau_a.tenant.ref, app.config["MIGRATIONS_DIR"]
    migrations.downgrade_tenant(store, ref, where, "0009_party_organisations")
    assert counts() == before
    migrations.upgrade_tenant(store, ref, where)
    assert counts() == before
    if ref.backend == "sqlite":  # the keys are on again for the bureau's own work
        with store.engine_for(ref).connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
