"""Partners' public cards: the company's pitch blocks, and the review of free texts the
earnings-claim check held back (each decision goes to the admin action log)."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from backend.api.deps import Authorized, CurrentUser, IdPath, Limit, NowDep, Offset
from backend.cards import service as cards
from backend.cards.models import (
    CardBlockCreate,
    CardBlockPublic,
    CardBlockUpdate,
    CardTextPublic,
    CardTextsPublic,
    TextDecision,
)
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES

router = APIRouter(tags=["cards"], dependencies=[Authorized], responses=ERROR_RESPONSES)


@router.get("/api/card-blocks", response_model=list[CardBlockPublic], summary="The pitch blocks")
def list_blocks(
    session: SessionDep,
    active: Annotated[bool, Query(description="Only those partners may choose.")] = False,
) -> list[CardBlockPublic]:
    return [
        CardBlockPublic.model_validate(b) for b in cards.list_blocks(session, active_only=active)
    ]


@router.post(
    "/api/card-blocks",
    response_model=CardBlockPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Add a pitch block (in Russian and English)",
)
def add_block(
    session: SessionDep, user: CurrentUser, data: CardBlockCreate, now: NowDep
) -> CardBlockPublic:
    return CardBlockPublic.model_validate(cards.add_block(session, data, actor=user, now=now))


@router.patch(
    "/api/card-blocks/{block_id}",
    response_model=CardBlockPublic,
    summary="Change a block's texts, or retire it (`active: false`) or offer it again",
)
def update_block(
    session: SessionDep, user: CurrentUser, block_id: IdPath, data: CardBlockUpdate, now: NowDep
) -> CardBlockPublic:
    block = cards.update_block(session, block_id, data, actor=user, now=now)
    return CardBlockPublic.model_validate(block)


@router.get(
    "/api/card-texts/pending",
    response_model=CardTextsPublic,
    summary="Free texts waiting for a decision (an earnings claim was found), oldest first",
)
def pending(session: SessionDep, offset: Offset = 0, limit: Limit = 50) -> CardTextsPublic:
    return cards.pending_texts(session, offset=offset, limit=limit)


@router.post(
    "/api/card-texts/{distributor_id}/approval",
    response_model=CardTextPublic,
    summary="Publish the pending text of this revision",
)
def approve(
    session: SessionDep,
    user: CurrentUser,
    distributor_id: IdPath,
    decision: TextDecision,
    now: NowDep,
) -> CardTextPublic:
    return cards.decide(
        session, distributor_id, revision=decision.revision, approve=True, actor=user, now=now
    )


@router.post(
    "/api/card-texts/{distributor_id}/rejection",
    response_model=CardTextPublic,
    summary="Refuse the pending text of this revision (it stays unpublished)",
)
def reject(
    session: SessionDep,
    user: CurrentUser,
    distributor_id: IdPath,
    decision: TextDecision,
    now: NowDep,
) -> CardTextPublic:
    return cards.decide(
        session, distributor_id, revision=decision.revision, approve=False, actor=user, now=now
    )
