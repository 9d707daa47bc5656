"""Who takes which course: on sign-up (a few statements per enrollment batch), on reaching a
rank, by an admin; and the hook enrollment calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.admin_log import service as admin_log
from backend.core.db import begin_write
from backend.core.errors import Conflict, Forbidden, NotFound
from backend.core.model_base import Role
from backend.genealogy.models import Distributor
from backend.training.facts import _settle_people, record_facts_of
from backend.training.gating import CourseProgress, course_progress
from backend.training.models import (
    AssignReason,
    Task,
    TrainingAssignment,
    TrainingCourse,
    TrainingCourseVersion,
)
from backend.training.progress import _settle, _Unit
from backend.training.stored import _assignment, _course_by_slug, _course_of, _current_version

#: People per query when looking up who already has a course.
CHUNK = 5_000

# -- assignment ---------------------------------------------------------------------------------


def _due(course: TrainingCourse, now: datetime) -> datetime | None:
    return now + timedelta(days=course.due_days) if course.due_days else None


def assign(
    session: Session,
    distributor_id: int,
    slug: str,
    *,
    reason: AssignReason,
    actor: User | None,
    now: datetime,
    due_at: datetime | None = None,
) -> tuple[TrainingAssignment, bool]:
    """Assign a course (idempotent): the assignment and whether it was made now. ``due_at``
    replaces the course's own ``due_days``; an admin's assignment goes to the admin log."""
    if reason == AssignReason.admin and (actor is None or actor.role != Role.admin):
        raise Forbidden("only an admin assigns courses by hand", code="admin_only")
    begin_write(session)
    course = _course_by_slug(session, slug)
    if not course.active:
        raise Conflict(f"course {slug!r} is retired", code="course_inactive")
    if session.get(Distributor, distributor_id) is None:
        raise NotFound(f"distributor {distributor_id} not found")
    existing = _assignment(session, distributor_id, course, lock=True)
    if existing is not None:
        session.commit()
        return existing, False
    assignment = _new_assignment(session, distributor_id, course, reason, actor, now)
    if due_at is not None:
        assignment.due_at = due_at
        session.add(assignment)
    if reason == AssignReason.admin and actor is not None:
        admin_log.training_assigned(
            session, slug, distributor_id, assignment.due_at, actor=actor, now=now
        )
    session.commit()
    return assignment, True


def _new_assignment(
    session: Session,
    distributor_id: int,
    course: TrainingCourse,
    reason: AssignReason,
    actor: User | None,
    now: datetime,
) -> TrainingAssignment:
    assert course.id is not None
    assignment = TrainingAssignment(
        distributor_id=distributor_id,
        course_id=course.id,
        reason=reason,
        assigned_at=now,
        due_at=_due(course, now),
        assigned_by=actor.id if actor is not None else None,
    )
    session.add(assignment)
    session.flush()
    _settle(session, _Unit.of(session, assignment, course), now=now, acted=False)
    return assignment


_FRESH_STARTS: dict[str, tuple[CourseProgress, bool]] = {}


def _fresh_start(
    session: Session, course: TrainingCourse, version: str, today: date
) -> tuple[CourseProgress, bool]:
    """A newcomer's projection of the course's current version (the same for everyone enrolled
    on any day: drips count from enrollment) and whether a task step is open from the start.
    A version never changes once published, so it is worked out once per process per version
    instead of parsing the course on every enrollment (keyed by the version's hash: the same
    content gives the same start, whatever the database)."""
    found = _FRESH_STARTS.get(version)
    if found is None:
        course_data = _course_of(_current_version(session, course))
        fresh = course_progress(course_data, {}, enrolled_on=today, today=today)
        task_at_start = any(s.kind == "task" and s.task for s in course_data.steps if not s.after)
        found = _FRESH_STARTS[version] = (fresh, task_at_start)
    return found


def assign_on_signup(session: Session, distributor_ids: Sequence[int], *, now: datetime) -> None:
    """The sign-up courses for people just enrolled, in the caller's transaction: one
    ``INSERT ... SELECT`` per course for the whole batch (a new person has no progress, so their
    projection is the same for everyone)."""
    if not distributor_ids:
        return
    # The sign-up courses with their current versions' hashes, in one query.
    courses = session.exec(
        select(TrainingCourse, TrainingCourseVersion.version)
        .join(
            TrainingCourseVersion,
            (col(TrainingCourseVersion.course_id) == col(TrainingCourse.id))
            & (col(TrainingCourseVersion.number) == col(TrainingCourse.current_number)),
        )
        .where(col(TrainingCourse.active), TrainingCourse.assign_on == AssignReason.signup)
    ).all()
    for course, version in courses:
        fresh, task_at_start = _fresh_start(session, course, version, now.date())
        table = TrainingAssignment.__table__  # type: ignore[attr-defined]
        chosen = sa.select(
            col(Distributor.id),
            sa.literal(course.id),
            sa.literal(AssignReason.signup.value),
            sa.literal(now, type_=table.c.assigned_at.type),
            sa.literal(_due(course, now), type_=table.c.due_at.type),
            sa.literal(0),
            sa.literal(fresh.required_done),
            sa.literal(fresh.required_total),
            sa.literal(fresh.current_step, type_=sa.String()),
        ).where(col(Distributor.id).in_(distributor_ids))
        columns = [
            "distributor_id",
            "course_id",
            "reason",
            "assigned_at",
            "due_at",
            "failed_quizzes",
            "required_done",
            "required_total",
            "current_step",
        ]
        session.execute(table.insert().from_select(columns, chosen))
        if task_at_start:
            # A task open from the start: complete it now for those whose fact exists.
            _settle_people(session, distributor_ids, now=now)


def assign_on_rank(
    session: Session, distributor_id: int, rank: str, *, now: datetime
) -> list[TrainingAssignment]:
    """The courses that reaching ``rank`` assigns (course.toml ``assign_on = "rank"``), in the
    caller's transaction."""
    return assign_on_ranks(session, [(distributor_id, rank)], now=now)


