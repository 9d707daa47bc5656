"""The warehouse's view of orders: the pick list (paid orders of a warehouse waiting to ship,
with what to pick) and one order as the person who ships it reads it. Shipping itself is
`service.ship_order`, as for `POST /api/orders/{id}/shipment`.

Products carry no storage bin yet, so a pick line names the product, its SKU and the
quantity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.catalog.models import Product
from backend.core.model_base import OrderStatus
from backend.genealogy.models import Distributor
from backend.orders import queries
from backend.orders.models import Order, OrderLine, RetailCustomer
from backend.orders.shop import OrderDetail, order_detail

PICKLIST_LIMIT = 200
_Row = TypeVar("_Row", Product, Distributor, RetailCustomer)


@dataclass(frozen=True)
class PickOrder:
    order: Order
    distributor: Distributor
    customer: RetailCustomer | None
    lines: list[tuple[OrderLine, Product]]


def picklist(session: Session, warehouse_id: int) -> tuple[list[PickOrder], int]:
    """The warehouse's paid, unshipped orders, the longest waiting first (at most
    PICKLIST_LIMIT of them), and how many there are in all."""
    waiting = select(Order).where(
        Order.warehouse_id == warehouse_id, Order.status == OrderStatus.paid
    )
    orders = list(
        session.exec(waiting.order_by(col(Order.paid_at), col(Order.id)).limit(PICKLIST_LIMIT))
    )
    total = len(orders)
    if total == PICKLIST_LIMIT:
        total = session.exec(select(func.count()).select_from(waiting.subquery())).one()
    lines = queries.lines_for(session, [o.id for o in orders if o.id is not None])
    product_ids = {line.product_id for group in lines.values() for line in group}
    products = _by_id(session, Product, product_ids)
    partners = _by_id(session, Distributor, {o.distributor_id for o in orders})
    buyers = _by_id(session, RetailCustomer, {o.customer_id for o in orders if o.customer_id})
    return [
        PickOrder(
            order=order,
            distributor=partners[order.distributor_id],
            customer=buyers.get(order.customer_id) if order.customer_id else None,
            lines=[(line, products[line.product_id]) for line in lines[order.id or 0]],
        )
        for order in orders
    ], total


@dataclass(frozen=True)
class ShippingView:
    detail: OrderDetail
    distributor: Distributor


def order_to_ship(session: Session, order_id: int, *, actor: User) -> ShippingView:
    """One order with its lines, payment, customer and partner (`shop.order_detail`'s reading,
    whose scope rules apply)."""
    detail = order_detail(session, order_id, actor=actor)
    partner = session.get(Distributor, detail.order.distributor_id)
    assert partner is not None
    return ShippingView(detail, partner)


def _by_id(session: Session, model: type[_Row], ids: set[int]) -> dict[int, _Row]:
    if not ids:
        return {}
    rows = session.exec(select(model).where(col(model.id).in_(ids)))
    return {row.id: row for row in rows if row.id is not None}
