"""issue 15's sales plan against actual and sales by region: the sales plan per period (sales
in the payout currency, new distributors and active count, set by an admin, logged as
sales_plan_set) and the distributor's optional region (ISO 3166-2 subdivision)

Revision ID: 0030
Revises: 0029
Create Date: 2027-01-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER TABLE on both databases: SQLite adds (and drops) a column in place, where
    # a batch copy of the distributor table would trip the foreign keys pointing at it.
    op.add_column("distributor", sa.Column("region", sa.String(length=6), nullable=True))
    op.create_table(
        "sales_plan",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("sales", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=12), nullable=False),
        sa.Column("exponent", sa.Integer(), nullable=False),
        sa.Column("new_distributors", sa.Integer(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=False),
        sa.Column("set_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_sales_plan_period_id_period")
        ),
        sa.ForeignKeyConstraint(
            ["set_by"], ["app_user.id"], name=op.f("fk_sales_plan_set_by_app_user")
        ),
        sa.PrimaryKeyConstraint("period_id", name=op.f("pk_sales_plan")),
    )


def downgrade() -> None:
    op.drop_table("sales_plan")
    op.drop_column("distributor", "region")
