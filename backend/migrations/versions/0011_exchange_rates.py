"""dated exchange rates (exchange_rate: base, quote, day, exact decimal string, source), and the
admin log's two rate actions (rate_added, rates_imported)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = backend.core.model_base.UTCDateTime(timezone=True)
ACTIONS = (
    "account_created", "role_changed", "password_reset", "password_changed",
    "account_deactivated", "account_activated", "product_created", "price_changed",
    "price_removed", "stock_adjusted",
)  # fmt: skip
RATE_ACTIONS = ("rate_added", "rates_imported")


def _action_check(actions: Sequence[str]) -> str:
    return "action IN (" + ", ".join(f"'{a}'" for a in actions) + ")"


def upgrade() -> None:
    op.create_table(
        "exchange_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base", sa.CHAR(length=3), nullable=False),
        sa.Column("quote", sa.CHAR(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("base <> quote", name=op.f("ck_exchange_rate_distinct_currencies")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_exchange_rate_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rate")),
        sa.UniqueConstraint("base", "quote", "day", name=op.f("uq_exchange_rate_base_quote_day")),
    )
    _replace_action_check(ACTIONS + RATE_ACTIONS)


def downgrade() -> None:
    # The admin log is hash-chained: its rate entries cannot be dropped without breaking every
    # later link, so a database that logged a rate write stays at this revision.
    logged = op.get_bind().execute(
        sa.text("SELECT count(*) FROM admin_log WHERE action IN ('rate_added', 'rates_imported')")
    )
    if logged.scalar_one():
        raise RuntimeError(
            "0011 cannot be downgraded: the admin log holds rate entries, and removing them "
            "would break its hash chain"
        )
    _replace_action_check(ACTIONS)
    op.drop_table("exchange_rate")


def _replace_action_check(actions: Sequence[str]) -> None:
    with op.batch_alter_table("admin_log", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_admin_log_action"), type_="check")
        batch_op.create_check_constraint(op.f("ck_admin_log_action"), _action_check(actions))
