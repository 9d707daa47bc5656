"""The invoice for payment (счёт на оплату) of an order: seller and buyer, bank details,
lines with VAT as each order line stored it, the total in figures and in words."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.catalog.models import Product
from backend.core.errors import Conflict, NotFound
from backend.core.model_base import Language, OrderStatus
from backend.documents.models import Document, DocumentKind
from backend.documents.order_kinds import issue_for_order, register_order_kind
from backend.documents.store import exponent_of
from backend.documents.words import amount_in_words
from backend.genealogy.models import Distributor
from backend.orders.models import Order, OrderLine, RetailCustomer
from backend.payees.service import in_force

NEEDS = (
    "legal_name",
    "inn",
    "legal_address",
    "bank_name",
    "bik",
    "account",
    "corr_account",
    "director",
    "chief_accountant",
)


def buyer_of(session: Session, order: Order) -> dict[str, Any]:
    """Who buys: the retail customer, or the partner with their INN where their tax profile in
    force on the order's date has one."""
    distributor = session.get(Distributor, order.distributor_id)
    assert distributor is not None  # a foreign key
    if order.customer_id is not None:
        customer = session.get(RetailCustomer, order.customer_id)
        assert customer is not None
        name, inn, partner = f"{customer.first_name} {customer.last_name}", None, None
    else:
        profile = in_force(session, order.created_at, distributor_ids=[order.distributor_id])
        inn = profile[order.distributor_id].inn if order.distributor_id in profile else None
        name, partner = f"{distributor.first_name} {distributor.last_name}", order.distributor_id
    return {"name": name, "inn": inn, "partner": partner}


def invoice_fields(session: Session, order_id: int, language: Language) -> dict[str, Any]:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"order {order_id} not found")
    if order.status == OrderStatus.cancelled:
        raise Conflict(f"order {order_id} is cancelled: no invoice", code="order_state")
    rows = session.exec(
        select(OrderLine, Product.name_ru, Product.name_en)
        .join(Product, col(Product.id) == col(OrderLine.product_id))
        .where(OrderLine.order_id == order_id)
        .order_by(col(OrderLine.line_no))
    ).all()
    lines: list[dict[str, Any]] = [
        {
            "no": line.line_no,
            "sku": line.sku,
            "name": name_ru if language == Language.ru else name_en,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "vat_category": str(line.vat_category),
            "vat_rate_bp": line.vat_rate_bp,
            "vat": line.vat,
            "amount": line.gross,
        }
        for line, name_ru, name_en in rows
    ]
    buyer = buyer_of(session, order)
    total = sum(int(line["amount"]) for line in lines)
    exponent = exponent_of(order.currency)
    return {
        "order": {"id": order_id, "date": order.created_at.astimezone(UTC).date().isoformat()},
        "buyer": buyer,
        "currency": order.currency,
        "exponent": exponent,
        "lines": lines,
        "total": total,
        "vat_total": sum(int(line["vat"]) for line in lines),
        "vat_exempt": all(line["vat_category"] == "exempt" for line in lines),
        "total_words": amount_in_words(total, order.currency, exponent, language.value),
    }


def issue_invoice(
    session: Session, order_id: int, *, language: Language, actor: User, now: datetime
) -> Document:
    """The invoice for payment of an order (the stored one when it was issued)."""
    return issue_for_order(
        session,
        DocumentKind.invoice,
        invoice_fields,
        order_id,
        language=language,
        actor=actor,
        now=now,
    )


register_order_kind(DocumentKind.invoice, NEEDS, invoice_fields)
