"""Placements on chain (database side): the worker confirms place jobs through here, so the
placement rows they mirror are confirmed in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from backend import chain_jobs
from backend.chain_jobs import ChainJob, JobKind
from backend.core.model_base import ChainStatus, now_utc
from backend.genealogy.models import Placement


def confirm_placements(
    session: Session,
    job_ids: Sequence[int],
    *,
    block_number: int,
    tx_hash: str,
    now: datetime | None = None,
) -> None:
    """Confirm place jobs and the placements they carry, in one transaction."""
    when = now or now_utc()
    chain_jobs.mark_confirmed(
        session, job_ids, block_number=block_number, tx_hash=tx_hash, commit=False, now=when
    )
    placed = (
        select(ChainJob.subject_id)
        .where(col(ChainJob.id).in_(list(job_ids)), ChainJob.kind == JobKind.place)
        .where(col(ChainJob.subject_id).is_not(None))
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
