"""Reading a person's training: a course with each step's state and what a locked one needs
(never a quiz's answers), and their courses' progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from backend.training.content import (
    Bilingual,
)
from backend.training.gating import Reason, StepFacts
from backend.training.models import (
    TrainingAssignment,
    TrainingCourse,
)
from backend.training.progress import _facts, _Unit
from backend.training.quiz import (
    PublicQuestion,
    public_questions,
)
from backend.training.stored import NotAssigned, _assignment, _course_by_slug

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
