"""Warehouses and stock: an append-only movement journal; levels are sums over it.

Each movement carries its effect on `on_hand` and on `reserved`; `available = on_hand -
reserved`. A movement is a write unit (`begin_write`: the write lock on SQLite) that locks its
(warehouse, product) row, reads the running levels kept on it, and writes the movement and the
new levels together, so no sequence of movements, concurrent or not, drives any of the three
below zero; a movement that would is refused with 409 and the shortfall. The row's CHECKs
(on_hand >= 0, 0 <= reserved <= on_hand) are the last line.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.admin_log import service as admin_log
from backend.catalog.models import Product
from backend.core.db import begin_write
from backend.core.errors import Conflict, Invalid, NotFound
from backend.core.model_base import MovementKind, now_utc
from backend.stock.models import (
    StockItem,
    StockLevel,
    StockMovement,
    Warehouse,
    WarehouseCreate,
    WarehouseUpdate,
)


class InsufficientStock(Conflict):
    code = "insufficient_stock"


@dataclass(frozen=True)
class Levels:
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def create_warehouse(session: Session, data: WarehouseCreate) -> Warehouse:
    if session.exec(select(Warehouse.id).where(Warehouse.code == data.code)).first() is not None:
        raise Conflict(f"warehouse code {data.code} exists")
    warehouse = Warehouse.model_validate(data)
    session.add(warehouse)
    session.commit()
    return warehouse


def update_warehouse(session: Session, warehouse_id: int, data: WarehouseUpdate) -> Warehouse:
    warehouse = get_warehouse(session, warehouse_id)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None or changes.get("active", True) is None:
        raise Invalid("name and active cannot be null")
    warehouse.sqlmodel_update(changes)
    session.add(warehouse)
    session.commit()
    return warehouse


def get_warehouse(session: Session, warehouse_id: int) -> Warehouse:
    warehouse = session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound(f"warehouse {warehouse_id} not found")
    return warehouse


def list_warehouses(session: Session, *, offset: int, limit: int) -> tuple[list[Warehouse], int]:
    total = session.exec(select(func.count()).select_from(Warehouse)).one()
    items = session.exec(select(Warehouse).order_by(col(Warehouse.id)).offset(offset).limit(limit))
    return list(items), total


def active_warehouses(session: Session, *, country: str | None) -> list[Warehouse]:
    """The active warehouses in ``country`` (by id), or every active one when it has none or
    no country is given: where a partner there may have an order shipped from."""
    query = select(Warehouse).where(Warehouse.active == True).order_by(col(Warehouse.id))  # noqa: E712
    houses = list(session.exec(query))
    local = [house for house in houses if country is not None and house.country == country]
    return local or houses


def available_in(
    session: Session, warehouse_ids: list[int], product_ids: list[int]
) -> dict[tuple[int, int], int]:
    """Available (on hand minus reserved) per (warehouse, product), from the running levels
    each movement keeps on its stock row; a pair that never had stock is absent (0)."""
    if not warehouse_ids or not product_ids:
        return {}
    rows = session.exec(
        select(StockItem).where(
            col(StockItem.warehouse_id).in_(warehouse_ids),
            col(StockItem.product_id).in_(product_ids),
        )
    )
    return {(row.warehouse_id, row.product_id): row.on_hand - row.reserved for row in rows}


def levels(session: Session, warehouse_id: int, product_id: int) -> Levels:
    on_hand, reserved = session.exec(
        select(
            func.coalesce(func.sum(StockMovement.on_hand_delta), 0),
            func.coalesce(func.sum(StockMovement.reserved_delta), 0),
        ).where(StockMovement.warehouse_id == warehouse_id, StockMovement.product_id == product_id)
    ).one()
    return Levels(on_hand=int(on_hand), reserved=int(reserved))


def move(
    session: Session,
    *,
    warehouse_id: int,
    product_id: int,
    kind: MovementKind,
    quantity: int,
    actor_id: int | None,
    default_threshold: int,
    reason: str | None = None,
    order_id: int | None = None,
    transfer_ref: str | None = None,
    adjustment: int | None = None,
    now: datetime | None = None,
) -> StockMovement:
    """Append one movement inside the caller's transaction (no commit)."""
    if quantity <= 0:
        raise Invalid("quantity must be positive")
    begin_write(session)
    warehouse = get_warehouse(session, warehouse_id)
    if session.get(Product, product_id) is None:
        raise NotFound(f"product {product_id} not found")
    inbound = kind in (MovementKind.receipt, MovementKind.transfer_in, MovementKind.return_)
    if inbound and not warehouse.active:
        raise Conflict(f"warehouse {warehouse_id} is inactive")
    item = _lock_item(session, warehouse_id, product_id, default_threshold)
    on_hand_delta, reserved_delta = _effect(
        kind, quantity, adjustment, for_order=order_id is not None
    )
    current = Levels(item.on_hand, item.reserved)
    after = Levels(current.on_hand + on_hand_delta, current.reserved + reserved_delta)
    _check_not_negative(current, after, warehouse_id, product_id, kind, quantity)
    item.on_hand, item.reserved = after.on_hand, after.reserved
    session.add(item)
    movement = StockMovement(
        warehouse_id=warehouse_id,
        product_id=product_id,
        kind=kind,
        quantity=quantity,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        reason=reason,
        order_id=order_id,
        transfer_ref=transfer_ref,
        created_by=actor_id,
        created_at=now or now_utc(),
    )
    session.add(movement)
    session.flush()
    if kind == MovementKind.adjustment:
        admin_log.stock_adjusted(session, movement)
    return movement


