"""The partner's shop pages: the catalogue at their prices, the cart, placing the order, their
order history and one order, their retail customers. Each handler parses, calls
`backend.orders.shop` (or the customers service), renders.

The cart lives in a signed cookie (product ids, quantities, the customer and the warehouse
chosen, a random id), bound to the account: no table and no migration for what is not yet
business data, nothing to clean up when a cart is abandoned, and the server prices and checks
everything again from the database, so the cookie only says what the partner asked for. The
signature keeps a cart made for one account out of another's session on a shared browser.
Placing the order uses the cart's id and contents as the service's idempotency key: a double
submit (two clicks, a retried request) gets the one order back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.db import SessionDep
from backend.core.errors import AppError, NotFound
from backend.core.model_base import ProductCategory
from backend.core.types import MAX_ID
from backend.documents import service as documents
from backend.orders import customers, shop
from backend.orders.models import RetailCustomerCreate
from backend.stock.service import InsufficientStock
from backend.web.deps import NowDep, SettingsDep
from backend.web.documents import KIND_NAMES, pdf_path
from backend.web.i18n import N_, load_translations
from backend.web.render import PageUser, check_id, is_htmx, language_of, render
from backend.web.sessions import check_csrf, cookie_flags

CART_COOKIE = "lineage_cart"
COOKIE_LIMIT = 3800  # bytes: browsers keep at least 4096 per cookie, name and attributes included
PAGE = 24
HISTORY_PAGE = 50
CsrfChecked = [Depends(check_csrf)]

CATEGORY_NAMES = {
    ProductCategory.product: N_("Products"),
    ProductCategory.kit: N_("Starter kits"),
    ProductCategory.fee: N_("Fees"),
}
ORDER_STATUS_NAMES = {
    "placed": N_("placed"),
    "paid": N_("paid for"),
    "shipped": N_("shipped"),
    "cancelled": N_("cancelled"),
    "returned": N_("returned"),
}
PAYMENT_NAMES = {
    shop.PaymentState.awaiting: N_("awaiting payment"),
    shop.PaymentState.paid: N_("payment received"),
    shop.PaymentState.unpaid: N_("not paid"),
}
LINE_PROBLEMS = {
    shop.LineProblem.gone: N_("This product no longer exists. Remove it from the cart."),
    shop.LineProblem.not_for_sale: N_("This product is no longer for sale. Remove it."),
    shop.LineProblem.not_listed: N_("This product is not on your price list. Remove it."),
    shop.LineProblem.short: N_("Not enough in stock at the chosen warehouse."),
}
REFUSED = N_("The order was not placed. Check the cart and try again.")
ORDER_PROBLEMS = {
    "no_warehouse": N_("No warehouse ships to you yet. Contact the company."),
    "currencies": N_("These products are priced in different currencies: order them separately."),
    "vat_rate_missing": N_(
        "No VAT rate is in force for some of these products today; the company must add one."
    ),
    "order_too_large": N_("The order is too large. Check the quantities or split it."),
    "empty": N_("The cart is empty."),
    "short": LINE_PROBLEMS[shop.LineProblem.short],
    "refused": REFUSED,
    "changed": N_(
        "The cart changed since this page was shown (perhaps in another tab). "
        "Check it and place the order again."
    ),
}
QUANTITY_ERROR = N_("Enter a whole number from 0 to %(max)s.")
ADD_QUANTITY_ERROR = N_("Enter how many to add: a whole number from 1 to %(max)s.")
CART_FULL = N_("The cart is full: an order holds at most %(max)s products.")
CUSTOMER_ERRORS = {
    "first_name": N_("Enter the first name (up to 200 characters)."),
    "last_name": N_("Enter the last name (up to 200 characters)."),
    "email": N_("Enter a valid e-mail, or leave it empty."),
    "phone": N_("Enter a phone number of digits, spaces, brackets and dashes, or leave it empty."),
}


# The cart cookie -----------------------------------------------------------------------------


def _signature(request: Request, payload: str) -> str:
    key = request.app.state.jwt_secret.encode()
    return hmac.new(key, f"cart|{payload}".encode(), hashlib.sha256).hexdigest()[:32]


class CartState:
    """The cart of this request's account and its random id (a new id for a new cart)."""

    def __init__(self, cart: shop.Cart, cart_id: str) -> None:
        self.cart, self.cart_id = cart, cart_id

    @property
    def version(self) -> str:
        """A digest of what the cart holds: the order form carries it, so a form shown
        before the cart changed (another tab) does not place what the partner did not see."""
        lines = [(x.product_id, x.quantity) for x in self.cart.lines]
        content = json.dumps([lines, self.cart.customer_id, self.cart.warehouse_id])
        return hashlib.sha256(content.encode()).hexdigest()[:16]

    @property
    def count(self) -> int:
        return len(self.cart.lines)


