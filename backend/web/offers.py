"""Commercial offers (`/offers`) for finance and the admin: the form (a partner by ID or a
prospect company by name and INN, a price list, the date the offer holds until, the language)
and the offers issued so far with their PDFs. Issuing calls the service the API calls
(`backend.documents.service.issue_offer`); a refusal is shown next to its field (or above the
form, with the missing company details), nothing is written."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from backend.catalog import service as catalog
from backend.core.db import SessionDep
from backend.core.errors import AppError
from backend.core.model_base import Language
from backend.documents import service as documents
from backend.documents.models import DocumentKind, OfferRequest
from backend.web.admin_requisites import LABELS as REQUISITE_LABELS
from backend.web.deps import NowDep
from backend.web.documents import pdf_path
from backend.web.i18n import N_
from backend.web.render import PageUser, render
from backend.web.sessions import check_csrf

CsrfChecked = [Depends(check_csrf)]
RECENT = 30
FIELD_ERRORS = {
    "recipient": N_("Enter either a partner's ID or a prospect company's name, not both."),
    "distributor_id": N_("There is no partner with this ID."),
    "prospect_inn": N_(
        "This INN is wrong: 10 digits for a company, 12 for a person, with its check digits."
    ),
    "price_list_id": N_("Choose a price list with products on it."),
    "valid_until": N_("Enter a date from today on."),
}
REFUSALS = {
    "requisites_missing": N_(
        "The company's details lack what an offer needs: an administrator fills them in first."
    ),
    "template_missing": N_("No offer text is published yet."),
}


def offers_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    issued: Annotated[int | None, Query(gt=0, le=2**31 - 1)] = None,
) -> Response:
    form = {"valid_until": (now.date() + timedelta(days=30)).isoformat(), "language": user.language}
    return _page(request, session, form, issued=issued)


def _page(
    request: Request,
    session: Session,
    form: dict[str, str],
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    refusal: dict[str, Any] | None = None,
    issued: int | None = None,
) -> Response:
    lists, _total = catalog.list_price_lists(session, offset=0, limit=200)
    user = request.state.page_user
    rows, total = documents.listing(session, actor=user, kind=DocumentKind.offer, limit=RECENT)
    return render(
        request,
        "offers.html",
        status_code=status_code,
        here="/offers",
        form=form,
        errors=errors or {},
        refusal=refusal,
        price_lists=[row for row in lists if row.active],
        rows=rows,
        total=total,
        issued=issued,
        pdf_path=pdf_path,
        requisite_labels=REQUISITE_LABELS,
    )


def issue_offer(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    distributor_id: Annotated[str, Form(max_length=12)] = "",
    prospect_name: Annotated[str, Form(max_length=200)] = "",
    prospect_inn: Annotated[str, Form(max_length=20)] = "",
    price_list_id: Annotated[str, Form(max_length=12)] = "",
    valid_until: Annotated[str, Form(max_length=10)] = "",
    language: Annotated[str, Form(max_length=2)] = "ru",
) -> Response:
    form = {
        "distributor_id": distributor_id,
        "prospect_name": prospect_name,
        "prospect_inn": prospect_inn,
        "price_list_id": price_list_id,
        "valid_until": valid_until,
        "language": language,
    }
    errors: dict[str, str] = {}
    try:
        request_data = OfferRequest(
            distributor_id=int(distributor_id) if distributor_id.strip() else None,
            prospect_name=prospect_name.strip() or None,
            prospect_inn=prospect_inn.strip() or None,
            price_list_id=int(price_list_id) if price_list_id.strip().isdigit() else 0,
            valid_until=date.fromisoformat(valid_until),
            language=Language(language) if language in ("ru", "en") else Language.ru,
        )
    except (ValueError, ValidationError) as wrong:
        fields = (
            [str(e["loc"][0]) for e in wrong.errors()] if isinstance(wrong, ValidationError) else []
        )
        for name in fields or _guess(form):
            errors[name] = FIELD_ERRORS.get(name, FIELD_ERRORS["recipient"])
        return _page(request, session, form, status_code=422, errors=errors)
    try:
        document = documents.issue_offer(session, request_data, actor=user, now=now)
    except AppError as refused:
        session.rollback()
        field = _field_of(refused)
        if field is not None:
            errors[field] = FIELD_ERRORS[field]
            return _page(request, session, form, status_code=refused.status_code, errors=errors)
        missing = []
        if isinstance(refused.details, dict):
            missing = [str(name) for name in refused.details.get("missing", [])]
        refusal = {"lead": REFUSALS.get(refused.code, refused.message), "missing": missing}
        return _page(request, session, form, status_code=refused.status_code, refusal=refusal)
    return RedirectResponse(f"/offers?issued={document.id}", status_code=303)


def _guess(form: dict[str, str]) -> list[str]:
    """The fields a value that is not a number or a date came from."""
    wrong = []
    if form["distributor_id"].strip() and not form["distributor_id"].strip().isdigit():
        wrong.append("distributor_id")
    try:
        date.fromisoformat(form["valid_until"])
    except ValueError:
        wrong.append("valid_until")
    return wrong or ["recipient"]


def _field_of(refused: AppError) -> str | None:
    if refused.code in ("recipient", "prospect_inn", "valid_until_past"):
        return "valid_until" if refused.code == "valid_until_past" else refused.code
    if refused.code == "price_list_empty":
        return "price_list_id"
    if refused.code == "not_found":
        return "distributor_id" if "distributor" in refused.message else "price_list_id"
    return None


def add_offer_pages(router: APIRouter) -> None:
    router.add_api_route("/offers", offers_page, methods=["GET"])
    router.add_api_route("/offers", issue_offer, methods=["POST"], dependencies=CsrfChecked)
