"""Dated exchange rates: validate, store once, list, and the rates in force on a day.

A stored rate never changes: a closed period may have used it. Storing the same (base, quote,
day) again with the same value is a no-op; with another value it is a 409 naming the pair, the
day and both values. A write (one rate, or every rate of a file) is one write unit: it takes the
rates lock (SQLite: the write lock, ``begin_write``; PostgreSQL: a transaction-scoped advisory
lock) before it reads what is stored, so concurrent imports of the same file store each rate
exactly once; the unique (base, quote, day) index is the last line. Nothing is written unless
every rate of the request is valid and none conflicts.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Sequence

from sqlalchemy import func, text
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from backend.accounts.models import User
from backend.admin_log import service as admin_log
from backend.core.db import begin_write
from backend.core.errors import Conflict, Invalid
from backend.core.model_base import now_utc
from backend.rates import cbr
from backend.rates.models import ExchangeRate, Rate, RateCreate, RatesImported
from ledger.money import ISO_CURRENCIES

MAX_DECIMALS = 10
RATE_BELOW = decimal.Decimal(10**9)
_CODE = re.compile(r"^[A-Z]{3}$")
_RATE = re.compile(r"^[0-9]+(\.[0-9]+)?$")
#: pg_advisory_xact_lock key of the rate table ("exchrate" as a signed 64-bit number).
_PG_LOCK_KEY = int.from_bytes(b"exchrate", "big", signed=True)


def check_currency(code: str, field: str = "currency") -> str:
    """A known ISO 4217 code in upper case (`RUB`), or Invalid."""
    if not _CODE.match(code):
        raise Invalid(f"{field} {code!r} is not a currency code: three upper-case letters")
    if code not in ISO_CURRENCIES:
        raise Invalid(f"{field} {code} is not a known ISO 4217 currency")
    return code


def parse_rate(value: str) -> decimal.Decimal:
    """A decimal string (`"78.2345"`) as an exact Decimal, or Invalid: greater than zero,
    below 10**9, at most 10 decimals (trailing zeros do not count). No sign, exponent, NaN."""
    shown = value if len(value) <= 40 else value[:40] + "..."
    if not _RATE.match(value.strip()):
        raise Invalid(f"rate {shown!r} is not a decimal number like 78.2345")
    return check_value(decimal.Decimal(value.strip()))


def check_value(value: decimal.Decimal) -> decimal.Decimal:
    if not value.is_finite():
        raise Invalid(f"rate {value} is not a number")
    if value <= 0:
        raise Invalid(f"rate {canonical(value)} must be greater than zero")
    if value >= RATE_BELOW:
        raise Invalid(f"rate {canonical(value)} must be below 1000000000")
    exponent = _normal(value).as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if -exponent > MAX_DECIMALS:
        raise Invalid(f"rate {canonical(value)} has more than {MAX_DECIMALS} decimals")
    return value


def canonical(value: decimal.Decimal) -> str:
    """The stored form: plain digits, no exponent, no trailing zeros (`100`, `0.161234`)."""
    return format(_normal(value), "f")


def _normal(value: decimal.Decimal) -> decimal.Decimal:
    # Without trailing zeros and never rounded (the default context would keep 28 digits).
    return value.normalize(decimal.Context(prec=max(28, len(value.as_tuple().digits))))


def checked(rate: Rate) -> Rate:
    """The rate if it may be stored, else Invalid naming what is wrong."""
    check_currency(rate.base, "base")
    check_currency(rate.quote, "quote")
    if rate.base == rate.quote:
        raise Invalid(f"base and quote are both {rate.base}: a rate needs two currencies")
    where = f"{rate.base}/{rate.quote} on {rate.day.isoformat()}"
    try:
        check_value(rate.value)
    except Invalid as exc:
        raise Invalid(f"{where}: {exc.message}") from None
    source = rate.source.strip()
    if not source:
        raise Invalid(f"{where}: the source is empty")
    return Rate(rate.base, rate.quote, rate.day, decimal.Decimal(canonical(rate.value)), source)


# -- writing ------------------------------------------------------------------------------------


def set_rate(
    session: Session,
    data: RateCreate,
    *,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> tuple[ExchangeRate, bool]:
    """Store one rate; (the stored row, whether this call added it)."""
    rate = checked(
        Rate(
            base=check_currency(data.base, "base"),
            quote=check_currency(data.quote, "quote"),
            day=data.day,
            value=parse_rate(data.rate),
            source=data.source,
        )
    )
    rows, added = _store(session, [rate], actor=actor, now=now)
    for row in added:
        admin_log.rate_added(
            session, row.base, row.quote, row.day, row.rate, row.source, actor=actor, now=now
        )
    session.commit()
    return rows[0], bool(added)


def import_cbr(
    session: Session,
    content: bytes,
    *,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> RatesImported:
    """Store every rate of a CBR ``XML_daily`` file in one transaction (all or nothing)."""
    try:
        day, parsed = cbr.parse_xml_daily(content)
    except cbr.CbrFileError as exc:
        raise Invalid(str(exc), code="bad_rate_file") from None
    rates = [checked(rate) for rate in parsed]
    source = cbr.source_of(day)
    _, added = _store(session, rates, actor=actor, now=now)
    if added:
        admin_log.rates_imported(
            session,
            source,
            cbr.QUOTE,
            day,
            {row.base: row.rate for row in added},
            already_present=len(rates) - len(added),
            actor=actor,
            now=now,
        )
    session.commit()
    return RatesImported(
        day=day, source=source, added=len(added), already_present=len(rates) - len(added)
    )


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    else:
        begin_write(session)


def _store(
    session: Session,
    rates: Sequence[Rate],
    *,
    actor: User | None,
    now: dt.datetime | None,
) -> tuple[list[ExchangeRate], list[ExchangeRate]]:
    """(the row of every given rate, the rows added), flushed, not committed; Invalid or
    Conflict before anything is written."""
    wanted: dict[tuple[str, str, dt.date], Rate] = {}
    for rate in rates:
        key = (rate.base, rate.quote, rate.day)
        seen = wanted.setdefault(key, rate)
        if seen.value != rate.value:
            raise Invalid(
                f"{rate.base}/{rate.quote} on {rate.day.isoformat()} is given twice: "
                f"{canonical(seen.value)} and {canonical(rate.value)}"
            )
    _lock(session)
    stored = {
        (row.base, row.quote, row.day): row
        for row in session.exec(
            select(ExchangeRate).where(
                col(ExchangeRate.base).in_({k[0] for k in wanted}),
                col(ExchangeRate.quote).in_({k[1] for k in wanted}),
                col(ExchangeRate.day).in_({k[2] for k in wanted}),
            )
        )
    }
    clashes = [
        (rate, stored[key])
        for key, rate in wanted.items()
        if key in stored and decimal.Decimal(stored[key].rate) != rate.value
    ]
    if clashes:
        rate, row = clashes[0]
        more = f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""
        raise Conflict(
            f"{rate.base}/{rate.quote} on {rate.day.isoformat()} is already {row.rate} "
            f"(from {row.source}); refusing {canonical(rate.value)}: a stored rate never "
            f"changes{more}",
            code="rate_exists",
            details=[
                {
                    "base": r.base,
                    "quote": r.quote,
                    "day": r.day.isoformat(),
                    "stored": old.rate,
                    "given": canonical(r.value),
                }
                for r, old in clashes
            ],
        )
    created_by = actor.id if actor is not None else None
    added = [
        ExchangeRate(
            base=rate.base,
            quote=rate.quote,
            day=rate.day,
            rate=canonical(rate.value),
            source=rate.source,
            created_by=created_by,
            created_at=now or now_utc(),
        )
        for key, rate in wanted.items()
        if key not in stored
    ]
    session.add_all(added)
    session.flush()
    fresh = {(row.base, row.quote, row.day): row for row in added}
    rows = [stored.get(key) or fresh[key] for key in wanted]
    return rows, added


# -- reading ------------------------------------------------------------------------------------


def latest_rates(session: Session, on: dt.date) -> list[Rate]:
    """For every (base, quote) pair, its rate of the latest day on or before ``on``, ordered
    by base then quote (one query)."""
    return [row.as_rate() for row in session.exec(_in_force(on))]


def _in_force(on: dt.date) -> SelectOfScalar[ExchangeRate]:
    latest = (
        select(
            ExchangeRate.base,
            ExchangeRate.quote,
            func.max(ExchangeRate.day).label("day"),
        )
        .where(ExchangeRate.day <= on)
        .group_by(col(ExchangeRate.base), col(ExchangeRate.quote))
        .subquery()
    )
    return (
        select(ExchangeRate)
        .join(
            latest,
            (col(ExchangeRate.base) == latest.c.base)
            & (col(ExchangeRate.quote) == latest.c.quote)
            & (col(ExchangeRate.day) == latest.c.day),
        )
        .order_by(col(ExchangeRate.base), col(ExchangeRate.quote))
    )


def list_rates(
    session: Session,
    *,
    base: str | None = None,
    quote: str | None = None,
    on: dt.date | None = None,
    from_: dt.date | None = None,
    to: dt.date | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[ExchangeRate], int]:
    """Stored rates, newest day first (then base, quote); with ``on``, the rates in force on
    that day (each pair's latest on or before it), by base and quote."""
    if on is not None and (from_ is not None or to is not None):
        raise Invalid("give `on` (the rates in force that day) or a from/to range, not both")
    if from_ is not None and to is not None and from_ > to:
        raise Invalid(f"from {from_.isoformat()} is after to {to.isoformat()}")
    if base is not None:
        check_currency(base, "base")
    if quote is not None:
        check_currency(quote, "quote")
    if on is not None:
        query = _in_force(on)
    else:
        query = select(ExchangeRate).order_by(
            col(ExchangeRate.day).desc(), col(ExchangeRate.base), col(ExchangeRate.quote)
        )
        if from_ is not None:
            query = query.where(ExchangeRate.day >= from_)
        if to is not None:
            query = query.where(ExchangeRate.day <= to)
    if base is not None:
        query = query.where(ExchangeRate.base == base)
    if quote is not None:
        query = query.where(ExchangeRate.quote == quote)
    total = session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    items = session.exec(query.offset(offset).limit(limit)).all()
    return list(items), total
