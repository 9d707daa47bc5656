"""Finance issues a partner's reconciliation statement (`/finance/reconciliation`): a form of
partner, range, currency and language, each refusal beside its field (a reversed, future or too
long range, an unknown partner, a currency the partner has no settlements in), the company's
missing details above the form; the latest statements below it with their PDFs. The form posts
to the service the JSON API calls, so it refuses what the API refuses; the partner downloads
their statement on `/documents`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from backend.core.db import SessionDep
from backend.core.errors import AppError
from backend.core.model_base import Language
from backend.core.types import MAX_ID
from backend.documents import service as documents
from backend.web.admin_forms import add_routes
from backend.web.admin_requisites import LABELS as REQUISITE_LABELS
from backend.web.deps import NowDep
from backend.web.documents import pdf_path, reconciliation_scope
from backend.web.finance import TABS as FINANCE_TABS
from backend.web.i18n import N_
from backend.web.render import PageUser, language_of, render

PATH = "/finance/reconciliation"
FIELDS = ("partner", "from", "to", "currency", "language")
#: The service's refusals, each shown beside the field it concerns.
PROBLEMS = {
    "range_reversed": ("to", N_("The last day is before the first day.")),
    "range_future": ("to", N_("The last day cannot be after today.")),
    "range_too_long": ("from", N_("A statement covers at most %(days)s days: split the range.")),
    "not_found": ("partner", N_("There is no partner with this ID.")),
    "currency_unused": (
        "currency",
        N_("The partner has no settlements in this currency up to the last day."),
    ),
}
#: The same refusal when the partner has settlements in other currencies.
USED = N_("The partner has no settlements in this currency up to the last day; theirs: %(codes)s.")
BAD = {
    "partner": N_("Enter the partner's ID, a whole number from 1."),
    "from": N_("Enter a date like 2026-03-01."),
    "to": N_("Enter a date like 2026-05-31."),
    "currency": N_("Enter a currency code like RUB or USDT: 3 to 12 Latin letters and digits."),
    "language": N_("Choose a language."),
}


def _page(
    request: Request,
    session: SessionDep,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, Any] | None = None,
    refused: dict[str, Any] | None = None,
    issued: int | None = None,
) -> Response:
    latest = documents.issued_reconciliations(session)
    return render(
        request,
        "finance_reconciliation.html",
        status_code=status_code,
        tabs=FINANCE_TABS,
        values=values or {},
        errors=errors or {},
        refused=refused,
        requisite_labels=REQUISITE_LABELS,
        latest=latest,
        issued=next((row for row in latest if row.id == issued), None),
        scope=reconciliation_scope,
        pdf_path=pdf_path,
        max_days=documents.MAX_DAYS,
    )


def reconciliation_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    issued: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
) -> Response:
    values = {"currency": "RUB", "language": language_of(request, user).value}
    return _page(request, session, values=values, issued=issued)


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip()[:40] if isinstance(value, str) else ""


def _parsed(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form's values as the service takes them, and the fields that are not."""
    parsed: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    partner = values["partner"]
    if partner.isdigit() and 0 < int(partner) <= MAX_ID:
        parsed["partner"] = int(partner)
    else:
        errors["partner"] = {"text": BAD["partner"], "values": {}}
    for name in ("from", "to"):
        try:
            parsed[name] = date.fromisoformat(values[name])
        except ValueError:
            errors[name] = {"text": BAD[name], "values": {}}
    currency = values["currency"]
    if 3 <= len(currency) <= 12 and currency.isascii() and currency.isalnum():
        parsed["currency"] = currency.upper()
    else:
        errors["currency"] = {"text": BAD["currency"], "values": {}}
    if values["language"] in {language.value for language in Language}:
        parsed["language"] = Language(values["language"])
    else:
        errors["language"] = {"text": BAD["language"], "values": {}}
    return parsed, errors


async def issue_statement(
    request: Request, session: SessionDep, user: PageUser, now: NowDep
) -> Response:
    form = await request.form()
    values = {name: _text(form, name) for name in FIELDS}
    parsed, errors = _parsed(values)
    if errors:
        return _page(request, session, status_code=422, values=values, errors=errors)
    try:
        document = documents.issue_reconciliation(
            session,
            parsed["partner"],
            currency=parsed["currency"],
            start=parsed["from"],
            end=parsed["to"],
            language=parsed["language"],
            actor=user,
            now=now,
        )
    except AppError as refused:
        session.rollback()
        session.refresh(user)
        return _refused(request, session, values, refused)
    return RedirectResponse(f"{PATH}?issued={document.id}#issued", status_code=303)


def _refused(
    request: Request, session: SessionDep, values: dict[str, str], refused: AppError
) -> Response:
    details = refused.details if isinstance(refused.details, dict) else {}
    if refused.code in PROBLEMS:
        field, text = PROBLEMS[refused.code]
        error: dict[str, Any] = {"text": text, "values": {"days": documents.MAX_DAYS}}
        if refused.code == "currency_unused" and details.get("currencies"):
            error = {"text": USED, "values": {"codes": ", ".join(details["currencies"])}}
        errors = {field: error}
        return _page(
            request, session, status_code=refused.status_code, values=values, errors=errors
        )
    missing = [str(name) for name in details.get("missing", [])]
    shown = {"code": refused.code, "message": refused.message, "missing": missing}
    return _page(request, session, status_code=refused.status_code, values=values, refused=shown)


def add_reconciliation_pages(router: APIRouter) -> None:
    add_routes(router, pages=[(PATH, reconciliation_page)], forms=[(PATH, issue_statement)])
