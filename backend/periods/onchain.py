"""Periods on chain: anchor jobs, vault funding jobs, and payout batches (database side).

The API records what finance asks for (an anchor job, a funding job, a plan of `payBatch`
batches) as jobs of the one chain-job queue (`backend.chain_jobs`); the one chain writer
(`backend.worker.period_jobs`) sends them and calls the bookkeeping functions below with what the
chain answered. Every job is marked `sent` with its transaction hash and nonce, and committed,
before the transaction is broadcast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from backend import chain_jobs
from backend.accounts.models import User
from backend.chain_jobs import AnchorJob, ChainJob, FundJob, JobKind, JobStatus, PayJob
from backend.core.config import Settings
from backend.core.db import begin_write
from backend.core.errors import Conflict
from backend.core.model_base import now_utc
from backend.periods.models import (
    BatchStatus,
    ChainJobKind,
    ChainJobPublic,
    Period,
    PeriodBatchPublic,
    PeriodPayee,
    PeriodStatus,
)
from backend.periods.service import get_period, package_dir, transition
from backend.periods.statements import payout_tree
from ledger.package import json_bytes
from ledger.rails import is_bank

BATCH_LINES = 300
PERIOD_JOBS = (JobKind.anchor, JobKind.fund)


# -- requests (the API) -------------------------------------------------------------------------


def request_anchor(session: Session, period_id: int, *, actor: User, now: datetime) -> ChainJob:
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
        queued = _live_anchor(session, period_id - 1)
        if previous.status in (PeriodStatus.open, PeriodStatus.computed) or (
            previous.status == PeriodStatus.approved and queued is None
        ):
            raise Conflict(
                f"periods are anchored in order: anchor period {period_id - 1} first",
                code="anchor_order",
            )
    job = chain_jobs.enqueue(
        session, AnchorJob(period_id=period_id, requested_by=actor.id), now=now
    )
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


def _live_anchor(session: Session, period_id: int) -> ChainJob | None:
    return session.exec(
        select(ChainJob)
        .where(ChainJob.kind == JobKind.anchor)
        .where(ChainJob.subject_id == period_id)
        .where(col(ChainJob.status) != JobStatus.failed)
    ).first()


def request_funding(
    session: Session, amount: int, *, actor: User, now: datetime, period_id: int | None = None
) -> ChainJob:
    """Mint to the vault (the local test token); `period_id` records which period's page asked
    (an existing period, else 404), so the vault can show what was funded for each."""
    if period_id is not None:
        get_period(session, period_id)
    job = chain_jobs.enqueue(
        session, FundJob(amount=amount, requested_by=actor.id, period_id=period_id), now=now
    )
    session.commit()
    session.refresh(job)
    return job


def job_public(job: ChainJob) -> ChainJobPublic:
    return ChainJobPublic(
        id=job.id or 0,
        kind=ChainJobKind(job.kind),
        period_id=job.subject_id,
        amount=job.amount,
        status=job.status,
        tx_hash=job.tx_hash,
        block_number=job.block_number,
        error=job.note,
        created_at=job.created_at,
    )


def committed(session: Session, *, other_than: int | None = None) -> int:
    """Money in batches planned or sent (not yet confirmed), optionally of other periods."""
    query = (
        select(func.coalesce(func.sum(ChainJob.amount), 0))
        .where(ChainJob.kind == JobKind.pay)
        .where(col(ChainJob.status) != JobStatus.confirmed)
    )
    if other_than is not None:
        query = query.where(ChainJob.subject_id != other_than)
    return int(session.exec(query).one() or 0)


def plan_payouts(
    session: Session,
    period_id: int,
    *,
    paid_flags: Callable[[Sequence[int]], list[bool]],
    vault_balance: Callable[[], int],
    actor: User,
    now: datetime,
) -> list[ChainJob]:
    """Plan the period's batches (token lines not paid on chain yet, in tree order) as pay
    jobs, refusing with the shortfall when the vault cannot pay them; the period becomes
    `paying` (and `paid` at once when it has no token line left and its bank lines are
    attested). Bank lines are never pushed: they are attested (`backend.bank_payouts`).
    Asked again while paying, it returns the plan it made."""
    period = get_period(session, period_id, lock=True)
    if period.status == PeriodStatus.paying:
        return batches(session, period_id)
    if period.status != PeriodStatus.anchored:
        raise Conflict(
            f"period {period_id} is {period.status}; only an anchored period can be paid",
            code="period_state",
        )
    tree = payout_tree(session, period_id)
    # Only token lines are pushed; bank lines are paid by transfer and attested (attest jobs).
    bank = set(bank_lines(session, period_id))
    order = [i for i in tree.lines_in_tree_order() if i not in bank] if tree else []
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
    planned = 0
    for seq, start in enumerate(range(0, len(open_lines), BATCH_LINES), start=1):
        chunk = open_lines[start : start + BATCH_LINES]
        assert tree is not None
        amount = sum(tree.leaf(index).amount for index in chunk)
        job = PayJob(period_id=period_id, seq=seq, indices=chunk, amount=amount)
        chain_jobs.enqueue(session, job, now=now)
        planned += 1
    detail = f"{len(open_lines)} token lines in {planned} batches, {outstanding} to pay"
    transition(session, period, PeriodStatus.paying, actor=actor, now=now, detail=detail)
    if not planned:
        settle_paid(session, period, actor=actor, now=now, detail="no token lines to push")
    session.commit()
    return batches(session, period_id)


def batches(session: Session, period_id: int) -> list[ChainJob]:
    """The period's pay jobs in `seq` order (they are enqueued in that order)."""
    get_period(session, period_id)
    query = select(ChainJob).where(ChainJob.kind == JobKind.pay, ChainJob.subject_id == period_id)
    return list(session.exec(query.order_by(col(ChainJob.id))))


