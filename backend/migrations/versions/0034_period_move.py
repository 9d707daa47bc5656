"""moves (issue 15): each computed period's change of every person's GV and earnings from the
period before, written by the compute, so the top movers and the largest payout changes read
the two ends of an index instead of joining two periods' every row

Periods computed before this get their rows here, from the standings and payees they stored
(as the compute makes them: ``backend.periods.moves``).

Revision ID: 0034
Revises: 0033
Create Date: 2027-02-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# measure code -> (table, column); as `backend.periods.models.Measure`
MEASURES = {1: ("period_standing", "gv"), 2: ("period_payee", "earned")}
BACKFILL = """
INSERT INTO period_move (period_id, measure, distributor_id, previous, latest, change)
SELECT :period, :measure, now.distributor_id, COALESCE(before.{column}, 0), now.{column},
       now.{column} - COALESCE(before.{column}, 0)
FROM {table} AS now LEFT OUTER JOIN {table} AS before
  ON before.period_id = :period - 1 AND before.distributor_id = now.distributor_id
WHERE now.period_id = :period AND now.{column} != 0
  AND now.{column} != COALESCE(before.{column}, 0)
UNION ALL
SELECT :period, :measure, before.distributor_id, before.{column}, 0, -before.{column}
FROM {table} AS before LEFT OUTER JOIN {table} AS now
  ON now.period_id = :period AND now.distributor_id = before.distributor_id
WHERE before.period_id = :period - 1 AND before.{column} != 0
  AND COALESCE(now.{column}, 0) = 0
"""


def upgrade() -> None:
    op.create_table(
        "period_move",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.SmallInteger(), nullable=False),
        sa.Column("distributor_id", sa.BigInteger(), nullable=False),
        sa.Column("previous", sa.BigInteger(), nullable=False),
        sa.Column("latest", sa.BigInteger(), nullable=False),
        sa.Column("change", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_period_move_period_id_period")
        ),
        sa.PrimaryKeyConstraint(
            "period_id", "measure", "distributor_id", name=op.f("pk_period_move")
        ),
    )
    op.create_index("ix_period_move_change", "period_move", ["period_id", "measure", "change"])
    bind = op.get_bind()
    computed = bind.execute(
        sa.text("SELECT id FROM period WHERE manifest IS NOT NULL ORDER BY id")
    ).scalars()
    for period in list(computed):
        for measure, (table, column) in MEASURES.items():
            bind.execute(
                sa.text(BACKFILL.format(table=table, column=column)),
                {"period": period, "measure": measure},
            )


def downgrade() -> None:
    op.drop_index("ix_period_move_change", table_name="period_move")
    op.drop_table("period_move")
