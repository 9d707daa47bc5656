"""An order's documents from its page (issue 17): finance opens the order at
`/finance/orders/{id}` (the warehouse's view of it, `backend.web.warehouse.order_view`),
presses "Invoice for payment" or "UPD" and lands on the PDF, issued
now or before. Each button posts to the service the JSON API calls, so the page refuses what
the API refuses; a refusal comes back as the order's page with its status code and the reason
in words: the order not shipped yet or cancelled, the warehouse without an address, the
company's missing details named and linked to the admin's page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from backend.core.db import SessionDep
from backend.core.errors import AppError, NotFound
from backend.documents import service as documents
from backend.documents.models import Document
from backend.orders.queries import list_orders
from backend.orders.shop import payment_state
from backend.web.admin_requisites import LABELS as REQUISITE_LABELS
from backend.web.deps import NowDep
from backend.web.documents import pdf_path
from backend.web.finance import TABS as FINANCE_TABS
from backend.web.i18n import N_
from backend.web.render import PageUser, check_id, language_of, render
from backend.web.sessions import check_csrf
from backend.web.shop import ORDER_STATUS_NAMES, PAYMENT_NAMES
from backend.web.warehouse import order_view
from backend.web.warehouse_forms import Problem

ORDER_STATE = N_(
    "This document is not issued for the order in its present state: a UPD once the order has "
    "shipped, nothing for a cancelled order."
)
NO_ADDRESS = N_(
    "The warehouse the order ships from has no address, and the UPD names it as the shipper: "
    "an administrator sets it on the warehouse's page."
)
MISSING = N_(
    "The company's details lack what this document needs (listed below): an administrator "
    "fills them in first."
)

Issue = Callable[..., Document]


def _refusal(refused: AppError) -> Problem:
    if refused.code == "order_state":
        return Problem(ORDER_STATE)
    if refused.code == "warehouse_address_missing":
        return Problem(NO_ADDRESS)
    if refused.code == "requisites_missing" and isinstance(refused.details, dict):
        names = [str(name) for name in refused.details.get("missing", [])]
        return Problem(MISSING, {"missing": [REQUISITE_LABELS.get(name, name) for name in names]})
    return Problem(refused.message)


def _issuer(issue: Issue) -> Callable[..., Response]:
    def handler(
        request: Request, session: SessionDep, user: PageUser, now: NowDep, order_id: int
    ) -> Response:
        check_id(order_id, "order")
        try:
            document = issue(
                session, order_id, language=language_of(request, user), actor=user, now=now
            )
        except AppError as refused:
            session.rollback()
            session.refresh(user)
            if isinstance(refused, NotFound):
                raise
            return order_view(
                request,
                session,
                user,
                order_id,
                status_code=refused.status_code,
                document_refused=_refusal(refused),
            )
        return RedirectResponse(pdf_path(document), status_code=303)

    return handler


ORDERS_PAGE = 50


def orders_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The company's orders, newest first, each linked to its page with its documents."""
    items, total = list_orders(
        session,
        actor=user,
        distributor_id=None,
        status=None,
        paid_from=None,
        paid_to=None,
        offset=(page - 1) * ORDERS_PAGE,
        limit=ORDERS_PAGE,
        newest_first=True,
    )
    return render(
        request,
        "finance_orders.html",
        tabs=FINANCE_TABS,
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // ORDERS_PAGE)),
        order_status_names=ORDER_STATUS_NAMES,
        payment_names=PAYMENT_NAMES,
        payment_state=payment_state,
    )


def order_page(request: Request, session: SessionDep, user: PageUser, order_id: int) -> Response:
    """The order as the warehouse sees it, with its documents and their buttons."""
    check_id(order_id, "order")
    return order_view(request, session, user, order_id)


def add_order_document_pages(router: APIRouter) -> None:
    router.add_api_route("/finance/orders", orders_page, methods=["GET"])
    router.add_api_route("/finance/orders/{order_id}", order_page, methods=["GET"])
    steps = (
        ("/finance/orders/{order_id}/invoice", documents.issue_invoice),
        ("/finance/orders/{order_id}/upd", documents.issue_upd),
    )
    for path, issue in steps:
        router.add_api_route(
            path, _issuer(issue), methods=["POST"], dependencies=[Depends(check_csrf)]
        )