def read_cart(request: Request, user: User) -> CartState:
    raw = request.cookies.get(CART_COOKIE, "")
    payload, _, signature = raw.rpartition(".")
    if payload and hmac.compare_digest(signature, _signature(request, payload)):
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
            if data["u"] == user.id:
                lines = tuple(shop.CartLine(int(p), int(q)) for p, q in data["l"])
                cart = shop.Cart(lines, data["c"], data["w"])
                return CartState(cart, str(data["k"]))
        except (ValueError, KeyError, TypeError):
            pass
    return CartState(shop.Cart(), secrets.token_urlsafe(12))


def _cookie_value(request: Request, user: User, state: CartState) -> str:
    cart = state.cart
    data = {
        "u": user.id,
        "k": state.cart_id,
        "c": cart.customer_id,
        "w": cart.warehouse_id,
        "l": [[x.product_id, x.quantity] for x in cart.lines],
    }
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    return f"{payload}.{_signature(request, payload)}"


def fits(request: Request, user: User, state: CartState) -> bool:
    return len(_cookie_value(request, user, state)) <= COOKIE_LIMIT


def write_cart(request: Request, response: Response, user: User, state: CartState) -> None:
    response.set_cookie(CART_COOKIE, _cookie_value(request, user, state), **cookie_flags(request))


def clear_cart(request: Request, response: Response) -> None:
    response.delete_cookie(CART_COOKIE, **cookie_flags(request))


def _back(target: str | None, default: str) -> str:
    """Only a path of the shop (never another site)."""
    if target and target.startswith("/shop") and not target.startswith(("//", "/\\")):
        return target
    return default


def _parse_id(value: str) -> int | None:
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 < number <= MAX_ID else None


def _parse_quantity(value: str) -> int | None:
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if 0 <= number <= shop.MAX_QUANTITY else None


# Catalogue -----------------------------------------------------------------------------------


def catalogue_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    q: Annotated[str, Query(max_length=100)] = "",
    category: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    terms = shop.terms_for(session, user)
    state = read_cart(request, user)
    customer = shop.customer_of(session, terms, state.cart.customer_id)
    chosen = ProductCategory(category) if category in set(ProductCategory) else None
    offers, total = shop.catalogue(
        session,
        terms,
        retail=customer is not None,
        q=q.strip() or None,
        category=chosen,
        offset=(page - 1) * PAGE,
        limit=PAGE,
        now=now,
        vat_country=settings.vat_country,
        vat_exempt=settings.vat_exempt,
    )
    return render(
        request,
        "shop_catalogue.html",
        offers=offers,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        q=q,
        category=chosen.value if chosen else "",
        category_names=CATEGORY_NAMES,
        terms=terms,
        customer=customer,
        cart=state,
    )


def add_to_cart(
    request: Request,
    session: SessionDep,
    user: PageUser,
    product_id: Annotated[str, Form(max_length=20)] = "",
    quantity: Annotated[str, Form(max_length=20)] = "1",
    next: Annotated[str, Form(max_length=500)] = "/shop",
) -> Response:
    state = read_cart(request, user)
    wanted, amount = _parse_id(product_id), _parse_quantity(quantity)
    if wanted is None:
        raise NotFound("no such product")
    error, limit = None, shop.MAX_QUANTITY
    if not amount:
        error = ADD_QUANTITY_ERROR
    else:
        try:
            grown = CartState(state.cart.adding(wanted, amount), state.cart_id)
        except AppError as refused:
            full = refused.code == "cart_full"
            error, limit = (CART_FULL, shop.MAX_LINES) if full else (ADD_QUANTITY_ERROR, limit)
        else:
            if fits(request, user, grown):
                state = grown
            else:
                error, limit = CART_FULL, state.count
    if is_htmx(request):
        response = render(
            request, "_cart_link.html", cart=state, added=error is None, error=error, limit=limit
        )
    elif error is not None:
        gettext = load_translations(language_of(request, user)).gettext
        response = render(
            request,
            "error.html",
            status_code=422,
            title=N_("The product was not added"),
            text=gettext(error) % {"max": limit},
            status=422,
        )
    else:
        response = RedirectResponse(_back(next, "/shop"), status_code=303)
    if error is None:
        write_cart(request, response, user, state)
    return response


# Cart ----------------------------------------------------------------------------------------


