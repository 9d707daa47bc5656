"""A distributor's own shop: the terms that apply to them, the catalogue at their prices, a cart
priced as its order would be, placing it, and their orders as the office reads them.

Terms. A partner buys at the price list of their country's currency (Kazakhstan: the active
tenge list) when the company keeps one, else at the products' own prices; the warehouses that
serve them are the active ones in their country (all active ones when it has none). An own
order pays the wholesale price, a retail customer's order the retail price (`pricing`).

The cart is plain data (product ids, quantities, the customer it is for and the warehouse);
`quote` prices it exactly as `service.place_order` will and says what is wrong with each line
before the order is tried, and `place_cart` places it through the service, so the service's
checks, its stock reservation and its idempotency apply unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from babel.numbers import get_territory_currencies
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.catalog import service as catalog
from backend.catalog.models import PriceList, Product
from backend.core.errors import AppError, Invalid
from backend.core.model_base import OrderStatus, ProductCategory, VatCategory
from backend.genealogy.access import own_distributor
from backend.genealogy.models import Distributor
from backend.orders import queries, service
from backend.orders.customers import get_customer
from backend.orders.models import (
    MAX_LINES,
    Order,
    OrderCreate,
    OrderLine,
    OrderLineIn,
    Payment,
    RetailCustomer,
)
from backend.stock import service as stock
from backend.stock.models import MAX_QUANTITY, Warehouse
from backend.vat import service as vat
from ledger.money import ISO_CURRENCIES

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "Cart",
    "CartLine",
    "LineProblem",
    "Offer",
    "OrderDetail",
    "PaymentState",
    "Quote",
    "QuoteLine",
    "Terms",
    "catalogue",
    "country_currency",
    "customer_of",
    "order_detail",
    "orders_of",
    "payment_state",
    "place_cart",
    "quote",
    "terms_for",
]


def country_currency(country: str | None) -> str | None:
    """The currency a partner in ``country`` pays in (ISO 3166 alpha-2), as the CLDR has it."""
    if not country:
        return None
    for code in get_territory_currencies(country, tender=True):
        if code in ISO_CURRENCIES:
            return str(code)
    return None


@dataclass(frozen=True)
class Terms:
    """What applies to one partner's orders."""

    distributor: Distributor
    price_list: PriceList | None
    warehouses: list[Warehouse]

    @property
    def price_list_id(self) -> int | None:
        return self.price_list.id if self.price_list else None

    def warehouse(self, wanted: int | None) -> Warehouse | None:
        """The warehouse asked for when it serves this partner, else the first that does."""
        for house in self.warehouses:
            if house.id == wanted:
                return house
        return self.warehouses[0] if self.warehouses else None


def customer_of(session: Session, terms: Terms, customer_id: int | None) -> RetailCustomer | None:
    """The partner's retail customer ``customer_id``; None for none, or one not theirs."""
    if customer_id is None:
        return None
    found = session.get(RetailCustomer, customer_id)
    return found if found is not None and found.distributor_id == terms.distributor.id else None


def terms_for(session: Session, actor: User) -> Terms:
    me = own_distributor(session, actor)
    currency = country_currency(me.country)
    price_list = catalog.active_list_in(session, currency) if currency else None
    return Terms(me, price_list, stock.active_warehouses(session, country=me.country))


class _VatRates:
    """The VAT rate of each category on one day, looked up once; None when none is in force."""

    def __init__(self, session: Session, day: date, *, country: str, exempt: bool) -> None:
        self.session, self.day, self.country, self.exempt = session, day, country, exempt
        self.rates: dict[VatCategory, int | None] = {}

    def split(self, product: Product, gross: int) -> vat.VatSplit | None:
        category = VatCategory.exempt if self.exempt else VatCategory(product.vat_category)
        if category not in self.rates:
            try:
                self.rates[category] = vat.rate_in_force(
                    self.session, self.country, category, self.day
                )
            except Invalid:
                self.rates[category] = None
        rate = self.rates[category]
        return None if rate is None else vat.split(gross, category, rate)


@dataclass(frozen=True)
class Offer:
    """A product as this partner buys it: the unit price they pay (wholesale for their own
    order, retail for a customer's), the retail price, one unit's VAT at today's rate, and what
    each of their warehouses has available."""

    product: Product
    unit: int
    retail_unit: int
    currency: str
    vat: vat.VatSplit | None
    available: dict[int, int]


