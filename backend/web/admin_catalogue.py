"""The administrator's catalogue and price lists. Each handler parses the form, calls the
service the JSON API calls (`backend.catalog.service`: the same validation, the same admin-log
writes), and renders; a refusal comes back next to its field. Amounts are typed as a person
writes them ("1 234,50") and stored as integer minor units of the price's currency
(`backend.core.money.parse_minor`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from backend.catalog import service as catalog
from backend.catalog.codes import COUNTRIES, DEFAULT_OKEI, DOMESTIC, OKEI
from backend.catalog.models import (
    Product,
    ProductCreate,
    ProductUpdate,
)
from backend.core.db import SessionDep
from backend.core.errors import AppError, Conflict
from backend.core.model_base import ProductCategory, VatCategory
from backend.core.money import minor_as_text
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
    points,
    redirect_done,
    refusal_field,
    validation_errors,
)
from backend.web.admin_tabs import ADMIN_TABS
from backend.web.deps import NowDep
from backend.web.i18n import N_
from backend.web.render import PageUser, check_id, render
from ledger.money import ISO_CURRENCIES

PAGE = 50
ALL_PRODUCTS = 1000  # the price list's product choice: a catalogue is far smaller

CATALOGUE_TABS = [
    ("/admin/catalogue", N_("Products")),
    ("/admin/catalogue/price-lists", N_("Price lists")),
]
CATEGORY_NAMES = {
    ProductCategory.product: N_("product"),
    ProductCategory.kit: N_("starter kit"),
    ProductCategory.fee: N_("fee"),
}
VAT_NAMES = {
    VatCategory.standard: N_("standard rate"),
    VatCategory.reduced: N_("reduced rate"),
    VatCategory.zero: N_("zero rate"),
    VatCategory.exempt: N_("exempt (no VAT)"),
}


# -- products --------------------------------------------------------------------------------


def _product_values(product: Product) -> Fields:
    exponent = ISO_CURRENCIES[product.currency][1]
    return {
        "sku": product.sku,
        "name_ru": product.name_ru,
        "name_en": product.name_en,
        "category": str(product.category),
        "currency": product.currency,
        "retail_price": minor_as_text(product.retail_price, exponent),
        "wholesale_price": minor_as_text(product.wholesale_price, exponent),
        "pv": str(product.pv),
        "cv": str(product.cv),
        "vat_category": str(product.vat_category),
        "okei_code": product.okei_code,
        "origin_country": product.origin_country,
        "tnved_code": product.tnved_code or "",
        "active": "on" if product.active else "",
    }


def page_common() -> Errors:
    return {
        "tabs": ADMIN_TABS,
        "catalogue_tabs": CATALOGUE_TABS,
        "categories": CATEGORY_NAMES,
        "vat_names": VAT_NAMES,
        "category_options": [(c.value, label) for c, label in CATEGORY_NAMES.items()],
        "vat_options": [(v.value, label) for v, label in VAT_NAMES.items()],
        "currency_options": [(code, code) for code in sorted(ISO_CURRENCIES)],
        "okei_options": [(code, f"{code} {ru} ({en})") for code, (ru, en) in OKEI.items()],
        "country_options": [(code, f"{code} {ru} ({en})") for code, (ru, en) in COUNTRIES.items()],
    }


def catalogue_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    return _catalogue(request, session, q=q, page=page, notice=DONE.get(done or ""))


def _catalogue(
    request: Request,
    session: SessionDep,
    *,
    q: str | None = None,
    page: int = 1,
    notice: str | None = None,
    status_code: int = 200,
    values: Fields | None = None,
    errors: Errors | None = None,
) -> Response:
    items, total = catalog.list_products(
        session, active=None, category=None, q=q or None, offset=(page - 1) * PAGE, limit=PAGE
    )
    return render(
        request,
        "admin_catalogue.html",
        status_code=status_code,
        here="/admin/catalogue",
        items=items,
        total=total,
        q=q or "",
        page=page,
        pages=max(1, -(-total // PAGE)),
        notice=notice,
        values=values
        or {
            "currency": "RUB",
            "category": "product",
            "pv": "0",
            "cv": "0",
            "okei_code": DEFAULT_OKEI,
            "origin_country": DOMESTIC,
            "active": "on",
        },
        errors=errors or {},
        **page_common(),
    )


def _product_form(
    sku: str,
    name_ru: str,
    name_en: str,
    category: str,
    currency: str,
    retail_price: str,
    wholesale_price: str,
    pv: str,
    cv: str,
    vat_category: str,
    codes: tuple[str, str, str],
    active: str,
) -> tuple[Fields, Errors, Errors]:
    """The form as typed, its errors, and the parsed values for the service's model; ``codes``
    are the OKEI unit, the country of origin and the TN VED code as typed."""
    okei_code, origin_country, tnved_code = codes
    values = {
        "sku": sku,
        "name_ru": name_ru,
        "name_en": name_en,
        "category": category,
        "currency": currency,
        "retail_price": retail_price,
        "wholesale_price": wholesale_price,
        "pv": pv,
        "cv": cv,
        "vat_category": vat_category,
        "okei_code": okei_code,
        "origin_country": origin_country,
        "tnved_code": tnved_code,
        "active": active,
    }
    errors: Errors = {}
    if currency not in ISO_CURRENCIES:
        errors["currency"] = error("currency")
    data = {
        "sku": sku.strip(),
        "name_ru": name_ru,
        "name_en": name_en,
        "category": category,
        "currency": currency,
        "retail_price": amount(retail_price, currency, errors, "retail_price"),
        "wholesale_price": amount(wholesale_price, currency, errors, "wholesale_price"),
        "pv": points(pv, errors, "pv"),
        "cv": points(cv, errors, "cv"),
        "vat_category": vat_category,
        "okei_code": okei_code,
        "origin_country": origin_country,
        "tnved_code": "".join(tnved_code.split()) or None,
        "active": bool(active),
    }
    if "retail_price" in errors or "wholesale_price" in errors:
        data["retail_price"] = data["wholesale_price"] = 0  # no rule about amounts not typed
    return values, errors, data


def add_product(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    sku: Short = "",
    name_ru: Text = "",
    name_en: Text = "",
    category: Short = "",
    currency: Short = "",
    retail_price: Short = "",
    wholesale_price: Short = "",
    pv: Short = "0",
    cv: Short = "0",
    vat_category: Short = "",
    okei_code: Short = DEFAULT_OKEI,
    origin_country: Short = DOMESTIC,
    tnved_code: Short = "",
    active: Short = "",
) -> Response:
    values, errors, data = _product_form(
        sku, name_ru, name_en, category, currency, retail_price, wholesale_price, pv, cv,
        vat_category, (okei_code, origin_country, tnved_code), active,
    )  # fmt: skip
    try:
        created = ProductCreate.model_validate(data)
    except ValidationError as invalid:
        errors = validation_errors(invalid) | errors
    if not errors:
        try:
            catalog.create_product(session, created, actor=user, now=now)
        except Conflict:
            session.rollback()
            errors = {"sku": error("sku_taken")}
    if errors:
        return _catalogue(request, session, status_code=422, values=values, errors=errors)
    return redirect_done("/admin/catalogue", "product_added")


def product_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    product_id: int,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    check_id(product_id, "product")
    product = catalog.get_product(session, product_id)
    return _product_page(request, product, _product_values(product), notice=DONE.get(done or ""))


def _product_page(
    request: Request,
    product: Product,
    values: Fields,
    *,
    status_code: int = 200,
    errors: Errors | None = None,
    notice: str | None = None,
) -> Response:
    return render(
        request,
        "admin_catalogue_product.html",
        status_code=status_code,
        product=product,
        values=values,
        errors=errors or {},
        notice=notice,
        **page_common(),
    )


def save_product(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    product_id: int,
    name_ru: Text = "",
    name_en: Text = "",
    category: Short = "",
    retail_price: Short = "",
    wholesale_price: Short = "",
    pv: Short = "0",
    cv: Short = "0",
    vat_category: Short = "",
    okei_code: Short = DEFAULT_OKEI,
    origin_country: Short = DOMESTIC,
    tnved_code: Short = "",
    active: Short = "",
) -> Response:
    check_id(product_id, "product")
    product = catalog.get_product(session, product_id)
    values, errors, data = _product_form(
        product.sku, name_ru, name_en, category, product.currency, retail_price,
        wholesale_price, pv, cv, vat_category, (okei_code, origin_country, tnved_code), active,
    )  # fmt: skip
    del data["sku"], data["currency"]
    try:
        update = ProductUpdate.model_validate(data)
    except ValidationError as invalid:
        errors = validation_errors(invalid) | errors
    if not errors:
        try:
            catalog.update_product(session, product_id, update, actor=user, now=now)
        except AppError as refused:
            session.rollback()
            field, key = refusal_field(refused)
            errors = {field: error(key)}
    if errors:
        session.refresh(product)
        return _product_page(request, product, values, status_code=422, errors=errors)
    return redirect_done(f"/admin/catalogue/products/{product_id}", "product_saved")


def add_catalogue_pages(router: APIRouter) -> None:
    pages: list[Route] = [
        ("/admin/catalogue", catalogue_page),
        ("/admin/catalogue/products/{product_id}", product_page),
    ]
    forms: list[Route] = [
        ("/admin/catalogue/products", add_product),
        ("/admin/catalogue/products/{product_id}", save_product),
    ]
    add_routes(router, pages=pages, forms=forms)
