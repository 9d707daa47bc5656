"""Orders and retail customers."""

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Response, status
from sqlmodel import Session

from backend.api.deps import (
    Authorized,
    CurrentUser,
    IdempotencyKey,
    IdPath,
    Limit,
    NowDep,
    Offset,
    OptionalId,
    OptionalTime,
    SettingsDep,
)
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES
from backend.core.model_base import OrderStatus
from backend.orders import customers
from backend.orders import queries as order_reads
from backend.orders import service as orders
from backend.orders.models import (
    CancelIn,
    Order,
    OrderCreate,
    OrderLine,
    OrderLinePublic,
    OrderPublic,
    OrdersPublic,
    PaymentIn,
    PaymentPublic,
    RetailCustomerCreate,
    RetailCustomerPublic,
    RetailCustomersPublic,
    ReturnIn,
)

router = APIRouter(tags=["orders"], dependencies=[Authorized], responses=ERROR_RESPONSES)
REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "A retry with the same Idempotency-Key: the first result."}
}


def _public(session: Session, order: Order) -> OrderPublic:
    assert order.id is not None
    return _with_lines(order, order_reads.lines_of(session, order.id))


def _with_lines(order: Order, rows: Sequence[OrderLine]) -> OrderPublic:
    lines = [OrderLinePublic.model_validate(line) for line in rows]
    totals = {
        "total_net": sum(line.net for line in lines),
        "total_vat": sum(line.vat for line in lines),
        "total_gross": sum(line.gross for line in lines),
    }
    return OrderPublic.model_validate(order, update={"lines": lines} | totals)


@router.get("/api/orders", response_model=OrdersPublic, summary="List orders")
def list_orders(
    session: SessionDep,
    user: CurrentUser,
    offset: Offset = 0,
    limit: Limit = 50,
    distributor_id: OptionalId = None,
    status: OrderStatus | None = None,
    paid_from: OptionalTime = None,
    paid_to: OptionalTime = None,
) -> OrdersPublic:
    items, count = order_reads.list_orders(
        session,
        actor=user,
        distributor_id=distributor_id,
        status=status,
        paid_from=paid_from,
        paid_to=paid_to,
        offset=offset,
        limit=limit,
    )
    lines = order_reads.lines_for(session, [o.id for o in items if o.id is not None])
    return OrdersPublic(items=[_with_lines(o, lines[o.id or 0]) for o in items], count=count)


@router.post(
    "/api/orders",
    response_model=OrderPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Place an order; its stock is reserved",
    responses=REPLAY,
)
def place_order(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    data: OrderCreate,
    response: Response,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> OrderPublic:
    order, created = orders.place_order(
        session,
        data,
        actor=user,
        idempotency_key=idempotency_key,
        default_threshold=settings.low_stock_default,
        now=now,
        vat_country=settings.vat_country,
        vat_exempt=settings.vat_exempt,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return _public(session, order)


@router.get("/api/orders/{order_id}", response_model=OrderPublic, summary="One order")
def read_order(session: SessionDep, user: CurrentUser, order_id: IdPath) -> OrderPublic:
    return _public(session, order_reads.get_order(session, order_id, actor=user))


@router.post(
    "/api/orders/{order_id}/payment",
    response_model=PaymentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Record the payment (finance); its date sets the period the order counts in",
    responses=REPLAY,
)
def pay_order(
    session: SessionDep,
    user: CurrentUser,
    order_id: IdPath,
    data: PaymentIn,
    now: NowDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> PaymentPublic:
    payment, created = orders.pay_order(
        session, order_id, data, actor=user, idempotency_key=idempotency_key, now=now
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return PaymentPublic.model_validate(payment)


@router.post(
    "/api/orders/{order_id}/shipment",
    response_model=OrderPublic,
    summary="Ship a paid order (its reservation leaves the warehouse)",
)
def ship_order(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, order_id: IdPath, now: NowDep
) -> OrderPublic:
    order = orders.ship_order(
        session, order_id, actor=user, now=now, default_threshold=settings.low_stock_default
    )
    return _public(session, order)


@router.post(
    "/api/orders/{order_id}/cancellation",
    response_model=OrderPublic,
    summary="Cancel an unshipped order (stock released; a paid one is clawed back)",
)
def cancel_order(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    order_id: IdPath,
    data: CancelIn,
    now: NowDep,
) -> OrderPublic:
    order = orders.cancel_order(
        session,
        order_id,
        data,
        actor=user,
        now=now,
        default_threshold=settings.low_stock_default,
    )
    return _public(session, order)


@router.post(
    "/api/orders/{order_id}/return",
    response_model=OrderPublic,
    summary="Goods come back: stock returns, the lines are marked for clawback",
)
def return_order(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    order_id: IdPath,
    data: ReturnIn,
    now: NowDep,
) -> OrderPublic:
    order = orders.return_order(
        session,
        order_id,
        data,
        actor=user,
        now=now,
        default_threshold=settings.low_stock_default,
    )
    return _public(session, order)


@router.get("/api/customers", response_model=RetailCustomersPublic, summary="Retail customers")
def list_customers(
    session: SessionDep, user: CurrentUser, offset: Offset = 0, limit: Limit = 50
) -> RetailCustomersPublic:
    items, count = customers.list_customers(session, actor=user, offset=offset, limit=limit)
    return RetailCustomersPublic(
        items=[RetailCustomerPublic.model_validate(c) for c in items], count=count
    )


@router.post(
    "/api/customers",
    response_model=RetailCustomerPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Add a retail customer",
)
def create_customer(
    session: SessionDep, user: CurrentUser, data: RetailCustomerCreate, now: NowDep
) -> RetailCustomerPublic:
    created = customers.create_customer(session, data, actor=user, now=now)
    return RetailCustomerPublic.model_validate(created)


@router.get(
    "/api/customers/{customer_id}",
    response_model=RetailCustomerPublic,
    summary="One retail customer",
)
def read_customer(
    session: SessionDep, user: CurrentUser, customer_id: IdPath
) -> RetailCustomerPublic:
    return RetailCustomerPublic.model_validate(
        customers.get_customer(session, customer_id, actor=user)
    )
