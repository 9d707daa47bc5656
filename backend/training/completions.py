"""Who completed a course, and when: what a period reads when its plan names a compliance
course (`[compliance_course]`), as a period input. Completion is set once on the assignment
and never cleared, so a period recomputed later reads the same days."""

from __future__ import annotations

from sqlmodel import Session, col, select

from backend.core.days import day_of
from backend.training.models import TrainingAssignment, TrainingCourse


def completion_days(session: Session, slug: str) -> dict[int, int]:
    """Distributor -> the day (days since 1970-01-01, UTC) they completed course `slug`; an
    unknown course has no completions."""
    rows = session.exec(
        select(TrainingAssignment.distributor_id, TrainingAssignment.completed_at)
        .join(TrainingCourse, col(TrainingCourse.id) == col(TrainingAssignment.course_id))
        .where(TrainingCourse.slug == slug, col(TrainingAssignment.completed_at).is_not(None))
    )
    return {distributor: day_of(at) for distributor, at in rows if at is not None}
