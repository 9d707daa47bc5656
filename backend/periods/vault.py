"""Chain reads the period and vault routes need (a read-only gateway from the deployment record)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session, col, select

from backend.chain.devchain import CHAIN_ID
from backend.chain.gateway import ChainError, ChainGateway
from backend.chain.payouts import PayoutChain
from backend.core.config import Settings
from backend.core.errors import Conflict, Unavailable
from backend.models.periods import Period, PeriodBatch, PeriodBatchesPublic, VaultPublic
from backend.services import periods_chain
from backend.services.chain_info import read_deployment


def open_chain(settings: Settings) -> PayoutChain:
    deployment = read_deployment(settings.resolved_deployment_file)
    return PayoutChain(ChainGateway(deployment.rpcUrl, deployment, request_timeout=10.0))


@contextmanager
def readable() -> Iterator[None]:
    """A chain that cannot be read is a 503, not a 500."""
    try:
        yield
    except ChainError as exc:
        first = exc.reason.splitlines()[0] if exc.reason else type(exc).__name__
        raise Unavailable(f"the chain cannot be read: {first}", code="chain_unavailable") from exc


def require_test_token(settings: Settings) -> None:
    deployment = read_deployment(settings.resolved_deployment_file)
    if deployment.chainId != CHAIN_ID:
        raise Conflict(
            f"funding by minting is only for the local test token (chain {CHAIN_ID}); "
            f"on chain {deployment.chainId} transfer the token to the vault",
            code="not_a_test_token",
        )


def batches_public(items: list[PeriodBatch]) -> PeriodBatchesPublic:
    failed = sorted(index for batch in items for index in (batch.failed or []))
    return PeriodBatchesPublic(
        items=[periods_chain.batch_public(batch) for batch in items],
        count=len(items),
        lines=sum(len(batch.indices) for batch in items),
        failed=failed,
    )


def vault(session: Session, settings: Settings) -> VaultPublic:
    chain = open_chain(settings)
    anchored = session.exec(select(Period.id).where(col(Period.anchor_tx).is_not(None))).all()
    with readable():
        balance = chain.vault_balance()
        totals = {str(period_id): chain.paid_total_of(period_id) for period_id in anchored}
    return VaultPublic(
        vault=chain.vault_address,
        token=chain.token_address,
        balance=balance,
        committed=periods_chain.committed(session),
        paid_totals=totals,
    )
