"""the admin log's actions for training: a course published from the admin's office and a
course assigned to a partner by an admin

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-18 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ACTIONS = (
    "account_created", "role_changed", "password_reset", "password_changed",
    "account_deactivated", "account_activated", "product_created", "price_changed",
    "price_removed", "stock_adjusted", "rate_added", "rates_imported", "vat_rate_added",
    "card_block_added", "card_block_changed", "card_text_approved", "card_text_rejected",
    "account_renamed", "setting_changed", "see_as_started", "see_as_ended",
)  # fmt: skip
NEW_ACTIONS = ("training_published", "training_assigned")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
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
            "0020 cannot be downgraded: the admin log holds training entries, and removing "
            "them would break its hash chain"
        )
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_admin_log_action"), type_="check")
        batch_op.create_check_constraint("action", _in("action", OLD_ACTIONS))
