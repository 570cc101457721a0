"""Alembic environment of the catalog database.

Run through ``flask catalog upgrade`` (or :mod:`app.tenancy.migrations`), which passes an
open connection in ``config.attributes["connection"]``.
"""
from alembic import context

from app import model_registry  # noqa: F401  (fills the metadata)
from app.models import CatalogModel

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run catalog migrations with `flask catalog upgrade`")

context.configure(
    connection=connection,
    target_metadata=CatalogModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
