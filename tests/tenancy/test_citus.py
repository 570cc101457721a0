"""Citus: what a bureau's tables must be to live in a distributed schema, and provisioning
and placement on a real coordinator (``ZEREN_TEST_CITUS_URL``)."""
from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.pool import NullPool

from app import model_registry  # noqa: F401  (fills both metadata)
from app.extensions import db
from app.models import TenantModel
from app.tenancy import citus
from app.tenancy import services as tenancy
from app.tenancy.migrations import upgrade_catalog
from tests.helpers import make_app

CITUS_URL = os.environ.get("ZEREN_TEST_CITUS_URL")


def test_no_bureau_table_points_outside_its_bureau():
    """A distributed schema keeps its tables together on one node: a foreign key to the
    catalog or to another schema could not be kept there (nor survive a move)."""
    bureau_tables = set(TenantModel.metadata.tables)
    for table in TenantModel.metadata.tables.values():
        for key in table.foreign_keys:
            assert key.column.table.name in bureau_tables, f"{table.name}.{key.parent.name} -> {key.target_fullname}"
            assert key.column.table.metadata is TenantModel.metadata


def test_every_bureau_id_is_a_bigint_on_postgresql():
    """Ids are BIGINT on PostgreSQL, so a bureau's rows keep their ids when a schema is
    moved or merged by Citus and no integer column of a key ever needs widening."""
    dialect = postgresql.dialect()
    for table in TenantModel.metadata.tables.values():
        keys = [c for c in table.columns if c.primary_key or c.foreign_keys]
        assert keys, table.name
        for column in keys:
            compiled = column.type.compile(dialect=dialect)
            assert compiled not in ("INTEGER", "SMALLINT"), f"{table.name}.{column.name} is {compiled}, not BIGINT"


def test_on_plain_postgresql_a_bureau_is_an_ordinary_schema(tmp_path, postgres_database):
    if not postgres_database:
        pytest.skip("PostgreSQL only: set ZEREN_TEST_POSTGRES_URL")
    if CITUS_URL:
        pytest.skip("the suite runs against Citus: see the test below")
    app = make_app(tmp_path, postgres_database)
    with app.app_context():
        upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
        bureau = tenancy.create_tenant("czj", "市财政局")
        assert tenancy.distributed_nodes([bureau]) == {}
        with db.engine.connect() as connection:
            assert not citus.is_citus(connection)
            assert citus.schema_nodes(connection) == {}
        listed = json.loads(app.test_cli_runner().invoke(args=["tenants", "list", "--json"]).output)
        assert [(row["slug"], row["citus_node"]) for row in listed] == [("czj", None)]
        app.extensions["zeren.tenant_store"].dispose_all()
        db.engine.dispose()


@pytest.mark.skipif(not CITUS_URL, reason="set ZEREN_TEST_CITUS_URL to a Citus coordinator's database "
                                          "(Citus is not in Debian's archive; docs/scale.md, 'Citus')")
def test_on_citus_a_new_bureau_is_a_distributed_schema_and_its_node_is_read_from_citus(tmp_path, postgres_database):
    app = make_app(tmp_path, postgres_database)
    with app.app_context():
        upgrade_catalog(db.engine, app.config["MIGRATIONS_DIR"])
        bureau = tenancy.create_tenant("czj", "市财政局")
        probe = create_engine(CITUS_URL, poolclass=NullPool)
        with probe.connect() as connection:
            assert citus.is_citus(connection)
            distributed = connection.execute(text(
                "SELECT CAST(schema_name AS text) FROM citus_schemas")).scalars().all()
            assert bureau.ref.schema in distributed
        probe.dispose()
        node = tenancy.distributed_nodes([bureau])["czj"]
        listed = json.loads(app.test_cli_runner().invoke(args=["tenants", "list", "--json"]).output)
        assert [(row["slug"], row["citus_node"]) for row in listed] == [("czj", node)]
        app.extensions["zeren.tenant_store"].dispose_all()
        db.engine.dispose()
