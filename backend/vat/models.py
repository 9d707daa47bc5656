"""VAT rates as dated data: one row per country, category and validity interval."""

from datetime import date, datetime
from typing import Self

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Field, SQLModel

from backend.core.model_base import UTCDateTime, VatCategory, check_in, now_utc
from backend.core.types import CountryCode

MAX_RATE_BP = 10_000  # 100 %: no real VAT rate is above it


class VatRateBase(SQLModel):
    country: CountryCode = Field(max_length=2, description="ISO 3166-1 alpha-2, e.g. RU.")
    category: VatCategory = Field(sa_type=sa.String(16))
    rate_bp: int = Field(ge=0, le=MAX_RATE_BP, description="Basis points: 2200 = 22 %.")
    valid_from: date = Field(description="First day the rate is in force.")
    valid_to: date | None = Field(
        default=None, description="Last day the rate is in force (inclusive); null: open-ended."
    )


class VatRateCreate(VatRateBase):
    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        if self.category == VatCategory.exempt and self.rate_bp != 0:
            raise ValueError("the exempt category carries no VAT: rate_bp must be 0")
        return self


class VatRate(VatRateBase, table=True):
    __tablename__ = "vat_rate"
    __table_args__ = (
        sa.CheckConstraint(check_in("category", VatCategory), name="category"),
        sa.CheckConstraint(f"rate_bp >= 0 AND rate_bp <= {MAX_RATE_BP}", name="rate_range"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
        sa.CheckConstraint("category <> 'exempt' OR rate_bp = 0", name="exempt_no_rate"),
        sa.Index("ix_vat_rate_lookup", "country", "category", "valid_from"),
    )

    id: int | None = Field(default=None, primary_key=True)
    country: str = Field(max_length=2)
    created_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())


class VatRatePublic(VatRateBase):
    id: int
    created_at: datetime


class VatRatesPublic(SQLModel):
    items: list[VatRatePublic]
    count: int
