"""admin action log: append-only, hash-chained

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = backend.core.model_base.UTCDateTime(timezone=True)
ACTIONS = (
    "account_created", "role_changed", "password_reset", "password_changed",
    "account_deactivated", "account_activated", "product_created", "price_changed",
    "price_removed", "stock_adjusted",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "admin_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=66), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.CheckConstraint(
            "action IN (" + ", ".join(f"'{a}'" for a in ACTIONS) + ")",
            name=op.f("ck_admin_log_action"),
        ),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_admin_log_seq_positive")),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_admin_log_actor_id_app_user")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_admin_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_admin_log_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_admin_log_prev_hash")),
    )
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.create_index("ix_admin_log_target_seq", ["target", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_log_target_seq")
    op.drop_table("admin_log")
