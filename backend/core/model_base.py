"""Shared pieces of the table models: metadata naming convention, UTC timestamps, enums."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel

# Deterministic constraint names, so Alembic can alter and drop them on every backend.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC on the way out, whatever the backend stores (SQLite has no tz)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    return {"sa_type": UTCDateTime(), "nullable": nullable, "index": index}


def now_utc() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    admin = "admin"
    finance = "finance"
    auditor = "auditor"
    warehouse = "warehouse"
    distributor = "distributor"


class Language(StrEnum):
    """The languages of the pages and documents; Russian is the default."""

    ru = "ru"
    en = "en"


class DistributorStatus(StrEnum):
    active = "active"
    inactive = "inactive"
    terminated = "terminated"


class ChainStatus(StrEnum):
    pending = "pending"
    confirmed = "confirmed"


class IntentStatus(StrEnum):
    queued = "queued"
    sent = "sent"
    confirmed = "confirmed"
    failed = "failed"


class ProductCategory(StrEnum):
    product = "product"
    kit = "kit"
    fee = "fee"


class VatCategory(StrEnum):
    """A product's VAT treatment; the rate of each is dated data (`backend.vat`)."""

    standard = "standard"
    reduced = "reduced"
    zero = "zero"
    # The seller is exempt (Russia: the simplified system); documents print "Без НДС".
    exempt = "exempt"


class MovementKind(StrEnum):
    receipt = "receipt"
    shipment = "shipment"
    transfer_out = "transfer_out"
    transfer_in = "transfer_in"
    adjustment = "adjustment"
    reservation = "reservation"
    release = "release"
    return_ = "return"


class OrderStatus(StrEnum):
    placed = "placed"
    paid = "paid"
    shipped = "shipped"
    cancelled = "cancelled"
    returned = "returned"


def check_in(column: str, values: type[StrEnum]) -> str:
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return f"{column} IN ({allowed})"
