"""company settings an admin changes at run time (company_setting), and the admin log's
actions for them, for an account's name, and for viewing a partner's office ("see as")

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-14 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = backend.core.model_base.UTCDateTime(timezone=True)
OLD_ACTIONS = (
    "account_created", "role_changed", "password_reset", "password_changed",
    "account_deactivated", "account_activated", "product_created", "price_changed",
    "price_removed", "stock_adjusted", "rate_added", "rates_imported", "vat_rate_added",
    "card_block_added", "card_block_changed", "card_text_approved", "card_text_rejected",
)  # fmt: skip
NEW_ACTIONS = ("account_renamed", "setting_changed", "see_as_started", "see_as_ended")
SETTINGS = ("placement_strategy", "holding_tank_days", "default_sponsor_id")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.create_table(
        "company_setting",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", UTC, nullable=False),
        sa.CheckConstraint(_in("name", SETTINGS), name=op.f("ck_company_setting_name")),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["app_user.id"], name=op.f("fk_company_setting_changed_by_app_user")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_company_setting")),
    )
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_admin_log_action"), type_="check")
        batch_op.create_check_constraint("action", _in("action", OLD_ACTIONS + NEW_ACTIONS))


def downgrade() -> None:
    # The admin log is hash-chained: its new entries cannot be dropped without breaking every
    # later link, so a database that logged one stays at this revision.
    logged = op.get_bind().execute(
        sa.text("SELECT count(*) FROM admin_log WHERE " + _in("action", NEW_ACTIONS))
    )
    if logged.scalar_one():
        raise RuntimeError(
            "0017 cannot be downgraded: the admin log holds settings, renaming or see-as "
            "entries, and removing them would break its hash chain"
        )
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_admin_log_action"), type_="check")
        batch_op.create_check_constraint("action", _in("action", OLD_ACTIONS))
    op.drop_table("company_setting")
