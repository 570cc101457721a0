"""Citus: a tenant server that is a Citus coordinator holds each bureau as a distributed schema.

Zeren's PostgreSQL layout maps onto Citus's schema-based sharding one to one: a bureau's
schema ``t_<slug>`` becomes a *distributed schema* whose tables live together on one
worker node, the catalog stays on the coordinator, and every statement goes through the
coordinator as before (docs/scale.md, "Citus").  What Zeren must do itself:

* make a new bureau's schema distributed — a schema created without
  ``citus.enable_schema_based_sharding`` stays an ordinary coordinator schema, so
  provisioning turns it on for its own transaction and then checks ``citus_schemas``;
* read where a bureau is from Citus — the catalog names the *server* (the coordinator);
  which worker node holds the schema is Citus's business (its rebalancer and
  ``citus_schema_move`` change it without telling Zeren).

On a plain PostgreSQL server every function here is a no-op.
"""
from __future__ import annotations

from sqlalchemy.engine import Connection


class NotDistributed(RuntimeError):
    """A bureau's schema on a Citus coordinator did not become a distributed schema."""


def is_citus(connection: Connection) -> bool:
    """Whether the server of ``connection`` has the Citus extension in its database."""
    if connection.dialect.name != "postgresql":
        return False
    return connection.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'citus'").first() is not None


def prepare_new_schema(connection: Connection) -> bool:
    """Before ``CREATE SCHEMA`` of a bureau: on Citus, make the schema distributed (for this
    transaction only, ``SET LOCAL``).  Returns whether the server is a Citus coordinator."""
    if not is_citus(connection):
        return False
    connection.exec_driver_sql("SET LOCAL citus.enable_schema_based_sharding TO on")
    return True


def ensure_distributed(connection: Connection, schema: str) -> None:
    """After a bureau's tables were created on a Citus coordinator: distribute the schema if
    Citus did not (a server configured otherwise), and refuse to go on if it still is not."""
    if _is_distributed(connection, schema):
        return
    connection.exec_driver_sql("SELECT citus_schema_distribute(CAST(%(schema)s AS regnamespace))", {"schema": schema})
    if not _is_distributed(connection, schema):
        raise NotDistributed(f"schema {schema} is not a distributed schema on this Citus coordinator")


def _is_distributed(connection: Connection, schema: str) -> bool:
    return connection.exec_driver_sql(
        "SELECT 1 FROM citus_schemas WHERE schema_name = CAST(%(schema)s AS regnamespace)",
        {"schema": schema}).first() is not None


def schema_nodes(connection: Connection) -> dict[str, str]:
    """Where Citus keeps each distributed schema: ``{schema: "host:port"}`` of its worker node
    ({} on plain PostgreSQL).  Read from Citus every time, never from the catalog."""
    if not is_citus(connection):
        return {}
    # Citus's own views, not a bureau's tables: no schema routing applies.
    rows = connection.exec_driver_sql(
        "SELECT DISTINCT CAST(s.schema_name AS text) AS schema, sh.nodename, sh.nodeport "
        "FROM citus_schemas s JOIN citus_shards sh ON sh.colocation_id = s.colocation_id")
    return {row.schema: f"{row.nodename}:{row.nodeport}" for row in rows}
