"""Training use cases: publishing courses, assigning them, reading a person's course with its
gates, completing steps (reading, quizzes, mentor calls, business tasks) and progress.

Every change to a person's course is one write unit: :func:`begin_write` (SQLite) and the
assignment row locked ``FOR UPDATE`` (PostgreSQL), then the event appended to the log and the
projection (step states, the assignment's counts) updated in the same transaction. Gates are
enforced here, not only by the pages. After every change the course is *settled*: a task step
that is open and whose business fact exists completes at once, so a step unlocks in the same
request that completes its prerequisite.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.admin_log import service as admin_log
from backend.core.db import begin_write
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.model_base import Role
from backend.genealogy.models import Distributor
from backend.training.content import (
    COURSES_ROOT,
    Bilingual,
    Course,
    Step,
    canonical_json,
    course_from_json,
    load_courses,
    version_of,
)
from backend.training.errors import AnswerError
from backend.training.gating import CourseProgress, Reason, StepFacts, course_progress
from backend.training.models import (
    AssignReason,
    EventKind,
    Task,
    TrainingAssignment,
    TrainingCourse,
    TrainingCourseVersion,
    TrainingEvent,
    TrainingFact,
    TrainingStepState,
)
from backend.training.quiz import (
    Answer,
    PublicQuestion,
    may_attempt,
    parse_answers,
    public_questions,
    score,
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
    caller's transaction; the period close calls this with a person's new highest rank."""
    courses = session.exec(
        select(TrainingCourse).where(
            col(TrainingCourse.active),
            TrainingCourse.assign_on == AssignReason.rank,
            TrainingCourse.rank == rank,
        )
    ).all()
    made: list[TrainingAssignment] = []
    for course in courses:
        if _assignment(session, distributor_id, course, lock=True) is None:
            made.append(
                _new_assignment(session, distributor_id, course, AssignReason.rank, None, now)
            )
    return made


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


# -- one person's course -------------------------------------------------------------------------


@dataclass
class _Unit:
    """What a change to one person's course works on, read under the lock."""

    assignment: TrainingAssignment
    course_row: TrainingCourse
    version: TrainingCourseVersion
    course: Course
    states: dict[str, TrainingStepState]
    tasks_done: set[str]  # business facts that exist for the person

    @classmethod
    def of(
        cls, session: Session, assignment: TrainingAssignment, course_row: TrainingCourse
    ) -> _Unit:
        version = _current_version(session, course_row)
        states = {
            s.step_id: s
            for s in session.exec(
                select(TrainingStepState).where(
                    TrainingStepState.distributor_id == assignment.distributor_id,
                    TrainingStepState.course_id == assignment.course_id,
                )
            )
        }
        tasks = set(
            session.exec(
                select(TrainingFact.task).where(
                    TrainingFact.distributor_id == assignment.distributor_id
                )
            )
        )
        return cls(assignment, course_row, version, _course_of(version), states, tasks)

    def facts(self) -> dict[str, StepFacts]:
        return {step_id: _facts(state) for step_id, state in self.states.items()}

    def progress(self, today: date) -> CourseProgress:
        return course_progress(
            self.course, self.facts(), enrolled_on=self.assignment.assigned_at.date(), today=today
        )

    def state(self, step_id: str) -> TrainingStepState:
        state = self.states.get(step_id)
        if state is None:
            state = TrainingStepState(
                distributor_id=self.assignment.distributor_id,
                course_id=self.assignment.course_id,
                step_id=step_id,
            )
            self.states[step_id] = state
        return state


def _facts(state: TrainingStepState) -> StepFacts:
    return StepFacts(
        completed_at=state.completed_at,
        best_pct=state.best_pct,
        last_pct=state.last_pct,
        attempts_used=state.attempts,
        passed=state.passed,
    )


def _open_unit(session: Session, distributor_id: int, slug: str) -> _Unit:
    """Begin the write unit for one person's course: the lock, then everything read under it."""
    begin_write(session)
    course_row = _course_by_slug(session, slug)
    assignment = _assignment(session, distributor_id, course_row, lock=True)
    if assignment is None:
        raise NotAssigned(f"course {slug!r} is not assigned to distributor {distributor_id}")
    return _Unit.of(session, assignment, course_row)


