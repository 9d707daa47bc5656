"""The chain-job bookkeeping: domains enqueue through it, the worker reports back through it.

Domains add a job in the same transaction as the rows it mirrors (`enqueue`, no commit), so a
placement or a payout plan never exists without its jobs and vice versa. The worker reads queued
jobs in id order and reports `mark_sent` (hash and nonce, before the broadcast), `mark_confirmed`,
`mark_failed` and `requeue`; each commits unless told not to (a domain confirming its own rows in
the same transaction passes `commit=False`), so a crash between calls loses nothing but the call
in flight.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from backend.chain_jobs.models import (
    KIND_OF,
    AnchorJob,
    ChainIntentPublic,
    ChainIntentsPublic,
    ChainJob,
    FundJob,
    JobKind,
    JobStatus,
    Payload,
    PlaceJob,
)
from backend.core.model_base import now_utc


def _row(job: Payload) -> dict[str, Any]:
    subject: int | None
    amount: int | None = None
    if isinstance(job, PlaceJob):
        subject = job.id
    elif isinstance(job, AnchorJob):
        subject = job.period_id
    elif isinstance(job, FundJob):
        subject, amount = job.period_id, job.amount
    else:
        subject, amount = job.period_id, job.amount
    return {
        "kind": KIND_OF[type(job)],
        "payload": job.model_dump(),
        "subject_id": subject,
        "amount": amount,
    }


def enqueue(session: Session, job: Payload, *, now: datetime | None = None) -> ChainJob:
    """Add a job to the caller's transaction (no commit: it rides with the caller's rows)."""
    row = ChainJob(**_row(job))
    if now is not None:
        row.created_at = row.updated_at = now
    session.add(row)
    return row


def enqueue_now(session: Session, job: Payload) -> None:
    """`enqueue` for hot paths: one prepared INSERT in the caller's transaction, executed at
    once, with no ORM object to build and flush (enrollment writes one per placement and reads
    none back)."""
    session.connection().execute(_INSERT, _row(job))


_INSERT = ChainJob.metadata.tables["chain_job"].insert()


def queued(
    session: Session, kinds: Collection[JobKind], *, limit: int = 100, by_subject: bool = False
) -> list[ChainJob]:
    """Queued jobs of these kinds, oldest first (id order is the order they must reach the
    chain; `by_subject` orders by subject first, e.g. the pay jobs of the earliest period)."""
    query = select(ChainJob).where(ChainJob.status == JobStatus.queued)
    query = query.where(col(ChainJob.kind).in_(list(kinds)))
    order = (col(ChainJob.subject_id), col(ChainJob.id)) if by_subject else (col(ChainJob.id),)
    return list(session.exec(query.order_by(*order).limit(limit)))


def sent(session: Session, kinds: Collection[JobKind], *, limit: int = 1000) -> list[ChainJob]:
    """E.g. the `sent` jobs a restarted writer must reconcile before sending anything."""
    query = select(ChainJob).where(ChainJob.status == JobStatus.sent)
    query = query.where(col(ChainJob.kind).in_(list(kinds)))
    return list(session.exec(query.order_by(col(ChainJob.id)).limit(limit)))


def mark_sent(
    session: Session,
    job_ids: Sequence[int],
    *,
    tx_hash: str,
    nonce: int,
    now: datetime | None = None,
) -> None:
    when = now or now_utc()
    _update(
        session,
        job_ids,
        status=JobStatus.sent,
        tx_hash=tx_hash,
        nonce=nonce,
        attempts=col(ChainJob.attempts) + 1,
        sent_at=when,
        updated_at=when,
    )
    session.commit()


def mark_confirmed(
    session: Session,
    job_ids: Sequence[int],
    *,
    block_number: int | None,
    tx_hash: str | None,
    gas_used: int | None = None,
    result: dict[str, Any] | None = None,
    note: str | None = None,
    commit: bool = True,
    now: datetime | None = None,
) -> None:
    """Set-based: the writer confirms ~300 place jobs per transaction."""
    when = now or now_utc()
    values: dict[str, Any] = {
        "status": JobStatus.confirmed,
        "block_number": block_number,
        "tx_hash": tx_hash,
        "confirmed_at": when,
        "updated_at": when,
    }
    if gas_used is not None:
        values["gas_used"] = gas_used
    if result is not None:
        values["result"] = result
    if note is not None:
        values["note"] = note
    _update(session, job_ids, **values)
    if commit:
        session.commit()


def mark_failed(
    session: Session, job_ids: Sequence[int], *, error: str, now: datetime | None = None
) -> None:
    when = now or now_utc()
    _update(session, job_ids, status=JobStatus.failed, note=error[:4000], updated_at=when)
    session.commit()


def requeue(
    session: Session,
    job_ids: Sequence[int],
    *,
    note: str | None = None,
    now: datetime | None = None,
) -> None:
    """Back to queued (after the writer checked the chain does not already hold them). The
    hash and nonce of the lost transaction are kept in `note` when given."""
    when = now or now_utc()
    values: dict[str, Any] = {
        "status": JobStatus.queued,
        "tx_hash": None,
        "nonce": None,
        "updated_at": when,
    }
    if note is not None:
        values["note"] = note
    _update(session, job_ids, **values)
    session.commit()


def pending(session: Session, kinds: Collection[JobKind]) -> int:
    """Jobs of these kinds still on their way (queued or sent)."""
    query = select(func.count()).select_from(ChainJob)
    query = query.where(col(ChainJob.status).in_([JobStatus.queued, JobStatus.sent]))
    query = query.where(col(ChainJob.kind).in_(list(kinds)))
    return int(session.exec(query).one())


def list_jobs(
    session: Session,
    *,
    kinds: Collection[JobKind],
    status: JobStatus | None,
    offset: int,
    limit: int,
) -> tuple[list[ChainJob], int]:
    query = select(ChainJob).where(col(ChainJob.kind).in_(list(kinds)))
    count_query = select(func.count()).select_from(ChainJob)
    count_query = count_query.where(col(ChainJob.kind).in_(list(kinds)))
    if status is not None:
        query = query.where(ChainJob.status == status)
        count_query = count_query.where(ChainJob.status == status)
    items = list(session.exec(query.order_by(col(ChainJob.id)).offset(offset).limit(limit)))
    return items, session.exec(count_query).one()


def _update(session: Session, job_ids: Sequence[int], **values: Any) -> None:
    """One UPDATE for many jobs; every id must exist (else nothing changes)."""
    wanted = set(job_ids)
    if not wanted:
        return
    result = session.execute(
        update(ChainJob)
        .where(col(ChainJob.id).in_(sorted(wanted)))
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != len(wanted):  # type: ignore[attr-defined]
        session.rollback()
        found = set(session.exec(select(ChainJob.id).where(col(ChainJob.id).in_(wanted))))
        raise LookupError(f"unknown chain jobs: {sorted(wanted - found)}")


def intents_public(
    session: Session, *, status: JobStatus | None, offset: int, limit: int
) -> ChainIntentsPublic:
    """The place jobs as `GET /api/chain/intents` has always shown them."""
    items, count = list_jobs(
        session, kinds=[JobKind.place], status=status, offset=offset, limit=limit
    )
    return ChainIntentsPublic(items=[_intent_public(item) for item in items], count=count)


def _intent_public(job: ChainJob) -> ChainIntentPublic:
    return ChainIntentPublic(
        id=job.id or 0,
        kind=str(job.kind),
        payload=job.payload,
        status=job.status,
        subject_id=job.subject_id,
        tx_hash=job.tx_hash,
        nonce=job.nonce,
        block_number=job.block_number,
        attempts=job.attempts,
        last_error=job.note,
        created_at=job.created_at,
        updated_at=job.updated_at,
        sent_at=job.sent_at,
        confirmed_at=job.confirmed_at,
    )
