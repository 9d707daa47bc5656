"""period money: the payout currency and payout-%-of-sales summary of a computed period, and
the currency of each bonus line's base (retail profit in an order's currency)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("period") as batch:
        batch.add_column(sa.Column("currency", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("exponent", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("compliance", sa.Text(), nullable=True))
    with op.batch_alter_table("period_line") as batch:
        batch.add_column(
            sa.Column("currency", sa.SmallInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("period_line") as batch:
        batch.drop_column("currency")
    with op.batch_alter_table("period") as batch:
        batch.drop_column("compliance")
        batch.drop_column("exponent")
        batch.drop_column("currency")
