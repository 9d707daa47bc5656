"""reports' speed (issue 15): each computed period's counted sales lines summed per product,
warehouse, currency and retail flag, written by the compute, read by the sales reports

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-29 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "period_sales_summary",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.SmallInteger(), nullable=False),
        sa.Column("retail", sa.Boolean(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("charged", sa.BigInteger(), nullable=False),
        sa.Column("pv", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_period_sales_summary_period_id_period")
        ),
        sa.PrimaryKeyConstraint(
            "period_id",
            "product_id",
            "warehouse_id",
            "currency",
            "retail",
            name=op.f("pk_period_sales_summary"),
        ),
    )


def downgrade() -> None:
    op.drop_table("period_sales_summary")
