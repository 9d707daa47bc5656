"""Days as the engine counts them: whole days since 1970-01-01 in UTC (period bounds, joining
days, completion days)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

EPOCH = date(1970, 1, 1)


def day_of(moment: datetime) -> int:
    return (moment.astimezone(UTC).date() - EPOCH).days


def date_of(day: int) -> date:
    return EPOCH + timedelta(days=day)


def day_start(day: int) -> datetime:
    """Midnight UTC at the start of ``day`` (period bounds are half-open at the next day)."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)
