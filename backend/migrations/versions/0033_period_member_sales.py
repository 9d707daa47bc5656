"""team sales (issue 15): each computed period's counted sales (and fees) summed per buyer and
currency with their placement subtree's, and each subtree's PV and active people (period_team),
written by the compute, read by the team turnover, legs and regions instead of every line of
the package; the standings of a period by GV and its payees by earnings (the largest first)

Periods computed before this have no rows: the reports make them from their packages on first
read (`backend.periods.member_sales.ensure_member_sales`).

Revision ID: 0033
Revises: 0032
Create Date: 2027-01-20 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "period_member_sales",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("distributor_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.SmallInteger(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("charged", sa.BigInteger(), nullable=False),
        sa.Column("retail", sa.BigInteger(), nullable=False),
        sa.Column("pv", sa.BigInteger(), nullable=False),
        sa.Column("fees", sa.BigInteger(), nullable=False),
        sa.Column("team_charged", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_period_member_sales_period_id_period")
        ),
        sa.PrimaryKeyConstraint(
            "period_id", "distributor_id", "currency", name=op.f("pk_period_member_sales")
        ),
    )
    op.create_index(
        "ix_period_member_sales_fees",
        "period_member_sales",
        ["period_id"],
        postgresql_where=sa.text("fees > 0"),
        sqlite_where=sa.text("fees > 0"),
    )
    op.create_table(
        "period_team",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("distributor_id", sa.Integer(), nullable=False),
        sa.Column("pv", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_period_team_period_id_period")
        ),
        sa.PrimaryKeyConstraint("period_id", "distributor_id", name=op.f("pk_period_team")),
    )
    op.create_index("ix_period_standing_period_id_gv", "period_standing", ["period_id", "gv"])
    op.create_index("ix_period_payee_period_id_earned", "period_payee", ["period_id", "earned"])


def downgrade() -> None:
    op.drop_index("ix_period_payee_period_id_earned", table_name="period_payee")
    op.drop_index("ix_period_standing_period_id_gv", table_name="period_standing")
    op.drop_index("ix_period_member_sales_fees", table_name="period_member_sales")
    op.drop_table("period_team")
    op.drop_table("period_member_sales")
