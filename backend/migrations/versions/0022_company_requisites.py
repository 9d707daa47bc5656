"""the company's details for payment orders and acts (company_requisite): legal name, INN,
KPP, OGRN, address, bank, director and chief accountant, one row per detail an admin set

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-21 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REQUISITES = (
    "legal_name", "inn", "kpp", "ogrn", "legal_address", "bank_name", "bik", "account",
    "corr_account", "director", "chief_accountant",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "company_requisite",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "name IN (" + ", ".join(f"'{name}'" for name in REQUISITES) + ")",
            name=op.f("ck_company_requisite_name"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["app_user.id"], name=op.f("fk_company_requisite_changed_by_app_user")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_company_requisite")),
    )


def downgrade() -> None:
    op.drop_table("company_requisite")
