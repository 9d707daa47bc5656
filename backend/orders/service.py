"""Orders: placement (stock reserved), payment (finance), shipment, cancellation, return.

State: placed -> paid -> shipped -> returned, and placed|paid -> cancelled. An order's volume
counts in the period containing its `paid_at`; cancelling a paid order or returning goods marks
the lines `clawback`, so the period engine takes that volume back. Every money figure is an
integer in minor units and every volume integer points. A new order is checked and priced in
`pricing`; this module writes it and runs its life cycle.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core.db import begin_write
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.model_base import MovementKind, OrderStatus, VatCategory
from backend.genealogy.access import is_distributor, own_distributor
from backend.orders import pricing
from backend.orders.models import (
    CancelIn,
    Order,
    OrderCreate,
    OrderLine,
    Payment,
    PaymentIn,
    ReturnIn,
)
from backend.orders.pricing import PricedLine
from backend.orders.queries import lines_of
from backend.periods.models import LOCKED as LOCKED_PERIOD_STATES
from backend.periods.models import Period
from backend.stock import service as stock
from backend.training import service as training
from backend.training.models import Task
from backend.vat import service as vat

CLOCK_SKEW = timedelta(minutes=5)


def request_hash(data: OrderCreate) -> str:
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def place_order(
    session: Session,
    data: OrderCreate,
    *,
    actor: User,
    idempotency_key: str | None,
    default_threshold: int,
    now: datetime,
    vat_country: str = "RU",
    vat_exempt: bool = False,
) -> tuple[Order, bool]:
    """The order and whether it was created now (False: a retry of the same request).

    Each line stores its VAT split (`backend.vat.service`) at the rate in force in
    ``vat_country`` on the order's date; an exempt seller puts every line in "exempt"."""
    digest = request_hash(data)
    if idempotency_key is not None:
        earlier = _by_key(session, actor, idempotency_key)
        if earlier is not None:
            if earlier.request_hash != digest:
                raise Conflict(
                    "this Idempotency-Key was used for a different order",
                    code="idempotency_key_reused",
                )
            return earlier, False
    distributor = pricing.ordering_distributor(session, data, actor)
    customer = pricing.retail_customer(session, data.customer_id, distributor)
    warehouse = stock.get_warehouse(session, data.warehouse_id)
    if not warehouse.active:
        raise Conflict(f"warehouse {warehouse.id} is inactive")
    priced = pricing.price_lines(session, data, retail=customer is not None)
    currency = pricing.order_currency(session, data, priced)
    splits = _vat_splits(session, priced, now, country=vat_country, exempt=vat_exempt)
    assert actor.id is not None and distributor.id is not None
    order = Order(
        distributor_id=distributor.id,
        customer_id=customer.id if customer else None,
        warehouse_id=data.warehouse_id,
        price_list_id=data.price_list_id,
        currency=currency,
        total_amount=sum(x.unit * x.quantity for x in priced),
        total_pv=sum(x.product.pv * x.quantity for x in priced),
        total_cv=sum(x.product.cv * x.quantity for x in priced),
        note=data.note,
        idempotency_key=idempotency_key,
        request_hash=digest,
        created_by=actor.id,
        created_at=now,
    )
    session.add(order)
    try:
        session.flush()
    except IntegrityError:
        # Another request with the same key won the race: answer with its order.
        session.rollback()
        if idempotency_key is not None:
            earlier = _by_key(session, actor, idempotency_key)
            if earlier is not None and earlier.request_hash == digest:
                return earlier, False
        raise
    assert order.id is not None
    for line_no, (line, tax) in enumerate(zip(priced, splits, strict=True), start=1):
        product, quantity = line.product, line.quantity
        assert product.id is not None
        session.add(
            OrderLine(
                order_id=order.id,
                line_no=line_no,
                product_id=product.id,
                sku=product.sku,
                quantity=quantity,
                unit_price=line.unit,
                amount=line.unit * quantity,
                pv=product.pv * quantity,
                cv=product.cv * quantity,
                retail_unit=line.retail_unit,
                wholesale_unit=line.wholesale_unit,
                vat_category=tax.category,
                vat_rate_bp=tax.rate_bp,
                net=tax.net,
                vat=tax.vat,
                gross=tax.gross,
            )
        )
    for product, _unit, quantity, _retail, _wholesale in sorted(priced, key=_by_product):
        assert product.id is not None
        stock.move(
            session,
            warehouse_id=order.warehouse_id,
            product_id=product.id,
            kind=MovementKind.reservation,
            quantity=quantity,
            actor_id=actor.id,
            order_id=order.id,
            default_threshold=default_threshold,
            now=now,
        )
    session.commit()
    return order, True


