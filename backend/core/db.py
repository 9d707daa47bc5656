"""Engine and session plumbing.

The engine is created by `create_app` (or by whoever calls `make_engine`) and kept on
`app.state`; nothing here is a module global, so tests can hand in their own engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

SQLITE_POOL_SIZE = 40


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
        return engine
    # No server-side prepared statements: PostgreSQL would eventually switch them to a generic
    # plan, and a downline query's best plan depends on its values (how selective a search
    # term or a path range is). Planning costs well under a millisecond.
    connect_args = {"prepare_threshold": None} if "+psycopg" in url else {}
    return create_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets readers run beside the one writer;
    # in WAL mode synchronous=NORMAL skips the fsync per commit and still never corrupts
    # (a power cut may lose the last commits, not the database).
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for the request. Opening one does no I/O (the connection is checked out at
    the first statement, in the handler's thread), so this runs on the event loop instead of
    costing two thread-pool hops a request. Closing does I/O (a rollback) only while a
    transaction still holds a connection; only then does it go to the thread pool."""
    # expire_on_commit=False: handlers serialise objects after the service has committed.
    session = Session(get_engine(request), expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]