_BATCH_STATUS = {
    JobStatus.queued: BatchStatus.planned,
    JobStatus.sent: BatchStatus.sent,
    JobStatus.confirmed: BatchStatus.confirmed,
}


def batch_public(job: ChainJob) -> PeriodBatchPublic:
    pay = job.pay()
    result = job.result or {}
    return PeriodBatchPublic(
        period_id=pay.period_id,
        seq=pay.seq,
        indices=pay.indices,
        amount=pay.amount,
        status=_BATCH_STATUS[JobStatus(job.status)],
        tx_hash=job.tx_hash,
        nonce=job.nonce,
        block_number=job.block_number,
        gas_used=job.gas_used,
        paid=result.get("paid"),
        failed=result.get("failed"),
        skipped=result.get("skipped"),
        note=job.note,
    )


# -- bookkeeping (the writer) ---------------------------------------------------------------------


def next_job(session: Session) -> ChainJob | None:
    """The oldest queued anchor or funding job."""
    found = chain_jobs.queued(session, PERIOD_JOBS, limit=1)
    return found[0] if found else None


def sent_jobs(session: Session) -> list[ChainJob]:
    return chain_jobs.sent(session, PERIOD_JOBS)


def next_batch(session: Session) -> ChainJob | None:
    """The next queued pay job: the earliest period's lowest `seq`."""
    found = chain_jobs.queued(session, [JobKind.pay], limit=1, by_subject=True)
    return found[0] if found else None


def sent_batches(session: Session) -> list[ChainJob]:
    return chain_jobs.sent(session, [JobKind.pay])


def mark_sent(session: Session, job: ChainJob, *, tx_hash: str, nonce: int) -> None:
    assert job.id is not None
    chain_jobs.mark_sent(session, [job.id], tx_hash=tx_hash, nonce=nonce)


def requeue(session: Session, job: ChainJob, note: str) -> None:
    assert job.id is not None
    chain_jobs.requeue(session, [job.id], note=note)


def fail_job(session: Session, job: ChainJob, reason: str) -> None:
    assert job.id is not None
    chain_jobs.mark_failed(session, [job.id], error=reason)


