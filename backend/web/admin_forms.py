"""Form handling the admin office's catalogue and warehouse pages share: error messages
(a message key and the values its text takes, translated by the template), amounts typed as a
person writes them, whole points, pydantic's refusals mapped to their fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from backend.catalog.models import MAX_MONEY, MAX_POINTS
from backend.core.errors import AppError
from backend.core.money import AmountError, parse_minor
from backend.web.i18n import N_
from backend.web.sessions import check_csrf
from ledger.money import ISO_CURRENCIES

Fields = dict[str, str]
Errors = dict[str, Any]
Text = Annotated[str, Form(max_length=200)]
Short = Annotated[str, Form(max_length=40)]

DONE = {
    "product_added": N_("The product is added."),
    "product_saved": N_("The product is saved."),
    "list_added": N_("The price list is added."),
    "list_saved": N_("The price list is saved."),
    "price_set": N_("The price is saved."),
    "price_removed": N_("The product is taken off the price list."),
    "warehouse_added": N_("The warehouse is added."),
    "warehouse_saved": N_("The warehouse is saved."),
}
FIELD_ERRORS = {
    "sku": N_("Latin letters, digits and . _ - only, up to 64 characters."),
    "sku_taken": N_("A product with this SKU exists already."),
    "name_ru": N_("Enter the name in Russian (up to 200 characters)."),
    "name_en": N_("Enter the name in English (up to 200 characters)."),
    "name": N_("Enter a name (up to 200 characters)."),
    "list_name_taken": N_("A price list with this name exists already."),
    "currency": N_("Choose a currency."),
    "points": N_("Enter a whole number of points from 0 to %(max)s."),
    "cv_kit": N_("Starter kits and fees carry no commissionable volume: enter 0."),
    "wholesale_above_retail": N_("The wholesale price cannot be above the retail price."),
    "category": N_("Choose a category."),
    "vat_category": N_("Choose a VAT treatment."),
    "product_id": N_("Choose a product."),
    "code": N_("Latin letters, digits, _ and - only, up to 32 characters."),
    "code_taken": N_("A warehouse with this code exists already."),
    "country": N_("Two Latin letters of the country code (RU, KZ), or leave it empty."),
    "address": N_("Enter the address in up to 300 characters, or leave it empty."),
    "okei_code": N_("Choose a unit of measure."),
    "origin_country": N_("Choose a country of origin."),
    "tnved_code": N_("Ten digits of the TN VED EAEU code, or leave it empty."),
}
AMOUNT_ERRORS = {
    "format": N_("Enter an amount like 1 234,50 or 1234.50: digits, one decimal separator."),
    "decimals": N_("At most %(decimals)s digits after the decimal separator."),
    "too_large": N_("The amount is too large."),
}


def error(key: str, **values: object) -> dict[str, Any]:
    """An error message key and the values its text takes (the template translates it)."""
    return {"text": FIELD_ERRORS.get(key, key), "values": values}


def amount(text: str, currency: str, errors: dict[str, Any], field: str) -> int:
    exponent = ISO_CURRENCIES.get(currency, (0, 2))[1]
    try:
        return parse_minor(text, exponent, limit=MAX_MONEY)
    except AmountError as wrong:
        errors[field] = {"text": AMOUNT_ERRORS[wrong.reason], "values": {"decimals": exponent}}
        return 0


def points(text: str, errors: dict[str, Any], field: str) -> int:
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if not cleaned.isdigit() or not cleaned.isascii() or int(cleaned) > MAX_POINTS:
        errors[field] = error("points", max=MAX_POINTS)
        return 0
    return int(cleaned)


def refusal_field(refused: AppError) -> tuple[str, str]:
    """Which field a catalogue service's refusal belongs to, and its message key."""
    message = refused.message
    if "CV 0" in message:
        return "cv", "cv_kit"
    if "wholesale_price" in message:
        return "wholesale_price", "wholesale_above_retail"
    return "form", message


def validation_errors(invalid: ValidationError) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for problem in invalid.errors():
        where = str(problem["loc"][0]) if problem["loc"] else ""
        if not where:  # a model rule (kits' CV, wholesale within retail)
            key = "cv_kit" if "CV 0" in problem["msg"] else "wholesale_above_retail"
            errors["cv" if key == "cv_kit" else "wholesale_price"] = error(key)
        elif where in ("pv", "cv"):
            errors[where] = error("points", max=MAX_POINTS)
        else:
            errors.setdefault(where, error(where))
    return errors


def redirect_done(path: str, done: str) -> Response:
    return RedirectResponse(f"{path}?done={done}", status_code=303)


Route = tuple[str, Callable[..., Any]]


def add_routes(router: APIRouter, *, pages: list[Route], forms: list[Route]) -> None:
    """An admin section's pages (GET) and forms (POST, CSRF-checked) on the page router."""
    for path, handler in pages:
        router.add_api_route(path, handler, methods=["GET"])
    for path, handler in forms:
        router.add_api_route(path, handler, methods=["POST"], dependencies=[Depends(check_csrf)])
