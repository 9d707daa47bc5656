"""Stored course versions as data (parsed once per process, keyed by their hash), and the
refusals every training use case shares."""

from __future__ import annotations

from sqlmodel import Session, select

from backend.core.errors import Conflict, NotFound
from backend.training.content import (
    Course,
    course_from_json,
)
from backend.training.models import (
    TrainingAssignment,
    TrainingCourse,
    TrainingCourseVersion,
)

READING_KINDS = ("lesson", "video", "document")
MAX_COMMENT = 1000


class StepLocked(Conflict):
    """A step whose gates are not met; ``details["missing"]`` lists every reason."""

    code = "step_locked"


class NotAssigned(NotFound):
    code = "not_assigned"


# -- courses and versions ----------------------------------------------------------------------

_PARSED: dict[str, Course] = {}


def _course_of(version: TrainingCourseVersion) -> Course:
    """The stored version as data, parsed once per process (keyed by its hash)."""
    course = _PARSED.get(version.version)
    if course is None:
        course = course_from_json(version.content)
        if len(_PARSED) > 64:
            _PARSED.clear()
        _PARSED[version.version] = course
    return course


def _current_version(session: Session, course: TrainingCourse) -> TrainingCourseVersion:
    return session.exec(
        select(TrainingCourseVersion).where(
            TrainingCourseVersion.course_id == course.id,
            TrainingCourseVersion.number == course.current_number,
        )
    ).one()


def _course_by_slug(session: Session, slug: str) -> TrainingCourse:
    course = session.exec(select(TrainingCourse).where(TrainingCourse.slug == slug)).first()
    if course is None:
        raise NotFound(f"no course {slug!r}", code="course_not_found")
    return course


def _assignment(
    session: Session, distributor_id: int, course: TrainingCourse, *, lock: bool
) -> TrainingAssignment | None:
    query = select(TrainingAssignment).where(
        TrainingAssignment.distributor_id == distributor_id,
        TrainingAssignment.course_id == course.id,
    )
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()