def confirm_job(
    session: Session,
    settings: Settings,
    job: ChainJob,
    *,
    block: int,
    tx_hash: str,
    chain: dict[str, Any],
    gas_used: int | None = None,
) -> None:
    """A mined job; an anchor also moves its period to `anchored` and records where."""
    assert job.id is not None
    begin_write(session)
    chain_jobs.mark_confirmed(
        session, [job.id], block_number=block, tx_hash=tx_hash, gas_used=gas_used, commit=False
    )
    if job.kind == JobKind.anchor:
        anchor = job.anchor()
        period = get_period(session, anchor.period_id, lock=True)
        period.anchor_tx, period.anchor_block = tx_hash, block
        _record_chain(settings, period, {**chain, "anchorTx": tx_hash, "anchorBlock": block})
        actor = session.get(User, anchor.requested_by) if anchor.requested_by is not None else None
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
    job: ChainJob,
    *,
    block: int | None,
    tx_hash: str | None,
    gas_used: int | None,
    paid: list[int],
    failed: list[int],
    skipped: list[int],
    note: str | None = None,
) -> None:
    """A settled pay job; the period becomes `paid` when its last batch is and every bank
    line is attested (`settle_paid`)."""
    assert job.id is not None
    period_id = job.pay().period_id
    begin_write(session)
    chain_jobs.mark_confirmed(
        session,
        [job.id],
        block_number=block,
        tx_hash=tx_hash,
        gas_used=gas_used,
        result={"paid": paid, "failed": failed, "skipped": skipped},
        note=note,
        commit=False,
    )
    session.flush()
    of_period = (ChainJob.kind == JobKind.pay, ChainJob.subject_id == period_id)
    period = get_period(session, period_id, lock=True)
    results = session.exec(select(ChainJob.result).where(*of_period)).all()
    count = sum(len((item or {}).get("failed") or []) for item in results)
    detail = "every batch confirmed" + (f"; {count} failed lines claimable" if count else "")
    settle_paid(session, period, actor=None, now=now_utc(), detail=detail)
    session.commit()


def bank_lines(session: Session, period_id: int) -> dict[int, str]:
    """The period's bank lines: leaf index -> the leaf's pseudo-address (`ledger.rails`)."""
    rows = session.exec(
        select(PeriodPayee.leaf_index, PeriodPayee.account)
        .where(PeriodPayee.period_id == period_id)
        .where(col(PeriodPayee.leaf_index).is_not(None))
    ).all()
    return {
        int(index): str(account)
        for index, account in rows
        if index is not None and account and is_bank(bytes.fromhex(str(account)[2:]))
    }


def attested(session: Session, period_id: int) -> set[int]:
    """The period's lines attested on chain: those of its confirmed attest jobs (a line the
    vault skipped as attested before is attested all the same)."""
    rows = session.exec(
        select(ChainJob.payload)
        .where(ChainJob.kind == JobKind.attest, ChainJob.subject_id == period_id)
        .where(ChainJob.status == JobStatus.confirmed)
    ).all()
    return {int(index) for payload in rows for index in payload["indices"]}


def bank_unattested(session: Session, period_id: int) -> int:
    """What the period's bank lines not attested yet amount to (never paid from the vault)."""
    waiting = set(bank_lines(session, period_id)) - attested(session, period_id)
    if not waiting:
        return 0
    amounts = session.exec(
        select(PeriodPayee.payout)
        .where(PeriodPayee.period_id == period_id)
        .where(col(PeriodPayee.leaf_index).in_(sorted(waiting)))
    ).all()
    return sum(int(amount) for amount in amounts)


def settle_paid(
    session: Session, period: Period, *, actor: User | None, now: datetime, detail: str
) -> bool:
    """A paying period becomes `paid` (in the caller's transaction) once every token batch is
    confirmed and every bank line attested; True when it did."""
    if period.status != PeriodStatus.paying:
        return False
    left = session.exec(
        select(func.count())
        .select_from(ChainJob)
        .where(ChainJob.kind == JobKind.pay, ChainJob.subject_id == period.id)
        .where(col(ChainJob.status) != JobStatus.confirmed)
    ).one()
    if int(left):
        return False
    unattested = set(bank_lines(session, period.id)) - attested(session, period.id)
    if unattested:
        return False
    transition(session, period, PeriodStatus.paid, actor=actor, now=now, detail=detail)
    return True
