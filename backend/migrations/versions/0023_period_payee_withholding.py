"""a period's payee rows carry the tax withheld, the tax status and the payout rail (issue 16)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-21 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends (no table rebuild): the rows of computed periods read 0
    # withheld and no status or rail, which is what their packages say.
    op.add_column(
        "period_payee",
        sa.Column("withheld", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.add_column("period_payee", sa.Column("tax_status", sa.String(length=16), nullable=True))
    op.add_column("period_payee", sa.Column("rail", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("period_payee", schema=None) as batch_op:
        batch_op.drop_column("rail")
        batch_op.drop_column("tax_status")
        batch_op.drop_column("withheld")
