"""One person's course as one write unit: the assignment row locked, the event appended, the
projection updated, then the course settled (an open task step whose fact exists completes at
once). Gates are enforced here: reading, quizzes and mentor calls."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from backend.accounts.models import User
from backend.core.db import begin_write
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.model_base import Role
from backend.genealogy.models import Distributor
from backend.training.content import (
    Course,
    Step,
)
from backend.training.errors import AnswerError
from backend.training.gating import CourseProgress, Reason, StepFacts, course_progress
from backend.training.models import (
    EventKind,
    TrainingAssignment,
    TrainingCourse,
    TrainingCourseVersion,
    TrainingEvent,
    TrainingFact,
    TrainingStepState,
)
from backend.training.quiz import (
    Answer,
    may_attempt,
    parse_answers,
    score,
)
from backend.training.stored import (
    MAX_COMMENT,
    READING_KINDS,
    NotAssigned,
    StepLocked,
    _assignment,
    _course_by_slug,
    _course_of,
    _current_version,
)

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
