"""What the admin's training office reads: the courses with their current version and counts,
a course's versions, and the current version's content to edit. Reads only; publishing and
assigning are :mod:`backend.training.service`'s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core.errors import NotFound
from backend.training.content import Course, course_from_json
from backend.training.models import TrainingAssignment, TrainingCourse, TrainingCourseVersion

__all__ = ["CourseRow", "VersionRow", "course_rows", "current_content", "versions_of"]


@dataclass(frozen=True)
class CourseRow:
    slug: str
    title_ru: str
    title_en: str
    assign_on: str
    rank: str | None
    active: bool
    number: int
    version: str
    published_at: datetime
    published_by: str | None  # the admin's e-mail; None: the repository (at start)
    assigned: int
    completed: int


@dataclass(frozen=True)
class VersionRow:
    number: int
    version: str
    published_at: datetime
    published_by: str | None
    current: bool
    completed_under: int  # people whose completion was recorded under this version


def _course(session: Session, slug: str) -> TrainingCourse:
    course = session.exec(select(TrainingCourse).where(TrainingCourse.slug == slug)).first()
    if course is None:
        raise NotFound(f"no course {slug!r}", code="course_not_found")
    return course


def course_rows(session: Session) -> list[CourseRow]:
    counts = {
        course_id: (assigned, completed)
        for course_id, assigned, completed in session.exec(
            select(
                TrainingAssignment.course_id,
                sa.func.count(),
                sa.func.count(col(TrainingAssignment.completed_at)),
            ).group_by(col(TrainingAssignment.course_id))
        )
    }
    rows = session.exec(
        select(TrainingCourse, TrainingCourseVersion, User.email)
        .join(
            TrainingCourseVersion,
            sa.and_(
                col(TrainingCourseVersion.course_id) == TrainingCourse.id,
                col(TrainingCourseVersion.number) == TrainingCourse.current_number,
            ),
        )
        .outerjoin(User, col(User.id) == TrainingCourseVersion.published_by)
        .order_by(col(TrainingCourse.slug))
    ).all()
    result = []
    for course, version, email in rows:
        title = course_from_json(version.content).title
        assigned, completed = counts.get(course.id or 0, (0, 0))
        result.append(
            CourseRow(
                slug=course.slug,
                title_ru=title.ru,
                title_en=title.en,
                assign_on=course.assign_on,
                rank=course.rank,
                active=course.active,
                number=version.number,
                version=version.version,
                published_at=version.published_at,
                published_by=email,
                assigned=assigned,
                completed=completed,
            )
        )
    return result


def versions_of(session: Session, slug: str) -> list[VersionRow]:
    course = _course(session, slug)
    completed = dict(
        session.exec(
            select(TrainingAssignment.completed_version_id, sa.func.count())
            .where(
                TrainingAssignment.course_id == course.id,
                col(TrainingAssignment.completed_version_id).is_not(None),
            )
            .group_by(col(TrainingAssignment.completed_version_id))
        ).all()
    )
    rows = session.exec(
        select(TrainingCourseVersion, User.email)
        .outerjoin(User, col(User.id) == TrainingCourseVersion.published_by)
        .where(TrainingCourseVersion.course_id == course.id)
        .order_by(col(TrainingCourseVersion.number).desc())
    ).all()
    return [
        VersionRow(
            number=v.number,
            version=v.version,
            published_at=v.published_at,
            published_by=email,
            current=v.number == course.current_number,
            completed_under=completed.get(v.id, 0),
        )
        for v, email in rows
    ]


def current_content(session: Session, slug: str) -> tuple[int, str, Course]:
    """The current version's number, hash and content."""
    course = _course(session, slug)
    version = session.exec(
        select(TrainingCourseVersion).where(
            TrainingCourseVersion.course_id == course.id,
            TrainingCourseVersion.number == course.current_number,
        )
    ).one()
    return version.number, version.version, course_from_json(version.content)
