"""Alembic environment applied to every bureau database (SQLite file) or schema (PostgreSQL).

Run through ``flask tenants upgrade`` / :mod:`app.tenancy.migrations`, which passes the
bureau's connection in ``config.attributes["connection"]`` and, on PostgreSQL, its schema
in ``config.attributes["schema"]``.  Following Alembic's "schema-level multi tenancy"
recipe, the schema becomes the transaction's search_path (``SET LOCAL``, so a pooled
connection is never left pointing at a bureau) and holds its own version table.
"""
from alembic import context

from app import model_registry  # noqa: F401  (fills the metadata)
from app.models import TenantModel

config = context.config
connection = config.attributes.get("connection")
schema = config.attributes.get("schema")
if connection is None:
    raise RuntimeError("run bureau migrations with `flask tenants upgrade`")

options = {}
if connection.dialect.name == "postgresql":
    if not schema:
        raise RuntimeError("a PostgreSQL bureau migration needs its schema")
    connection.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
    connection.dialect.default_schema_name = schema
    options["version_table_schema"] = schema

context.configure(
    connection=connection,
    target_metadata=TenantModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    **options,
)
with context.begin_transaction():
    context.run_migrations()