def record(session: Session, **kwargs: Any) -> StockMovement:
    """`move` as a whole request: commits."""
    movement = move(session, **kwargs)
    session.commit()
    return movement


def transfer(
    session: Session,
    *,
    from_id: int,
    to_id: int,
    product_id: int,
    quantity: int,
    reason: str | None,
    actor_id: int,
    default_threshold: int,
) -> list[StockMovement]:
    if from_id == to_id:
        raise Invalid("a transfer needs two different warehouses")
    begin_write(session)
    get_warehouse(session, to_id)
    ref = str(uuid.uuid4())
    # Lock both rows in id order so two opposite transfers cannot deadlock.
    for warehouse_id in sorted((from_id, to_id)):
        _lock_item(session, warehouse_id, product_id, default_threshold)
    moved = [
        move(
            session,
            warehouse_id=warehouse_id,
            kind=kind,
            product_id=product_id,
            quantity=quantity,
            reason=reason,
            actor_id=actor_id,
            default_threshold=default_threshold,
            transfer_ref=ref,
        )
        for warehouse_id, kind in (
            (from_id, MovementKind.transfer_out),
            (to_id, MovementKind.transfer_in),
        )
    ]
    session.commit()
    return moved


def set_threshold(
    session: Session, warehouse_id: int, product_id: int, threshold: int
) -> StockLevel:
    begin_write(session)
    get_warehouse(session, warehouse_id)
    if session.get(Product, product_id) is None:
        raise NotFound(f"product {product_id} not found")
    item = _lock_item(session, warehouse_id, product_id, threshold)
    item.low_stock_threshold = threshold
    session.add(item)
    session.commit()
    return level_rows(session, warehouse_id=warehouse_id, product_id=product_id)[0]


