"""The exchange-rate table and its API shapes.

A rate says: 1 unit of ``base`` = ``rate`` units of ``quote`` on ``day``. The rate is stored
exactly, as its canonical decimal string (``"78.2345"``, ``"0.161234"``, ``"100"``: no exponent,
no sign, no trailing zeros): ``sa.Numeric`` goes through float on SQLite, and a scaled integer
with ten decimals does not fit a BIGINT below 10**9. Rates go out as JSON strings, never floats.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.model_base import UTCDateTime, now_utc

#: Up to 9 integer digits, a point and 10 decimals, or a bit of slack for trailing zeros.
RATE_TEXT_MAX = 40
SOURCE_MAX = 200


@dataclass(frozen=True)
class Rate:
    """One dated rate as stored; period compute turns those it uses into ``ledger.money.Rate``."""

    base: str
    quote: str
    day: dt.date
    value: decimal.Decimal  # 1 unit of base = value units of quote, exact, > 0
    source: str


class ExchangeRate(SQLModel, table=True):
    __tablename__ = "exchange_rate"
    __table_args__ = (
        sa.UniqueConstraint("base", "quote", "day"),
        sa.CheckConstraint("base <> quote", name="distinct_currencies"),
    )

    id: int | None = Field(default=None, primary_key=True)
    base: str = Field(sa_type=sa.CHAR(3))
    quote: str = Field(sa_type=sa.CHAR(3))
    day: dt.date = Field(sa_type=sa.Date())
    rate: str = Field(max_length=RATE_TEXT_MAX, description="Canonical decimal string.")
    source: str = Field(sa_type=sa.Text())
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())

    def as_rate(self) -> Rate:
        return Rate(
            base=self.base,
            quote=self.quote,
            day=self.day,
            value=decimal.Decimal(self.rate),
            source=self.source,
        )


class RateCreate(SQLModel):
    base: str = Field(max_length=3, description="ISO 4217 code of the currency priced (`USD`).")
    quote: str = Field(max_length=3, description="ISO 4217 code it is priced in (`RUB`).")
    day: dt.date = Field(description="The day the rate applies from (until the next one).")
    rate: str = Field(
        max_length=RATE_TEXT_MAX,
        description='1 unit of base in quote units, as a decimal STRING (`"78.2345"`): '
        "greater than 0, below 10**9, at most 10 decimals; JSON numbers are refused.",
        schema_extra={"examples": ["78.2345"]},
    )
    source: str = Field(
        min_length=1, max_length=SOURCE_MAX, description="Where the rate comes from."
    )


class RatePublic(SQLModel):
    id: int
    base: str
    quote: str
    day: dt.date
    rate: str = Field(description='Exact decimal string, e.g. `"78.2345"`.')
    source: str
    created_by: int | None = Field(description="Who entered it; null for the system.")
    created_at: dt.datetime


class RatesPublic(SQLModel):
    items: list[RatePublic]
    count: int


class RateWritten(SQLModel):
    """What a write did: the rate as stored, and whether this request added it."""

    rate: RatePublic
    added: bool = Field(description="False when the same rate was already stored (no-op).")


class RatesImported(SQLModel):
    day: dt.date = Field(description="The file's date (`ValCurs Date`).")
    source: str
    added: int = Field(description="Rates stored by this import.")
    already_present: int = Field(description="Rates of the file already stored, same value.")