def _step(unit: _Unit, step_id: str, kinds: Iterable[str]) -> Step:
    try:
        step = unit.course.step(step_id)
    except KeyError:
        raise NotFound(f"no step {step_id!r} in this course", code="step_not_found") from None
    if step.kind not in kinds:
        raise Invalid(f"step {step_id!r} is a {step.kind}", code="wrong_step_kind")
    return step


def _refuse_locked(unit: _Unit, step_id: str, today: date) -> None:
    state = unit.progress(today).state_of(step_id)
    if state.state == "locked":
        raise StepLocked(
            f"step {step_id!r} is locked: " + "; ".join(str(r) for r in state.missing),
            details={"missing": [_reason(r) for r in state.missing]},
        )


def _reason(reason: Reason) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": type(reason).__name__, "text": str(reason)}
    data.update({k: v.isoformat() if isinstance(v, date) else v for k, v in vars(reason).items()})
    return data


def _event(
    session: Session,
    unit: _Unit,
    step_id: str,
    kind: EventKind,
    *,
    now: datetime,
    pct: int | None = None,
    attempt: int | None = None,
    actor: User | None = None,
    comment: str | None = None,
    answers: dict[str, Any] | None = None,
) -> None:
    assert unit.version.id is not None
    session.add(
        TrainingEvent(
            distributor_id=unit.assignment.distributor_id,
            course_id=unit.assignment.course_id,
            version_id=unit.version.id,
            step_id=step_id,
            kind=kind,
            pct=pct,
            attempt=attempt,
            actor_id=actor.id if actor is not None else None,
            comment=comment,
            answers=answers,
            at=now,
        )
    )


def _complete(session: Session, unit: _Unit, step_id: str, now: datetime) -> None:
    state = unit.state(step_id)
    if state.completed_at is None:
        state.completed_at = now
    session.add(state)


def _settle(session: Session, unit: _Unit, *, now: datetime, acted: bool) -> CourseProgress:
    """Complete the open task steps whose fact exists (repeatedly: one may open the next), then
    write the assignment's projection and, once every required step is done, its completion."""
    today = now.date()
    while True:
        progress = unit.progress(today)
        ready = [
            step
            for step in unit.course.steps
            if step.kind == "task"
            and step.task in unit.tasks_done
            and progress.state_of(step.id).state == "open"
        ]
        if not ready:
            break
        for step in ready:
            _event(session, unit, step.id, EventKind.task_done, now=now)
            _complete(session, unit, step.id, now)
        acted = True
    assignment = unit.assignment
    assignment.required_done = progress.required_done
    assignment.required_total = progress.required_total
    assignment.current_step = progress.current_step
    if acted:
        assignment.last_activity_at = now
    if assignment.completed_at is None and progress.required_done == progress.required_total:
        assignment.completed_at = now
        assignment.completed_version_id = unit.version.id
    session.add(assignment)
    session.flush()
    return progress


def _newly_opened(before: CourseProgress, after: CourseProgress) -> tuple[str, ...]:
    was = {s.step: s.state for s in before.steps}
    return tuple(s.step for s in after.steps if was.get(s.step) == "locked" and s.state != "locked")


@dataclass(frozen=True)
class StepOutcome:
    progress: CourseProgress
    newly_opened: tuple[str, ...]  # steps locked before this request and open (or done) now


def complete_reading(
    session: Session, distributor_id: int, slug: str, step_id: str, *, now: datetime
) -> StepOutcome:
    """ "I have read it" on a lesson, video or document: records `viewed` and completes the
    step; refused while the step is locked. Again on a done step changes nothing."""
    unit = _open_unit(session, distributor_id, slug)
    _step(unit, step_id, READING_KINDS)
    today = now.date()
    before = unit.progress(today)
    if before.state_of(step_id).state == "done":
        session.commit()
        return StepOutcome(before, ())
    _refuse_locked(unit, step_id, today)
    _event(session, unit, step_id, EventKind.viewed, now=now)
    _complete(session, unit, step_id, now)
    after = _settle(session, unit, now=now, acted=True)
    session.commit()
    return StepOutcome(after, _newly_opened(before, after))