def level_rows(
    session: Session,
    *,
    warehouse_id: int | None = None,
    product_id: int | None = None,
    low_only: bool = False,
) -> list[StockLevel]:
    sums = (
        select(
            StockMovement.warehouse_id,
            StockMovement.product_id,
            func.sum(StockMovement.on_hand_delta).label("on_hand"),
            func.sum(StockMovement.reserved_delta).label("reserved"),
        )
        .group_by(col(StockMovement.warehouse_id), col(StockMovement.product_id))
        .subquery()
    )
    on_hand = func.coalesce(sums.c.on_hand, 0)
    reserved = func.coalesce(sums.c.reserved, 0)
    query = (
        select(StockItem, Product.sku, on_hand, reserved)
        .join(Product, col(Product.id) == StockItem.product_id)
        .outerjoin(
            sums,
            (sums.c.warehouse_id == StockItem.warehouse_id)
            & (sums.c.product_id == StockItem.product_id),
        )
    )
    if warehouse_id is not None:
        query = query.where(StockItem.warehouse_id == warehouse_id)
    if product_id is not None:
        query = query.where(StockItem.product_id == product_id)
    if low_only:
        query = query.where(on_hand - reserved < StockItem.low_stock_threshold)
    query = query.order_by(col(StockItem.warehouse_id), col(StockItem.product_id))
    return [
        StockLevel(
            warehouse_id=item.warehouse_id,
            product_id=item.product_id,
            sku=sku,
            on_hand=int(hand),
            reserved=int(held),
            available=int(hand) - int(held),
            low_stock_threshold=item.low_stock_threshold,
        )
        for item, sku, hand, held in session.exec(query)
    ]


def movements(
    session: Session, *, warehouse_id: int, product_id: int | None, offset: int, limit: int
) -> tuple[list[StockMovement], int]:
    get_warehouse(session, warehouse_id)
    query = select(StockMovement).where(StockMovement.warehouse_id == warehouse_id)
    if product_id is not None:
        query = query.where(StockMovement.product_id == product_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(query.order_by(col(StockMovement.id)).offset(offset).limit(limit))
    return list(items), total


def _effect(
    kind: MovementKind, quantity: int, adjustment: int | None, *, for_order: bool
) -> tuple[int, int]:
    match kind:
        case MovementKind.receipt | MovementKind.transfer_in | MovementKind.return_:
            return quantity, 0
        case MovementKind.shipment:
            # An order ships what it reserved; a shipment without an order needs free stock.
            return -quantity, -quantity if for_order else 0
        case MovementKind.transfer_out:
            return -quantity, 0
        case MovementKind.reservation:
            return 0, quantity
        case MovementKind.release:
            return 0, -quantity
        case MovementKind.adjustment:
            if adjustment is None or adjustment == 0 or abs(adjustment) != quantity:
                raise Invalid("an adjustment needs a non-zero signed delta")
            return adjustment, 0
    raise Invalid(f"unknown movement kind {kind}")


def _check_not_negative(
    current: Levels,
    after: Levels,
    warehouse_id: int,
    product_id: int,
    kind: MovementKind,
    quantity: int,
) -> None:
    if after.reserved < 0:
        raise Conflict(
            f"cannot release {quantity}: only {current.reserved} reserved",
            details={
                "warehouse_id": warehouse_id,
                "product_id": product_id,
                "reserved": current.reserved,
                "requested": quantity,
            },
        )
    if after.on_hand < 0 or after.available < 0:
        shortfall = max(-after.on_hand, -after.available)
        raise InsufficientStock(
            f"not enough stock for {kind.value} of {quantity}: short by {shortfall}",
            details={
                "warehouse_id": warehouse_id,
                "product_id": product_id,
                "requested": quantity,
                "on_hand": current.on_hand,
                "available": current.available,
                "shortfall": shortfall,
            },
        )


def _lock_item(
    session: Session, warehouse_id: int, product_id: int, default_threshold: int
) -> StockItem:
    query = (
        select(StockItem)
        .where(StockItem.warehouse_id == warehouse_id, StockItem.product_id == product_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    item = session.exec(query).first()
    if item is None:
        item = StockItem(
            warehouse_id=warehouse_id, product_id=product_id, low_stock_threshold=default_threshold
        )
        session.add(item)
        session.flush()
    return item
