"""Distributors, their downline and the holding tank."""

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, col, select

from backend.api.deps import (
    Authorized,
    CurrentUser,
    IdempotencyKey,
    IdPath,
    Limit,
    NowDep,
    Offset,
    SettingsDep,
    TreesDep,
)
from backend.core.db import SessionDep
from backend.core.errors import CHAIN_RESPONSES, ERROR_RESPONSES
from backend.core.model_base import DistributorStatus
from backend.genealogy import access, distributors, enrollment, holding_tank
from backend.genealogy import queries as downline
from backend.genealogy.models import (
    Distributor,
    DistributorCreate,
    DistributorPublic,
    DistributorsPublic,
    DistributorUpdate,
    DownlinePage,
    HoldingTankPublic,
    ManualPlacement,
    Placement,
    PlacementPublic,
    StatusChange,
    StatusChangePublic,
)

router = APIRouter(tags=["distributors"], dependencies=[Authorized], responses=ERROR_RESPONSES)
REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "A retry with the same Idempotency-Key: the first result."}
}


def to_public(session: Session, distributor: Distributor) -> DistributorPublic:
    return as_public(distributor, session.get(Placement, distributor.id))


def to_public_many(session: Session, items: Sequence[Distributor]) -> list[DistributorPublic]:
    """Many at once: their placements in one query, not one each."""
    if not items:
        return []
    query = select(Placement).where(col(Placement.distributor_id).in_([d.id for d in items]))
    placements: dict[int | None, Placement] = {p.distributor_id: p for p in session.exec(query)}
    return [as_public(d, placements.get(d.id)) for d in items]


def as_public(
    distributor: Distributor, placement: Placement | PlacementPublic | None
) -> DistributorPublic:
    return DistributorPublic.model_validate(
        distributor,
        update={
            "depth": distributor.tree_depth,
            "placement": PlacementPublic.model_validate(placement) if placement else None,
        },
    )


@router.get("/api/distributors", response_model=DistributorsPublic, summary="List distributors")
def list_distributors(
    session: SessionDep,
    user: CurrentUser,
    offset: Offset = 0,
    limit: Limit = 50,
    q: Annotated[str | None, Query(max_length=100, description="Name or e-mail contains")] = None,
    status: DistributorStatus | None = None,
) -> DistributorsPublic:
    items, count = distributors.list_distributors(
        session, actor=user, q=q, status=status, offset=offset, limit=limit
    )
    return DistributorsPublic(items=to_public_many(session, items), count=count)


