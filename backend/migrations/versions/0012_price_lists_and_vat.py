"""price lists per currency with a retail and a wholesale price; VAT as dated data

- ``vat_rate``: rates per country (ISO 3166 alpha-2), category, validity dates (inclusive,
  ``valid_to`` null = open-ended), rate in basis points. Seeded for Russia: standard 20 % until
  2025-12-31 and 22 % from 2026-01-01; reduced 10 %; zero 0 %; exempt ("Без НДС", 0).
- ``product.vat_category`` (default ``standard``).
- ``price_list_item.price`` becomes ``retail_price`` and ``wholesale_price``: the old single
  price is taken as BOTH, because that is what it charged (a listed price applied to retail and
  own orders alike), so every existing list keeps charging exactly what it did. Finance then sets
  a lower wholesale price where it wants one.
- ``order_line`` stores the unit retail and wholesale prices of its price source and its VAT
  split (category, rate, net, vat, gross). Existing lines are filled so that a period recomputed
  from them reads the same inputs as before: the charged side is the line's unit price, the other
  side the product's price now (which the snapshot used to read). Their VAT is the standard
  category's seeded rate on the order's UTC date (lines placed before 2019 take 20 % too); a
  company that was VAT-exempt had no VAT on them, which this migration cannot know: it should
  note that in its first documents rather than trust these backfilled figures.

Revision ID: 0012
Revises: 0011 (exchange rates; while that branch is unmerged this points at 0010)
Create Date: 2026-12-20 10:00:00.000000
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = backend.core.model_base.UTCDateTime(timezone=True)
CHUNK = 5000
CATEGORIES = "'standard', 'reduced', 'zero', 'exempt'"
OLD_ACTIONS = (
    "account_created", "role_changed", "password_reset", "password_changed",
    "account_deactivated", "account_activated", "product_created", "price_changed",
    "price_removed", "stock_adjusted", "rate_added", "rates_imported",
)  # fmt: skip
NEW_ACTIONS = (*OLD_ACTIONS, "vat_rate_added")
SEED = (
    ("RU", "standard", 2000, dt.date(2019, 1, 1), dt.date(2025, 12, 31)),
    ("RU", "standard", 2200, dt.date(2026, 1, 1), None),
    ("RU", "reduced", 1000, dt.date(2019, 1, 1), None),
    ("RU", "zero", 0, dt.date(2019, 1, 1), None),
    ("RU", "exempt", 0, dt.date(2019, 1, 1), None),
)
SWITCH = dt.date(2026, 1, 1)


def _actions_check(actions: Sequence[str]) -> str:
    return "action IN (" + ", ".join(f"'{a}'" for a in actions) + ")"


def _add_column(table: str, column: str, ddl: str) -> None:
    """``ALTER TABLE ... ADD COLUMN`` with its default and column constraints, the same SQL on
    both backends: SQLite cannot rebuild ``product`` or ``order_line`` (batch mode) inside the
    migration's transaction, as rows of other tables reference them and ``foreign_keys=OFF``
    cannot be set in a transaction. PostgreSQL then drops the default (the models have none);
    SQLite keeps it in the column definition, where nothing relies on it."""
    op.execute(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")


def _drop_default(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT")


def upgrade() -> None:
    _vat_rate()
    _add_column("product", "vat_category", VAT_CATEGORY.format(table="product"))
    _drop_default("product", "vat_category")
    _price_list_items()
    _order_lines()
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_admin_log_action"), type_="check")
        batch_op.create_check_constraint("action", _actions_check(NEW_ACTIONS))


def _vat_rate() -> None:
    op.create_table(
        "vat_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint(f"category IN ({CATEGORIES})", name=op.f("ck_vat_rate_category")),
        sa.CheckConstraint(
            "rate_bp >= 0 AND rate_bp <= 10000", name=op.f("ck_vat_rate_rate_range")
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_vat_rate_validity")
        ),
        sa.CheckConstraint(
            "category <> 'exempt' OR rate_bp = 0", name=op.f("ck_vat_rate_exempt_no_rate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vat_rate")),
    )
    op.create_index(
        "ix_vat_rate_lookup", "vat_rate", ["country", "category", "valid_from"], unique=False
    )
    table = sa.table(
        "vat_rate",
        sa.column("country", sa.String()),
        sa.column("category", sa.String()),
        sa.column("rate_bp", sa.Integer()),
        sa.column("valid_from", sa.Date()),
        sa.column("valid_to", sa.Date()),
        sa.column("created_at", UTC),
    )
    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(
        table,
        [
            {
                "country": country,
                "category": category,
                "rate_bp": rate,
                "valid_from": start,
                "valid_to": end,
                "created_at": now,
            }
            for country, category, rate, start, end in SEED
        ],
    )


def _price_list_items() -> None:
    with op.batch_alter_table("price_list_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retail_price", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("wholesale_price", sa.BigInteger(), nullable=True))
    op.execute("UPDATE price_list_item SET retail_price = price, wholesale_price = price")
    with op.batch_alter_table("price_list_item", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_price_list_item_price_nonnegative"), type_="check")
        batch_op.drop_column("price")
        batch_op.alter_column("retail_price", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("wholesale_price", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_check_constraint(
            "prices", "wholesale_price >= 0 AND wholesale_price <= retail_price"
        )


VAT_CATEGORY = (
    "VARCHAR(16) DEFAULT 'standard' NOT NULL"
    f" CONSTRAINT ck_{{table}}_vat_category CHECK (vat_category IN ({CATEGORIES}))"
)
LINE_COLUMNS = (
    ("retail_unit", sa.BigInteger()),
    ("wholesale_unit", sa.BigInteger()),
    ("vat_category", sa.String(length=16)),
    ("vat_rate_bp", sa.Integer()),
    ("net", sa.BigInteger()),
    ("vat", sa.BigInteger()),
    ("gross", sa.BigInteger()),
)


def _order_lines() -> None:
    for name, type_ in LINE_COLUMNS:
        if name == "vat_category":
            ddl = VAT_CATEGORY.format(table="order_line")
        else:
            sql_type = "BIGINT" if isinstance(type_, sa.BigInteger) else "INTEGER"
            ddl = f"{sql_type} DEFAULT 0 NOT NULL"
        _add_column("order_line", name, ddl)
    _backfill_lines()
    for name, _ in LINE_COLUMNS:
        _drop_default("order_line", name)


def _backfill_lines() -> None:
    bind = op.get_bind()
    line = sa.table(
        "order_line",
        sa.column("id", sa.Integer()),
        sa.column("order_id", sa.Integer()),
        sa.column("product_id", sa.Integer()),
        sa.column("unit_price", sa.BigInteger()),
        sa.column("amount", sa.BigInteger()),
        *(sa.column(name, type_) for name, type_ in LINE_COLUMNS),
    )
    order = sa.table(
        "sales_order",
        sa.column("id", sa.Integer()),
        sa.column("customer_id", sa.Integer()),
        sa.column("created_at", UTC),
    )
    product = sa.table(
        "product",
        sa.column("id", sa.Integer()),
        sa.column("retail_price", sa.BigInteger()),
        sa.column("wholesale_price", sa.BigInteger()),
    )
    query = (
        sa.select(
            line.c.id,
            line.c.unit_price,
            line.c.amount,
            order.c.customer_id,
            order.c.created_at,
            product.c.retail_price,
            product.c.wholesale_price,
        )
        .join(order, order.c.id == line.c.order_id)
        .join(product, product.c.id == line.c.product_id)
        .order_by(line.c.id)
    )
    update = (
        sa.update(line)
        .where(line.c.id == sa.bindparam("line_id"))
        .values({name: sa.bindparam(f"new_{name}") for name, _ in LINE_COLUMNS})
    )
    last = 0
    while True:
        rows = bind.execute(query.where(line.c.id > last).limit(CHUNK)).all()
        if not rows:
            return
        values = []
        for line_id, unit, amount, customer_id, created_at, retail, wholesale in rows:
            rate = 2000 if created_at.astimezone(dt.UTC).date() < SWITCH else 2200
            vat = (2 * amount * rate + 10000 + rate) // (2 * (10000 + rate))
            values.append(
                {
                    "line_id": line_id,
                    "new_retail_unit": unit if customer_id is not None else retail,
                    "new_wholesale_unit": wholesale if customer_id is not None else unit,
                    "new_vat_category": "standard",
                    "new_vat_rate_bp": rate,
                    "new_net": amount - vat,
                    "new_vat": vat,
                    "new_gross": amount,
                }
            )
        bind.execute(update, values)
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_admin_log_action"), type_="check")
        batch_op.create_check_constraint("action", _actions_check(OLD_ACTIONS))
    for name, _ in reversed(LINE_COLUMNS):
        op.execute(f"ALTER TABLE order_line DROP COLUMN {name}")
    # Back to one price: the one a listed order charged a retail customer (retail_price).
    with op.batch_alter_table("price_list_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("price", sa.BigInteger(), nullable=True))
    op.execute("UPDATE price_list_item SET price = retail_price")
    with op.batch_alter_table("price_list_item", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_price_list_item_prices"), type_="check")
        batch_op.drop_column("retail_price")
        batch_op.drop_column("wholesale_price")
        batch_op.alter_column("price", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_check_constraint("price_nonnegative", "price >= 0")
    op.execute("ALTER TABLE product DROP COLUMN vat_category")
    op.drop_index("ix_vat_rate_lookup", table_name="vat_rate")
    op.drop_table("vat_rate")