def _cart_response(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    now: datetime,
    state: CartState,
    *,
    status_code: int = 200,
    line_errors: dict[int, str] | None = None,
    refusal: str | None = None,
) -> Response:
    terms, priced = _priced(session, settings, user, state, now)
    my_customers, _ = customers.list_customers(session, actor=user, offset=0, limit=500)
    htmx = is_htmx(request)
    return render(
        request,
        "_cart.html" if htmx else "shop_cart.html",
        # htmx does not swap a 4xx answer: the fragment comes back as 200 with its errors.
        status_code=200 if htmx else status_code,
        quote=priced,
        terms=terms,
        cart=state,
        customers=my_customers,
        line_errors=line_errors or {},
        line_problems=LINE_PROBLEMS,
        order_problems=ORDER_PROBLEMS,
        refusal=refusal,
        max_quantity=shop.MAX_QUANTITY,
    )


def _priced(
    session: Session, settings: Settings, user: User, state: CartState, now: datetime
) -> tuple[shop.Terms, shop.Quote]:
    """The partner's terms and the cart priced and checked by them today."""
    terms = shop.terms_for(session, user)
    country, exempt = settings.vat_country, settings.vat_exempt
    priced = shop.quote(session, terms, state.cart, now=now, vat_country=country, vat_exempt=exempt)
    return terms, priced


def cart_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageUser, now: NowDep
) -> Response:
    return _cart_response(request, session, settings, user, now, read_cart(request, user))


