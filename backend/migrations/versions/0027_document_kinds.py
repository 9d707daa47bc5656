"""partner documents' further kinds (issue 17: UPD, reconciliation statement, agreement,
commercial offer) and the admin log's actions for templates and sales plans

Revision ID: 0027
Revises: 0026
Create Date: 2027-01-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = ("invoice", "act")
NEW_KINDS = ("upd", "reconciliation", "agreement", "offer")
OLD_ACTIONS = (
    "account_created", "role_changed", "password_reset", "password_changed",
    "account_deactivated", "account_activated", "product_created", "price_changed",
    "price_removed", "stock_adjusted", "rate_added", "rates_imported", "vat_rate_added",
    "card_block_added", "card_block_changed", "card_text_approved", "card_text_rejected",
    "account_renamed", "setting_changed", "see_as_started", "see_as_ended",
    "training_published", "training_assigned",
)  # fmt: skip
NEW_ACTIONS = ("template_published", "sales_plan_set")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_document_kind"), type_="check")
        batch_op.create_check_constraint("kind", _in("kind", OLD_KINDS + NEW_KINDS))
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_admin_log_action"), type_="check")
        batch_op.create_check_constraint("action", _in("action", OLD_ACTIONS + NEW_ACTIONS))


def downgrade() -> None:
    bind = op.get_bind()
    for table, column, values in (
        ("document", "kind", NEW_KINDS),
        ("admin_log", "action", NEW_ACTIONS),
    ):
        found = bind.execute(sa.text(f"SELECT count(*) FROM {table} WHERE " + _in(column, values)))
        if found.scalar_one():
            raise RuntimeError(
                f"0027 cannot be downgraded: {table} holds rows of the new {column}s (documents "
                "are immutable and the admin log is hash-chained)"
            )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_document_kind"), type_="check")
        batch_op.create_check_constraint("kind", _in("kind", OLD_KINDS))
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_admin_log_action"), type_="check")
        batch_op.create_check_constraint("action", _in("action", OLD_ACTIONS))
