"""What the migrations that made the trail a chain do to each database: give the events
already there their place in the chain (in the order they were written, by id), and on
PostgreSQL install the trigger that refuses UPDATE and DELETE.  Plain SQLAlchemy Core and
:mod:`app.audit.chain` only: a migration must not depend on the models of its day."""
from __future__ import annotations

import sqlalchemy as sa

from . import chain

BATCH = 1000
TRIGGER_SETTING = "zeren.audit_archive"


def link_existing(connection, *, catalog: bool) -> int:
    """Hash every event of ``audit_events`` in id order and write the chain's head row;
    returns the number of events linked."""
    fields = chain.CATALOG_FIELDS if catalog else chain.FIELDS
    columns = [sa.column("id", sa.BigInteger), sa.column("at", sa.DateTime(timezone=True)),
               sa.column("actor_id", sa.BigInteger), sa.column("before", sa.JSON), sa.column("after", sa.JSON),
               *[sa.column(name) for name in fields if name not in ("at", "actor_id", "before", "after")],
               sa.column("seq", sa.BigInteger), sa.column("prev_hash"), sa.column("hash")]
    events = sa.table("audit_events", *columns)
    head = sa.table("audit_chain_head", sa.column("id"), sa.column("seq"), sa.column("hash"),
                    sa.column("anchor_seq"), sa.column("anchor_hash"))
    last_id, seq, previous = 0, 0, chain.GENESIS
    while True:
        rows = connection.execute(sa.select(*[events.c[c.name] for c in columns if c.name not in
                                              ("seq", "prev_hash", "hash")])
                                  .where(events.c.id > last_id).order_by(events.c.id).limit(BATCH)).mappings().all()
        if not rows:
            break
        for row in rows:
            seq += 1
            values = {**row, "seq": seq, "prev_hash": previous}
            if values.get("actor_name") is None:
                values["actor_name"] = "system"
            previous = chain.event_hash(values, fields)
            connection.execute(sa.update(events).where(events.c.id == row["id"])
                               .values(seq=seq, prev_hash=values["prev_hash"], hash=previous))
        last_id = rows[-1]["id"]
    connection.execute(sa.insert(head).values(id=1, seq=seq, hash=previous, anchor_seq=0, anchor_hash=chain.GENESIS))
    return seq


def append_only_ddl(schema: str | None) -> list[str]:
    """PostgreSQL statements that make ``audit_events`` of ``schema`` (the current one when
    ``None``) refuse UPDATE and DELETE for everyone, the archive's DELETE excepted (it sets
    ``zeren.audit_archive`` for its own transaction)."""
    prefix = f'"{schema}".' if schema else ""
    function = f"{prefix}zeren_audit_append_only"
    return [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('{TRIGGER_SETTING}', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION USING MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused', ERRCODE = '42501';
END
$$""",
        f"DROP TRIGGER IF EXISTS audit_events_append_only ON {prefix}audit_events",
        f"CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON {prefix}audit_events "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]