def catalogue(
    session: Session,
    terms: Terms,
    *,
    retail: bool,
    q: str | None,
    category: ProductCategory | None,
    offset: int,
    limit: int,
    now: datetime,
    vat_country: str,
    vat_exempt: bool,
) -> tuple[list[Offer], int]:
    rows, total = catalog.listed_products(
        session,
        price_list_id=terms.price_list_id,
        category=category,
        q=q,
        offset=offset,
        limit=limit,
    )
    houses = [house.id for house in terms.warehouses if house.id is not None]
    levels = stock.available_in(session, houses, [p.id for p, _, _ in rows if p.id is not None])
    rates = _VatRates(session, vat.order_day(now), country=vat_country, exempt=vat_exempt)
    offers = []
    for product, retail_unit, wholesale_unit in rows:
        unit = retail_unit if retail else wholesale_unit
        offers.append(
            Offer(
                product=product,
                unit=unit,
                retail_unit=retail_unit,
                currency=terms.price_list.currency if terms.price_list else product.currency,
                vat=rates.split(product, unit),
                available={house: levels.get((house, product.id or 0), 0) for house in houses},
            )
        )
    return offers, total


@dataclass(frozen=True)
class CartLine:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class Cart:
    """What a partner is about to order: lines in the order they were added, the retail
    customer it is for (None: for themselves) and the warehouse chosen (None: the first)."""

    lines: tuple[CartLine, ...] = ()
    customer_id: int | None = None
    warehouse_id: int | None = None

    def quantity_of(self, product_id: int) -> int:
        return next((x.quantity for x in self.lines if x.product_id == product_id), 0)

    def adding(self, product_id: int, quantity: int) -> Cart:
        return self.with_quantity(product_id, self.quantity_of(product_id) + quantity)

    def with_quantity(self, product_id: int, quantity: int) -> Cart:
        """The quantity set (0 removes the line); a new product goes to the end. Refuses what
        an order could not hold (a quantity above the cap, more than MAX_LINES products)."""
        if not 0 <= quantity <= MAX_QUANTITY:
            raise Invalid(f"quantity must be 0 to {MAX_QUANTITY}", code="quantity_range")
        known = any(x.product_id == product_id for x in self.lines)
        if quantity == 0:
            lines = tuple(x for x in self.lines if x.product_id != product_id)
        elif known:
            lines = tuple(
                CartLine(product_id, quantity) if x.product_id == product_id else x
                for x in self.lines
            )
        else:
            if len(self.lines) >= MAX_LINES:
                raise Invalid(f"an order holds at most {MAX_LINES} products", code="cart_full")
            lines = (*self.lines, CartLine(product_id, quantity))
        return replace(self, lines=lines)


class LineProblem(StrEnum):
    gone = "gone"  # no such product any more
    not_for_sale = "not_for_sale"
    not_listed = "not_listed"  # not on this partner's price list
    short = "short"  # more than the warehouse has available


@dataclass(frozen=True)
class QuoteLine:
    product_id: int
    quantity: int
    product: Product | None
    unit: int
    amount: int
    pv: int
    vat: vat.VatSplit | None  # of the line (amount)
    available: int
    problem: LineProblem | None


@dataclass(frozen=True)
class Quote:
    """The cart priced as its order would be; totals over the lines that can be ordered."""

    lines: list[QuoteLine]
    currency: str | None
    customer: RetailCustomer | None
    warehouse: Warehouse | None
    total: int
    total_pv: int
    total_net: int
    total_vat: int
    vat_known: bool  # every line had a rate in force
    problems: list[str] = field(default_factory=list)  # order-level: codes

    @property
    def orderable(self) -> bool:
        blocking = {LineProblem.gone, LineProblem.not_for_sale, LineProblem.not_listed}
        return (
            bool(self.lines)
            and not self.problems
            and not any(line.problem in blocking for line in self.lines)
        )


def quote(
    session: Session,
    terms: Terms,
    cart: Cart,
    *,
    now: datetime,
    vat_country: str,
    vat_exempt: bool,
) -> Quote:
    customer = customer_of(session, terms, cart.customer_id)
    warehouse = terms.warehouse(cart.warehouse_id)
    ids = [line.product_id for line in cart.lines]
    products = {p.id: p for p in session.exec(select(Product).where(col(Product.id).in_(ids)))}
    listed = (
        {
            item.product_id: (item.retail_price, item.wholesale_price)
            for item in catalog.price_list_items(session, terms.price_list_id)
        }
        if terms.price_list_id is not None
        else {}
    )
    house = warehouse.id if warehouse and warehouse.id else None
    levels = stock.available_in(session, [house] if house else [], ids)
    rates = _VatRates(session, vat.order_day(now), country=vat_country, exempt=vat_exempt)
    lines, currencies, vat_known = [], set(), True
    for wanted in cart.lines:
        product = products.get(wanted.product_id)
        problem: LineProblem | None = None
        unit = 0
        if product is None:
            problem = LineProblem.gone
        elif not product.active:
            problem = LineProblem.not_for_sale
        elif terms.price_list_id is not None and wanted.product_id not in listed:
            problem = LineProblem.not_listed
        else:
            retail_unit, wholesale_unit = listed.get(
                wanted.product_id, (product.retail_price, product.wholesale_price)
            )
            unit = retail_unit if customer is not None else wholesale_unit
            currencies.add(terms.price_list.currency if terms.price_list else product.currency)
        available = levels.get((house or 0, wanted.product_id), 0)
        if problem is None and wanted.quantity > available:
            problem = LineProblem.short
        amount = unit * wanted.quantity
        priced = product is not None and problem in (None, LineProblem.short)
        split = rates.split(product, amount) if priced and product is not None else None
        vat_known = vat_known and (split is not None or not priced)
        lines.append(
            QuoteLine(
                product_id=wanted.product_id,
                quantity=wanted.quantity,
                product=product,
                unit=unit,
                amount=amount,
                pv=product.pv * wanted.quantity if priced and product is not None else 0,
                vat=split,
                available=available,
                problem=problem,
            )
        )
    counted = [line for line in lines if line.problem in (None, LineProblem.short)]
    problems = []
    if warehouse is None:
        problems.append("no_warehouse")
    if len(currencies) > 1:
        problems.append("currencies")
    return Quote(
        lines=lines,
        currency=next(iter(currencies)) if len(currencies) == 1 else None,
        customer=customer,
        warehouse=warehouse,
        total=sum(line.amount for line in counted),
        total_pv=sum(line.pv for line in counted),
        total_net=sum(line.vat.net for line in counted if line.vat),
        total_vat=sum(line.vat.vat for line in counted if line.vat),
        vat_known=vat_known,
        problems=problems,
    )


