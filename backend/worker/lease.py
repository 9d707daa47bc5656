"""One chain writer per database: a second one refuses to start.

Two writers would race for the same nonce and send the same queued rows twice (the
reconciliation would sort it out, at the cost of gas and reverted transactions). The guard is a
lock the database's own machinery releases when the holder dies, so a crashed writer never
blocks its successor:
- PostgreSQL: a session advisory lock, held on a connection kept open for the writer's life;
- SQLite: an exclusive `flock` on `<database file>.writer.lock` beside the database (an
  in-memory database lives in one process: nothing to guard).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

# pg_try_advisory_lock's key: "lineage chain writer", any fixed 64-bit number.
ADVISORY_KEY = 0x4C494E45_41474531


class WriterAlreadyRunning(RuntimeError):
    """Another chain writer holds this database."""


def _refuse(where: str) -> WriterAlreadyRunning:
    return WriterAlreadyRunning(
        f"another chain writer is already running on this database ({where}); run exactly one "
        "`lineage worker` (or `lineage run`, which starts one) per database"
    )


@contextmanager
def single_writer(engine: Engine) -> Iterator[None]:
    """Hold the database's writer lock for the body; raise `WriterAlreadyRunning` if taken."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            taken = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
            ).scalar_one()
            connection.commit()
            if not taken:
                raise _refuse(f"PostgreSQL advisory lock {ADVISORY_KEY} is held")
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    path = Path(f"{database}.writer.lock")
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refuse(f"{path} is locked") from None
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(handle)  # releases the lock
