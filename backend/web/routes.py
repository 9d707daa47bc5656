"""The pages: login and logout, the home each role lands on, the profile, a distributor's record,
the accounts list. Each handler parses, calls a domain service, renders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from backend.accounts import service as accounts
from backend.core.db import SessionDep
from backend.core.errors import TooManyRequests, Unauthorized
from backend.core.model_base import Role
from backend.documents import service as agreements
from backend.genealogy.cards import card_of
from backend.web.admin import add_admin_pages
from backend.web.admin_catalogue import add_catalogue_pages
from backend.web.admin_plan import add_plan_pages
from backend.web.admin_price_lists import add_price_list_pages
from backend.web.admin_requisites import add_admin_requisite_pages
from backend.web.admin_sales_plan import add_admin_sales_plan_pages
from backend.web.admin_templates import add_admin_template_pages
from backend.web.admin_training import add_admin_training_pages
from backend.web.admin_warehouses import add_admin_warehouse_pages
from backend.web.agreement import add_agreement_pages
from backend.web.audit import add_audit_pages
from backend.web.cards import add_card_pages
from backend.web.dashboard import distributor_home
from backend.web.deps import ClientAddressDep, NowDep, SettingsDep
from backend.web.disclosure import add_disclosure_pages
from backend.web.documents import add_document_pages
from backend.web.finance import add_finance_pages
from backend.web.finance_bank import add_finance_bank_pages
from backend.web.i18n import DEFAULT_LANGUAGE, N_, parse_language
from backend.web.offers import add_offer_pages
from backend.web.order_documents import add_order_document_pages
from backend.web.payout import add_payout_pages
from backend.web.profile import add_profile_pages
from backend.web.reconciliation import add_reconciliation_pages
from backend.web.render import PageUser, check_id, guard, language_of, render
from backend.web.reports import add_report_pages
from backend.web.sessions import (
    LANGUAGE_COOKIE,
    check_csrf,
    end_session_cookie,
    set_language_cookie,
    start_session,
)
from backend.web.shop import add_shop_pages
from backend.web.statements import add_statement_pages
from backend.web.training import add_training_pages
from backend.web.training_team import add_training_team_pages
from backend.web.tree import add_tree_pages
from backend.web.verify import add_verify_pages
from backend.web.warehouse import add_warehouse_pages

router = APIRouter(include_in_schema=False, dependencies=[Depends(guard)])
CsrfChecked = [Depends(check_csrf)]
ACCOUNTS_PAGE = 50


def safe_next(target: str | None) -> str:
    """Only a path on this site (never `//evil.example` or a full URL)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/home"


@router.get("/")
def start(request: Request) -> Response:
    user = request.state.page_user
    return RedirectResponse("/home" if user else "/login", status_code=303)


@router.get("/login")
def login_page(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    if request.state.page_user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", email="", next=safe_next(next), errors={})


LOGIN_ERRORS = {
    "account_disabled": N_("This account is disabled."),
    "distributor_terminated": N_("This distributor was terminated; the login is closed."),
}


@router.post("/login", dependencies=CsrfChecked)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    client_address: ClientAddressDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=500)] = "/home",
) -> Response:
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = N_("Enter your e-mail.")
    if not password:
        errors["password"] = N_("Enter your password.")
    status, minutes = 422, 0
    if not errors:
        try:
            user = accounts.authenticate(
                session,
                email=email,
                password=password,
                client_address=client_address,
                settings=settings,
                now=now,
            )
        except TooManyRequests as refused:
            status, minutes = 429, max(1, -(-refused.retry_after_seconds // 60))
            errors["password"] = N_("Too many failed logins. Try again in a few minutes.")
        except Unauthorized as refused:
            status = 401
            errors["password"] = LOGIN_ERRORS.get(refused.code, N_("Wrong e-mail or password."))
        else:
            # A language chosen on the login page is the person's choice: remember it.
            chosen = parse_language(request.cookies.get(LANGUAGE_COOKIE))
            if chosen is not None and chosen != user.language:
                accounts.set_language(session, user, chosen)
            response = RedirectResponse(safe_next(next), status_code=303)
            start_session(request, response, session, user, now=now)
            set_language_cookie(request, response, language_of(request, user))
            return response
    return render(
        request,
        "login.html",
        status_code=status,
        email=email,
        next=safe_next(next),
        errors=errors,
        retry_minutes=minutes,
    )


@router.post("/logout", dependencies=CsrfChecked)
def logout(request: Request, session: SessionDep, user: PageUser) -> Response:
    accounts.log_out(session, user)
    response = RedirectResponse("/login", status_code=303)
    end_session_cookie(request, response)
    return response


@router.post("/language", dependencies=CsrfChecked)
def switch_language(
    request: Request,
    session: SessionDep,
    language: Annotated[str, Form(max_length=5)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    chosen = parse_language(language) or DEFAULT_LANGUAGE
    user = request.state.page_user
    if user is not None:
        accounts.set_language(session, user, chosen)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_language_cookie(request, response, chosen)
    return response


@router.get("/home")
def home(request: Request, session: SessionDep, user: PageUser) -> Response:
    if user.role != Role.distributor or user.distributor_id is None:
        return render(request, "home_staff.html")
    return distributor_home(request, session, user)


@router.get("/distributors/{distributor_id}")
def distributor_page(
    request: Request, session: SessionDep, user: PageUser, distributor_id: int
) -> Response:
    check_id(distributor_id)
    card = card_of(session, user, distributor_id)
    # Staff read the partner's acceptances of the agreement on their record.
    accepted = (
        None if user.role == Role.distributor else agreements.acceptances(session, distributor_id)
    )
    return render(
        request,
        "distributor.html",
        card=card,
        tree_width=request.app.state.settings.tree_width,
        acceptances=accepted,
    )


@router.get("/accounts")
def accounts_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    items, total = accounts.list_users(
        session, offset=(page - 1) * ACCOUNTS_PAGE, limit=ACCOUNTS_PAGE
    )
    pages = max(1, -(-total // ACCOUNTS_PAGE))
    return render(request, "accounts.html", items=items, total=total, page=page, pages=pages)


add_statement_pages(router)
add_verify_pages(router)
add_tree_pages(router)
add_shop_pages(router)
add_profile_pages(router)
add_payout_pages(router)
add_agreement_pages(router)
add_offer_pages(router)
add_card_pages(router)
add_audit_pages(router)
add_plan_pages(router)
add_catalogue_pages(router)
add_price_list_pages(router)
add_admin_warehouse_pages(router)
add_admin_requisite_pages(router)
add_admin_sales_plan_pages(router)
add_admin_template_pages(router)
add_warehouse_pages(router)
add_admin_pages(router)
add_finance_pages(router)
add_document_pages(router)
add_reconciliation_pages(router)
add_order_document_pages(router)
add_finance_bank_pages(router)
add_report_pages(router)
add_disclosure_pages(router)
add_admin_training_pages(router)
# The team's page before the courses': /training/team is not a course called "team".
add_training_team_pages(router)
add_training_pages(router)
