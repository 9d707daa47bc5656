"""Quizzes on the server: the page never sees an answer, forms are read strictly, scores floor,
attempts and grading follow the quiz's settings."""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal

import pytest
from training_kit import sample_quiz

from backend.training.content import Bilingual, Question, Quiz
from backend.training.errors import AnswerError
from backend.training.quiz import (
    ALREADY_PASSED,
    NO_ATTEMPTS_LEFT,
    counted_pct,
    may_attempt,
    parse_answers,
    public_questions,
    score,
)

QUIZ = sample_quiz()  # 5 points: single (2), multiple (1), true_false (1), number 12.5 ± 0.5 (1)
RIGHT = {"q1": ["1"], "q2": ["1", "3"], "q3": ["false"], "q4": ["12.5"]}


def _form(**changes: list[str]) -> dict[str, list[str]]:
    return {**RIGHT, **changes}


def test_the_page_receives_no_correct_flag_answer_or_tolerance() -> None:
    public = public_questions(QUIZ)
    text = json.dumps([dataclasses.asdict(q) for q in public], ensure_ascii=False)
    for secret in ("correct", "answer", "tolerance", "12.5", "0.5"):
        assert secret not in text
    assert re.search(r":\s*(true|false)", text) is None  # no flag of any name
    assert [q.kind for q in public] == ["single", "multiple", "true_false", "number"]
    assert public[1].options == (
        Bilingual("Цены", "Prices"),
        Bilingual("Доход", "Income"),
        Bilingual("Состав", "Ingredients"),
    )
    assert [q.points for q in public] == [2, 1, 1, 1]


Y, N = True, False
# (case, form changes, points, pct, passed, per-question correct)
SCORES = [
    ("all right", {}, 5, 100, True, (Y, Y, Y, Y)),
    ("the single choice wrong", {"q1": ["2"]}, 3, 60, False, (N, Y, Y, Y)),
    ("multiple: one correct option missing", {"q2": ["1"]}, 4, 80, True, (Y, N, Y, Y)),
    ("multiple: a wrong option added", {"q2": ["1", "2", "3"]}, 4, 80, True, (Y, N, Y, Y)),
    ("true/false wrong", {"q3": ["true"]}, 4, 80, True, (Y, Y, N, Y)),
    ("number at the tolerance's edge", {"q4": ["13"]}, 5, 100, True, (Y, Y, Y, Y)),
    ("number below, at the edge", {"q4": ["12,0"]}, 5, 100, True, (Y, Y, Y, Y)),
    ("number just outside", {"q4": ["13.01"]}, 4, 80, True, (Y, Y, Y, N)),
    ("unanswered questions score nothing", {"q1": [], "q4": [""]}, 2, 40, False, (N, Y, Y, N)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "points", "pct", "passed", "correct"),
    [case[1:] for case in SCORES],
    ids=[case[0] for case in SCORES],
)
def test_scoring(
    changes: dict[str, list[str]], points: int, pct: int, passed: bool, correct: tuple[bool, ...]
) -> None:
    result = score(QUIZ, parse_answers(QUIZ, _form(**changes)))
    assert (result.points, result.max_points, result.pct) == (points, 5, pct)
    assert (result.passed, result.correct) == (passed, correct)


def test_a_number_without_tolerance_is_compared_exactly() -> None:
    question = Question(1, "number", Bilingual("ч", "n"), 1, answer=Decimal("40"))
    quiz = Quiz(100, 0, "highest", False, (question,))
    assert score(quiz, parse_answers(quiz, {"q1": ["40.0"]})).passed
    assert not score(quiz, parse_answers(quiz, {"q1": ["40.0001"]})).passed
    assert score(quiz, parse_answers(quiz, {"q1": ["1 000"]})).pct == 0


def test_percent_is_rounded_down_so_79_9_does_not_pass_80() -> None:
    questions = tuple(
        Question(n, "true_false", Bilingual("в", "q"), 1, answer=True) for n in range(1, 4)
    )
    quiz = Quiz(67, 0, "highest", False, questions)
    result = score(quiz, parse_answers(quiz, {"q1": ["true"], "q2": ["true"], "q3": ["false"]}))
    assert (result.points, result.pct, result.passed) == (2, 66, False)


@pytest.mark.parametrize(
    ("form", "question", "code"),
    [
        (_form(q1=["3"]), 1, "unknown_option"),
        (_form(q1=["0"]), 1, "unknown_option"),
        (_form(q2=["1", "x"]), 2, "unknown_option"),
        (_form(q1=["1", "2"]), 1, "several_options"),
        (_form(q3=["yes"]), 3, "not_true_false"),
        (_form(q3=["true", "false"]), 3, "several_values"),
        (_form(q4=["twelve"]), 4, "not_decimal"),
        (_form(q4=["1e3"]), 4, "not_decimal"),
        (_form(q4=["NaN"]), 4, "not_decimal"),
        (_form(q9=["1"]), 9, "unknown_question"),
    ],
)
def test_bad_form_values_are_refused_by_question_and_code(
    form: dict[str, list[str]], question: int, code: str
) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_answers(QUIZ, form)
    assert (caught.value.question, caught.value.code) == (question, code)
    assert str(caught.value).startswith(f"question {question}: ")


def test_form_fields_that_are_not_questions_are_left_alone() -> None:
    answers = parse_answers(QUIZ, _form(csrf=["token"], q2=["3", "1", "3"]))
    assert answers == {
        1: frozenset({1}),
        2: frozenset({1, 3}),
        3: False,
        4: Decimal("12.5"),
    }


@pytest.mark.parametrize(
    ("attempts", "retake", "used", "passed", "allowed", "reason"),
    [
        (3, False, 0, False, True, None),
        (3, False, 2, False, True, None),
        (3, False, 3, False, False, NO_ATTEMPTS_LEFT),
        (3, False, 1, True, False, ALREADY_PASSED),
        (3, True, 1, True, True, None),
        (3, True, 3, True, False, NO_ATTEMPTS_LEFT),
        (0, False, 50, False, True, None),  # 0 = unlimited
        (0, False, 5, True, False, ALREADY_PASSED),
    ],
)
def test_may_attempt(
    attempts: int, retake: bool, used: int, passed: bool, allowed: bool, reason: str | None
) -> None:
    check = may_attempt(
        sample_quiz(attempts=attempts, retake=retake), attempts_used=used, passed=passed
    )
    assert (bool(check), check.allowed, check.reason) == (allowed, allowed, reason)


@pytest.mark.parametrize(
    ("grading", "pcts", "counted"),
    [
        ("highest", [60, 90, 70], 90),
        ("last", [60, 90, 70], 70),
        ("highest", [40], 40),
        ("last", [], None),
        ("highest", [], None),
    ],
)
def test_counted_pct_is_the_highest_or_the_last(
    grading: str, pcts: list[int], counted: int | None
) -> None:
    assert counted_pct(grading, pcts) == counted
