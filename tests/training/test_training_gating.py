"""Gating as a table (issue 14): a person's facts and today in, each step's state and what a
locked step still needs out. Day numbers count from enrollment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from training_kit import sample_quiz

from backend.training.content import Bilingual, Course, Prerequisite, Step
from backend.training.gating import (
    NeedsComplete,
    NeedsPass,
    OpensOn,
    StepFacts,
    course_progress,
)

ENROLLED = date(2025, 3, 1)
DONE = StepFacts(completed_at=datetime(2025, 3, 1, 12, tzinfo=UTC))
T = Bilingual(ru="т", en="t")


def _course(grading: str = "highest") -> Course:
    quiz = sample_quiz(pass_pct=60, grading=grading, retake=True)
    return Course(
        slug="demo",
        title=T,
        summary=T,
        assign_on="signup",
        rank=None,
        due_days=None,
        steps=(
            Step("welcome", "lesson", T, text=T),
            Step("video", "video", T, after=(Prerequisite("welcome"),), drip_days=2,
                 url="https://x.org"),
            Step("quiz", "quiz", T, after=(Prerequisite("video"),), quiz=quiz),
            Step("order", "task", T, after=(Prerequisite("quiz", 80),), task="first_order"),
            Step("extra", "lesson", T, required=False, text=T),
            Step("mentor", "mentor", T, after=(Prerequisite("order"), Prerequisite("video"))),
        ),
    )  # fmt: skip


def _quiz(best: int, last: int | None = None, passed: bool = True) -> StepFacts:
    return StepFacts(
        completed_at=DONE.completed_at if passed else None,
        best_pct=best,
        last_pct=best if last is None else last,
        attempts_used=2,
        passed=passed,
    )


def _day(n: int) -> date:
    return ENROLLED + timedelta(days=n)


# (case, facts, day, {step: state or the reasons it is locked}, current step, required done)
CASES = [
    (
        "nothing done on the first day: what is open and everything each locked step needs",
        {},
        0,
        {
            "welcome": "open",
            "video": [NeedsComplete("welcome"), OpensOn(_day(2))],
            "quiz": [NeedsComplete("video")],
            "order": [NeedsPass("quiz", 80, None, "highest")],
            "extra": "open",
            "mentor": [NeedsComplete("order"), NeedsComplete("video")],
        },
        "welcome",
        0,
    ),
    (
        "welcome done on day 1: the video waits for its drip date only",
        {"welcome": DONE},
        1,
        {"welcome": "done", "video": [OpensOn(_day(2))], "quiz": [NeedsComplete("video")]},
        None,  # the optional lesson is open, but it is not a required step
        1,
    ),
    (
        "the video opens on the day the drip ends, not a day later",
        {"welcome": DONE},
        2,
        {"video": "open", "quiz": [NeedsComplete("video")]},
        "video",
        1,
    ),
    (
        "a step opens the moment its prerequisite is done (same facts, same call)",
        {"welcome": DONE, "video": DONE},
        2,
        {"video": "done", "quiz": "open", "mentor": [NeedsComplete("order")]},
        "quiz",
        2,
    ),
    (
        "a quiz failed so far: the gate names the score that counts",
        {"welcome": DONE, "video": DONE, "quiz": _quiz(40, passed=False)},
        5,
        {"quiz": "open", "order": [NeedsPass("quiz", 80, 40, "highest")]},
        "quiz",
        2,
    ),
    (
        "passed at 70 (pass mark 60) is not enough for a gate at 80",
        {"welcome": DONE, "video": DONE, "quiz": _quiz(70)},
        5,
        {"quiz": "done", "order": [NeedsPass("quiz", 80, 70, "highest")]},
        None,
        3,
    ),
    (
        "passed at exactly 80 opens a gate at 80",
        {"welcome": DONE, "video": DONE, "quiz": _quiz(80)},
        5,
        {"order": "open", "mentor": [NeedsComplete("order")]},
        "order",
        3,
    ),
    (
        "two prerequisites: the step waits for the second one too",
        {"welcome": DONE, "video": StepFacts(), "order": DONE},
        5,
        {"video": "open", "mentor": [NeedsComplete("video")]},
        "video",
        2,
    ),
    (
        "completed under an earlier version stays done; a step id gone from the course is ignored",
        {"mentor": DONE, "quiz": _quiz(90), "retired-step": DONE},
        0,
        {"mentor": "done", "quiz": "done", "order": "open", "welcome": "open"},
        "welcome",
        2,
    ),
    (
        "a passed quiz counts as done even before the service stamps completed_at",
        {"quiz": StepFacts(best_pct=95, last_pct=95, attempts_used=1, passed=True)},
        0,
        {"quiz": "done", "order": "open"},
        "welcome",
        1,
    ),
]


@pytest.mark.parametrize(
    ("facts", "day", "expected", "current", "required_done"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_gating(
    facts: dict[str, StepFacts],
    day: int,
    expected: dict[str, object],
    current: str | None,
    required_done: int,
) -> None:
    progress = course_progress(_course(), facts, enrolled_on=ENROLLED, today=_day(day))
    for step, want in expected.items():
        state = progress.state_of(step)
        if isinstance(want, str):
            assert (state.state, state.missing) == (want, ()), step
        else:
            assert (state.state, list(state.missing)) == ("locked", want), step
    assert progress.current_step == current
    assert (progress.required_done, progress.required_total) == (required_done, 5)


def test_locked_steps_are_listed_in_course_order_never_hidden() -> None:
    progress = course_progress(_course(), {}, enrolled_on=ENROLLED, today=ENROLLED)
    order = ["welcome", "video", "quiz", "order", "extra", "mentor"]
    assert [s.step for s in progress.steps] == order
    assert [s.required for s in progress.steps] == [True, True, True, True, False, True]


def test_last_grading_gates_on_the_last_attempt() -> None:
    facts = {"welcome": DONE, "video": DONE, "quiz": _quiz(best=90, last=70)}
    progress = course_progress(_course("last"), facts, enrolled_on=ENROLLED, today=_day(3))
    assert progress.state_of("order").missing == (NeedsPass("quiz", 80, 70, "last"),)
    highest = course_progress(_course(), facts, enrolled_on=ENROLLED, today=_day(3))
    assert highest.state_of("order").state == "open"


def test_reasons_read_as_sentences() -> None:
    assert str(NeedsComplete("welcome")) == "complete welcome"
    gate = "pass quiz with at least 80 %"
    assert str(NeedsPass("quiz", 80, 65, "highest")) == f"{gate} (best so far 65 %)"
    assert str(NeedsPass("quiz", 80, 65, "last")) == f"{gate} (last attempt 65 %)"
    assert str(NeedsPass("quiz", 80, None, "highest")) == gate
    assert str(OpensOn(date(2025, 3, 3))) == "opens on 2025-03-03"
