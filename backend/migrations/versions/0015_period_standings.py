"""period standings: each distributor's figures in a period (volumes, active, ranks, earned, rank
progress, new people in the team) from its compute or, while it is open, from the worker's
preview run; and where they came from (or why the last preview was refused)

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
        sa.Column("prior_rank", sa.Integer(), nullable=False),
        sa.Column("new_in_team", sa.Integer(), nullable=False),
        sa.Column("top_leg", sa.BigInteger(), nullable=False),
        sa.Column("second_leg", sa.BigInteger(), nullable=False),
        sa.Column("next_gv", sa.BigInteger(), nullable=False),
        sa.Column("next_legs", sa.Integer(), nullable=False),
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
    ranked_up = sa.text("achieved_rank > prior_rank")
    op.create_index(
        "ix_period_standing_ranked_up",
        "period_standing",
        ["period_id", "distributor_id"],
        postgresql_where=ranked_up,
        sqlite_where=ranked_up,
    )
    op.create_table(
        "standing_run",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("computed_at", UTC, nullable=True),
        sa.Column("plan_hash", sa.String(length=66), nullable=True),
        sa.Column("currency", sa.String(length=12), nullable=True),
        sa.Column("exponent", sa.Integer(), nullable=True),
        sa.Column("distributors", sa.Integer(), nullable=False),
        sa.Column("binary", sa.Boolean(), nullable=False),
        sa.Column("ladder", sa.Text(), nullable=True),
        sa.Column("attempted_at", UTC, nullable=False),
        sa.Column("refused", sa.String(length=40), nullable=True),
        sa.Column("refused_detail", sa.String(length=500), nullable=True),
        sa.CheckConstraint("kind IN ('preview', 'computed')", name=op.f("ck_standing_run_kind")),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_standing_run_period_id_period")
        ),
        sa.PrimaryKeyConstraint("period_id", name=op.f("pk_standing_run")),
    )


def downgrade() -> None:
    op.drop_table("standing_run")
    op.drop_index("ix_period_standing_ranked_up", table_name="period_standing")
    op.drop_index("ix_period_standing_distributor_id_period_id", table_name="period_standing")
    op.drop_table("period_standing")
