"""Publishing a course: a new stored version only when its content changed; the repository's
courses published at start-up."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.admin_log import service as admin_log
from backend.core.db import begin_write
from backend.training.content import (
    COURSES_ROOT,
    Course,
    canonical_json,
    load_courses,
    version_of,
)
from backend.training.models import (
    TrainingAssignment,
    TrainingCourse,
    TrainingCourseVersion,
)
from backend.training.progress import _settle, _Unit


def publish(
    session: Session, course: Course, *, actor: User | None, now: datetime
) -> TrainingCourseVersion:
    """The course's version for this content: a new one only when the hash changed. Content
    published before (a course put back as it was) becomes current again under its old number."""
    begin_write(session)
    sha = version_of(course)
    row = session.exec(
        select(TrainingCourse).where(TrainingCourse.slug == course.slug).with_for_update()
    ).first()
    if row is None:
        row = TrainingCourse(slug=course.slug, current_number=1, assign_on="admin", created_at=now)
        session.add(row)
        session.flush()
        number = 0
    else:
        number = session.exec(
            select(sa.func.max(TrainingCourseVersion.number)).where(
                TrainingCourseVersion.course_id == row.id
            )
        ).one()
    version = session.exec(
        select(TrainingCourseVersion).where(
            TrainingCourseVersion.course_id == row.id, TrainingCourseVersion.version == sha
        )
    ).first()
    if version is None:
        assert row.id is not None
        version = TrainingCourseVersion(
            course_id=row.id,
            number=(number or 0) + 1,
            version=sha,
            content=canonical_json(course).decode(),
            published_at=now,
            published_by=actor.id if actor is not None else None,
        )
        session.add(version)
    changed = row.current_number != version.number or number == 0
    row.current_number = version.number
    row.assign_on = course.assign_on
    row.rank = course.rank
    row.due_days = course.due_days
    row.active = True
    session.add(row)
    session.flush()
    if changed:
        _reproject(session, row, now=now)
        if actor is not None:
            admin_log.training_published(
                session, row.slug, version.number, version.version, actor=actor, now=now
            )
    session.commit()
    return version


def _reproject(session: Session, course_row: TrainingCourse, *, now: datetime) -> None:
    """After the version shown changed: every assignment's counts and current step under it
    (completion stays as it was; a task the new version opens completes if its fact exists).
    Publishing is rare; this reads each assignment's step states once."""
    assignments = session.exec(
        select(TrainingAssignment)
        .where(TrainingAssignment.course_id == course_row.id)
        .order_by(col(TrainingAssignment.id))
        .with_for_update()
    ).all()
    for assignment in assignments:
        _settle(session, _Unit.of(session, assignment, course_row), now=now, acted=False)


def sync_repository_courses(
    session: Session, now: datetime, *, root: Path = COURSES_ROOT
) -> list[TrainingCourseVersion]:
    """Publish the courses kept in the repository (a no-op for those unchanged)."""
    return [publish(session, course, actor=None, now=now) for course in load_courses(root)]
