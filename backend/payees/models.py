"""A partner's payout profile: tax status, payout rail and the details the rail needs.

Append-only: a change is a new row, effective when it is recorded (``effective_at`` is the
recording time: no back- or future-dating, so a later row is always a later profile); the profile
in force at a moment is the latest row whose ``effective_at`` is not after it. The token rail's
wallet stays on the distributor (``Distributor.wallet``, registered on its own path); a bank
payee needs the INN, the account, the BIK and the correspondent account.
"""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.model_base import UTCDateTime


class TaxStatus(StrEnum):
    individual = "individual"  # физическое лицо: the company withholds personal income tax
    self_employed = "self_employed"  # самозанятый (НПД): paid gross, issues a receipt
    sole_proprietor = "sole_proprietor"  # индивидуальный предприниматель (ИП): paid gross
    company = "company"  # юридическое лицо: paid gross


class PayoutRail(StrEnum):
    bank = "bank"
    token = "token"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v.value}'" for v in values) + ")"


class PayeeProfile(SQLModel, table=True):
    __tablename__ = "payee_profile"
    __table_args__ = (
        sa.CheckConstraint(_in("tax_status", TaxStatus), name="tax_status"),
        sa.CheckConstraint(_in("rail", PayoutRail), name="rail"),
        sa.Index("ix_payee_profile_distributor_effective", "distributor_id", "effective_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    distributor_id: int = Field(foreign_key="distributor.id")
    tax_status: str = Field(max_length=16)
    rail: str = Field(max_length=8)
    inn: str | None = Field(default=None, max_length=12)
    bank_account: str | None = Field(default=None, max_length=20)
    bik: str | None = Field(default=None, max_length=9)
    corr_account: str | None = Field(default=None, max_length=20)
    bank_name: str | None = Field(default=None, max_length=200)
    effective_at: datetime = Field(sa_type=UTCDateTime())
    created_by: int | None = Field(default=None, foreign_key="app_user.id")


class PayeeDetails(SQLModel):
    """What a partner (or staff for them) records: checked by `backend.payees.checks`. Numbers
    may carry spaces as people paste them; they are stored as digits."""

    tax_status: TaxStatus
    rail: PayoutRail
    inn: str | None = Field(default=None, max_length=40)
    bank_account: str | None = Field(default=None, max_length=40)
    bik: str | None = Field(default=None, max_length=40)
    corr_account: str | None = Field(default=None, max_length=40)
    bank_name: str | None = Field(default=None, max_length=400)


class PayeeProfilePublic(SQLModel):
    id: int
    tax_status: TaxStatus
    rail: PayoutRail
    inn: str | None
    bank_account: str | None
    bik: str | None
    corr_account: str | None
    bank_name: str | None
    effective_at: datetime
    created_by: int | None


class PayeePublic(SQLModel):
    """A distributor's profile now (none yet: null) and every recorded one, newest first."""

    distributor_id: int
    current: PayeeProfilePublic | None
    history: list[PayeeProfilePublic]
