"""A ``limits`` storage on the catalog database, shared by every process.

Flask-Limiter keeps its counters in a ``limits`` storage.  ``limits`` offers memory,
Redis (also Cluster and Sentinel), Memcached and MongoDB — nothing on SQL.  Memory is per
process: with four workers an attacker got four times the log-in attempts.  Zeren uses
Redis when ``ZEREN_REDIS_URL`` is set and otherwise this storage (URI ``catalogdb://``),
which keeps fixed-window counters in the catalog table ``rate_limits``
(:class:`app.accounts.models.RateLimitCounter`).

Every increment is a single ``INSERT … ON CONFLICT (key) DO UPDATE … RETURNING``
statement (SQLite ≥ 3.35 and PostgreSQL), so concurrent processes never lose a hit: the
database serialises the row, and a window that has ended restarts in the same statement.
The statements run on their own connection from the current application's catalog
engine and commit at once, independent of the request's session.  Expired rows are
deleted now and then by the increments themselves.

Only the fixed-window strategy (Flask-Limiter's default) is supported.
"""
from __future__ import annotations

import hashlib
import random
import time

from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from .models import RateLimitCounter

SCHEME = "catalogdb"
_TABLE = RateLimitCounter.__table__
_KEY_MAX = 255
# Share of increments that also delete the counters whose window ended.
_SWEEP_CHANCE = 0.02


def _row_key(key: str) -> str:
    # Keys carry a user name typed at the log-in form: keep them within the column and free
    # of characters a database may refuse (PostgreSQL text cannot hold NUL).
    if len(key) <= _KEY_MAX and key.isprintable():
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class CatalogStorage(Storage):
    """Fixed-window rate-limit counters in the catalog database (``catalogdb://``)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        self._engine_override: Engine | None = options.pop("engine", None)  # for tests without an app
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @property
    def engine(self) -> Engine:
        """The catalog engine of the current application (requests always have one)."""
        if self._engine_override is not None:
            return self._engine_override
        from app.extensions import db

        return db.engine

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` hits to ``key``'s window (a new window of ``expiry`` seconds when
        none is running) and return the count in the window."""
        now = time.time()
        engine = self.engine
        insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(_TABLE).values(key=_row_key(key), hits=amount, expires_at=now + expiry)
        window_over = _TABLE.c.expires_at <= now
        statement = statement.on_conflict_do_update(
            index_elements=[_TABLE.c.key],
            set_={
                "hits": case((window_over, amount), else_=_TABLE.c.hits + amount),
                "expires_at": case((window_over, now + expiry), else_=_TABLE.c.expires_at),
            },
        ).returning(_TABLE.c.hits)
        with engine.begin() as connection:
            hits = connection.execute(statement).scalar_one()
            if random.random() < _SWEEP_CHANCE:
                connection.execute(delete(_TABLE).where(_TABLE.c.expires_at <= now))
        return int(hits)

    def get(self, key: str) -> int:
        """Hits in ``key``'s current window (0 when none is running)."""
        with self.engine.connect() as connection:
            hits = connection.scalar(select(_TABLE.c.hits).where(
                _TABLE.c.key == _row_key(key), _TABLE.c.expires_at > time.time()))
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        """When ``key``'s window ends (seconds since the epoch; now when none is running)."""
        now = time.time()
        with self.engine.connect() as connection:
            expires = connection.scalar(select(_TABLE.c.expires_at).where(
                _TABLE.c.key == _row_key(key), _TABLE.c.expires_at > now))
        return float(expires or now)

    def check(self) -> bool:
        """Whether the catalog answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Delete every counter; returns how many there were."""
        with self.engine.begin() as connection:
            return connection.execute(delete(_TABLE)).rowcount

    def clear(self, key: str) -> None:
        """Forget ``key``'s counter."""
        with self.engine.begin() as connection:
            connection.execute(delete(_TABLE).where(_TABLE.c.key == _row_key(key)))
