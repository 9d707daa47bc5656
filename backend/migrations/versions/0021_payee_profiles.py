"""payee profiles (issue 16): a partner's tax status and payout rail with the bank details, as
an append-only history (payee_profile)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-20 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payee_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distributor_id", sa.Integer(), nullable=False),
        sa.Column("tax_status", sa.String(length=16), nullable=False),
        sa.Column("rail", sa.String(length=8), nullable=False),
        sa.Column("inn", sa.String(length=12), nullable=True),
        sa.Column("bank_account", sa.String(length=20), nullable=True),
        sa.Column("bik", sa.String(length=9), nullable=True),
        sa.Column("corr_account", sa.String(length=20), nullable=True),
        sa.Column("bank_name", sa.String(length=200), nullable=True),
        sa.Column(
            "effective_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "tax_status IN ('individual', 'self_employed', 'sole_proprietor', 'company')",
            name=op.f("ck_payee_profile_tax_status"),
        ),
        sa.CheckConstraint("rail IN ('bank', 'token')", name=op.f("ck_payee_profile_rail")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_payee_profile_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributor.id"],
            name=op.f("fk_payee_profile_distributor_id_distributor"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payee_profile")),
    )
    op.create_index(
        "ix_payee_profile_distributor_effective",
        "payee_profile",
        ["distributor_id", "effective_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_payee_profile_distributor_effective", table_name="payee_profile")
    op.drop_table("payee_profile")
