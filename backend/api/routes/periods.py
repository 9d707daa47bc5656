"""Commission periods (open, compute, approve, anchor, pay, transitions, lines), the payout vault,
and distributors' statements."""

from fastapi import APIRouter, status

from backend.api.deps import (
    Authorized,
    CurrentUser,
    IdPath,
    Limit,
    NowDep,
    Offset,
    OptionalId,
    PayoutReadsDep,
    SettingsDep,
)
from backend.core.db import SessionDep
from backend.core.errors import CHAIN_RESPONSES, ERROR_RESPONSES
from backend.periods import approvals, vault
from backend.periods import compute as periods_compute
from backend.periods import onchain as periods_chain
from backend.periods import service as periods
from backend.periods import statements as periods_statements
from backend.periods.models import (
    ApprovalRequest,
    ChainJobPublic,
    FundingRequest,
    PeriodBatchesPublic,
    PeriodLinesPublic,
    PeriodPublic,
    PeriodsPublic,
    PeriodTransitionPublic,
    StatementPublic,
    StatementsPublic,
    VaultPublic,
)

router = APIRouter(tags=["periods"], dependencies=[Authorized], responses=ERROR_RESPONSES)


@router.get("/api/periods", response_model=PeriodsPublic, summary="List periods")
def list_periods(
    session: SessionDep, settings: SettingsDep, offset: Offset = 0, limit: Limit = 50
) -> PeriodsPublic:
    items, count = periods.list_periods(session, offset=offset, limit=limit)
    return PeriodsPublic(items=[periods.to_public(p, settings) for p in items], count=count)


@router.post(
    "/api/periods",
    response_model=PeriodPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Open the next period of the plan's calendar",
)
def open_period(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, now: NowDep
) -> PeriodPublic:
    period = periods.open_next(session, settings, actor=user, now=now)
    return periods.to_public(period, settings)


@router.get("/api/periods/{period_id}", response_model=PeriodPublic, summary="Read a period")
def read_period(session: SessionDep, settings: SettingsDep, period_id: IdPath) -> PeriodPublic:
    return approvals.period_public(session, settings, periods.get_period(session, period_id))


@router.get(
    "/api/periods/{period_id}/transitions",
    response_model=list[PeriodTransitionPublic],
    summary="Every state change of a period: who and when",
)
def period_transitions(session: SessionDep, period_id: IdPath) -> list[PeriodTransitionPublic]:
    return [
        PeriodTransitionPublic.model_validate(t) for t in periods.transitions(session, period_id)
    ]


@router.post(
    "/api/periods/{period_id}/compute",
    response_model=PeriodPublic,
    summary="Compute (or recompute) the period's preview and write its package",
)
def compute_period(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, now: NowDep, period_id: IdPath
) -> PeriodPublic:
    period = periods_compute.compute(session, settings, period_id, actor=user, now=now)
    return periods.to_public(period, settings)


@router.post(
    "/api/periods/{period_id}/approval",
    response_model=PeriodPublic,
    summary="Approve the computed period (a second finance user); locks plan and inputs",
    description="The body names the compute approved; a period recomputed since is refused (409).",
)
def approve_period(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    now: NowDep,
    period_id: IdPath,
    body: ApprovalRequest,
) -> PeriodPublic:
    period = periods_compute.approve(
        session, settings, period_id, computation=body.computation, actor=user, now=now
    )
    return approvals.period_public(session, settings, period)


@router.get(
    "/api/periods/{period_id}/lines",
    response_model=PeriodLinesPublic,
    summary="The period's bonus lines, optionally for one payee or one source",
)
def period_lines(
    session: SessionDep,
    period_id: IdPath,
    payee: OptionalId = None,
    source: OptionalId = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> PeriodLinesPublic:
    items, count = periods_statements.lines(
        session, period_id, payee=payee, source=source, offset=offset, limit=limit
    )
    return PeriodLinesPublic(items=items, count=count)


@router.get(
    "/api/periods/{period_id}/statements/{distributor_id}",
    response_model=StatementPublic,
    summary="A distributor's statement: lines, balances, payout leaf and its Merkle proof",
)
def read_statement(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    period_id: IdPath,
    distributor_id: IdPath,
) -> StatementPublic:
    return periods_statements.statement(session, settings, period_id, distributor_id, actor=user)


@router.get(
    "/api/distributors/{distributor_id}/statements",
    response_model=StatementsPublic,
    summary="A distributor's statements, one per period",
)
def list_statements(
    session: SessionDep, user: CurrentUser, distributor_id: IdPath
) -> StatementsPublic:
    items = periods_statements.statements_of(session, distributor_id, actor=user)
    return StatementsPublic(items=items, count=len(items))


@router.post(
    "/api/periods/{period_id}/anchor",
    response_model=ChainJobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Anchor an approved period on chain (periods anchor in order); the writer sends it",
)
def anchor_period(
    session: SessionDep, user: CurrentUser, now: NowDep, period_id: IdPath
) -> ChainJobPublic:
    job = periods_chain.request_anchor(session, period_id, actor=user, now=now)
    return periods_chain.job_public(job)


@router.post(
    "/api/periods/{period_id}/payouts",
    response_model=PeriodBatchesPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Pay an anchored period in payBatch batches (409 with the shortfall if underfunded)",
    responses=CHAIN_RESPONSES,
)
def pay_period(
    session: SessionDep,
    open_reads: PayoutReadsDep,
    user: CurrentUser,
    now: NowDep,
    period_id: IdPath,
) -> PeriodBatchesPublic:
    return vault.plan_payouts(session, period_id, open_reads(), actor=user, now=now)


@router.get(
    "/api/periods/{period_id}/batches",
    response_model=PeriodBatchesPublic,
    summary="The period's payout batches: lines, transaction, block, gas, paid/failed/skipped",
)
def period_batches(session: SessionDep, period_id: IdPath) -> PeriodBatchesPublic:
    return vault.batches_public(periods_chain.batches(session, period_id))


@router.get(
    "/api/vault",
    response_model=VaultPublic,
    summary="The payout vault's token balance",
    responses=CHAIN_RESPONSES,
)
def read_vault(session: SessionDep, open_reads: PayoutReadsDep) -> VaultPublic:
    return vault.vault(session, open_reads())


@router.post(
    "/api/vault/funding",
    response_model=ChainJobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Fund the vault (local test token only: mints to the vault); the writer sends it",
    responses=CHAIN_RESPONSES,
)
def fund_vault(
    session: SessionDep,
    open_reads: PayoutReadsDep,
    user: CurrentUser,
    now: NowDep,
    body: FundingRequest,
) -> ChainJobPublic:
    vault.require_test_token(open_reads())
    job = periods_chain.request_funding(
        session, body.amount, actor=user, now=now, period_id=body.period_id
    )
    return periods_chain.job_public(job)
