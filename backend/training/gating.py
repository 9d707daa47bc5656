"""Which steps of a course a person may take today, and what each locked one still needs.

Pure: the service reads the person's progress into :class:`StepFacts` keyed by step id and passes
the enrollment date and today. A step is done when the facts say so, whatever its gates say now:
completion never goes backwards, so a step completed under an earlier version of the course
stays done after the course changes, and facts for a step the course no longer has are ignored.

A step that is not done is open when every prerequisite is met and its drip date has come, and
locked otherwise with every reason still missing (never hidden, never only the first reason).
Because the state is computed from the facts, a step opens in the very call that sees its
prerequisite done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from backend.training.content import Course, Prerequisite, Step

__all__ = [
    "CourseProgress",
    "NeedsComplete",
    "NeedsPass",
    "OpensOn",
    "Reason",
    "StepFacts",
    "StepState",
    "course_progress",
]


@dataclass(frozen=True)
class StepFacts:
    """What the progress log says about one step for one person."""

    completed_at: datetime | None = None
    best_pct: int | None = None  # quiz steps: the best and the last attempt's score
    last_pct: int | None = None
    attempts_used: int = 0
    passed: bool = False

    @property
    def done(self) -> bool:
        return self.completed_at is not None or self.passed


@dataclass(frozen=True)
class NeedsComplete:
    step: str

    def __str__(self) -> str:
        return f"complete {self.step}"


@dataclass(frozen=True)
class NeedsPass:
    """A quiz to pass with at least ``min_pct``; ``counted_pct`` is the score that counts so far
    (the best or the last attempt's, by the quiz's grading), None before any attempt."""

    step: str
    min_pct: int
    counted_pct: int | None
    grading: str

    def __str__(self) -> str:
        text = f"pass {self.step} with at least {self.min_pct} %"
        if self.counted_pct is None:
            return text
        so_far = "best so far" if self.grading == "highest" else "last attempt"
        return f"{text} ({so_far} {self.counted_pct} %)"


@dataclass(frozen=True)
class OpensOn:
    day: date

    def __str__(self) -> str:
        return f"opens on {self.day.isoformat()}"


Reason = NeedsComplete | NeedsPass | OpensOn


@dataclass(frozen=True)
class StepState:
    step: str
    state: Literal["done", "open", "locked"]
    required: bool
    missing: tuple[Reason, ...] = ()  # why it is locked; empty unless locked


@dataclass(frozen=True)
class CourseProgress:
    steps: tuple[StepState, ...]  # in course order, locked ones included
    current_step: str | None  # the first open required step; None when there is none
    required_done: int
    required_total: int

    def state_of(self, step_id: str) -> StepState:
        for state in self.steps:
            if state.step == step_id:
                return state
        raise KeyError(step_id)


_NO_FACTS = StepFacts()


def _unmet(course: Course, gate: Prerequisite, facts: Mapping[str, StepFacts]) -> Reason | None:
    fact = facts.get(gate.step, _NO_FACTS)
    if gate.min_pct is None:
        return None if fact.done else NeedsComplete(gate.step)
    quiz = course.step(gate.step).quiz
    grading = quiz.grading if quiz is not None else "highest"
    counted = fact.best_pct if grading == "highest" else fact.last_pct
    if fact.passed and counted is not None and counted >= gate.min_pct:
        return None
    return NeedsPass(gate.step, gate.min_pct, counted, grading)


def _missing(
    course: Course, step: Step, facts: Mapping[str, StepFacts], *, enrolled_on: date, today: date
) -> tuple[Reason, ...]:
    reasons = [reason for gate in step.after if (reason := _unmet(course, gate, facts)) is not None]
    opens_on = enrolled_on + timedelta(days=step.drip_days)
    if today < opens_on:
        reasons.append(OpensOn(opens_on))
    return tuple(reasons)


def course_progress(
    course: Course, facts: Mapping[str, StepFacts], *, enrolled_on: date, today: date
) -> CourseProgress:
    """Every step's state, the current step and the count of required steps done."""
    states: list[StepState] = []
    for step in course.steps:
        if facts.get(step.id, _NO_FACTS).done:
            states.append(StepState(step.id, "done", step.required))
            continue
        missing = _missing(course, step, facts, enrolled_on=enrolled_on, today=today)
        states.append(StepState(step.id, "locked" if missing else "open", step.required, missing))
    current = next((s.step for s in states if s.required and s.state == "open"), None)
    required = [s for s in states if s.required]
    return CourseProgress(
        steps=tuple(states),
        current_step=current,
        required_done=sum(s.state == "done" for s in required),
        required_total=len(required),
    )
