"""placement sequence and genealogy state

Numbers placements in the order they were written and keeps the count in a one-row table that
placing transactions lock: workers catch up with each other's placements instead of counting
the whole table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:46:32.417873
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "genealogy_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_seq", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_genealogy_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genealogy_state")),
    )
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
    # Existing placements are numbered in the order they were made.
    op.execute(
        """
        UPDATE placement SET seq = (
            SELECT n FROM (
                SELECT distributor_id,
                       ROW_NUMBER() OVER (ORDER BY placed_at, distributor_id) AS n
                FROM placement
            ) AS numbered
            WHERE numbered.distributor_id = placement.distributor_id
        )
        """
    )
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_placement_seq"), ["seq"])
    op.execute(
        "INSERT INTO genealogy_state (id, placement_seq) "
        "SELECT 1, COUNT(*) FROM placement HAVING COUNT(*) > 0"
    )


def downgrade() -> None:
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_placement_seq"), type_="unique")
        batch_op.drop_column("seq")
    op.drop_table("genealogy_state")
