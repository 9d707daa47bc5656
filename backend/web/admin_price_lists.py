"""The administrator's price lists: one per currency and audience, their items and prices.
Each handler parses the form, calls `backend.catalog.service` as the JSON API does (the same
validation, the same admin-log writes) and renders; a price is typed as a person writes it
("1 234,50") and stored as integer minor units of the list's currency."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from backend.catalog import service as catalog
from backend.catalog.models import PriceListCreate, PriceListItemIn, PriceListUpdate
from backend.core.db import SessionDep
from backend.core.errors import AppError, Conflict
from backend.core.money import minor_as_text
from backend.web.admin_catalogue import ALL_PRODUCTS, page_common
from backend.web.admin_forms import (
    DONE,
    Errors,
    Fields,
    Route,
    Short,
    Text,
    add_routes,
    amount,
    error,
    redirect_done,
    validation_errors,
)
from backend.web.deps import NowDep
from backend.web.render import PageUser, check_id, render
from ledger.money import ISO_CURRENCIES

# -- price lists -----------------------------------------------------------------------------


def price_lists_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    return _price_lists(request, session, notice=DONE.get(done or ""))


def _price_lists(
    request: Request,
    session: SessionDep,
    *,
    status_code: int = 200,
    notice: str | None = None,
    values: Fields | None = None,
    errors: Errors | None = None,
) -> Response:
    lists, _total = catalog.list_price_lists(session, offset=0, limit=1000)
    by_currency: dict[str, list[Any]] = {}
    for price_list in sorted(lists, key=lambda p: (p.currency, p.id or 0)):
        assert price_list.id is not None
        count = len(catalog.price_list_items(session, price_list.id))
        by_currency.setdefault(price_list.currency, []).append((price_list, count))
    return render(
        request,
        "admin_catalogue_price_lists.html",
        status_code=status_code,
        by_currency=by_currency,
        notice=notice,
        values=values or {"currency": "RUB", "active": "on"},
        errors=errors or {},
        **page_common(),
    )


def add_price_list(
    request: Request,
    session: SessionDep,
    user: PageUser,
    name: Text = "",
    currency: Short = "",
    active: Short = "",
) -> Response:
    values = {"name": name, "currency": currency, "active": active}
    errors: Errors = {}
    try:
        data = PriceListCreate(name=name, currency=currency, active=bool(active))
    except ValidationError as invalid:
        errors = validation_errors(invalid)
    if not errors:
        try:
            created = catalog.create_price_list(session, data)
        except Conflict:
            session.rollback()
            errors = {"name": error("list_name_taken")}
    if errors:
        return _price_lists(request, session, status_code=422, values=values, errors=errors)
    return redirect_done(f"/admin/catalogue/price-lists/{created.id}", "list_added")


def price_list_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    price_list_id: int,
    product: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    check_id(price_list_id, "price list")
    price_list = catalog.get_price_list(session, price_list_id)
    exponent = ISO_CURRENCIES[price_list.currency][1]
    values: Fields = {"product_id": str(product or "")}
    for item in catalog.price_list_items(session, price_list_id):
        if item.product_id == product:
            values["retail_price"] = minor_as_text(item.retail_price, exponent)
            values["wholesale_price"] = minor_as_text(item.wholesale_price, exponent)
    return _price_list(request, session, price_list_id, values=values, notice=DONE.get(done or ""))


def _price_list(
    request: Request,
    session: SessionDep,
    price_list_id: int,
    *,
    values: Fields,
    status_code: int = 200,
    notice: str | None = None,
    errors: Errors | None = None,
    list_values: Fields | None = None,
) -> Response:
    price_list = catalog.get_price_list(session, price_list_id)
    products, _count = catalog.list_products(
        session, active=None, category=None, q=None, offset=0, limit=ALL_PRODUCTS
    )
    names = {p.id: p for p in products}
    items = [(item, names.get(item.product_id)) for item in catalog.price_list_items(
        session, price_list_id
    )]  # fmt: skip
    return render(
        request,
        "admin_catalogue_price_list.html",
        status_code=status_code,
        price_list=price_list,
        items=items,
        products=products,
        values=values,
        list_values=list_values
        or {"name": price_list.name, "active": "on" if price_list.active else ""},
        errors=errors or {},
        notice=notice,
        **page_common(),
    )


def save_price_list(
    request: Request,
    session: SessionDep,
    user: PageUser,
    price_list_id: int,
    name: Text = "",
    active: Short = "",
) -> Response:
    check_id(price_list_id, "price list")
    list_values = {"name": name, "active": active}
    errors: Errors = {}
    try:
        data = PriceListUpdate(name=name, active=bool(active))
    except ValidationError:
        errors = {"name": error("name")}
    if not errors:
        try:
            catalog.update_price_list(session, price_list_id, data)
        except Conflict as taken:
            if taken.code != "price_list_name_taken":
                raise
            errors = {"name": error("list_name_taken")}
        except IntegrityError:  # renamed by someone else at the same moment: the same clash
            session.rollback()
            errors = {"name": error("list_name_taken")}
    if errors:
        return _price_list(
            request, session, price_list_id, values={}, status_code=422, errors=errors,
            list_values=list_values,
        )  # fmt: skip
    return redirect_done(f"/admin/catalogue/price-lists/{price_list_id}", "list_saved")


def set_price(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    price_list_id: int,
    product_id: Short = "",
    retail_price: Short = "",
    wholesale_price: Short = "",
) -> Response:
    check_id(price_list_id, "price list")
    price_list = catalog.get_price_list(session, price_list_id)
    values = {
        "product_id": product_id,
        "retail_price": retail_price,
        "wholesale_price": wholesale_price,
    }
    errors: Errors = {}
    retail = amount(retail_price, price_list.currency, errors, "retail_price")
    wholesale = amount(wholesale_price, price_list.currency, errors, "wholesale_price")
    chosen = int(product_id) if product_id.isascii() and product_id.isdigit() else 0
    if not 0 < chosen < 2**31:
        errors["product_id"] = error("product_id")
    if not errors:
        try:
            data = PriceListItemIn(
                product_id=chosen, retail_price=retail, wholesale_price=wholesale
            )
        except ValidationError as invalid:
            errors = validation_errors(invalid)
    if not errors:
        try:
            catalog.set_price(session, price_list_id, data, actor=user, now=now)
        except AppError:  # the product is gone
            session.rollback()
            errors = {"product_id": error("product_id")}
    if errors:
        return _price_list(
            request, session, price_list_id, values=values, status_code=422, errors=errors
        )
    return RedirectResponse(
        f"/admin/catalogue/price-lists/{price_list_id}?done=price_set#item-{chosen}",
        status_code=303,
    )


def remove_price(
    session: SessionDep, user: PageUser, now: NowDep, price_list_id: int, product_id: int
) -> Response:
    check_id(price_list_id, "price list")
    check_id(product_id, "product")
    catalog.remove_price(session, price_list_id, product_id, actor=user, now=now)
    return redirect_done(f"/admin/catalogue/price-lists/{price_list_id}", "price_removed")


def add_price_list_pages(router: APIRouter) -> None:
    pages: list[Route] = [
        ("/admin/catalogue/price-lists", price_lists_page),
        ("/admin/catalogue/price-lists/{price_list_id}", price_list_page),
    ]
    forms: list[Route] = [
        ("/admin/catalogue/price-lists", add_price_list),
        ("/admin/catalogue/price-lists/{price_list_id}", save_price_list),
        ("/admin/catalogue/price-lists/{price_list_id}/items", set_price),
        ("/admin/catalogue/price-lists/{price_list_id}/items/{product_id}/removal", remove_price),
    ]
    add_routes(router, pages=pages, forms=forms)
