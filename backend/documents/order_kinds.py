"""What an order's documents share (the invoice for payment, the UPD): one subject per order
(``order:<id>``), the order and its partner linked, and a correction gathering the order's data
again in the original's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from backend.accounts.models import User
from backend.core.model_base import Language
from backend.documents.models import Document, DocumentKind
from backend.documents.store import Gather, KindSpec, issue, register
from backend.orders.models import Order

#: An order kind's data: ``fields(session, order_id, language)``, refusing what it cannot issue.
OrderFields = Callable[[Session, int, Language], dict[str, Any]]


def issue_for_order(
    session: Session,
    kind: DocumentKind,
    fields: OrderFields,
    order_id: int,
    *,
    language: Language,
    actor: User,
    now: datetime,
) -> Document:
    """The order's document of ``kind`` (the stored one when it was issued)."""
    order = session.get(Order, order_id)
    return issue(
        session,
        kind=kind,
        subject=f"order:{order_id}",
        language=language,
        gather=lambda: fields(session, order_id, language),
        links={
            "order_id": order_id if order else None,
            "distributor_id": order.distributor_id if order else None,
        },
        actor=actor,
        now=now,
    )


def register_order_kind(kind: DocumentKind, needs: tuple[str, ...], fields: OrderFields) -> None:
    def regather(session: Session, original: Document, site: str) -> Gather:
        order_id, language = original.order_id, Language(original.language)
        assert order_id is not None
        return lambda: fields(session, order_id, language)

    register(kind, KindSpec(needs=needs, regather=regather))
