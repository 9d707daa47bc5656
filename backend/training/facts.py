"""What happened in the business (a first paid order, a first retail customer, a first
enrollment, a payout wallet), recorded insert-if-absent in the caller's transaction; a task
step it opens-and-completes completes at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from backend.training.models import (
    Task,
    TrainingAssignment,
    TrainingCourse,
    TrainingFact,
)
from backend.training.progress import _settle, _Unit

# -- business facts -------------------------------------------------------------------------------


def _insert_ignoring_duplicates(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(TrainingFact.__table__)  # type: ignore[attr-defined]


def record_fact(session: Session, distributor_id: int, task: Task, *, now: datetime) -> bool:
    """Record what happened in the business (insert-if-absent) in the caller's transaction;
    True when it is new. A task step it opens-and-completes completes now."""
    statement = (
        _insert_ignoring_duplicates(session)
        .values(distributor_id=distributor_id, task=task.value, at=now)
        .on_conflict_do_nothing()
        .returning(sa.column("distributor_id"))
    )
    added = session.execute(statement).scalars().all()
    if added:
        _settle_people(session, added, now=now)
    return bool(added)


def record_facts_of(session: Session, chosen: sa.Select[Any], task: Task, *, now: datetime) -> None:
    """:func:`record_fact` for everyone ``chosen`` selects (one distributor id column), in one
    ``INSERT ... SELECT``: for a batch of enrollments."""
    table = TrainingFact.__table__  # type: ignore[attr-defined]
    rows = sa.select(
        chosen.subquery().c[0],
        sa.literal(task.value),
        sa.literal(now, type_=table.c.at.type),
    ).distinct()
    # SQLite needs a WHERE before ON CONFLICT in an INSERT ... SELECT (else it reads a join).
    rows = rows.where(sa.true())
    statement = (
        _insert_ignoring_duplicates(session)
        .from_select(["distributor_id", "task", "at"], rows)
        .on_conflict_do_nothing()
        .returning(sa.column("distributor_id"))
    )
    added = session.execute(statement).scalars().all()
    if added:
        _settle_people(session, added, now=now)


def _settle_people(session: Session, distributor_ids: Sequence[int], *, now: datetime) -> None:
    """Settle the unfinished courses of these people (a fact arrived for them)."""
    rows = session.exec(
        select(TrainingAssignment, TrainingCourse)
        .join(TrainingCourse, col(TrainingCourse.id) == TrainingAssignment.course_id)
        .where(
            col(TrainingAssignment.distributor_id).in_(distributor_ids),
            col(TrainingAssignment.completed_at).is_(None),
        )
        .order_by(col(TrainingAssignment.id))
        .with_for_update(of=TrainingAssignment)
    ).all()
    for assignment, course_row in rows:
        _settle(session, _Unit.of(session, assignment, course_row), now=now, acted=False)
