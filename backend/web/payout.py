"""The partner's payouts and tax status (`/payout`): the profile in force, the form that records
a new one (errors next to each field), and the history with accounts masked. An admin seeing
the partner's office reads the page without the form (the page guard refuses the POST)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid
from backend.genealogy.access import own_distributor
from backend.payees import service as payees
from backend.payees.models import PayeeDetails, PayeeProfile, PayoutRail, TaxStatus
from backend.web.deps import NowDep
from backend.web.i18n import N_
from backend.web.render import PageUser, render
from backend.web.sessions import check_csrf

CsrfChecked = [Depends(check_csrf)]
STATUS_NAMES = {
    TaxStatus.individual: N_("Private individual"),
    TaxStatus.self_employed: N_("Self-employed (professional income tax)"),
    TaxStatus.sole_proprietor: N_("Sole proprietor"),
    TaxStatus.company: N_("Company"),
}
STATUS_HINTS = {
    TaxStatus.individual: N_(
        "The company withholds personal income tax from your payouts and pays it for you."
    ),
    TaxStatus.self_employed: N_(
        "Paid in full; you issue a receipt for each payout and pay the tax yourself."
    ),
    TaxStatus.sole_proprietor: N_("Paid in full; you pay your taxes yourself."),
    TaxStatus.company: N_("Paid in full to the company's account."),
}
RAIL_NAMES = {PayoutRail.bank: N_("Bank transfer"), PayoutRail.token: N_("Tokens to my wallet")}
FIELD_ERRORS = {
    "tax_status_missing": N_("Choose your tax status."),
    "rail_missing": N_("Choose how you want to be paid."),
    "inn_missing": N_("Enter your INN: this tax status needs it."),
    "inn_not_digits": N_("An INN has digits only."),
    "inn_length_company": N_("A company's INN has 10 digits."),
    "inn_length_person": N_("A person's INN has 12 digits."),
    "inn_checksum": N_(
        "The INN's check digits do not match: there is a typo. Compare it with your documents."
    ),
    "bik_missing": N_("Enter your bank's BIK: a bank transfer needs it."),
    "bik_format": N_("A BIK has 9 digits and starts with 04."),
    "account_missing": N_("Enter your account number: a bank transfer needs it."),
    "account_format": N_("An account number has 20 digits."),
    "account_checksum": N_(
        "This account number does not fit the bank's BIK: one of them has a typo."
    ),
    "corr_missing": N_("Enter the bank's correspondent account: a bank transfer needs it."),
    "corr_format": N_("A correspondent account has 20 digits and starts with 30101."),
    "corr_checksum": N_("This correspondent account does not fit the BIK: one of them has a typo."),
    "bank_name_length": N_("At most 200 characters."),
    "wallet_missing": N_(
        "Tokens go to your wallet, and you have not registered one yet: add it in your "
        "profile first, or choose a bank transfer."
    ),
}
FIELDS = ("tax_status", "rail", "inn", "bank_account", "bik", "corr_account", "bank_name")


def masked(account: str | None) -> str:
    """An account in the history: only its last 4 digits."""
    return "" if not account else "•••• " + account[-4:]


def payout_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    saved: Annotated[bool, Query()] = False,
) -> Response:
    return _page(request, session, user, saved=saved)


def _page(
    request: Request,
    session: Session,
    user: PageUser,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    me = own_distributor(session, user)
    assert me.id is not None
    history = payees.history(session, me.id)
    current = history[0] if history else None
    return render(
        request,
        "payout.html",
        status_code=status_code,
        here="/payout",
        distributor=me,
        current=current,
        history=history,
        form=form if form is not None else _form_of(current),
        errors=errors or {},
        saved=saved,
        statuses=STATUS_NAMES,
        status_hints=STATUS_HINTS,
        rails=RAIL_NAMES,
        masked=masked,
    )


def _form_of(profile: PayeeProfile | None) -> dict[str, str]:
    if profile is None:
        return {}
    return {name: str(getattr(profile, name) or "") for name in FIELDS}


def save_payout(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    tax_status: Annotated[str, Form(max_length=20)] = "",
    rail: Annotated[str, Form(max_length=10)] = "",
    inn: Annotated[str, Form(max_length=40)] = "",
    bank_account: Annotated[str, Form(max_length=40)] = "",
    bik: Annotated[str, Form(max_length=40)] = "",
    corr_account: Annotated[str, Form(max_length=40)] = "",
    bank_name: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    form = {
        "tax_status": tax_status,
        "rail": rail,
        "inn": inn,
        "bank_account": bank_account,
        "bik": bik,
        "corr_account": corr_account,
        "bank_name": bank_name,
    }
    errors: dict[str, str] = {}
    if tax_status not in TaxStatus.__members__:
        errors["tax_status"] = FIELD_ERRORS["tax_status_missing"]
    if rail not in PayoutRail.__members__:
        errors["rail"] = FIELD_ERRORS["rail_missing"]
    if errors:
        return _page(request, session, user, status_code=422, errors=errors, form=form)
    details = PayeeDetails(
        tax_status=TaxStatus(tax_status),
        rail=PayoutRail(rail),
        inn=inn,
        bank_account=bank_account,
        bik=bik,
        corr_account=corr_account,
        bank_name=bank_name,
    )
    me = own_distributor(session, user)
    assert me.id is not None
    try:
        payees.record(session, me.id, details, actor=user, now=now)
    except (Invalid, Conflict) as refused:
        session.rollback()
        fields = refused.details.get("fields", []) if isinstance(refused.details, dict) else []
        for problem in fields:
            errors.setdefault(problem["field"], FIELD_ERRORS[problem["code"]])
        return _page(request, session, user, status_code=422, errors=errors, form=form)
    return RedirectResponse("/payout?saved=1", status_code=303)


def add_payout_pages(router: APIRouter) -> None:
    router.add_api_route("/payout", payout_page, methods=["GET"])
    router.add_api_route("/payout", save_payout, methods=["POST"], dependencies=CsrfChecked)