def place_cart(
    session: Session,
    actor: User,
    terms: Terms,
    priced: Quote,
    *,
    key: str,
    now: datetime,
    default_threshold: int,
    vat_country: str,
    vat_exempt: bool,
) -> tuple[Order, bool]:
    """The cart's order through `service.place_order` (all its checks; the same `key` twice
    gives the first order back). A refusal leaves nothing written: the service's partial work
    (an order row flushed before a stock movement refused) is rolled back here."""
    if priced.warehouse is None or priced.warehouse.id is None:
        raise Invalid("no warehouse serves this partner", code="no_warehouse")
    data = OrderCreate(
        customer_id=priced.customer.id if priced.customer else None,
        warehouse_id=priced.warehouse.id,
        price_list_id=terms.price_list_id,
        lines=[OrderLineIn(product_id=x.product_id, quantity=x.quantity) for x in priced.lines],
    )
    try:
        return service.place_order(
            session,
            data,
            actor=actor,
            idempotency_key=key,
            default_threshold=default_threshold,
            now=now,
            vat_country=vat_country,
            vat_exempt=vat_exempt,
        )
    except AppError:
        session.rollback()
        raise


class PaymentState(StrEnum):
    awaiting = "awaiting"  # placed, not paid yet
    paid = "paid"
    unpaid = "unpaid"  # cancelled before it was paid


def payment_state(order: Order) -> PaymentState:
    if order.paid_at is not None:
        return PaymentState.paid
    return PaymentState.awaiting if order.status == OrderStatus.placed else PaymentState.unpaid


def orders_of(
    session: Session,
    actor: User,
    *,
    customer_id: int | None = None,
    offset: int,
    limit: int,
) -> tuple[list[Order], dict[int, RetailCustomer], int]:
    """The partner's orders, the newest first (a retail customer's only, when given: the
    customer must be theirs, else 403), with the customers they name."""
    me = own_distributor(session, actor)
    query = select(Order).where(Order.distributor_id == me.id)
    if customer_id is not None:
        get_customer(session, customer_id, actor=actor)
        query = query.where(Order.customer_id == customer_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = list(session.exec(query.order_by(col(Order.id).desc()).offset(offset).limit(limit)))
    return items, _customers(session, (o.customer_id for o in items)), total


def _customers(session: Session, ids: Iterable[int | None]) -> dict[int, RetailCustomer]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    query = select(RetailCustomer).where(col(RetailCustomer.id).in_(wanted))
    return {c.id: c for c in session.exec(query) if c.id is not None}


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    lines: list[tuple[OrderLine, Product]]
    customer: RetailCustomer | None
    warehouse: Warehouse
    payment: Payment | None
    total_net: int
    total_vat: int
    total_gross: int

    @property
    def payment_state(self) -> PaymentState:
        return payment_state(self.order)


def order_detail(session: Session, order_id: int, *, actor: User) -> OrderDetail:
    """One order with its lines and the figures stored on them (403 for another's order)."""
    order = queries.get_order(session, order_id, actor=actor)
    lines = queries.lines_of(session, order_id)
    products = {
        p.id: p
        for p in session.exec(
            select(Product).where(col(Product.id).in_([x.product_id for x in lines]))
        )
    }
    payment = session.exec(select(Payment).where(Payment.order_id == order_id)).first()
    customers = _customers(session, [order.customer_id])
    return OrderDetail(
        order=order,
        lines=[(line, products[line.product_id]) for line in lines],
        customer=customers.get(order.customer_id) if order.customer_id else None,
        warehouse=stock.get_warehouse(session, order.warehouse_id),
        payment=payment,
        total_net=sum(line.net for line in lines),
        total_vat=sum(line.vat for line in lines),
        total_gross=sum(line.gross for line in lines),
    )
