"""Periods on chain: anchor jobs, vault funding jobs, and payout batches (database side).

The API records what finance asks for (an anchor job, a funding job, a plan of `payBatch`
batches); the one chain writer (`backend.worker.period_jobs`) sends them and calls the
bookkeeping functions below with what the chain answered. Every row is marked `sent` with its
transaction hash and nonce, and committed, before the transaction is broadcast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.db import begin_write
from backend.core.errors import Conflict
from backend.core.model_base import IntentStatus, now_utc
from backend.periods.models import (
    BatchStatus,
    ChainJobKind,
    Period,
    PeriodBatch,
    PeriodBatchPublic,
    PeriodChainJob,
    PeriodStatus,
)
from backend.periods.service import get_period, package_dir, transition
from backend.periods.statements import payout_tree
from ledger.package import json_bytes

BATCH_LINES = 300


# -- requests (the API) -------------------------------------------------------------------------


def request_anchor(
    session: Session, period_id: int, *, actor: User, now: datetime
) -> PeriodChainJob:
    """Queue the anchor of an approved period (idempotent while one is queued or sent: every
    concurrent request gets the one job; a unique index backs the period lock)."""
    period = get_period(session, period_id, lock=True)
    existing = _live_anchor(session, period_id)
    if existing is not None:
        return existing
    if period.status != PeriodStatus.approved:
        raise Conflict(
            f"period {period_id} is {period.status}; only an approved period can be anchored",
            code="period_state",
        )
    if period_id > 1:
        previous = get_period(session, period_id - 1)
        queued = session.exec(
            select(PeriodChainJob.id)
            .where(PeriodChainJob.kind == ChainJobKind.anchor)
            .where(PeriodChainJob.period_id == period_id - 1)
            .where(col(PeriodChainJob.status) != IntentStatus.failed)
        ).first()
        if previous.status in (PeriodStatus.open, PeriodStatus.computed) or (
            previous.status == PeriodStatus.approved and queued is None
        ):
            raise Conflict(
                f"periods are anchored in order: anchor period {period_id - 1} first",
                code="anchor_order",
            )
    job = PeriodChainJob(
        kind=ChainJobKind.anchor, period_id=period_id, requested_by=actor.id, created_at=now
    )
    session.add(job)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = _live_anchor(session, period_id)
        if existing is None:
            raise
        return existing
    session.commit()
    session.refresh(job)
    return job


def _live_anchor(session: Session, period_id: int) -> PeriodChainJob | None:
    return session.exec(
        select(PeriodChainJob)
        .where(PeriodChainJob.kind == ChainJobKind.anchor)
        .where(PeriodChainJob.period_id == period_id)
        .where(col(PeriodChainJob.status) != IntentStatus.failed)
    ).first()


def request_funding(session: Session, amount: int, *, actor: User, now: datetime) -> PeriodChainJob:
    job = PeriodChainJob(
        kind=ChainJobKind.fund, amount=amount, requested_by=actor.id, created_at=now
    )
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


def committed(session: Session, *, other_than: int | None = None) -> int:
    """Money in batches planned or sent (not yet confirmed), optionally of other periods."""
    query = select(func.coalesce(func.sum(PeriodBatch.amount), 0)).where(
        col(PeriodBatch.status) != BatchStatus.confirmed
    )
    if other_than is not None:
        query = query.where(PeriodBatch.period_id != other_than)
    return int(session.exec(query).one())


def plan_payouts(
    session: Session,
    period_id: int,
    *,
    paid_flags: Callable[[Sequence[int]], list[bool]],
    vault_balance: Callable[[], int],
    actor: User,
    now: datetime,
) -> list[PeriodBatch]:
    """Plan the period's batches (lines not paid on chain yet, in tree order), refusing with
    the shortfall when the vault cannot pay them; the period becomes `paying`. Asked again
    while paying, it returns the plan it made."""
    period = get_period(session, period_id, lock=True)
    if period.status == PeriodStatus.paying:
        return batches(session, period_id)
    if period.status != PeriodStatus.anchored:
        raise Conflict(
            f"period {period_id} is {period.status}; only an anchored period can be paid",
            code="period_state",
        )
    tree = payout_tree(session, period_id)
    order = tree.lines_in_tree_order() if tree is not None else []
    flags = paid_flags(order) if order else []
    open_lines = [index for index, paid in zip(order, flags, strict=True) if not paid]
    assert tree is not None or not open_lines
    outstanding = sum(tree.leaf(index).amount for index in open_lines) if tree else 0
    available = vault_balance() - committed(session, other_than=period_id)
    if outstanding > available:
        raise Conflict(
            f"the vault holds {available} available; period {period_id} needs {outstanding}: "
            f"fund it with {outstanding - available} more",
            code="vault_underfunded",
            details={
                "outstanding": outstanding,
                "available": available,
                "shortfall": outstanding - available,
            },
        )
    planned = []
    for seq, start in enumerate(range(0, len(open_lines), BATCH_LINES), start=1):
        chunk = open_lines[start : start + BATCH_LINES]
        assert tree is not None
        batch = PeriodBatch(
            period_id=period_id,
            seq=seq,
            indices=chunk,
            amount=sum(tree.leaf(index).amount for index in chunk),
            created_at=now,
            updated_at=now,
        )
        session.add(batch)
        planned.append(batch)
    detail = f"{len(open_lines)} lines in {len(planned)} batches, {outstanding} to pay"
    transition(session, period, PeriodStatus.paying, actor=actor, now=now, detail=detail)
    if not planned:
        transition(session, period, PeriodStatus.paid, actor=actor, now=now, detail="no lines")
    session.commit()
    return batches(session, period_id)


def batches(session: Session, period_id: int) -> list[PeriodBatch]:
    get_period(session, period_id)
    query = select(PeriodBatch).where(PeriodBatch.period_id == period_id)
    return list(session.exec(query.order_by(col(PeriodBatch.seq))))


def batch_public(batch: PeriodBatch) -> PeriodBatchPublic:
    return PeriodBatchPublic.model_validate(batch)


# -- bookkeeping (the writer) ---------------------------------------------------------------------


def next_job(session: Session) -> PeriodChainJob | None:
    query = select(PeriodChainJob).where(PeriodChainJob.status == IntentStatus.queued)
    return session.exec(query.order_by(col(PeriodChainJob.id))).first()


def sent_jobs(session: Session) -> list[PeriodChainJob]:
    query = select(PeriodChainJob).where(PeriodChainJob.status == IntentStatus.sent)
    return list(session.exec(query.order_by(col(PeriodChainJob.id))))


def next_batch(session: Session) -> PeriodBatch | None:
    query = select(PeriodBatch).where(PeriodBatch.status == BatchStatus.planned)
    return session.exec(query.order_by(col(PeriodBatch.period_id), col(PeriodBatch.seq))).first()


def sent_batches(session: Session) -> list[PeriodBatch]:
    query = select(PeriodBatch).where(PeriodBatch.status == BatchStatus.sent)
    return list(session.exec(query.order_by(col(PeriodBatch.id))))


def mark_sent(
    session: Session, row: PeriodChainJob | PeriodBatch, *, tx_hash: str, nonce: int
) -> None:
    row.status = IntentStatus.sent if isinstance(row, PeriodChainJob) else BatchStatus.sent
    row.tx_hash, row.nonce, row.updated_at = tx_hash, nonce, now_utc()
    session.add(row)
    session.commit()


def requeue(session: Session, row: PeriodChainJob | PeriodBatch, note: str) -> None:
    if isinstance(row, PeriodChainJob):
        row.status, row.error = IntentStatus.queued, note
    else:
        row.status, row.note = BatchStatus.planned, note
    row.updated_at = now_utc()
    session.add(row)
    session.commit()


def fail_job(session: Session, job: PeriodChainJob, reason: str) -> None:
    job.status, job.error, job.updated_at = IntentStatus.failed, reason, now_utc()
    session.add(job)
    session.commit()


def confirm_job(
    session: Session,
    settings: Settings,
    job: PeriodChainJob,
    *,
    block: int,
    tx_hash: str,
    chain: dict[str, Any],
) -> None:
    """A mined job; an anchor also moves its period to `anchored` and records where."""
    begin_write(session)
    job.status, job.block_number, job.tx_hash = IntentStatus.confirmed, block, tx_hash
    job.updated_at = now_utc()
    session.add(job)
    if job.kind == ChainJobKind.anchor and job.period_id is not None:
        period = get_period(session, job.period_id, lock=True)
        period.anchor_tx, period.anchor_block = tx_hash, block
        _record_chain(settings, period, {**chain, "anchorTx": tx_hash, "anchorBlock": block})
        actor = session.get(User, job.requested_by) if job.requested_by is not None else None
        if period.status == PeriodStatus.approved:
            transition(
                session,
                period,
                PeriodStatus.anchored,
                actor=actor,
                now=now_utc(),
                detail=f"anchored in block {block} by {tx_hash}",
            )
    session.commit()


def _record_chain(settings: Settings, period: Period, chain: dict[str, Any]) -> None:
    """The manifest's `chain` block (outside the package's hashes), stored and on disk."""
    if period.manifest is None:
        return
    manifest = json.loads(period.manifest)
    manifest["chain"] = chain
    data = json_bytes(manifest)
    period.manifest = data.decode()
    path = package_dir(settings, period.id) / "manifest.json"
    if path.parent.is_dir():
        path.write_bytes(data)


def confirm_batch(
    session: Session,
    batch: PeriodBatch,
    *,
    block: int | None,
    tx_hash: str | None,
    gas_used: int | None,
    paid: list[int],
    failed: list[int],
    skipped: list[int],
    note: str | None = None,
) -> None:
    """A settled batch; the period becomes `paid` when its last batch is."""
    begin_write(session)
    batch.status = BatchStatus.confirmed
    batch.block_number, batch.tx_hash, batch.gas_used = block, tx_hash, gas_used
    batch.paid, batch.failed, batch.skipped = paid, failed, skipped
    batch.note, batch.updated_at = note, now_utc()
    session.add(batch)
    session.flush()
    left = session.exec(
        select(func.count())
        .select_from(PeriodBatch)
        .where(PeriodBatch.period_id == batch.period_id)
        .where(col(PeriodBatch.status) != BatchStatus.confirmed)
    ).one()
    period = get_period(session, batch.period_id, lock=True)
    if int(left) == 0 and period.status == PeriodStatus.paying:
        failures = session.exec(
            select(PeriodBatch.failed).where(PeriodBatch.period_id == batch.period_id)
        ).all()
        count = sum(len(item or []) for item in failures)
        detail = "every batch confirmed" + (f"; {count} failed lines claimable" if count else "")
        transition(session, period, PeriodStatus.paid, actor=None, now=now_utc(), detail=detail)
    session.commit()