def pay_order(
    session: Session,
    order_id: int,
    data: PaymentIn,
    *,
    actor: User,
    idempotency_key: str | None,
    now: datetime,
) -> tuple[Payment, bool]:
    """The payment and whether it was recorded now (False: a replay of the same key, answered
    with the first payment however many replays race it)."""
    # The order's lock first, then the key: a replay that waited for the first payment's lock
    # then finds its payment instead of an order that is no longer awaiting one.
    order = _locked_order(session, order_id)
    if idempotency_key is not None:
        earlier = _payment_by_key(session, actor, idempotency_key, order_id)
        if earlier is not None:
            return earlier, False
    if order.status != OrderStatus.placed:
        raise Conflict(f"order {order_id} is {order.status}, not awaiting payment")
    if data.currency != order.currency or data.amount != order.total_amount:
        raise Invalid(
            f"payment must be {order.total_amount} {order.currency}",
            details={"expected_amount": order.total_amount, "expected_currency": order.currency},
        )
    paid_at = data.paid_at or now
    if paid_at.tzinfo is None:
        raise Invalid("paid_at needs a timezone (e.g. 2026-01-31T12:00:00Z)")
    if paid_at > now + CLOCK_SKEW:
        raise Invalid("paid_at is in the future")
    if paid_at < order.created_at - CLOCK_SKEW:
        raise Invalid("paid_at is before the order was placed")
    _refuse_closed_period(session, paid_at)
    assert actor.id is not None
    payment = Payment(
        order_id=order_id,
        amount=data.amount,
        currency=data.currency,
        reference=data.reference,
        paid_at=paid_at,
        idempotency_key=idempotency_key,
        recorded_by=actor.id,
        recorded_at=now,
    )
    order.status = OrderStatus.paid
    order.paid_at = paid_at
    session.add(payment)
    session.add(order)
    try:
        session.flush()
    except IntegrityError:
        # The unique (recorded_by, idempotency_key) caught a replay that no lock serialised.
        session.rollback()
        earlier = (
            _payment_by_key(session, actor, idempotency_key, order_id)
            if idempotency_key is not None
            else None
        )
        if earlier is None:
            raise
        return earlier, False
    if order.customer_id is None:  # the distributor's own order, not a retail sale
        training.record_fact(session, order.distributor_id, Task.first_order, now=now)
    session.commit()
    return payment, True


def _payment_by_key(session: Session, actor: User, key: str, order_id: int) -> Payment | None:
    earlier = session.exec(
        select(Payment).where(Payment.recorded_by == actor.id, Payment.idempotency_key == key)
    ).first()
    if earlier is not None and earlier.order_id != order_id:
        raise Conflict(
            "this Idempotency-Key was used for another order's payment",
            code="idempotency_key_reused",
        )
    return earlier


def ship_order(
    session: Session, order_id: int, *, actor: User, now: datetime, default_threshold: int
) -> Order:
    order = _locked_order(session, order_id)
    if order.status != OrderStatus.paid:
        raise Conflict(f"order {order_id} is {order.status}; only paid orders ship")
    for line in sorted(lines_of(session, order_id), key=_line_product):
        stock.move(
            session,
            warehouse_id=order.warehouse_id,
            product_id=line.product_id,
            kind=MovementKind.shipment,
            quantity=line.quantity,
            actor_id=actor.id,
            order_id=order_id,
            default_threshold=default_threshold,
            now=now,
        )
    order.status = OrderStatus.shipped
    order.shipped_at = now
    session.add(order)
    session.commit()
    return order


def cancel_order(
    session: Session,
    order_id: int,
    data: CancelIn,
    *,
    actor: User,
    now: datetime,
    default_threshold: int,
) -> Order:
    order = _locked_order(session, order_id)
    if is_distributor(actor):
        if order.distributor_id != own_distributor(session, actor).id:
            raise Forbidden("not your order", code="out_of_scope")
        if order.status != OrderStatus.placed:
            raise Conflict("a paid order is cancelled by the company, not the distributor")
    if order.status not in (OrderStatus.placed, OrderStatus.paid):
        raise Conflict(f"order {order_id} is {order.status}; it can no longer be cancelled")
    was_paid = order.status == OrderStatus.paid
    for line in sorted(lines_of(session, order_id), key=_line_product):
        stock.move(
            session,
            warehouse_id=order.warehouse_id,
            product_id=line.product_id,
            kind=MovementKind.release,
            quantity=line.quantity,
            actor_id=actor.id,
            order_id=order_id,
            reason=data.reason,
            default_threshold=default_threshold,
            now=now,
        )
        if was_paid:
            line.clawback = True
            session.add(line)
    order.status = OrderStatus.cancelled
    order.cancelled_at = now
    order.note = _append_note(order.note, f"cancelled: {data.reason}")
    session.add(order)
    session.commit()
    return order