@router.post(
    "/api/distributors",
    response_model=DistributorPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Enroll a distributor (placed automatically, or into the sponsor's holding tank)",
    # a retry's first result; a wallet is checked against the deployment record
    responses={**REPLAY, **CHAIN_RESPONSES},
)
async def enroll(
    session: SessionDep,
    user: CurrentUser,
    data: DistributorCreate,
    settings: SettingsDep,
    trees: TreesDep,
    now: NowDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> DistributorPublic:
    # The hottest write: one thread-pool hop for the database work, and the answer is built
    # and serialised here on the event loop (a plain `def` would cost a second hop for that).
    enrolled = await run_in_threadpool(
        enrollment.enroll_one,
        session,
        data,
        actor=user,
        settings=settings,
        trees=trees,
        now=now,
        idempotency_key=idempotency_key,
    )
    if not enrolled.created:
        response.status_code = status.HTTP_200_OK
    return as_public(enrolled.distributor, enrolled.placement)


@router.post(
    "/api/distributors/batch",
    response_model=list[DistributorPublic],
    status_code=status.HTTP_201_CREATED,
    summary="Enroll up to 500 distributors in one transaction (all or none)",
    # a retry's first result; a wallet is checked against the deployment record
    responses={**REPLAY, **CHAIN_RESPONSES},
)
def enroll_batch(
    session: SessionDep,
    user: CurrentUser,
    data: Annotated[list[DistributorCreate], Body(min_length=1, max_length=500)],
    settings: SettingsDep,
    trees: TreesDep,
    now: NowDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> list[DistributorPublic]:
    enrolled, created = enrollment.enroll_batch(
        session,
        data,
        actor=user,
        settings=settings,
        trees=trees,
        now=now,
        idempotency_key=idempotency_key,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return to_public_many(session, enrolled)


@router.get(
    "/api/distributors/{distributor_id}",
    response_model=DistributorPublic,
    summary="One distributor, with their placement and its chain status",
)
def read_distributor(
    session: SessionDep, user: CurrentUser, distributor_id: IdPath
) -> DistributorPublic:
    return to_public(session, access.ensure_visible(session, user, distributor_id))


@router.patch(
    "/api/distributors/{distributor_id}",
    response_model=DistributorPublic,
    summary="Change contact data or wallet (a distributor: only their own)",
    responses=CHAIN_RESPONSES,
)
def update_distributor(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    distributor_id: IdPath,
    data: DistributorUpdate,
    now: NowDep,
) -> DistributorPublic:
    updated = distributors.update_distributor(
        session, distributor_id, data, actor=user, settings=settings, now=now
    )
    return to_public(session, updated)


@router.post(
    "/api/distributors/{distributor_id}/status",
    response_model=DistributorPublic,
    summary="Set active / inactive / terminated (nobody is ever deleted)",
)
def change_status(
    session: SessionDep,
    user: CurrentUser,
    distributor_id: IdPath,
    data: StatusChange,
    now: NowDep,
) -> DistributorPublic:
    distributor = distributors.change_status(session, distributor_id, data, actor=user, now=now)
    return to_public(session, distributor)


@router.get(
    "/api/distributors/{distributor_id}/status-history",
    response_model=list[StatusChangePublic],
    summary="Every status change, oldest first (who, when, why)",
)
def read_status_history(
    session: SessionDep, user: CurrentUser, distributor_id: IdPath
) -> list[StatusChangePublic]:
    access.ensure_visible(session, user, distributor_id)
    return [
        StatusChangePublic.model_validate(record)
        for record in distributors.status_history(session, distributor_id)
    ]


@router.get(
    "/api/distributors/{distributor_id}/downline",
    response_model=DownlinePage,
    summary="Placement downline, pre-order, keyset-paged",
)
def read_downline(
    session: SessionDep,
    user: CurrentUser,
    distributor_id: IdPath,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=2000, description="From `next_cursor`.")] = None,
    max_depth: Annotated[int | None, Query(ge=1, le=10_000, description="Levels below.")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Name/e-mail contains, id, referral code")
    ] = None,
    status: DistributorStatus | None = None,
) -> DownlinePage:
    root = access.ensure_visible(session, user, distributor_id)
    return downline.downline_page(
        session, root, max_depth=max_depth, q=q, status=status, limit=limit, cursor=cursor
    )


@router.get(
    "/api/holding-tank",
    response_model=list[HoldingTankPublic],
    summary="Enrolled, not yet placed (a distributor: their own tank)",
)
def read_holding_tank(session: SessionDep, user: CurrentUser) -> list[HoldingTankPublic]:
    return [
        HoldingTankPublic(
            distributor_id=entry.distributor_id,
            sponsor_id=entry.sponsor_id,
            first_name=d.first_name,
            last_name=d.last_name,
            entered_at=entry.entered_at,
            expires_at=entry.expires_at,
        )
        for entry, d in holding_tank.holding_tank(session, actor=user)
    ]


@router.post(
    "/api/holding-tank/{distributor_id}/placement",
    response_model=DistributorPublic,
    summary="The sponsor places someone from their tank by hand",
)
def place_from_tank(
    session: SessionDep,
    user: CurrentUser,
    distributor_id: IdPath,
    data: ManualPlacement,
    trees: TreesDep,
    now: NowDep,
) -> DistributorPublic:
    distributor = holding_tank.place_from_tank(
        session,
        distributor_id,
        parent_id=data.parent_id,
        position=data.position,
        actor=user,
        trees=trees,
        now=now,
    )
    return to_public(session, distributor)


@router.post(
    "/api/holding-tank/expired-placements",
    response_model=list[int],
    summary="Place everyone whose hold has ended with the default strategy",
)
def place_expired(
    session: SessionDep, settings: SettingsDep, trees: TreesDep, now: NowDep
) -> list[int]:
    return holding_tank.place_expired(session, settings=settings, trees=trees, now=now)
