"""Orders (for a distributor or their retail customer), their lines and payments."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.catalog.models import MAX_MONEY, MAX_POINTS
from backend.core.model_base import OrderStatus, UTCDateTime, VatCategory, check_in, now_utc
from backend.core.money import InMinorUnits
from backend.core.types import MAX_ID, Currency, Email, Phone, ShortText, UtcDatetime
from backend.stock.models import MAX_QUANTITY

MAX_LINES = 200
# An order may total what its lines could at the per-unit caps; beyond that it is a typo (and
# beyond int64 the database could not store it).
MAX_ORDER_AMOUNT = MAX_MONEY * MAX_LINES
MAX_ORDER_POINTS = MAX_POINTS * MAX_LINES


class RetailCustomerBase(SQLModel):
    first_name: ShortText = Field(max_length=200)
    last_name: ShortText = Field(max_length=200)
    email: Email | None = Field(default=None, max_length=254)
    phone: Phone | None = Field(default=None, max_length=40)


class RetailCustomerCreate(RetailCustomerBase):
    distributor_id: int | None = Field(
        default=None, gt=0, le=MAX_ID, description="Owner; defaults to the calling distributor."
    )


class RetailCustomer(RetailCustomerBase, table=True):
    __tablename__ = "retail_customer"

    id: int | None = Field(default=None, primary_key=True)
    first_name: str = Field(max_length=200)
    last_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    distributor_id: int = Field(foreign_key="distributor.id", index=True)
    created_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime(), index=True)


class RetailCustomerPublic(RetailCustomerBase):
    id: int
    distributor_id: int
    created_at: datetime


class RetailCustomersPublic(SQLModel):
    items: list[RetailCustomerPublic]
    count: int


class OrderLineIn(SQLModel):
    product_id: int = Field(gt=0, le=MAX_ID)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)


class OrderCreate(SQLModel):
    distributor_id: int | None = Field(
        default=None,
        gt=0,
        le=MAX_ID,
        description="Who the volume counts for; defaults to the caller.",
    )
    customer_id: int | None = Field(
        default=None, gt=0, le=MAX_ID, description="A retail customer's order."
    )
    warehouse_id: int = Field(gt=0, le=MAX_ID)
    price_list_id: int | None = Field(default=None, gt=0, le=MAX_ID)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)
    note: str | None = Field(default=None, max_length=1000)


class Order(SQLModel, table=True):
    __tablename__ = "sales_order"
    __table_args__ = (
        sa.CheckConstraint(check_in("status", OrderStatus), name="status"),
        sa.UniqueConstraint("created_by", "idempotency_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    distributor_id: int = Field(foreign_key="distributor.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="retail_customer.id")
    warehouse_id: int = Field(foreign_key="warehouse.id")
    price_list_id: int | None = Field(default=None, foreign_key="price_list.id")
    status: OrderStatus = Field(default=OrderStatus.placed, sa_type=sa.String(16))
    currency: str = Field(max_length=3)
    total_amount: int = Field(sa_type=sa.BigInteger())
    total_pv: int = Field(sa_type=sa.BigInteger())
    total_cv: int = Field(sa_type=sa.BigInteger())
    note: str | None = Field(default=None, max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=200)
    request_hash: str | None = Field(default=None, max_length=64)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())
    # The period an order's volume counts in is the one containing paid_at.
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime(), index=True)
    shipped_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime(), index=True)


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "line_no"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint(
            "returned_quantity >= 0 AND returned_quantity <= quantity", name="returned_range"
        ),
        sa.CheckConstraint(check_in("vat_category", VatCategory), name="vat_category"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    line_no: int
    product_id: int = Field(foreign_key="product.id")
    sku: str = Field(max_length=64)
    quantity: int
    unit_price: int = Field(sa_type=sa.BigInteger())
    amount: int = Field(sa_type=sa.BigInteger())
    pv: int = Field(sa_type=sa.BigInteger(), description="Line total PV (unit PV x quantity).")
    cv: int = Field(sa_type=sa.BigInteger(), description="Line total CV (unit CV x quantity).")
    returned_quantity: int = 0
    clawback: bool = Field(default=False, description="Volume to be taken back in a period.")
    # The unit prices of the line's price source (price list, else product) when it was placed,
    # in the order's currency: retail profit is computed from these, never today's catalog.
    retail_unit: int = Field(sa_type=sa.BigInteger())
    wholesale_unit: int = Field(sa_type=sa.BigInteger())
    # VAT as charged (backend.vat): prices include VAT; gross = amount.
    vat_category: VatCategory = Field(sa_type=sa.String(16))
    vat_rate_bp: int
    net: int = Field(sa_type=sa.BigInteger())
    vat: int = Field(sa_type=sa.BigInteger())
    gross: int = Field(sa_type=sa.BigInteger())


class OrderLinePublic(SQLModel):
    id: int
    line_no: int
    product_id: int
    sku: str
    quantity: int
    unit_price: int
    amount: int
    pv: int
    cv: int
    returned_quantity: int
    clawback: bool
    retail_unit: int = Field(description="Unit retail price of the price source, order currency.")
    wholesale_unit: int = Field(
        description="Unit wholesale price of the price source, order currency."
    )
    vat_category: VatCategory = Field(description='"exempt" prints as "Без НДС".')
    vat_rate_bp: int = Field(description="VAT rate in force on the order's date, basis points.")
    net: int = Field(description="gross - vat, minor units.")
    vat: int = Field(description="round_half_up(gross x rate / (10000 + rate)), minor units.")
    gross: int = Field(description="VAT-inclusive line amount (= amount), minor units.")


class OrderPublic(InMinorUnits):
    """An order; every amount in it and its lines is minor units of `currency`."""

    id: int
    distributor_id: int
    customer_id: int | None
    warehouse_id: int
    price_list_id: int | None
    status: OrderStatus
    currency: str
    total_amount: int
    total_pv: int
    total_cv: int
    total_net: int = Field(description="Sum of the lines' net, minor units.")
    total_vat: int = Field(description="Sum of the lines' VAT, minor units.")
    total_gross: int = Field(description="Sum of the lines' gross (= total_amount).")
    note: str | None
    created_by: int
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    cancelled_at: datetime | None
    returned_at: datetime | None
    lines: list[OrderLinePublic]


class OrdersPublic(SQLModel):
    items: list[OrderPublic]
    count: int


class PaymentIn(SQLModel):
    amount: int = Field(gt=0, le=MAX_ORDER_AMOUNT, description="Must equal the order total.")
    currency: Currency
    reference: str = Field(min_length=1, max_length=200, description="Bank or cash reference.")
    paid_at: UtcDatetime | None = Field(
        default=None,
        description="When the money arrived, with its offset (default now); sets the period.",
    )


class Payment(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("order_id"),
        sa.UniqueConstraint("recorded_by", "idempotency_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id")
    amount: int = Field(sa_type=sa.BigInteger())
    currency: str = Field(max_length=3)
    reference: str = Field(max_length=200)
    paid_at: datetime = Field(sa_type=UTCDateTime())
    idempotency_key: str | None = Field(default=None, max_length=200)
    recorded_by: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())


class PaymentPublic(InMinorUnits):
    id: int
    order_id: int
    amount: int
    currency: str
    reference: str
    paid_at: datetime
    recorded_by: int
    recorded_at: datetime


class ReturnLineIn(SQLModel):
    line_id: int = Field(gt=0, le=MAX_ID)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)


class ReturnIn(SQLModel):
    lines: list[ReturnLineIn] | None = Field(
        default=None, max_length=MAX_LINES, description="Default: every line in full."
    )
    reason: str = Field(min_length=1, max_length=500)


class CancelIn(SQLModel):
    reason: str = Field(min_length=1, max_length=500)
