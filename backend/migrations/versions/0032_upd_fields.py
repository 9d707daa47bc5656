"""what the UPD needs (issue 17): a product's OKEI unit, country of origin and TN VED code, a
warehouse's address (the shipper's), and the company's ``vat_payer`` detail (status 1 or 2)

Revision ID: 0032
Revises: 0031
Create Date: 2027-01-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_REQUISITES = (
    "legal_name", "inn", "kpp", "ogrn", "legal_address", "bank_name", "bik", "account",
    "corr_account", "director", "chief_accountant",
)  # fmt: skip
NEW_REQUISITES = ("vat_payer",)
#: The new columns; existing products are pieces (OKEI 796) made in Russia (643).
COLUMNS = (
    ("product", "okei_code", "VARCHAR(3) DEFAULT '796' NOT NULL"),
    ("product", "origin_country", "VARCHAR(3) DEFAULT '643' NOT NULL"),
    ("product", "tnved_code", "VARCHAR(10)"),
    ("warehouse", "address", "VARCHAR(300)"),
)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _requisites(names: Sequence[str]) -> None:
    with op.batch_alter_table("company_requisite", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_company_requisite_name"), type_="check")
        batch_op.create_check_constraint("name", _in("name", names))


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: SQLite cannot rebuild product or warehouse (batch mode)
    # inside the migration's transaction while other tables' rows reference them (see 0012).
    for table, column, ddl in COLUMNS:
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")
    _requisites(OLD_REQUISITES + NEW_REQUISITES)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM company_requisite WHERE " + _in("name", NEW_REQUISITES)))
    _requisites(OLD_REQUISITES)
    for table, column, _ddl in reversed(COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
