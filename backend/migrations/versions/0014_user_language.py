"""user language: the language a person reads the web pages in (ru by default, or en)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = "language IN ('ru', 'en')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # A column CHECK in ADD COLUMN itself: a batch copy of app_user (to add a table CHECK)
        # would drop a table that orders, logs and periods reference.
        op.execute(
            "ALTER TABLE app_user ADD COLUMN language VARCHAR(5) DEFAULT 'ru' NOT NULL"
            f" CONSTRAINT ck_app_user_language CHECK ({CHECK})"
        )
        return
    op.add_column(
        "app_user",
        sa.Column("language", sa.String(length=5), nullable=False, server_default="ru"),
    )
    op.create_check_constraint(op.f("ck_app_user_language"), "app_user", CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE app_user DROP COLUMN language")
        return
    op.drop_constraint(op.f("ck_app_user_language"), "app_user", type_="check")
    op.drop_column("app_user", "language")
