"""Reading payout profiles (see `backend.payees.models`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.payees.models import PayeeProfile


def in_force(
    session: Session, at: datetime, *, distributor_ids: Collection[int] | None = None
) -> dict[int, PayeeProfile]:
    """Each distributor's profile in force at ``at`` (the latest row effective by then), by
    distributor id; a distributor with none is absent."""
    filters = [col(PayeeProfile.effective_at) <= at]
    if distributor_ids is not None:
        filters.append(col(PayeeProfile.distributor_id).in_(list(distributor_ids)))
    ids = (
        select(
            col(PayeeProfile.distributor_id).label("did"),
            func.max(PayeeProfile.id).label("last_id"),
        )
        .where(*filters)
        .group_by(col(PayeeProfile.distributor_id))
        .subquery()
    )
    rows = session.exec(select(PayeeProfile).join(ids, col(PayeeProfile.id) == ids.c.last_id))
    return {row.distributor_id: row for row in rows}
