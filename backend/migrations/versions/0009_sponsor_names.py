"""one name for who brought you: distributor.enroller_id and holding_tank_entry.enroller_id
become sponsor_id, as in placement.sponsor_id and the registry's Placed(id, sponsor, parent)

Revision ID: 0010
Revises: 0008 (branch floor-domains; re-chain after 0009 when merging)
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("distributor", "holding_tank_entry")


def _rename(old: str, new: str) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        op.alter_column(table, old, new_column_name=new)
        if postgres:
            op.execute(f"ALTER INDEX ix_{table}_{old} RENAME TO ix_{table}_{new}")
            op.execute(
                f"ALTER TABLE {table} RENAME CONSTRAINT"
                f" fk_{table}_{old}_distributor TO fk_{table}_{new}_distributor"
            )
        else:
            # SQLite renames the column inside the index and the foreign key itself; the
            # index keeps its old name unless rebuilt (the constraint name stays in the table's
            # DDL, where nothing looks it up).
            op.drop_index(f"ix_{table}_{old}", table_name=table)
            op.create_index(f"ix_{table}_{new}", table, [new], unique=False)


def upgrade() -> None:
    _rename("enroller_id", "sponsor_id")


def downgrade() -> None:
    _rename("sponsor_id", "enroller_id")