def update_cart(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    product_id: Annotated[str, Form(max_length=20)] = "",
    quantity: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    state = read_cart(request, user)
    wanted = _parse_id(product_id)
    if wanted is None or not state.cart.quantity_of(wanted):
        raise NotFound("this product is not in the cart")
    amount = _parse_quantity(quantity)
    if amount is None:
        errors = {wanted: QUANTITY_ERROR}
        return _cart_response(
            request, session, settings, user, now, state, status_code=422, line_errors=errors
        )
    state = CartState(state.cart.with_quantity(wanted, amount), state.cart_id)
    return _cart_changed(request, session, settings, user, now, state)


def remove_from_cart(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    product_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    state = read_cart(request, user)
    wanted = _parse_id(product_id)
    if wanted is not None:
        state = CartState(state.cart.with_quantity(wanted, 0), state.cart_id)
    return _cart_changed(request, session, settings, user, now, state)


def cart_options(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    customer_id: Annotated[str, Form(max_length=20)] = "",
    warehouse_id: Annotated[str, Form(max_length=20)] = "",
    next: Annotated[str, Form(max_length=500)] = "/shop/cart",
) -> Response:
    """Who the order is for and which warehouse ships it; a customer must be the partner's own
    (another's is a 403 page)."""
    state = read_cart(request, user)
    customer = _parse_id(customer_id) if customer_id else None
    if customer_id and customer is None:
        raise NotFound("no such customer")
    if customer is not None:
        customers.get_customer(session, customer, actor=user)
    house = _parse_id(warehouse_id) if warehouse_id else state.cart.warehouse_id
    cart = shop.Cart(state.cart.lines, customer, house)
    state = CartState(cart, state.cart_id)
    target = _back(next, "/shop/cart")
    return _cart_changed(request, session, settings, user, now, state, target=target)


def _cart_changed(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    now: datetime,
    state: CartState,
    *,
    target: str = "/shop/cart",
) -> Response:
    """htmx on the cart page: the cart as it is now; else back to `target` (post, redirect,
    get); the new cart is stored either way."""
    if target == "/shop/cart" and is_htmx(request):
        response = _cart_response(request, session, settings, user, now, state)
    else:
        response = RedirectResponse(target, status_code=303)
    write_cart(request, response, user, state)
    return response


def place_order(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    version: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    state = read_cart(request, user)

    def refused(status: int, **problems: Any) -> Response:
        return _cart_response(
            request, session, settings, user, now, state, status_code=status, **problems
        )

    if not state.cart.lines:
        return refused(422, refusal="empty")
    if version != state.version:
        return refused(409, refusal="changed")
    terms, priced = _priced(session, settings, user, state, now)
    if not priced.orderable:
        return refused(422)
    try:
        order, _created = shop.place_cart(
            session,
            user,
            terms,
            priced,
            key=f"cart-{state.cart_id}-{state.version}",
            now=now,
            default_threshold=settings.low_stock_default,
            vat_country=settings.vat_country,
            vat_exempt=settings.vat_exempt,
        )
    except InsufficientStock as shortage:
        details = shortage.details or {}
        product = details.get("product_id")
        errors = {int(product): LINE_PROBLEMS[shop.LineProblem.short]} if product else {}
        return refused(409, line_errors=errors, refusal="refused")
    except AppError as refusal:
        # Anything else the service refuses (a rule a quote cannot foresee) in general words.
        code = refusal.code if refusal.code in ORDER_PROBLEMS else "refused"
        return refused(refusal.status_code, refusal=code)
    # A replay of the same cart (a double submit) lands on the same order.
    response = RedirectResponse(f"/shop/orders/{order.id}?placed=1", status_code=303)
    clear_cart(request, response)
    return response


# Orders --------------------------------------------------------------------------------------


def orders_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    items, names, total = shop.orders_of(
        session, user, offset=(page - 1) * HISTORY_PAGE, limit=HISTORY_PAGE
    )
    return render(
        request,
        "shop_orders.html",
        items=items,
        names=names,
        total=total,
        page=page,
        pages=max(1, -(-total // HISTORY_PAGE)),
        **_order_words(),
    )


def _order_words() -> dict[str, Any]:
    return {
        "order_status_names": ORDER_STATUS_NAMES,
        "payment_names": PAYMENT_NAMES,
        "payment_state": shop.payment_state,
    }


def order_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    order_id: int,
    placed: Annotated[bool, Query()] = False,
) -> Response:
    check_id(order_id, "order")
    detail = shop.order_detail(session, order_id, actor=user)
    return render(
        request,
        "shop_order.html",
        d=detail,
        placed=placed,
        documents=documents.of_order(session, order_id, actor=user),
        kind_names=KIND_NAMES,
        pdf_path=pdf_path,
        **_order_words(),
    )


# Retail customers ----------------------------------------------------------------------------


def customers_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    return _customers(request, session, user)


def _customers(
    request: Request,
    session: Session,
    user: User,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    items, total = customers.list_customers(session, actor=user, offset=0, limit=500)
    return render(
        request,
        "shop_customers.html",
        status_code=status_code,
        items=items,
        total=total,
        errors=errors or {},
        values=values or {},
    )


def add_customer(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    first_name: Annotated[str, Form(max_length=400)] = "",
    last_name: Annotated[str, Form(max_length=400)] = "",
    email: Annotated[str, Form(max_length=400)] = "",
    phone: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    values = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone}
    try:
        data = RetailCustomerCreate(
            first_name=first_name,
            last_name=last_name,
            email=email.strip() or None,
            phone=phone.strip() or None,
        )
    except ValidationError as invalid:
        fields = {str(error["loc"][0]) for error in invalid.errors() if error["loc"]}
        errors = {name: text for name, text in CUSTOMER_ERRORS.items() if name in fields}
        return _customers(request, session, user, status_code=422, errors=errors, values=values)
    created = customers.create_customer(session, data, actor=user, now=now)
    return RedirectResponse(f"/shop/customers/{created.id}?added=1", status_code=303)


def customer_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    customer_id: int,
    added: Annotated[bool, Query()] = False,
) -> Response:
    check_id(customer_id, "retail customer")
    customer = customers.get_customer(session, customer_id, actor=user)
    items, _, total = shop.orders_of(
        session, user, customer_id=customer_id, offset=0, limit=HISTORY_PAGE
    )
    return render(
        request,
        "shop_customer.html",
        customer=customer,
        items=items,
        total=total,
        added=added,
        **_order_words(),
    )


def add_shop_pages(router: APIRouter) -> None:
    """Onto the pages' router (its guard and policy apply)."""
    get, post = ["GET"], ["POST"]
    router.add_api_route("/shop", catalogue_page, methods=get)
    router.add_api_route("/shop/cart", cart_page, methods=get)
    router.add_api_route("/shop/cart/add", add_to_cart, methods=post, dependencies=CsrfChecked)
    router.add_api_route("/shop/cart/update", update_cart, methods=post, dependencies=CsrfChecked)
    router.add_api_route(
        "/shop/cart/remove", remove_from_cart, methods=post, dependencies=CsrfChecked
    )
    router.add_api_route("/shop/cart/options", cart_options, methods=post, dependencies=CsrfChecked)
    router.add_api_route("/shop/cart/order", place_order, methods=post, dependencies=CsrfChecked)
    router.add_api_route("/shop/orders", orders_page, methods=get)
    router.add_api_route("/shop/orders/{order_id}", order_page, methods=get)
    router.add_api_route("/shop/customers", customers_page, methods=get)
    router.add_api_route("/shop/customers", add_customer, methods=post, dependencies=CsrfChecked)
    router.add_api_route("/shop/customers/{customer_id}", customer_page, methods=get)