@dataclass(frozen=True)
class QuizOutcome:
    pct: int
    points: int
    max_points: int
    passed: bool  # this attempt
    counted_pct: int | None  # the score that counts (highest or last attempt's)
    attempts_used: int
    attempts_left: int | None  # None: unlimited
    progress: CourseProgress
    newly_opened: tuple[str, ...]


def _answers_json(answers: Mapping[int, Answer]) -> dict[str, Any]:
    def one(answer: Answer) -> Any:
        if isinstance(answer, frozenset):
            return sorted(answer)
        if isinstance(answer, Decimal):
            return str(answer)
        return answer

    return {str(number): one(answer) for number, answer in sorted(answers.items())}


def submit_quiz(
    session: Session,
    distributor_id: int,
    slug: str,
    step_id: str,
    form: Mapping[str, Sequence[str]],
    *,
    now: datetime,
) -> QuizOutcome:
    """Score a quiz on the server. The attempt is counted under the lock on the person's course,
    so concurrent submissions never use more attempts than the quiz allows."""
    unit = _open_unit(session, distributor_id, slug)
    step = _step(unit, step_id, ("quiz",))
    quiz = step.quiz
    assert quiz is not None
    try:
        answers = parse_answers(quiz, form)
    except AnswerError as exc:
        raise Invalid(exc.message, code=exc.code, details={"question": exc.question}) from None
    today = now.date()
    _refuse_locked(unit, step_id, today)
    before = unit.progress(today)
    state = unit.state(step_id)
    check = may_attempt(quiz, attempts_used=state.attempts, passed=state.passed)
    if not check:
        raise Conflict(f"no attempt allowed: {check.reason}", code=check.reason)
    result = score(quiz, answers)
    state.attempts += 1
    state.last_pct = result.pct
    state.best_pct = max(result.pct, state.best_pct or 0)
    _event(
        session,
        unit,
        step_id,
        EventKind.submitted,
        now=now,
        pct=result.pct,
        attempt=state.attempts,
        answers=_answers_json(answers),
    )
    if result.passed:
        state.passed = True
        _event(session, unit, step_id, EventKind.passed, now=now, pct=result.pct)
        _complete(session, unit, step_id, now)
    else:
        _event(session, unit, step_id, EventKind.failed, now=now, pct=result.pct)
        unit.assignment.failed_quizzes += 1
    session.add(state)
    after = _settle(session, unit, now=now, acted=True)
    session.commit()
    return QuizOutcome(
        pct=result.pct,
        points=result.points,
        max_points=result.max_points,
        passed=result.passed,
        counted_pct=state.best_pct if quiz.grading == "highest" else state.last_pct,
        attempts_used=state.attempts,
        attempts_left=max(quiz.attempts - state.attempts, 0) if quiz.attempts else None,
        progress=after,
        newly_opened=_newly_opened(before, after),
    )


def confirm_mentor(
    session: Session,
    actor: User,
    distributor_id: int,
    slug: str,
    step_id: str,
    comment: str,
    *,
    now: datetime,
) -> StepOutcome:
    """A mentor step, confirmed by the person's sponsor or an admin, with a comment."""
    person = session.get(Distributor, distributor_id)
    if person is None:
        raise NotFound(f"distributor {distributor_id} not found")
    is_sponsor = actor.distributor_id is not None and actor.distributor_id == person.sponsor_id
    if not (is_sponsor or actor.role == Role.admin):
        raise Forbidden("only the person's sponsor or an admin confirms", code="not_sponsor")
    text = comment.strip()
    if not text or len(text) > MAX_COMMENT:
        raise Invalid(f"a comment of 1 to {MAX_COMMENT} characters", code="comment_required")
    unit = _open_unit(session, distributor_id, slug)
    _step(unit, step_id, ("mentor",))
    today = now.date()
    before = unit.progress(today)
    if before.state_of(step_id).state == "done":
        session.commit()
        return StepOutcome(before, ())
    _refuse_locked(unit, step_id, today)
    _event(session, unit, step_id, EventKind.confirmed, now=now, actor=actor, comment=text)
    _complete(session, unit, step_id, now)
    after = _settle(session, unit, now=now, acted=True)
    session.commit()
    return StepOutcome(after, _newly_opened(before, after))


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


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    """A step as the page shows it: never the quiz's answers (``questions`` are public ones)."""

    id: str
    kind: str
    title: Bilingual
    required: bool
    state: str  # done | open | locked
    missing: tuple[str, ...]
    text: Bilingual | None
    url: str | None
    task: str | None
    completed_at: datetime | None
    questions: tuple[PublicQuestion, ...] = ()
    pass_pct: int | None = None
    attempts_allowed: int | None = None  # 0 = unlimited
    attempts_used: int = 0
    best_pct: int | None = None
    last_pct: int | None = None
    passed: bool = False
    reasons: tuple[Reason, ...] = ()  # ``missing`` as data, for a page to put into words


