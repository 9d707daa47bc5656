"""Order reads: one order, filtered lists, their lines (a distributor sees only their own)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core.errors import Forbidden, NotFound
from backend.core.model_base import OrderStatus
from backend.genealogy.access import is_distributor, own_distributor
from backend.orders.models import Order, OrderLine


def get_order(session: Session, order_id: int, *, actor: User) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"order {order_id} not found")
    if is_distributor(actor) and order.distributor_id != own_distributor(session, actor).id:
        raise Forbidden("not your order", code="out_of_scope")
    return order


def list_orders(
    session: Session,
    *,
    actor: User,
    distributor_id: int | None,
    status: OrderStatus | None,
    paid_from: datetime | None,
    paid_to: datetime | None,
    offset: int,
    limit: int,
    newest_first: bool = False,
) -> tuple[list[Order], int]:
    query = select(Order)
    if is_distributor(actor):
        query = query.where(Order.distributor_id == own_distributor(session, actor).id)
    if distributor_id is not None:
        query = query.where(Order.distributor_id == distributor_id)
    if status is not None:
        query = query.where(Order.status == status)
    if paid_from is not None:
        query = query.where(col(Order.paid_at) >= paid_from)
    if paid_to is not None:
        query = query.where(col(Order.paid_at) < paid_to)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = col(Order.id).desc() if newest_first else col(Order.id)
    items = session.exec(query.order_by(order).offset(offset).limit(limit)).all()
    return list(items), total


def lines_of(session: Session, order_id: int) -> list[OrderLine]:
    return list(
        session.exec(
            select(OrderLine).where(OrderLine.order_id == order_id).order_by(col(OrderLine.line_no))
        )
    )


def lines_for(session: Session, order_ids: list[int]) -> dict[int, list[OrderLine]]:
    grouped: dict[int, list[OrderLine]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        query = (
            select(OrderLine)
            .where(col(OrderLine.order_id).in_(order_ids))
            .order_by(col(OrderLine.order_id), col(OrderLine.line_no))
        )
        for line in session.exec(query):
            grouped[line.order_id].append(line)
    return grouped
