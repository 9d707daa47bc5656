"""period standings: each distributor's figures in a period (volumes, active, ranks, earned)
from its compute or, while it is open, from the worker's preview run; and where they came from

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-09 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = backend.core.model_base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "period_standing",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("distributor_id", sa.BigInteger(), nullable=False),
        sa.Column("pv", sa.BigInteger(), nullable=False),
        sa.Column("cv", sa.BigInteger(), nullable=False),
        sa.Column("gv", sa.BigInteger(), nullable=False),
        sa.Column("left_volume", sa.BigInteger(), nullable=False),
        sa.Column("right_volume", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("paid_rank", sa.Integer(), nullable=False),
        sa.Column("achieved_rank", sa.Integer(), nullable=False),
        sa.Column("earned", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_period_standing_period_id_period")
        ),
        sa.PrimaryKeyConstraint("period_id", "distributor_id", name=op.f("pk_period_standing")),
    )
    op.create_index(
        "ix_period_standing_distributor_id_period_id",
        "period_standing",
        ["distributor_id", "period_id"],
    )
    op.create_table(
        "standing_run",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("computed_at", UTC, nullable=False),
        sa.Column("plan_hash", sa.String(length=66), nullable=False),
        sa.Column("currency", sa.String(length=12), nullable=False),
        sa.Column("exponent", sa.Integer(), nullable=False),
        sa.Column("distributors", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('preview', 'computed')", name=op.f("ck_standing_run_kind")),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_standing_run_period_id_period")
        ),
        sa.PrimaryKeyConstraint("period_id", name=op.f("pk_standing_run")),
    )


def downgrade() -> None:
    op.drop_table("standing_run")
    op.drop_index("ix_period_standing_distributor_id_period_id", table_name="period_standing")
    op.drop_table("period_standing")
