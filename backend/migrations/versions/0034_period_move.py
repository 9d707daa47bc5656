"""moves (issue 15): each computed period's change of every person's GV and earnings from the
period before, written by the compute, so the top movers and the largest payout changes read
the two ends of an index instead of joining two periods' every row

Periods computed before this get their rows here, from the standings and payees they stored
(the same full join the compute runs: ``backend.periods.moves``).

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
SELECT :period, :measure, COALESCE(now.distributor_id, before.distributor_id),
       COALESCE(before.value, 0), COALESCE(now.value, 0),
       COALESCE(now.value, 0) - COALESCE(before.value, 0)
FROM (SELECT distributor_id, {column} AS value FROM {table}
      WHERE period_id = :period AND {column} != 0) AS now
FULL OUTER JOIN (SELECT distributor_id, {column} AS value FROM {table}
      WHERE period_id = :period - 1 AND {column} != 0) AS before
  ON now.distributor_id = before.distributor_id
WHERE COALESCE(now.value, 0) != COALESCE(before.value, 0)
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
