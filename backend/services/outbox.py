"""The chain-intent outbox: the one API the chain writer (`backend/chain/`) uses.

Intents are written by the services in the same transaction as the rows they mirror, so a
placement never exists without its intent and vice versa. The writer reads queued intents in id
order, and reports back through `mark_sent`, `mark_confirmed` and `mark_failed`; each of these
commits, so a crash between calls loses nothing but the call in flight.

Life cycle: queued -> sent -> confirmed, or -> failed (then `requeue` after reconciling).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from backend.core.model_base import ChainStatus, IntentStatus, now_utc
from backend.genealogy.models import Placement
from backend.models.outbox import ChainIntent

PLACE = "place"


def enqueue(
    session: Session, *, kind: str, payload: dict[str, Any], subject_id: int | None
) -> ChainIntent:
    """Add an intent to the caller's transaction (no commit: it rides with the caller's rows)."""
    intent = ChainIntent(kind=kind, payload=payload, subject_id=subject_id)
    session.add(intent)
    return intent


def enqueue_now(
    session: Session, *, kind: str, payload: dict[str, Any], subject_id: int | None
) -> None:
    """`enqueue` for hot paths: one prepared INSERT in the caller's transaction, executed at
    once, with no ORM object to build and flush (the enrollment path writes one per placement
    and reads none back)."""
    session.connection().execute(
        _INSERT_INTENT, {"kind": kind, "payload": payload, "subject_id": subject_id}
    )


_INSERT_INTENT = ChainIntent.metadata.tables["chain_intent"].insert()


def fetch_queued(
    session: Session, *, limit: int = 100, kind: str | None = None
) -> list[ChainIntent]:
    """Queued intents, oldest first (id order is the order they must reach the chain)."""
    query = select(ChainIntent).where(ChainIntent.status == IntentStatus.queued)
    if kind is not None:
        query = query.where(ChainIntent.kind == kind)
    return list(session.exec(query.order_by(col(ChainIntent.id)).limit(limit)))


def fetch_by_status(
    session: Session, status: IntentStatus, *, limit: int = 1000
) -> list[ChainIntent]:
    """E.g. the `sent` intents a restarted writer must reconcile before sending anything."""
    query = select(ChainIntent).where(ChainIntent.status == status)
    return list(session.exec(query.order_by(col(ChainIntent.id)).limit(limit)))


def mark_sent(
    session: Session,
    intent_ids: Sequence[int],
    *,
    tx_hash: str,
    nonce: int,
    now: datetime | None = None,
) -> None:
    when = now or now_utc()
    _update(
        session,
        intent_ids,
        status=IntentStatus.sent,
        tx_hash=tx_hash,
        nonce=nonce,
        attempts=col(ChainIntent.attempts) + 1,
        sent_at=when,
        updated_at=when,
    )
    session.commit()


def mark_confirmed(
    session: Session,
    intent_ids: Sequence[int],
    *,
    block_number: int,
    tx_hash: str,
    now: datetime | None = None,
) -> None:
    """Confirm intents and the placements they carry, in one transaction."""
    when = now or now_utc()
    # Set-based: the chain writer confirms ~300 intents per transaction.
    _update(
        session,
        intent_ids,
        status=IntentStatus.confirmed,
        block_number=block_number,
        tx_hash=tx_hash,
        confirmed_at=when,
        updated_at=when,
    )
    placed = (
        select(ChainIntent.subject_id)
        .where(col(ChainIntent.id).in_(list(intent_ids)), ChainIntent.kind == PLACE)
        .where(col(ChainIntent.subject_id).is_not(None))
    )
    session.execute(
        update(Placement)
        .where(col(Placement.distributor_id).in_(placed.scalar_subquery()))
        .values(
            chain_status=ChainStatus.confirmed,
            block_number=block_number,
            tx_hash=tx_hash,
            confirmed_at=when,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def mark_failed(
    session: Session, intent_ids: Sequence[int], *, error: str, now: datetime | None = None
) -> None:
    when = now or now_utc()
    for intent in _load(session, intent_ids):
        intent.status = IntentStatus.failed
        intent.last_error = error[:4000]
        intent.updated_at = when
        session.add(intent)
    session.commit()


def requeue(session: Session, intent_ids: Sequence[int], *, now: datetime | None = None) -> None:
    """Back to queued (after the writer checked the chain does not already hold them)."""
    when = now or now_utc()
    for intent in _load(session, intent_ids):
        intent.status = IntentStatus.queued
        intent.tx_hash = None
        intent.nonce = None
        intent.updated_at = when
        session.add(intent)
    session.commit()


def list_intents(
    session: Session, *, status: IntentStatus | None, offset: int, limit: int
) -> tuple[list[ChainIntent], int]:
    query = select(ChainIntent)
    count_query = select(func.count()).select_from(ChainIntent)
    if status is not None:
        query = query.where(ChainIntent.status == status)
        count_query = count_query.where(ChainIntent.status == status)
    items = list(session.exec(query.order_by(col(ChainIntent.id)).offset(offset).limit(limit)))
    return items, session.exec(count_query).one()


def _update(session: Session, intent_ids: Sequence[int], **values: Any) -> None:
    """One UPDATE for many intents; every id must exist (else nothing changes)."""
    wanted = set(intent_ids)
    if not wanted:
        return
    result = session.execute(
        update(ChainIntent)
        .where(col(ChainIntent.id).in_(sorted(wanted)))
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != len(wanted):  # type: ignore[attr-defined]
        session.rollback()
        found = set(session.exec(select(ChainIntent.id).where(col(ChainIntent.id).in_(wanted))))
        raise LookupError(f"unknown chain intents: {sorted(wanted - found)}")


def _load(session: Session, intent_ids: Sequence[int]) -> list[ChainIntent]:
    if not intent_ids:
        return []
    query = select(ChainIntent).where(col(ChainIntent.id).in_(list(intent_ids)))
    found = list(session.exec(query.order_by(col(ChainIntent.id)).with_for_update()))
    missing = set(intent_ids) - {intent.id for intent in found}
    if missing:
        raise LookupError(f"unknown chain intents: {sorted(missing)}")
    return found
