"""The company's details (реквизиты) on the admin page `/admin/requisites`: what payment
orders, acts and bank files name as the payer, through `backend.company.requisites` (validated
all together, each change in the admin log)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from backend.company import requisites as company_requisites
from backend.company.models import REQUISITES
from backend.core.db import SessionDep
from backend.core.errors import Invalid
from backend.web.admin_forms import add_routes, redirect_done
from backend.web.admin_tabs import ADMIN_TABS
from backend.web.deps import NowDep
from backend.web.i18n import N_
from backend.web.render import PageUser, render

PATH = "/admin/requisites"
#: The longest text a field of the form takes (the service checks each detail's own limit).
MAX_FIELD = 300
LABELS = {
    "legal_name": N_("Legal name"),
    "inn": N_("INN"),
    "kpp": N_("KPP"),
    "ogrn": N_("OGRN (OGRNIP)"),
    "legal_address": N_("Legal address"),
    "bank_name": N_("Bank"),
    "bik": N_("Bank's BIK"),
    "account": N_("Settlement account"),
    "corr_account": N_("Bank's correspondent account"),
    "director": N_("Director"),
    "chief_accountant": N_("Chief accountant"),
    "vat_payer": N_("VAT payer"),
}
#: The choices of ``vat_payer`` (empty: not given yet, a UPD is refused until it is).
VAT_PAYER_OPTIONS = [
    ("", N_("Not given")),
    ("yes", N_("Yes: general tax system, VAT charged (UPD status 1)")),
    ("no", N_("No: simplified system or exempt (UPD status 2)")),
]
HINTS = {
    "legal_name": N_("As in the state register, with the legal form."),
    "inn": N_("10 digits for an organisation, 12 for an individual entrepreneur."),
    "kpp": N_("9 characters; an organisation's only (none with a 12-digit INN)."),
    "account": N_("20 digits; checked against the BIK."),
    "corr_account": N_("20 digits starting 301; checked against the BIK."),
    "director": N_("Surname and initials, as documents are signed."),
    "vat_payer": N_("Decides the UPD's status: 1 (VAT invoice and transfer document) or 2."),
}
PROBLEMS = {
    "format": N_("The format is wrong: check the number of digits."),
    "checksum": N_("The check digit does not match: check for a typo."),
    "too_long": N_("The text is too long."),
    "kpp_required": N_("An organisation (10-digit INN) needs its KPP."),
    "kpp_not_allowed": N_("An individual entrepreneur (12-digit INN) has no KPP: clear it."),
    "choice": N_("Choose one of the options."),
}


def requisites_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    return _page(request, session, saved=done == "requisites_saved")


def _page(
    request: Request,
    session: SessionDep,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, Any] | None = None,
    saved: bool = False,
) -> Response:
    states = company_requisites.states(session)
    return render(
        request,
        "admin_requisites.html",
        status_code=status_code,
        tabs=ADMIN_TABS,
        states=states,
        labels=LABELS,
        hints=HINTS,
        vat_payer_options=VAT_PAYER_OPTIONS,
        values=values or {state.name: state.value or "" for state in states},
        errors=errors or {},
        saved=saved,
    )


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value[:MAX_FIELD] if isinstance(value, str) else ""


async def save_requisites(
    request: Request, session: SessionDep, user: PageUser, now: NowDep
) -> Response:
    form = await request.form()
    values = {name: _text(form, name) for name in REQUISITES}
    try:
        company_requisites.change(session, values, actor=user, now=now)
    except Invalid as refused:
        found = refused.details if isinstance(refused.details, dict) else {}
        errors = {name: {"text": PROBLEMS[code], "values": {}} for name, code in found.items()}
        return _page(request, session, status_code=422, values=values, errors=errors)
    return redirect_done(PATH, "requisites_saved")


def add_admin_requisite_pages(router: APIRouter) -> None:
    add_routes(router, pages=[(PATH, requisites_page)], forms=[(PATH, save_requisites)])