def return_order(
    session: Session,
    order_id: int,
    data: ReturnIn,
    *,
    actor: User,
    now: datetime,
    default_threshold: int,
) -> Order:
    order = _locked_order(session, order_id)
    if order.status != OrderStatus.shipped:
        raise Conflict(f"order {order_id} is {order.status}; only shipped goods come back")
    lines = {line.id: line for line in lines_of(session, order_id)}
    wanted = (
        {line_id: line.quantity - line.returned_quantity for line_id, line in lines.items()}
        if data.lines is None
        else {}
    )
    for item in data.lines or []:
        if item.line_id not in lines:
            raise NotFound(f"order {order_id} has no line {item.line_id}")
        wanted[item.line_id] = wanted.get(item.line_id, 0) + item.quantity
    for line_id, quantity in sorted(wanted.items(), key=lambda item: lines[item[0]].product_id):
        line = lines[line_id]
        if quantity <= 0:
            continue
        if line.returned_quantity + quantity > line.quantity:
            raise Conflict(
                f"line {line_id}: {quantity} returned exceeds the "
                f"{line.quantity - line.returned_quantity} still out"
            )
        stock.move(
            session,
            warehouse_id=order.warehouse_id,
            product_id=line.product_id,
            kind=MovementKind.return_,
            quantity=quantity,
            actor_id=actor.id,
            order_id=order_id,
            reason=data.reason,
            default_threshold=default_threshold,
            now=now,
        )
        line.returned_quantity += quantity
        line.clawback = True
        session.add(line)
    if not any(quantity > 0 for quantity in wanted.values()):
        raise Conflict(f"order {order_id} has nothing left to return")
    if all(line.returned_quantity == line.quantity for line in lines.values()):
        order.status = OrderStatus.returned
    order.returned_at = now
    order.note = _append_note(order.note, f"returned: {data.reason}")
    session.add(order)
    session.commit()
    return order


def _vat_splits(
    session: Session, priced: list[PricedLine], now: datetime, *, country: str, exempt: bool
) -> list[vat.VatSplit]:
    """Each line's VAT at the rate in force on the order's date (refused when none is)."""
    day = vat.order_day(now)
    rates: dict[VatCategory, int] = {}
    splits = []
    for line in priced:
        category = VatCategory.exempt if exempt else VatCategory(line.product.vat_category)
        if category not in rates:
            rates[category] = vat.rate_in_force(session, country, category, day)
        splits.append(vat.split(line.unit * line.quantity, category, rates[category]))
    return splits


def _by_key(session: Session, actor: User, key: str) -> Order | None:
    return session.exec(
        select(Order).where(Order.created_by == actor.id, Order.idempotency_key == key)
    ).first()


# Stock rows are locked in product order whatever the order of the lines: two orders holding
# the same products in another order would otherwise deadlock (PostgreSQL aborts one).
def _by_product(priced: PricedLine) -> int:
    return priced[0].id or 0


def _line_product(line: OrderLine) -> int:
    return line.product_id


def _locked_order(session: Session, order_id: int) -> Order:
    """The order, read afresh under the write discipline (row lock on PostgreSQL, the write
    lock on SQLite): status checks made on it hold until the commit."""
    begin_write(session)
    query = select(Order).where(Order.id == order_id).with_for_update()
    order = session.exec(query.execution_options(populate_existing=True)).first()
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order


def _append_note(note: str | None, text: str) -> str:
    combined = f"{note}\n{text}" if note else text
    return combined[-1000:]


def _refuse_closed_period(session: Session, paid_at: datetime) -> None:
    """A payment dated inside an approved period would never be counted: that period's inputs
    are locked. Refuse it, so finance records it with a date in an open period instead."""
    day = (paid_at.astimezone(UTC).date() - date(1970, 1, 1)).days
    closed = session.exec(
        select(Period.id).where(
            Period.start_day <= day,
            Period.end_day >= day,
            col(Period.status).in_(list(LOCKED_PERIOD_STATES)),
        )
    ).first()
    if closed is not None:
        raise Conflict(
            f"paid_at falls in period {closed}, which is already approved; "
            "record the payment with a date in an open period",
            code="period_closed",
            details={"period_id": closed},
        )
