"""write discipline: running stock levels with CHECKs, one live anchor job per period

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANCHOR_LIVE = sa.text("kind = 'anchor' AND status <> 'failed'")


def upgrade() -> None:
    with op.batch_alter_table("stock_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("on_hand", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("reserved", sa.BigInteger(), server_default="0", nullable=False)
        )
    # The running levels start as the journal's sums (stock.move keeps them from here on).
    op.execute(
        "UPDATE stock_item SET"
        " on_hand = (SELECT COALESCE(SUM(m.on_hand_delta), 0) FROM stock_movement m"
        "  WHERE m.warehouse_id = stock_item.warehouse_id"
        "  AND m.product_id = stock_item.product_id),"
        " reserved = (SELECT COALESCE(SUM(m.reserved_delta), 0) FROM stock_movement m"
        "  WHERE m.warehouse_id = stock_item.warehouse_id"
        "  AND m.product_id = stock_item.product_id)"
    )
    with op.batch_alter_table("stock_item", schema=None) as batch_op:
        batch_op.create_check_constraint("on_hand_nonnegative", "on_hand >= 0")
        batch_op.create_check_constraint("reserved_nonnegative", "reserved >= 0")
        batch_op.create_check_constraint("reserved_within_on_hand", "reserved <= on_hand")

    # Duplicate anchor jobs left by the race this revision closes: keep each period's first
    # live one, fail the rest, so the unique index can be built.
    op.execute(
        "UPDATE period_chain_job SET status = 'failed',"
        " error = 'duplicate anchor request (closed by migration 0006)'"
        " WHERE kind = 'anchor' AND status <> 'failed' AND id NOT IN"
        " (SELECT MIN(id) FROM period_chain_job WHERE kind = 'anchor' AND status <> 'failed'"
        "  GROUP BY period_id)"
    )
    with op.batch_alter_table("period_chain_job", schema=None) as batch_op:
        batch_op.create_index(
            "uq_period_chain_job_live_anchor",
            ["period_id"],
            unique=True,
            sqlite_where=ANCHOR_LIVE,
            postgresql_where=ANCHOR_LIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table("period_chain_job", schema=None) as batch_op:
        batch_op.drop_index("uq_period_chain_job_live_anchor")
    with op.batch_alter_table("stock_item", schema=None) as batch_op:
        batch_op.drop_constraint("ck_stock_item_reserved_within_on_hand", type_="check")
        batch_op.drop_constraint("ck_stock_item_reserved_nonnegative", type_="check")
        batch_op.drop_constraint("ck_stock_item_on_hand_nonnegative", type_="check")
        batch_op.drop_column("reserved")
        batch_op.drop_column("on_hand")
