"""The universal transfer document (УПД) of a shipped order, in the edition of the form that
Government decree 1137 sets as amended by decree 1096 of 16.08.2024: status 1 (a VAT invoice
and the transfer document) when the company charges VAT (its ``vat_payer`` detail), status 2
(the transfer document alone) otherwise. In English the same document is the commercial
invoice and delivery note.

The invoice part: rows 1-8 (1a: the correction; 5: the order's payment; 5a: this document as
the shipping document; 5b: advance invoices, none here), the table's columns A, 1, 1a, 1b
(product-kind code, TN VED), 2/2a (OKEI unit), 3-9 (VAT as each order line stored it, from
the dated VAT table), 10/10a (country of origin) and 11 (customs declaration: a dash for
domestic goods). The transfer part: rows 8-19 (basis, shipping date, who released and who
received, signatures).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.catalog.codes import COUNTRIES, DOMESTIC, OKEI
from backend.catalog.models import Product
from backend.company.requisites import requisites
from backend.core.errors import Conflict, NotFound
from backend.core.model_base import Language, OrderStatus
from backend.documents.invoice import buyer_of
from backend.documents.models import Document, DocumentKind
from backend.documents.order_kinds import issue_for_order, register_order_kind
from backend.documents.store import exponent_of
from backend.documents.words import amount_in_words
from backend.orders.models import Order, OrderLine, Payment
from backend.stock.models import Warehouse
from ledger.money import ISO_CURRENCIES

NEEDS = ("legal_name", "inn", "legal_address", "director", "chief_accountant", "vat_payer")
#: Orders whose goods have left the warehouse (a returned order was shipped first).
SHIPPED = (OrderStatus.shipped, OrderStatus.returned)
#: Row 7: the currency's name by language (its ISO numeric code beside it).
CURRENCY_NAMES = {
    "RUB": ("Российский рубль", "Russian rouble"),
    "USD": ("Доллар США", "US dollar"),
    "EUR": ("Евро", "Euro"),
    "KZT": ("Тенге", "Tenge"),
    "BYN": ("Белорусский рубль", "Belarusian rouble"),
}


def _shipped_order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"order {order_id} not found")
    if order.status == OrderStatus.cancelled:
        raise Conflict(f"order {order_id} is cancelled: no UPD", code="order_state")
    if order.status not in SHIPPED or order.shipped_at is None:
        raise Conflict(
            f"order {order_id} is {order.status}: a UPD is issued once the order has shipped",
            code="order_state",
        )
    return order


def _unit_price(total: int, quantity: int) -> int:
    """The price of one unit from the line's total, rounded half up to the minor unit (the
    totals, columns 5, 8 and 9, are the line's stored figures, never unit x quantity)."""
    return (2 * total + quantity) // (2 * quantity)


def _line(
    line: OrderLine, product: Product, language: Language, *, vat_payer: bool
) -> dict[str, Any]:
    english = language == Language.en
    charged = vat_payer and str(line.vat_category) != "exempt"
    before_tax = line.net if charged else line.gross
    country = COUNTRIES[product.origin_country]
    return {
        "no": line.line_no,
        "code": line.sku,
        "name": product.name_en if english else product.name_ru,
        "kind_code": product.tnved_code,
        "okei": product.okei_code,
        "unit": OKEI[product.okei_code][1 if english else 0],
        "quantity": line.quantity,
        "unit_price": _unit_price(before_tax, line.quantity),
        "before_tax": before_tax,
        "vat_charged": charged,
        "vat_rate_bp": line.vat_rate_bp,
        "vat": line.vat if charged else 0,
        "amount": line.gross,
        "country_code": product.origin_country,
        "country": country[1 if english else 0],
        "declaration": None if product.origin_country == DOMESTIC else "",
    }


def upd_fields(session: Session, order_id: int, language: Language) -> dict[str, Any]:
    order = _shipped_order(session, order_id)
    assert order.shipped_at is not None
    warehouse = session.get(Warehouse, order.warehouse_id)
    assert warehouse is not None  # a foreign key
    if not warehouse.address:
        raise Conflict(
            f"warehouse {warehouse.code} has no address: the UPD names it as the shipper; an "
            f"admin sets it on /admin/warehouses/{warehouse.id}",
            code="warehouse_address_missing",
            details={"warehouse_id": warehouse.id},
        )
    vat_payer = requisites(session).vat_payer == "yes"
    rows = session.exec(
        select(OrderLine, Product)
        .join(Product, col(Product.id) == col(OrderLine.product_id))
        .where(OrderLine.order_id == order_id)
        .order_by(col(OrderLine.line_no))
    ).all()
    lines = [_line(line, product, language, vat_payer=vat_payer) for line, product in rows]
    payments = session.exec(
        select(Payment).where(Payment.order_id == order_id).order_by(col(Payment.paid_at))
    ).all()
    total = sum(int(line["amount"]) for line in lines)
    exponent = exponent_of(order.currency)
    names = CURRENCY_NAMES.get(order.currency)
    return {
        "status": 1 if vat_payer else 2,
        "order": {"id": order_id, "date": order.created_at.astimezone(UTC).date().isoformat()},
        "shipped": order.shipped_at.astimezone(UTC).date().isoformat(),
        "shipper": {"warehouse": warehouse.name, "address": warehouse.address},
        "buyer": buyer_of(session, order),
        "payments": [
            {
                "reference": payment.reference,
                "date": payment.paid_at.astimezone(UTC).date().isoformat(),
            }
            for payment in payments
        ],
        "currency": order.currency,
        "currency_code": f"{ISO_CURRENCIES[order.currency][0]:03d}"
        if order.currency in ISO_CURRENCIES
        else None,
        "currency_name": (names[1] if language == Language.en else names[0])
        if names
        else order.currency,
        "exponent": exponent,
        "lines": lines,
        "before_tax_total": sum(int(line["before_tax"]) for line in lines),
        "vat_total": sum(int(line["vat"]) for line in lines),
        "total": total,
        "total_words": amount_in_words(total, order.currency, exponent, language.value),
    }


def issue_upd(
    session: Session, order_id: int, *, language: Language, actor: User, now: datetime
) -> Document:
    """The UPD of a shipped order (the stored one when it was issued)."""
    return issue_for_order(
        session,
        DocumentKind.upd,
        upd_fields,
        order_id,
        language=language,
        actor=actor,
        now=now,
    )


register_order_kind(DocumentKind.upd, NEEDS, upd_fields)
