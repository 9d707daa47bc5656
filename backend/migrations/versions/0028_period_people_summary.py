"""people KPIs (issue 15): each computed period's standings counted per enrollment cohort and
paid-as rank, written by the compute, read by the people reports; indexes for the new
distributors and retail customers of a period

Revision ID: 0028
Revises: 0027
Create Date: 2027-01-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "period_people_summary",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("cohort", sa.Integer(), nullable=False),
        sa.Column("paid_rank", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("was_active", sa.Integer(), nullable=False),
        sa.Column("churned", sa.Integer(), nullable=False),
        sa.Column("ranked_up", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_period_people_summary_period_id_period")
        ),
        sa.PrimaryKeyConstraint(
            "period_id", "cohort", "paid_rank", name=op.f("pk_period_people_summary")
        ),
    )
    op.create_index(op.f("ix_distributor_enrolled_at"), "distributor", ["enrolled_at"])
    op.create_index(op.f("ix_retail_customer_created_at"), "retail_customer", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_retail_customer_created_at"), table_name="retail_customer")
    op.drop_index(op.f("ix_distributor_enrolled_at"), table_name="distributor")
    op.drop_table("period_people_summary")
