"""The login throttle: attempts counted per account and per client address, atomically.

An attempt is counted before its password is checked, by one INSERT ... ON CONFLICT DO UPDATE
... RETURNING over both keys. That statement is the whole decision: on PostgreSQL it locks the
two rows (always account first, then address, so two logins cannot deadlock); on SQLite it
takes the database's write lock when it starts, before reading anything (and it is the first
statement of its transaction, so there is no earlier snapshot that could be stale). So N
simultaneous guesses get the numbers 1..N and only those within the limit reach the password
check; a right password does not use up an attempt (it is given back), and neither does an
attempt refused with 429 (it checked no password): a locked key stays at its limit instead of
counting the refusals, so a burst of right logins from one address recovers as soon as the
logins in flight finish.

Windows are fixed: a key's window starts at its first attempt after the previous window ended.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from backend.accounts.models import LoginThrottle
from backend.core.config import Settings
from backend.core.errors import TooManyRequests

_THROTTLE = LoginThrottle.metadata.tables["login_throttle"]


class ThrottleKeys(NamedTuple):
    account: str
    address: str


def keys_for(email: str, client_address: str) -> ThrottleKeys:
    return ThrottleKeys(account=f"account:{email[:254]}", address=f"address:{client_address[:64]}")


def count_attempt(
    session: Session, keys: ThrottleKeys, *, settings: Settings, now: datetime
) -> None:
    """Count this attempt on both keys and commit; raise 429 if either is over its limit."""
    window = timedelta(seconds=settings.login_window_seconds)
    # Nothing else may run in this transaction before the upsert (see the module docstring).
    session.commit()
    rows = session.connection().execute(_upsert(session, keys, now, now - window)).all()
    session.commit()
    limits = {
        keys.account: settings.login_max_failures,
        keys.address: settings.login_max_failures_per_address,
    }
    over = [row for row in rows if row.attempts > limits[row.key]]
    if over:
        give_back(session, keys)
        until = max(row.window_start for row in over) + window
        retry_after = max(1, math.ceil((until - now).total_seconds()))
        which = "account" if any(row.key == keys.account for row in over) else "address"
        raise TooManyRequests(
            f"too many failed logins for this {which}; try again in {_minutes(retry_after)}",
            details={"retry_after_seconds": retry_after, "limited": which},
            retry_after_seconds=retry_after,
        )


def give_back(session: Session, keys: ThrottleKeys) -> None:
    """A right password is not a failure: return the attempt it took on both keys."""
    session.commit()  # a fresh transaction: a write after a read may meet a stale snapshot
    # One key at a time, in the upsert's order: one UPDATE over both keys locks them in the
    # table's physical order, which can be the reverse of a concurrent upsert's (a deadlock
    # PostgreSQL broke under load in the test suite).
    for key in keys:
        session.connection().execute(
            _THROTTLE.update()
            .where(_THROTTLE.c.key == key, _THROTTLE.c.attempts > 0)
            .values(attempts=_THROTTLE.c.attempts - 1)
        )
    session.commit()


def prune(session: Session, *, settings: Settings, now: datetime) -> None:
    """Forget the keys whose window has ended (they would start afresh anyway)."""
    cutoff = now - timedelta(seconds=settings.login_window_seconds)
    session.commit()
    session.connection().execute(_THROTTLE.delete().where(_THROTTLE.c.window_start <= cutoff))
    session.commit()


def _upsert(session: Session, keys: Sequence[str], now: datetime, cutoff: datetime) -> Any:
    """One statement, both keys (multi-row VALUES, in the order given)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_THROTTLE).values(
        [{"key": key, "attempts": 1, "window_start": now} for key in keys]
    )
    ended = _THROTTLE.c.window_start <= cutoff
    # Both SET expressions read the row as it was before this update (standard SQL).
    return statement.on_conflict_do_update(
        index_elements=[_THROTTLE.c.key],
        set_={
            "attempts": sa.case((ended, 1), else_=_THROTTLE.c.attempts + 1),
            "window_start": sa.case(
                (ended, statement.excluded.window_start), else_=_THROTTLE.c.window_start
            ),
        },
    ).returning(_THROTTLE.c.key, _THROTTLE.c.attempts, _THROTTLE.c.window_start)


def _minutes(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
