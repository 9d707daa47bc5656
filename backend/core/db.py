"""Engine and session plumbing, and the one write discipline.

The engine is created by `create_app` (or by whoever calls `make_engine`) and kept on
`app.state`; nothing here is a module global, so tests can hand in their own engine.

Write discipline. A unit of work that reads, decides and then writes (a state transition, a
stock movement, an idempotent replay) calls :func:`begin_write` before its first read that
matters. On SQLite that begins the transaction with ``BEGIN IMMEDIATE``, so it holds the
database's one write lock while it reads and nobody can commit between its read and its write;
on PostgreSQL it does nothing and the unit takes row locks (``with_for_update()``) on what it
decides about. Where a unit cannot hold a lock for its whole length it writes with
:func:`compare_and_set` (``UPDATE ... WHERE <what I read is still true>``) and checks the row
count. Database constraints (CHECKs, unique indexes) are the last line under both.

SQLite transactions follow SQLAlchemy's pysqlite recipe: the driver's own transaction handling
is switched off and ``BEGIN`` is emitted here. A connection procured with the execution option
``sqlite_begin="IMMEDIATE"`` begins at once with ``BEGIN IMMEDIATE``. Any other transaction
begins DEFERRED and lazily, just before its first statement that is not a read (as the driver
itself did): reads outside a write stay concurrent under WAL, and a transaction that only later
turns out to write never holds an old read snapshot, which SQLite would refuse to upgrade
(``SQLITE_BUSY_SNAPSHOT``, "database is locked", without waiting for ``busy_timeout``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

import anyio.to_thread
import sqlalchemy as sa
from anyio import CapacityLimiter
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

#: Connections kept per engine: one per request thread (anyio runs up to 40 handlers at once).
#: Fewer connections than threads lets handlers wait on the pool while the sessions that would
#: free a connection wait on a thread (the pool jam `bench/load.py` found on PostgreSQL).
SQLITE_POOL_SIZE = 40
POSTGRES_POOL_SIZE = 40


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            # Keep a connection per request thread (anyio runs up to 40) instead of the default
            # five: a connection returned to a full pool is closed, and the next one opened
            # pays for the connect, the pragmas and re-reading the schema.
            kwargs["pool_size"] = SQLITE_POOL_SIZE
        engine = create_engine(url, echo=echo, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _sqlite_lazy_begin)
        return engine
    # No server-side prepared statements: PostgreSQL would eventually switch them to a generic
    # plan, and a downline query's best plan depends on its values (how selective a search
    # term or a path range is). Planning costs well under a millisecond.
    connect_args = {"prepare_threshold": None} if "+psycopg" in url else {}
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=10,
        connect_args=connect_args,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets readers run beside the one writer;
    # in WAL mode synchronous=NORMAL skips the fsync per commit and still never corrupts
    # (a power cut may lose the last commits, not the database).
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A writer waits up to 15 s for the one write lock: under a burst on a busy 2-core box
    # 5 s ran out (a 500 where waiting a little longer answers the request).
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()
    # The recipe: the driver emits no BEGIN of its own; `_sqlite_begin` and
    # `_sqlite_lazy_begin` do (the driver's COMMIT and ROLLBACK still end what they began).
    dbapi_connection.isolation_level = None


SQLITE_BEGIN = "sqlite_begin"
"""Execution option: ``"IMMEDIATE"`` begins the connection's transactions holding the write
lock; anything else (the default) begins them DEFERRED at the first write."""

_READS = ("SELECT", "PRAGMA", "EXPLAIN")
_WRITE_WORDS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _driver(conn: Connection) -> Any:
    return conn.connection.dbapi_connection


def _sqlite_begin(conn: Connection) -> None:
    if str(conn.get_execution_options().get(SQLITE_BEGIN, "")).upper() == "IMMEDIATE":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _is_read(statement: str) -> bool:
    text = statement.lstrip()
    head = text[:8].upper()
    if head.startswith(_READS):
        return True
    # A CTE is a read unless it feeds an INSERT/UPDATE/DELETE.
    return head.startswith("WITH") and not any(word in text.upper() for word in _WRITE_WORDS)


def _sqlite_lazy_begin(
    conn: Connection,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    _context: Any,
    _executemany: bool,
) -> None:
    driver = _driver(conn)
    if driver.in_transaction or _is_read(statement):
        return
    if statement.lstrip()[:8].upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "END")):
        return
    if conn.in_transaction():
        driver.execute("BEGIN")


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def begin_write(session: Session) -> None:
    """Make the session's current transaction a write unit: from here until its commit or
    rollback nothing else commits to the database (SQLite: ``BEGIN IMMEDIATE``, waiting up to
    ``busy_timeout`` for the lock). On PostgreSQL this is a no-op: lock the rows you decide
    about with ``with_for_update()`` or write with :func:`compare_and_set`.

    Call it before the reads the decision rests on. Reads already made in this transaction
    may be stale: read again what matters (``session.refresh`` or a fresh query)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    if not session.in_transaction():
        session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
        return
    conn = session.connection()
    if not _driver(conn).in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def snapshot_read(session: Session) -> Iterator[None]:
    """A long read that a write unit follows (a period's compute): the reads inside share one
    snapshot (SQLite: a DEFERRED read transaction; PostgreSQL: REPEATABLE READ) and block no
    writer; the read transaction ends on leaving the block. The write unit after it takes the
    lock and checks with :func:`compare_and_set` that what it decided on still holds."""
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("commit or roll back pending writes before a snapshot read")
        session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        driver = _driver(session.connection())
        if not driver.in_transaction:
            driver.execute("BEGIN")
    yield
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a snapshot read wrote; use begin_write")
    session.commit()


def compare_and_set(
    session: Session,
    table: sa.Table,
    *,
    where: Mapping[str, Any],
    values: Mapping[str, Any],
) -> bool:
    """``UPDATE table SET values WHERE every column in where equals its value``: True when
    exactly one row changed, False when none did (the row moved on since it was read). The
    caller turns False into a Conflict; a match on more than one row is a programming error."""
    if not where:
        raise ValueError("compare_and_set needs a condition")
    condition = sa.and_(*(table.c[name] == value for name, value in where.items()))
    result = session.connection().execute(table.update().where(condition).values(**values))
    if result.rowcount > 1:
        raise RuntimeError(f"compare_and_set on {table.name} matched {result.rowcount} rows")
    return result.rowcount == 1


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for the request. Opening one does no I/O (the connection is checked out at
    the first statement, in the handler's thread), so this runs on the event loop instead of
    costing two thread-pool hops a request. Closing does I/O (a rollback) only while a
    transaction still holds a connection; only then does it leave the event loop, on threads of
    its own: queued behind the request handlers, a close that would give a connection back
    could wait for a handler that waits for a connection."""
    # expire_on_commit=False: handlers serialise objects after the service has committed.
    session = Session(get_engine(request), expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():
            # A limiter of its own per close (not the handlers' shared one); anyio reuses idle
            # worker threads, so this costs a thread only while closes overlap.
            await anyio.to_thread.run_sync(session.close, limiter=CapacityLimiter(1))
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]