@dataclass(frozen=True)
class CourseView:
    slug: str
    number: int  # the version shown (the current one)
    title: Bilingual
    summary: Bilingual
    steps: tuple[StepView, ...]
    current_step: str | None
    required_done: int
    required_total: int
    completed_at: datetime | None
    due_at: datetime | None


def course_view(session: Session, distributor_id: int, slug: str, *, today: date) -> CourseView:
    course_row = _course_by_slug(session, slug)
    assignment = _assignment(session, distributor_id, course_row, lock=False)
    if assignment is None:
        raise NotAssigned(f"course {slug!r} is not assigned to distributor {distributor_id}")
    unit = _Unit.of(session, assignment, course_row)
    progress = unit.progress(today)
    steps = []
    for step, gate in zip(unit.course.steps, progress.steps, strict=True):
        state = unit.states.get(step.id)
        facts = _facts(state) if state is not None else StepFacts()
        quiz = step.quiz
        steps.append(
            StepView(
                id=step.id,
                kind=step.kind,
                title=step.title,
                required=step.required,
                state=gate.state,
                missing=tuple(str(r) for r in gate.missing),
                text=step.text,
                url=step.url,
                task=step.task,
                completed_at=facts.completed_at,
                questions=public_questions(quiz) if quiz is not None else (),
                pass_pct=quiz.pass_pct if quiz is not None else None,
                attempts_allowed=quiz.attempts if quiz is not None else None,
                attempts_used=facts.attempts_used,
                best_pct=facts.best_pct,
                last_pct=facts.last_pct,
                passed=facts.passed,
                reasons=gate.missing,
            )
        )
    return CourseView(
        slug=slug,
        number=unit.version.number,
        title=unit.course.title,
        summary=unit.course.summary,
        steps=tuple(steps),
        current_step=progress.current_step,
        required_done=progress.required_done,
        required_total=progress.required_total,
        completed_at=assignment.completed_at,
        due_at=assignment.due_at,
    )


@dataclass(frozen=True)
class CourseProgressRow:
    slug: str
    reason: str
    required_done: int
    required_total: int
    current_step: str | None
    last_activity_at: datetime | None
    failed_quizzes: int
    assigned_at: datetime
    due_at: datetime | None
    completed_at: datetime | None


def progress_of(session: Session, distributor_id: int) -> list[CourseProgressRow]:
    """Every course assigned to the person, from the projection (no log replay)."""
    rows = session.exec(
        select(TrainingAssignment, TrainingCourse.slug)
        .join(TrainingCourse, col(TrainingCourse.id) == TrainingAssignment.course_id)
        .where(TrainingAssignment.distributor_id == distributor_id)
        .order_by(col(TrainingAssignment.assigned_at), col(TrainingAssignment.id))
    ).all()
    return [
        CourseProgressRow(
            slug=slug,
            reason=a.reason,
            required_done=a.required_done,
            required_total=a.required_total,
            current_step=a.current_step,
            last_activity_at=a.last_activity_at,
            failed_quizzes=a.failed_quizzes,
            assigned_at=a.assigned_at,
            due_at=a.due_at,
            completed_at=a.completed_at,
        )
        for a, slug in rows
    ]


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