def assign_on_ranks(
    session: Session, reached: Sequence[tuple[int, str]], *, now: datetime
) -> list[TrainingAssignment]:
    """The courses each (person, new highest rank) assigns, in the caller's transaction: what
    a period's approval calls for everyone who ranked up (at 1,000,000 people, everyone in a
    first period). One query for the rank courses and one per course for who already has it;
    an assignment is made (and its progress projected) only for people who reached a rank
    some course is assigned on and do not have that course yet."""
    courses: dict[str, list[TrainingCourse]] = {}
    for course in session.exec(
        select(TrainingCourse).where(
            col(TrainingCourse.active), TrainingCourse.assign_on == AssignReason.rank
        )
    ):
        if course.rank is not None:
            courses.setdefault(course.rank, []).append(course)
    made: list[TrainingAssignment] = []
    for rank, assigned in sorted(courses.items()):
        people = sorted({person for person, reached_rank in reached if reached_rank == rank})
        for course in assigned:
            had: set[int] = set()
            for start in range(0, len(people), CHUNK):
                had.update(
                    session.exec(
                        select(TrainingAssignment.distributor_id)
                        .where(TrainingAssignment.course_id == course.id)
                        .where(
                            col(TrainingAssignment.distributor_id).in_(
                                people[start : start + CHUNK]
                            )
                        )
                        .with_for_update()
                    ).all()
                )
            for person in people:
                if person not in had:
                    made.append(
                        _new_assignment(session, person, course, AssignReason.rank, None, now)
                    )
    return made


# -- hooks the business calls ---------------------------------------------------------------------


def on_enrolled(session: Session, people: Sequence[Distributor], *, now: datetime) -> None:
    """After enrollment writes the distributors (one or a batch), in its transaction: their
    sign-up courses, their sponsors' `first_enrollment` and, for those enrolled with a payout
    wallet, `payout_set_up`. A few statements per batch, none per person, and none for a fact
    nobody in the batch brings (most people enroll without a wallet)."""
    ids = [p.id for p in people if p.id is not None]
    if not ids:
        return
    assign_on_signup(session, ids, now=now)
    sponsors = sorted({p.sponsor_id for p in people if p.sponsor_id is not None})
    if sponsors:
        chosen = select(Distributor.id).where(col(Distributor.id).in_(sponsors))
        record_facts_of(session, chosen, Task.first_enrollment, now=now)
    wallets = [p.id for p in people if p.id is not None and p.wallet is not None]
    if wallets:
        chosen = select(Distributor.id).where(col(Distributor.id).in_(wallets))
        record_facts_of(session, chosen, Task.payout_set_up, now=now)
