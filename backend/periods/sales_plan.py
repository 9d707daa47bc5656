"""A period's sales plan: what the admin expects the company to sell in it (in the payout
currency new periods run with), how many to join and how many to be active. It lives beside
the periods because it is keyed by one; the reports set the actual figures against it
(`backend.reports.plan`), and no domain below the reports reads the reports' own modules."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.model_base import UTCDateTime


class SalesPlan(SQLModel, table=True):
    __tablename__ = "sales_plan"

    period_id: int = Field(primary_key=True, foreign_key="period.id")
    sales: int = Field(sa_type=sa.BigInteger(), description="Minor units of ``currency``.")
    currency: str = Field(max_length=12)
    exponent: int
    new_distributors: int
    active: int
    set_by: int = Field(foreign_key="app_user.id")
    set_at: datetime = Field(sa_type=UTCDateTime())


class SalesPlanSet(SQLModel):
    sales: int = Field(
        ge=0, le=10**12, description="Minor units of the payout currency new periods run with."
    )
    new_distributors: int = Field(ge=0, le=10**9)
    active: int = Field(ge=0, le=10**9)


class SalesPlanPublic(SQLModel):
    period_id: int
    sales: int
    currency: str
    exponent: int
    new_distributors: int
    active: int
    set_by: int
    set_at: datetime
