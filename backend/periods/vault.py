"""Paying periods out of the vault: the chain reads the service needs, injected.

`PayoutReads` is what the app hands in (the chain's `PayoutChain`, built once per app), so this
domain never builds a client and never imports web3; a read the node refuses raises the chain's
own error, which the central handler answers with 503 `chain_unavailable`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.chain.deployment import LOCAL_CHAIN_ID
from backend.chain_jobs import ChainJob
from backend.core.errors import Conflict
from backend.periods import onchain
from backend.periods.models import Period, PeriodBatchesPublic, VaultPublic


class PayoutReads(Protocol):
    """The vault and anchor reads of one deployment."""

    @property
    def vault_address(self) -> str: ...

    @property
    def token_address(self) -> str: ...

    @property
    def deployed_chain_id(self) -> int: ...

    def paid_flags(self, period_id: int, indices: Sequence[int]) -> list[bool]: ...

    def vault_balance(self) -> int: ...

    def paid_total_of(self, period_id: int) -> int: ...


def plan_payouts(
    session: Session, period_id: int, reads: PayoutReads, *, actor: User, now: datetime
) -> PeriodBatchesPublic:
    items = onchain.plan_payouts(
        session,
        period_id,
        paid_flags=lambda indices: reads.paid_flags(period_id, indices),
        vault_balance=reads.vault_balance,
        actor=actor,
        now=now,
    )
    return batches_public(items)


def require_test_token(reads: PayoutReads) -> None:
    chain_id = reads.deployed_chain_id
    if chain_id != LOCAL_CHAIN_ID:
        raise Conflict(
            f"funding by minting is only for the local test token (chain {LOCAL_CHAIN_ID}); "
            f"on chain {chain_id} transfer the token to the vault",
            code="not_a_test_token",
        )


def batches_public(jobs: list[ChainJob]) -> PeriodBatchesPublic:
    items = [onchain.batch_public(job) for job in jobs]
    failed = sorted(index for batch in items for index in (batch.failed or []))
    return PeriodBatchesPublic(
        items=items,
        count=len(items),
        lines=sum(len(batch.indices) for batch in items),
        failed=failed,
    )


def vault(session: Session, reads: PayoutReads) -> VaultPublic:
    anchored = session.exec(select(Period.id).where(col(Period.anchor_tx).is_not(None))).all()
    balance = reads.vault_balance()
    totals = {str(period_id): reads.paid_total_of(period_id) for period_id in anchored}
    return VaultPublic(
        vault=reads.vault_address,
        token=reads.token_address,
        balance=balance,
        committed=onchain.committed(session),
        paid_totals=totals,
    )
