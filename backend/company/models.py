"""Company settings an admin changed: one row per setting, overriding the environment's value."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.model_base import UTCDateTime

#: The settings an admin may change (fields of `backend.core.config.Settings`).
EDITABLE = ("placement_strategy", "holding_tank_days", "default_sponsor_id")


class CompanySetting(SQLModel, table=True):
    """The value (JSON) an admin gave a setting, by whom and when. No row: the environment's
    value (or the default) holds."""

    __tablename__ = "company_setting"
    __table_args__ = (
        sa.CheckConstraint(
            "name IN (" + ", ".join(f"'{name}'" for name in EDITABLE) + ")", name="name"
        ),
    )

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
    changed_by: int | None = Field(default=None, foreign_key="app_user.id")
    changed_at: datetime = Field(sa_type=UTCDateTime())


#: The company's own details (реквизиты) for payment orders and acts, in the order the admin
#: page shows them (`backend.company.requisites`).
REQUISITES = (
    "legal_name",
    "inn",
    "kpp",
    "ogrn",
    "legal_address",
    "bank_name",
    "bik",
    "account",
    "corr_account",
    "director",
    "chief_accountant",
    "vat_payer",
)
#: The values of ``vat_payer``: "yes" (general tax system: the UPD is status 1, a VAT invoice
#: too) or "no" (simplified system or exempt: status 2, the transfer document alone).
VAT_PAYER = ("yes", "no")


class CompanyRequisite(SQLModel, table=True):
    """One of the company's details as an admin last set it, by whom and when. No row: the
    detail is not given yet (a document that needs it refuses, naming it)."""

    __tablename__ = "company_requisite"
    __table_args__ = (
        sa.CheckConstraint(
            "name IN (" + ", ".join(f"'{name}'" for name in REQUISITES) + ")", name="name"
        ),
    )

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=300)
    changed_by: int | None = Field(default=None, foreign_key="app_user.id")
    changed_at: datetime = Field(sa_type=UTCDateTime())
