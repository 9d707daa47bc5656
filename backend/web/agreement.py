"""The partner's agreement (`/agreement`): the current version with their details, their
acceptance of it (or the form: a checkbox and "I accept"), and their earlier acceptances. A
new version published after their last acceptance is announced here and on their home page.
Accepting calls the service the API calls (`backend.documents.service.accept`), which issues
the agreement and records the acceptance together; an admin seeing the partner's office reads
the page without the form (the page guard refuses the POST)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from backend.core.db import SessionDep
from backend.core.errors import AppError
from backend.core.model_base import Language
from backend.documents import service as documents
from backend.documents.render import text_html
from backend.genealogy.access import own_distributor
from backend.web.deps import NowDep
from backend.web.i18n import N_
from backend.web.render import PageUser, render
from backend.web.sessions import check_csrf

CsrfChecked = [Depends(check_csrf)]
REFUSALS = {
    "requisites_missing": N_(
        "The agreement cannot be issued yet: the company's details are incomplete. Please try "
        "again later."
    ),
    "version_changed": N_(
        "A newer version of the agreement was published while you were reading: read it below "
        "and accept it."
    ),
    "template_missing": N_("No agreement text is published yet."),
}
NOT_CHECKED = N_("Tick the box to confirm that you have read the agreement and accept it.")


def agreement_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    accepted: Annotated[bool, Query()] = False,
) -> Response:
    return _page(request, session, user, now, just_accepted=accepted)


def _page(
    request: Request,
    session: Session,
    user: PageUser,
    now: Any,
    *,
    status_code: int = 200,
    error: str | None = None,
    refusal: str | None = None,
    just_accepted: bool = False,
) -> Response:
    me = own_distributor(session, user)
    assert me.id is not None
    try:
        shown = documents.state(session, me.id)
        company = documents.company_for(session, documents.DocumentKind.agreement)
    except AppError as refused:
        return render(
            request,
            "agreement.html",
            status_code=409 if status_code == 200 else status_code,
            here="/agreement",
            shown=None,
            refusal=REFUSALS.get(refused.code, refused.message),
        )
    language = Language(user.language)
    text = documents.agreement_text(session, me.id, shown.template, language, company, now)
    return render(
        request,
        "agreement.html",
        status_code=status_code,
        here="/agreement",
        shown=shown,
        text=text_html(text, under_heading=True),
        error=error,
        refusal=refusal,
        just_accepted=just_accepted,
        earlier=[row for row in shown.history if row.template_id != shown.template.id],
    )


def accept_agreement(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    version: Annotated[int, Form(ge=1, le=1_000_000)],
    agree: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    if agree != "yes":
        return _page(request, session, user, now, status_code=422, error=NOT_CHECKED)
    me = own_distributor(session, user)
    assert me.id is not None
    try:
        documents.accept(
            session, me.id, version=version, language=Language(user.language), actor=user, now=now
        )
    except AppError as refused:
        session.rollback()
        text = REFUSALS.get(refused.code, refused.message)
        return _page(request, session, user, now, status_code=refused.status_code, refusal=text)
    return RedirectResponse("/agreement?accepted=1", status_code=303)


def add_agreement_pages(router: APIRouter) -> None:
    router.add_api_route("/agreement", agreement_page, methods=["GET"])
    router.add_api_route("/agreement", accept_agreement, methods=["POST"], dependencies=CsrfChecked)
