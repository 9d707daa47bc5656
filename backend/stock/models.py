"""Warehouses and the append-only stock movement journal; levels are sums over it, kept
running on each (warehouse, product) row."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.model_base import MovementKind, UTCDateTime, check_in, now_utc
from backend.core.types import MAX_ID, CountryCode, ShortText, WarehouseCode

MAX_QUANTITY = 10**9


class WarehouseBase(SQLModel):
    code: WarehouseCode = Field(max_length=32)
    name: ShortText = Field(max_length=200)
    country: CountryCode | None = Field(default=None, max_length=2)
    address: str | None = Field(
        default=None, max_length=300, description="Where goods ship from (the UPD's shipper)."
    )
    active: bool = True


class WarehouseCreate(WarehouseBase):
    pass


class WarehouseUpdate(SQLModel):
    name: ShortText | None = Field(default=None, max_length=200)
    country: CountryCode | None = Field(default=None, max_length=2)
    address: str | None = Field(default=None, max_length=300)
    active: bool | None = None


class Warehouse(WarehouseBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    created_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())


class WarehousePublic(WarehouseBase):
    id: int
    created_at: datetime


class WarehousesPublic(SQLModel):
    items: list[WarehousePublic]
    count: int


class StockItem(SQLModel, table=True):
    """One (warehouse, product) pair: its low-stock threshold, the row that concurrent
    movements lock, and the running levels (the journal's sums, kept in the same transaction as
    each movement) whose CHECKs refuse negative stock even if a service got it wrong."""

    __tablename__ = "stock_item"
    __table_args__ = (
        sa.CheckConstraint("on_hand >= 0", name="on_hand_nonnegative"),
        sa.CheckConstraint("reserved >= 0", name="reserved_nonnegative"),
        sa.CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    warehouse_id: int = Field(primary_key=True, foreign_key="warehouse.id")
    product_id: int = Field(primary_key=True, foreign_key="product.id")
    low_stock_threshold: int = Field(default=0, ge=0)
    on_hand: int = Field(
        default=0, sa_type=sa.BigInteger(), sa_column_kwargs={"server_default": "0"}
    )
    reserved: int = Field(
        default=0, sa_type=sa.BigInteger(), sa_column_kwargs={"server_default": "0"}
    )


class StockMovement(SQLModel, table=True):
    __tablename__ = "stock_movement"
    __table_args__ = (
        sa.CheckConstraint(check_in("kind", MovementKind), name="kind"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.Index("ix_stock_movement_warehouse_id_product_id", "warehouse_id", "product_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouse.id")
    product_id: int = Field(foreign_key="product.id")
    kind: MovementKind = Field(sa_type=sa.String(16))
    quantity: int = Field(description="Always positive; the kind gives the direction.")
    on_hand_delta: int
    reserved_delta: int
    reason: str | None = Field(default=None, max_length=500)
    order_id: int | None = Field(default=None, foreign_key="sales_order.id", index=True)
    transfer_ref: str | None = Field(default=None, max_length=36)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())


class StockMovementPublic(SQLModel):
    id: int
    warehouse_id: int
    product_id: int
    kind: MovementKind
    quantity: int
    on_hand_delta: int
    reserved_delta: int
    reason: str | None
    order_id: int | None
    transfer_ref: str | None
    created_by: int | None
    created_at: datetime


class StockMovementsPublic(SQLModel):
    items: list[StockMovementPublic]
    count: int


class ReceiptIn(SQLModel):
    product_id: int = Field(gt=0, le=MAX_ID)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    reason: str | None = Field(default=None, max_length=500)


class ShipmentIn(ReceiptIn):
    pass


class AdjustmentIn(SQLModel):
    product_id: int = Field(gt=0, le=MAX_ID)
    delta: int = Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY, description="Signed, not zero.")
    reason: str = Field(min_length=1, max_length=500)


class TransferIn(SQLModel):
    product_id: int = Field(gt=0, le=MAX_ID)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    to_warehouse_id: int = Field(gt=0, le=MAX_ID)
    reason: str | None = Field(default=None, max_length=500)


class ReservationIn(ReceiptIn):
    pass


class ThresholdIn(SQLModel):
    low_stock_threshold: int = Field(ge=0, le=MAX_QUANTITY)


class StockLevel(SQLModel):
    warehouse_id: int
    product_id: int
    sku: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int


class StockLevels(SQLModel):
    items: list[StockLevel]
    count: int
