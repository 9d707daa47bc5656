"""A new order before it is written: who orders, for which retail customer, at what prices.

Every check that can refuse an order without touching stock is here (the distributor may order,
the customer is theirs, each product is for sale and listed, one currency, totals within the
caps); `service.place_order` writes what these return and reserves the stock.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.catalog import service as catalog
from backend.catalog.models import PriceListItem, Product
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.model_base import DistributorStatus
from backend.genealogy.access import is_distributor, own_distributor
from backend.genealogy.models import Distributor
from backend.orders.models import MAX_ORDER_AMOUNT, MAX_ORDER_POINTS, OrderCreate, RetailCustomer


class PricedLine(NamedTuple):
    """One priced line of a new order, every price in the order's currency: the unit price
    charged, and the unit retail and wholesale prices of its price source (the price list when
    one is given, else the product), kept on the line for retail profit."""

    product: Product
    unit: int
    quantity: int
    retail_unit: int
    wholesale_unit: int


def ordering_distributor(session: Session, data: OrderCreate, actor: User) -> Distributor:
    if is_distributor(actor):
        me = own_distributor(session, actor)
        if data.distributor_id not in (None, me.id):
            raise Forbidden("distributors order for themselves", code="out_of_scope")
        distributor = me
    else:
        if data.distributor_id is None:
            raise Invalid("distributor_id is required")
        found = session.get(Distributor, data.distributor_id)
        if found is None:
            raise NotFound(f"distributor {data.distributor_id} not found")
        distributor = found
    if distributor.status == DistributorStatus.terminated:
        raise Conflict(f"distributor {distributor.id} is terminated")
    return distributor


def retail_customer(
    session: Session, customer_id: int | None, distributor: Distributor
) -> RetailCustomer | None:
    if customer_id is None:
        return None
    customer = session.get(RetailCustomer, customer_id)
    if customer is None:
        raise NotFound(f"retail customer {customer_id} not found")
    if customer.distributor_id != distributor.id:
        raise Invalid(f"retail customer {customer_id} belongs to another distributor")
    return customer


def price_lines(session: Session, data: OrderCreate, *, retail: bool) -> list[PricedLine]:
    """A priced line per order line: retail for a retail customer and wholesale for the
    distributor's own order, from the price list when one is given (in its currency, whatever
    the products' own), else from the products."""
    product_ids = [line.product_id for line in data.lines]
    if len(set(product_ids)) != len(product_ids):
        raise Invalid("each product appears on one line")
    products = {
        product.id: product
        for product in session.exec(select(Product).where(col(Product.id).in_(product_ids)))
    }
    listed: dict[int, tuple[int, int]] = {}
    if data.price_list_id is not None:
        price_list = catalog.get_price_list(session, data.price_list_id)
        if not price_list.active:
            raise Conflict(f"price list {price_list.id} is inactive")
        listed = {
            item.product_id: (item.retail_price, item.wholesale_price)
            for item in session.exec(
                select(PriceListItem).where(PriceListItem.price_list_id == data.price_list_id)
            )
        }
    priced = []
    for line in data.lines:
        product = products.get(line.product_id)
        if product is None:
            raise NotFound(f"product {line.product_id} not found")
        if not product.active:
            raise Conflict(f"product {product.sku} is not for sale")
        if data.price_list_id is not None:
            if line.product_id not in listed:
                raise Invalid(f"product {product.sku} is not on price list {data.price_list_id}")
            retail_unit, wholesale_unit = listed[line.product_id]
        else:
            retail_unit, wholesale_unit = product.retail_price, product.wholesale_price
        unit = retail_unit if retail else wholesale_unit
        priced.append(PricedLine(product, unit, line.quantity, retail_unit, wholesale_unit))
    _check_totals(priced)
    return priced


def order_currency(session: Session, data: OrderCreate, priced: list[PricedLine]) -> str:
    """The order's one currency: the price list's when one is given, else its products'."""
    currencies = {line.product.currency for line in priced}
    if data.price_list_id is not None:
        currencies = {catalog.get_price_list(session, data.price_list_id).currency}
    if len(currencies) != 1:
        raise Invalid("an order's products must share one currency")
    return currencies.pop()


def _check_totals(priced: list[PricedLine]) -> None:
    """Refuse an order whose total money or volume is beyond any real order (and the int64
    columns): each line is capped, but 200 lines of the largest price and quantity are not."""
    totals = {
        "total_amount": (sum(x.unit * x.quantity for x in priced), MAX_ORDER_AMOUNT),
        "total_pv": (sum(x.product.pv * x.quantity for x in priced), MAX_ORDER_POINTS),
        "total_cv": (sum(x.product.cv * x.quantity for x in priced), MAX_ORDER_POINTS),
    }
    for field, (total, cap) in totals.items():
        if total > cap:
            raise Invalid(
                f"the order's {field} would be {total}, above the {cap} one order may reach; "
                "split it or check the quantities",
                code="order_too_large",
                details={"field": field, "total": total, "max": cap},
            )
