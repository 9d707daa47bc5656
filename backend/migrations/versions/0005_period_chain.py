"""period chain jobs (anchor, fund) and payout batches

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 02:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = backend.core.model_base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "period_chain_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint("kind IN ('anchor', 'fund')", name=op.f("ck_period_chain_job_kind")),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'confirmed', 'failed')",
            name=op.f("ck_period_chain_job_status"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_period_chain_job_period_id_period")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["app_user.id"],
            name=op.f("fk_period_chain_job_requested_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_chain_job")),
    )
    with op.batch_alter_table("period_chain_job", schema=None) as batch_op:
        batch_op.create_index("ix_period_chain_job_status_id", ["status", "id"], unique=False)

    op.create_table(
        "period_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("indices", sa.JSON(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.Column("paid", sa.JSON(), nullable=True),
        sa.Column("failed", sa.JSON(), nullable=True),
        sa.Column("skipped", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'sent', 'confirmed')", name=op.f("ck_period_batch_status")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_period_batch_period_id_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_batch")),
        sa.UniqueConstraint("period_id", "seq", name=op.f("uq_period_batch_period_id_seq")),
    )
    with op.batch_alter_table("period_batch", schema=None) as batch_op:
        batch_op.create_index(
            "ix_period_batch_status_period_id_seq", ["status", "period_id", "seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("period_batch", schema=None) as batch_op:
        batch_op.drop_index("ix_period_batch_status_period_id_seq")
    op.drop_table("period_batch")
    with op.batch_alter_table("period_chain_job", schema=None) as batch_op:
        batch_op.drop_index("ix_period_chain_job_status_id")
    op.drop_table("period_chain_job")
