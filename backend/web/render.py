"""Rendering a page, the page guard (login and role), and the error pages.

`render` picks the environment of the reader's language (their account's, else the language
cookie, else Russian) and adds what every page needs: the user, the CSRF token, their menu.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, cast
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.accounts.models import User
from backend.core.db import SessionDep
from backend.core.errors import AppError, NotFound
from backend.core.model_base import Language, Role
from backend.core.types import MAX_ID
from backend.web.i18n import DEFAULT_LANGUAGE, N_, parse_language
from backend.web.policy import PAGE_POLICY, PUBLIC, allowed
from backend.web.sessions import (
    LANGUAGE_COOKIE,
    SEE_AS_END,
    CsrfRefused,
    LoginRequired,
    ReadOnlyView,
    SeeingAs,
    csrf_token,
    page_user,
    remember_browser,
    seeing_as,
)

log = logging.getLogger(__name__)

# The menu, in order; each entry shows only to the roles its page's policy allows (an entry
# whose page has no policy yet shows to nobody). An office with more pages than the menu holds
# lists them as tabs on its pages (`_tabs.html`).
MENU = (
    ("/home", N_("Home")),
    ("/tree", N_("Team")),
    ("/training", N_("Training")),
    ("/statements", N_("My statements")),
    ("/placement", N_("My placement")),
    ("/documents", N_("My documents")),
    ("/shop", N_("Catalogue")),
    ("/shop/orders", N_("My orders")),
    ("/shop/customers", N_("My customers")),
    ("/payout", N_("Payouts")),
    ("/reports", N_("Reports")),
    ("/finance/periods", N_("Periods")),
    ("/finance/vault", N_("Vault")),
    ("/offers", N_("Offers")),
    ("/audit/history", N_("Chain history")),
    ("/audit/reconciliation", N_("Reconciliation")),
    ("/audit/packages", N_("Packages")),
    ("/audit/documents", N_("Documents")),
    ("/warehouse", N_("Stock")),
    ("/warehouse/movements", N_("Movements")),
    ("/warehouse/picklist", N_("To ship")),
    ("/admin", N_("Administration")),
    ("/accounts", N_("Accounts")),
    ("/profile", N_("Profile")),
)
ROLE_NAMES = {
    Role.admin: N_("Administrator"),
    Role.finance: N_("Finance"),
    Role.auditor: N_("Auditor"),
    Role.warehouse: N_("Warehouse"),
    Role.distributor: N_("Distributor"),
}
# Status words as a person reads them.
STATUS_NAMES = {
    "active": N_("active"),
    "inactive": N_("inactive"),
    "terminated": N_("terminated"),
    "open": N_("open"),
    "computed": N_("computed"),
    "approved": N_("approved"),
    "anchored": N_("anchored on chain"),
    "paying": N_("being paid"),
    "paid": N_("paid"),
}
# Paths that belong to the JSON API: their errors keep the API's JSON shape.
API_PREFIXES = ("/api/", "/health", "/docs", "/redoc", "/openapi.json", "/static/")


def is_page_path(path: str) -> bool:
    return path != "/api" and not path.startswith(API_PREFIXES)


def is_htmx(request: Request) -> bool:
    """htmx asked (it swaps a fragment in); a browser without scripts gets the whole page."""
    return request.headers.get("HX-Request") == "true"


def check_id(number: int, what: str = "distributor") -> None:
    """An id in a page's path outside the database's range: that page is not found (404)."""
    if not 0 < number <= MAX_ID:
        raise NotFound(f"{what} {number} not found")


def language_of(request: Request, user: User | None) -> Language:
    if user is not None:
        return Language(user.language)
    return parse_language(request.cookies.get(LANGUAGE_COOKIE)) or DEFAULT_LANGUAGE


def menu_for(user: User | None) -> list[tuple[str, str]]:
    if user is None:
        return []
    return [
        (path, label)
        for path, label in MENU
        if (rule := PAGE_POLICY.get(("GET", path))) is not None and allowed(rule, Role(user.role))
    ]


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Response:
    user: User | None = getattr(request.state, "page_user", None)
    seeing: SeeingAs | None = getattr(request.state, "seeing_as", None)
    environments: dict[Language, Environment] = request.app.state.page_environments
    # An admin seeing a partner's office reads it in the admin's language.
    language = language_of(request, seeing.admin if seeing else user)
    values = {
        "request": request,
        "user": user,
        "role_name": ROLE_NAMES[Role(user.role)] if user else None,
        "role_names": ROLE_NAMES,
        "status_names": STATUS_NAMES,
        "language": language.value,
        "csrf_token": csrf_token(request),
        "menu": menu_for(user),
        "seeing_as": seeing,
        "path": request.url.path,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    html = environments[language].get_template(template).render(values | context)
    response = HTMLResponse(html, status_code=status_code)
    remember_browser(request, response)
    return response


def guard(request: Request, session: SessionDep) -> User | None:
    """Router-level: who is asking, and whether their role may open this page. An admin
    seeing a partner's office is that partner for every page, read-only: any POST but the one
    that ends the view is refused."""
    user = page_user(request, session)
    route = request.scope.get("route")
    path = getattr(route, "path", "")
    seeing = seeing_as(request, session, user)
    request.state.seeing_as = seeing
    if seeing is not None and (request.method, path) != ("POST", SEE_AS_END):
        if request.method != "GET":
            request.state.page_user = seeing.user
            raise ReadOnlyView
        user = seeing.user
    request.state.page_user = user
    rule = PAGE_POLICY.get((request.method, path))
    if rule is None:
        raise _Forbidden
    if rule == PUBLIC:
        return user
    if user is None:
        raise LoginRequired
    if not allowed(rule, Role(user.role)):
        raise _Forbidden
    return user


class _Forbidden(AppError):
    status_code = 403
    code = "role_forbidden"

    def __init__(self) -> None:
        super().__init__("your role may not open this page")


def logged_in(request: Request) -> User:
    user: User | None = getattr(request.state, "page_user", None)
    if user is None:  # the guard let an anonymous visitor through to a page that needs a user
        raise LoginRequired
    return user


PageUser = Annotated[User, Depends(logged_in)]

ERROR_TEXTS = {
    400: (N_("The request is not valid"), N_("Check what you entered and try again.")),
    403: (
        N_("Access denied"),
        N_("Your role may not open this page, or it shows another person's data."),
    ),
    404: (N_("Page not found"), N_("There is no page at this address.")),
    405: (N_("Not allowed"), N_("This page cannot be opened this way.")),
    500: (N_("Something went wrong"), N_("The error is on our side. Try again in a minute.")),
}
READ_ONLY_TEXT = N_(
    "You are viewing a partner's office read-only: nothing can be changed here. Stop viewing "
    "to work as yourself again."
)
CSRF_TEXT = N_(
    "The form has expired or did not come from this site. Reload the page and try again."
)


def error_page(request: Request, status_code: int, text: str | None = None) -> Response:
    title, default_text = ERROR_TEXTS.get(status_code, ERROR_TEXTS[400])
    return render(
        request,
        "error.html",
        status_code=status_code,
        title=title,
        text=text or default_text,
        status=status_code,
    )


Handler = Callable[[Request, Exception], Awaitable[Response]]


def install_page_errors(app: FastAPI) -> None:
    """Errors on a page path become pages; on the API's paths they keep the JSON handlers
    `install_error_handlers` registered (installed first)."""

    def either(exc_class: type[Exception], page: Callable[[Request, Exception], Response]) -> None:
        # The API's handlers are all `async def` (backend.core.errors).
        api_handler = cast(Handler, app.exception_handlers[exc_class])

        async def handle(request: Request, exc: Exception) -> Response:
            if is_page_path(request.url.path):
                return page(request, exc)
            return await api_handler(request, exc)

        app.add_exception_handler(exc_class, handle)

    def app_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)
        status = exc.status_code if exc.status_code in ERROR_TEXTS else 400
        return error_page(request, status)

    def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return error_page(request, exc.status_code if exc.status_code in ERROR_TEXTS else 400)

    def invalid(request: Request, _exc: Exception) -> Response:
        # A malformed id in an address is a page that does not exist.
        return error_page(request, 404 if request.method == "GET" else 400)

    def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on a page", exc_info=exc)
        return error_page(request, 500)

    either(AppError, app_error)
    either(StarletteHTTPException, http_error)
    either(RequestValidationError, invalid)
    either(Exception, crash)

    async def login_required(request: Request, _exc: Exception) -> Response:
        target = "/login"
        if request.method == "GET" and request.url.path not in ("/", "/login"):
            target += "?next=" + quote(request.url.path, safe="/")
        return RedirectResponse(target, status_code=303)

    async def csrf_refused(request: Request, _exc: Exception) -> Response:
        return error_page(request, 403, CSRF_TEXT)

    app.add_exception_handler(LoginRequired, login_required)

    async def read_only(request: Request, _exc: Exception) -> Response:
        return error_page(request, 403, READ_ONLY_TEXT)

    app.add_exception_handler(CsrfRefused, csrf_refused)
    app.add_exception_handler(ReadOnlyView, read_only)
