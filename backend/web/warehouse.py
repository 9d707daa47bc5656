"""The warehouse office: stock per warehouse with its low rows and thresholds, the movement
forms (receipt, shipment, transfer, adjustment, reservation, release), the movement journal
and its CSV, the pick list of paid orders and one order with its "Ship" button.

Each handler parses (`warehouse_forms`), calls the stock or orders service the JSON API calls
for the same action (`backend/api/routes/warehouses.py`, `orders.py`), renders; a refusal of
the service is shown in words next to the form that caused it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlmodel import Session

from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.db import SessionDep
from backend.core.errors import AppError, NotFound
from backend.core.model_base import Language, MovementKind, Role
from backend.documents import service as documents
from backend.orders import picking
from backend.orders import service as orders
from backend.stock import office
from backend.stock import service as stock
from backend.stock.models import (
    MAX_QUANTITY,
    AdjustmentIn,
    ReceiptIn,
    TransferIn,
    Warehouse,
)
from backend.web.deps import NowDep, SettingsDep
from backend.web.documents import KIND_NAMES as DOCUMENT_KIND_NAMES
from backend.web.documents import pdf_path
from backend.web.i18n import load_translations
from backend.web.render import PageUser, check_id, language_of, render
from backend.web.sessions import check_csrf
from backend.web.shop import ORDER_STATUS_NAMES, PAYMENT_NAMES
from backend.web.warehouse_forms import (
    CHOOSE_PRODUCT,
    CHOOSE_TARGET,
    DATE_INVALID,
    KIND_NAMES,
    KIND_OF,
    NOT_SHIPPABLE,
    OPERATION_BUTTONS,
    OPERATION_DONE,
    OPERATION_TITLES,
    REASON_MAX,
    Operation,
    Problem,
    parse_choice,
    parse_delta,
    parse_quantity,
    parse_reason,
    parse_threshold,
    refusal,
)

CsrfChecked = [Depends(check_csrf)]
JOURNAL_PAGE = 50
Text = Annotated[str, Form(max_length=600)]


# Stock ---------------------------------------------------------------------------------------


def _house(houses: list[Warehouse], wanted: str | int | None) -> Warehouse:
    number = parse_choice(str(wanted or ""), {h.id for h in houses if h.id is not None})
    house = office.chosen_warehouse(houses, number)
    if house is None or (wanted not in (None, "") and number is None):
        raise NotFound("no such warehouse")
    return house


def stock_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    warehouse: Annotated[str, Query(max_length=20)] = "",
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    houses = office.warehouses(session)
    if not houses:
        return render(request, "warehouse_stock.html", house=None, houses=[])
    return _stock(request, session, houses, _house(houses, warehouse), done=done)


def _stock(
    request: Request,
    session: Session,
    houses: list[Warehouse],
    house: Warehouse,
    *,
    status_code: int = 200,
    form: str = "",
    errors: dict[str, Problem] | None = None,
    values: dict[str, str] | None = None,
    refused: Problem | None = None,
    done: str = "",
) -> Response:
    return render(
        request,
        "warehouse_stock.html",
        status_code=status_code,
        here=f"/warehouse?warehouse={house.id}",
        houses=houses,
        house=house,
        rows=office.stock_of(session, house),
        low=office.low_stock(session, houses),
        products=office.products(session),
        operations=list(Operation),
        titles=OPERATION_TITLES,
        buttons=OPERATION_BUTTONS,
        done=OPERATION_DONE.get(done, ""),
        form=form,
        errors=errors or {},
        values=values or {},
        refused=refused,
        max_quantity=MAX_QUANTITY,
        reason_max=REASON_MAX,
    )


def _operation(operation: Operation) -> Callable[..., Response]:
    """The POST handler of one movement form (each posts to its own address)."""

    def handle(
        request: Request,
        session: SessionDep,
        settings: SettingsDep,
        user: PageUser,
        warehouse_id: Text = "",
        product_id: Text = "",
        quantity: Text = "",
        delta: Text = "",
        to_warehouse_id: Text = "",
        reason: Text = "",
    ) -> Response:
        houses = office.warehouses(session)
        house = _house(houses, warehouse_id or "0")
        products = {p.id for p in office.products(session) if p.id is not None}
        values = {
            "product_id": product_id,
            "quantity": quantity,
            "delta": delta,
            "to_warehouse_id": to_warehouse_id,
            "reason": reason,
        }
        errors: dict[str, Problem] = {}
        product = parse_choice(product_id, products)
        if product is None:
            errors["product_id"] = Problem(CHOOSE_PRODUCT)
        amount_field = "delta" if operation == Operation.adjustment else "quantity"
        parse = parse_delta if operation == Operation.adjustment else parse_quantity
        amount, problem = parse(values[amount_field])
        if problem:
            errors[amount_field] = problem
        why, problem = parse_reason(reason, required=operation == Operation.adjustment)
        if problem:
            errors["reason"] = problem
        others = {h.id for h in houses if h.id is not None and h.id != house.id}
        target = parse_choice(to_warehouse_id, others)
        if operation == Operation.transfer and target is None:
            errors["to_warehouse_id"] = Problem(CHOOSE_TARGET)
        if errors or product is None or amount is None:
            return _stock(
                request,
                session,
                houses,
                house,
                status_code=422,
                form=operation.value,
                errors=errors,
                values=values,
            )
        try:
            _record(session, settings, user, operation, house, product, amount, target, why)
        except AppError as refused:
            session.rollback()
            active = house.active and all(h.active for h in houses if h.id == target)
            return _stock(
                request,
                session,
                houses,
                house,
                status_code=refused.status_code,
                form=operation.value,
                values=values,
                refused=refusal(refused, warehouse_active=active),
            )
        return RedirectResponse(
            f"/warehouse?warehouse={house.id}&done={operation.value}", status_code=303
        )

    handle.__name__ = f"warehouse_{operation.name}"
    return handle


def _record(
    session: Session,
    settings: Settings,
    user: User,
    operation: Operation,
    house: Warehouse,
    product: int,
    amount: int,
    target: int | None,
    reason: str | None,
) -> None:
    """The service call of `POST /api/warehouses/{id}/<operation>`, with its input model."""
    assert house.id is not None and user.id is not None
    default = settings.low_stock_default
    if operation == Operation.adjustment:
        adjustment = AdjustmentIn(product_id=product, delta=amount, reason=reason or "")
        stock.record(
            session,
            warehouse_id=house.id,
            product_id=adjustment.product_id,
            kind=MovementKind.adjustment,
            quantity=abs(adjustment.delta),
            adjustment=adjustment.delta,
            reason=adjustment.reason,
            actor_id=user.id,
            default_threshold=default,
        )
    elif operation == Operation.transfer:
        assert target is not None
        moving = TransferIn(
            product_id=product, quantity=amount, to_warehouse_id=target, reason=reason
        )
        stock.transfer(
            session,
            from_id=house.id,
            to_id=moving.to_warehouse_id,
            product_id=moving.product_id,
            quantity=moving.quantity,
            reason=moving.reason,
            actor_id=user.id,
            default_threshold=default,
        )
    else:
        data = ReceiptIn(product_id=product, quantity=amount, reason=reason)
        stock.record(
            session,
            warehouse_id=house.id,
            product_id=data.product_id,
            kind=KIND_OF[operation],
            quantity=data.quantity,
            reason=data.reason,
            actor_id=user.id,
            default_threshold=default,
        )


def set_threshold(
    request: Request,
    session: SessionDep,
    user: PageUser,
    warehouse_id: Text = "",
    product_id: Text = "",
    threshold: Text = "",
) -> Response:
    houses = office.warehouses(session)
    house = _house(houses, warehouse_id or "0")
    products = {p.id for p in office.products(session) if p.id is not None}
    product = parse_choice(product_id, products)
    if product is None or house.id is None:
        raise NotFound("no such product")
    value, problem = parse_threshold(threshold)
    if problem or value is None:
        return _stock(
            request,
            session,
            houses,
            house,
            status_code=422,
            form="threshold",
            errors={"threshold": problem or Problem(CHOOSE_PRODUCT)},
            values={"product_id": product_id, "threshold": threshold},
        )
    stock.set_threshold(session, house.id, product, value)
    return RedirectResponse(f"/warehouse?warehouse={house.id}&done=threshold", status_code=303)


# The movement journal ------------------------------------------------------------------------


class _Filters:
    """The journal's filters as the query string has them, checked; `problems` name the
    fields that could not be read (ignored, and said so next to the field)."""

    def __init__(
        self,
        houses: list[Warehouse],
        products: set[int],
        warehouse: str,
        product: str,
        kind: str,
        date_from: str,
        date_to: str,
    ) -> None:
        self.values = {
            "warehouse": warehouse,
            "product": product,
            "kind": kind,
            "from": date_from,
            "to": date_to,
        }
        self.problems: dict[str, Problem] = {}
        start, end = self._day("from", date_from), self._day("to", date_to)
        self.journal = office.JournalFilter(
            warehouse_id=parse_choice(warehouse, {h.id for h in houses if h.id is not None}),
            product_id=parse_choice(product, products),
            kind=MovementKind(kind) if kind in set(MovementKind) else None,
            date_from=start,
            date_to=end,
        )

    def _day(self, name: str, value: str) -> date | None:
        if not value.strip():
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            self.problems[name] = Problem(DATE_INVALID)
            return None

    def query(self, **extra: object) -> str:
        pairs = {k: v for k, v in self.values.items() if v} | {
            k: str(v) for k, v in extra.items() if v is not None
        }
        return urlencode(pairs)


FilterArgs = Annotated[str, Query(max_length=40)]


def movements_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    warehouse: FilterArgs = "",
    product: FilterArgs = "",
    kind: FilterArgs = "",
    date_from: Annotated[str, Query(alias="from", max_length=40)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=40)] = "",
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    houses, products = office.warehouses(session), office.products(session)
    known = {p.id for p in products if p.id is not None}
    filters = _Filters(houses, known, warehouse, product, kind, date_from, date_to)
    found = office.journal(session, filters.journal, before=before, limit=JOURNAL_PAGE)
    return render(
        request,
        "warehouse_movements.html",
        status_code=422 if filters.problems else 200,
        houses=houses,
        house_names={h.id: h for h in houses},
        products=products,
        product_names={p.id: p for p in products},
        kinds=list(MovementKind),
        kind_names=KIND_NAMES,
        filters=filters,
        items=found.items,
        older=filters.query(before=found.older) if found.older else None,
        newest=filters.query() if before else None,
        csv_query=filters.query(),
    )


def movements_csv(
    request: Request,
    session: SessionDep,
    user: PageUser,
    warehouse: FilterArgs = "",
    product: FilterArgs = "",
    kind: FilterArgs = "",
    date_from: Annotated[str, Query(alias="from", max_length=40)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> Response:
    """The filtered journal, oldest first, streamed: UTF-8 with a byte-order mark and `;`
    between fields, which is what a spreadsheet set up for Russian opens without a dialog."""
    houses, products = office.warehouses(session), office.products(session)
    known = {p.id for p in products if p.id is not None}
    filters = _Filters(houses, known, warehouse, product, kind, date_from, date_to)
    if filters.problems:
        raise NotFound("a filter could not be read")
    engine = session.get_bind()
    language = language_of(request, user)
    house_codes = {h.id: h.code for h in houses}
    names = {p.id: (p.sku, _product_name(p.name_ru, p.name_en, language)) for p in products}

    def rows() -> Iterator[bytes]:
        _ = load_translations(language).gettext
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            [
                _("Movement"),
                _("Date and time (UTC)"),
                _("Warehouse"),
                _("SKU"),
                _("Product"),
                _("Kind"),
                _("Quantity"),
                _("On hand change"),
                _("Reserved change"),
                _("Order"),
                _("Transfer"),
                _("Reason"),
            ]
        )
        yield "\ufeff".encode() + _take(out)
        # Its own session: the request's may be closed before the last chunk is sent.
        with Session(engine) as reading:
            for m in office.journal_export(reading, filters.journal):
                sku, name = names.get(m.product_id, ("", ""))
                writer.writerow(
                    [
                        m.id,
                        m.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                        house_codes.get(m.warehouse_id, m.warehouse_id),
                        sku,
                        name,
                        _(KIND_NAMES[m.kind]),
                        m.quantity,
                        m.on_hand_delta,
                        m.reserved_delta,
                        m.order_id or "",
                        m.transfer_ref or "",
                        m.reason or "",
                    ]
                )
                if out.tell() > 16_384:
                    yield _take(out)
        yield _take(out)

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="stock-movements.csv"'},
    )


def _take(out: io.StringIO) -> bytes:
    data = out.getvalue().encode()
    out.seek(0)
    out.truncate()
    return data


def _product_name(name_ru: str, name_en: str | None, language: Language) -> str:
    return name_en or name_ru if language == Language.en else name_ru


# Pick list and shipping ----------------------------------------------------------------------


def picklist_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    warehouse: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    houses = office.warehouses(session)
    if not houses:
        return render(request, "warehouse_picklist.html", house=None, houses=[])
    house = _house(houses, warehouse)
    assert house.id is not None
    waiting, total = picking.picklist(session, house.id)
    return render(
        request,
        "warehouse_picklist.html",
        houses=houses,
        house=house,
        waiting=waiting,
        total=total,
    )


def order_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    order_id: int,
    shipped: Annotated[bool, Query()] = False,
) -> Response:
    check_id(order_id, "order")
    return order_view(request, session, user, order_id, shipped=shipped)


def order_view(
    request: Request,
    session: Session,
    user: User,
    order_id: int,
    *,
    status_code: int = 200,
    shipped: bool = False,
    refused: Problem | None = None,
    document_refused: Problem | None = None,
) -> Response:
    """The order's page: its lines, the shipping button for the warehouse, its documents and
    (for finance, at ``/finance/orders/{id}``) the buttons that issue them;
    ``document_refused``: why a document was not."""
    view = picking.order_to_ship(session, order_id, actor=user)
    return render(
        request,
        "warehouse_order.html",
        status_code=status_code,
        here=f"/{'finance' if user.role == Role.finance else 'warehouse'}/orders/{order_id}",
        v=view,
        d=view.detail,
        shipped=shipped,
        refused=refused,
        order_status_names=ORDER_STATUS_NAMES,
        payment_names=PAYMENT_NAMES,
        # Finance issues the order's documents from here; the warehouse ships it.
        may_ship=user.role == Role.warehouse,
        may_issue=user.role == Role.finance,
        document_refused=document_refused,
        documents=documents.of_order(session, order_id, actor=user),
        kind_names=DOCUMENT_KIND_NAMES,
        pdf_path=pdf_path,
    )


def ship_order(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    order_id: int,
) -> Response:
    """`POST /api/orders/{id}/shipment`'s service: the order's reservation leaves the
    warehouse. A second click (or a colleague's) finds it shipped and says so."""
    check_id(order_id, "order")
    try:
        orders.ship_order(
            session, order_id, actor=user, now=now, default_threshold=settings.low_stock_default
        )
    except AppError as refused:
        session.rollback()
        if isinstance(refused, NotFound):
            raise
        problem = refusal(refused)
        current = picking.order_to_ship(session, order_id, actor=user).detail.order
        if current.status in NOT_SHIPPABLE:
            problem = Problem(NOT_SHIPPABLE[current.status], {"id": order_id})
        return order_view(
            request, session, user, order_id, status_code=refused.status_code, refused=problem
        )
    return RedirectResponse(f"/warehouse/orders/{order_id}?shipped=1", status_code=303)


def add_warehouse_pages(router: APIRouter) -> None:
    """Onto the pages' router (its guard and policy apply); the CSV before anything that could
    take `movements.csv` as a parameter."""
    get, post = ["GET"], ["POST"]
    router.add_api_route("/warehouse", stock_page, methods=get)
    for operation in Operation:
        router.add_api_route(
            f"/warehouse/{operation.value}",
            _operation(operation),
            methods=post,
            dependencies=CsrfChecked,
        )
    router.add_api_route(
        "/warehouse/thresholds", set_threshold, methods=post, dependencies=CsrfChecked
    )
    router.add_api_route("/warehouse/movements.csv", movements_csv, methods=get)
    router.add_api_route("/warehouse/movements", movements_page, methods=get)
    router.add_api_route("/warehouse/picklist", picklist_page, methods=get)
    router.add_api_route("/warehouse/orders/{order_id}", order_page, methods=get)
    router.add_api_route(
        "/warehouse/orders/{order_id}/shipment", ship_order, methods=post, dependencies=CsrfChecked
    )
