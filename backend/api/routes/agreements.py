"""The partner agreement and the commercial offer (issue 17, item 5): a partner reads the
current agreement with their details and accepts it; staff list a partner's acceptances;
finance or an admin issue a commercial offer."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import Authorized, CurrentUser, IdPath, NowDep
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES
from backend.core.model_base import Language
from backend.documents import service as documents
from backend.documents.models import (
    AcceptancePublic,
    AcceptRequest,
    AgreementAcceptance,
    AgreementPublic,
    DocumentPublic,
    OfferRequest,
)
from backend.genealogy.access import own_distributor

router = APIRouter(tags=["agreements"], dependencies=[Authorized], responses=ERROR_RESPONSES)


def _acceptance(row: AgreementAcceptance) -> AcceptancePublic:
    return AcceptancePublic.model_validate(row)


@router.get(
    "/api/agreement",
    response_model=AgreementPublic,
    summary="The current partner agreement with my details, and my acceptance of it",
    description="`acceptance_needed` is true until the current version is accepted (a new "
    "version asks again). 409 `requisites_missing` while the company's details are incomplete.",
)
def read_agreement(
    session: SessionDep, user: CurrentUser, now: NowDep, language: Language = Language.ru
) -> AgreementPublic:
    me = own_distributor(session, user)
    assert me.id is not None
    shown = documents.state(session, me.id)
    company = documents.company_for(session, documents.DocumentKind.agreement)
    text = documents.agreement_text(session, me.id, shown.template, language, company, now)
    return AgreementPublic(
        version=shown.template.version,
        sha256=shown.template.sha256,
        published_at=shown.template.published_at,
        language=language,
        text=text,
        accepted=_acceptance(shown.accepted) if shown.accepted is not None else None,
        acceptance_needed=shown.acceptance_needed,
        history=[_acceptance(row) for row in shown.history],
    )


@router.post(
    "/api/agreement/acceptance",
    response_model=AcceptancePublic,
    summary="Accept the version of the agreement I read: the agreement is issued and the "
    "acceptance recorded with its PDF's SHA-256 (accepting again returns the same acceptance)",
    description="409 `version_changed` (with `details.current`) when a newer version was "
    "published, `requisites_missing` when the company's details are incomplete.",
)
def accept_agreement(
    session: SessionDep, user: CurrentUser, data: AcceptRequest, now: NowDep
) -> AcceptancePublic:
    me = own_distributor(session, user)
    assert me.id is not None
    row = documents.accept(
        session, me.id, version=data.version, language=data.language, actor=user, now=now
    )
    return _acceptance(row)


@router.get(
    "/api/distributors/{distributor_id}/acceptances",
    response_model=list[AcceptancePublic],
    summary="A partner's acceptances of the agreement, newest version first",
)
def list_acceptances(
    session: SessionDep, user: CurrentUser, distributor_id: IdPath
) -> list[AcceptancePublic]:
    return [_acceptance(row) for row in documents.acceptances(session, distributor_id)]


@router.post(
    "/api/offers",
    response_model=DocumentPublic,
    summary="Issue a commercial offer for a partner or a prospect company from a price list "
    "(the stored one for the same request)",
    description="422 `valid_until_past`, `recipient`; 404 for an unknown partner or price "
    "list; 409 `price_list_empty`, `requisites_missing` with `details.missing`.",
)
def issue_offer(
    session: SessionDep, user: CurrentUser, data: OfferRequest, now: NowDep
) -> DocumentPublic:
    document = documents.issue_offer(session, data, actor=user, now=now)
    return DocumentPublic.model_validate(document)
