"""Quizzes on the server: what the page may see, reading a submitted form, scoring, attempts.

The page gets :func:`public_questions` only: the texts, the options and the points, never which
option is correct, the number expected or its tolerance, so the answers cannot be read from the
page before submitting. A form names question ``n`` as field ``q<n>`` and an option by its
1-based number; a number may be typed as people write it (`2,5`, `1 000`).

Scores are whole percent, rounded down (79.9 % does not pass a pass mark of 80). A multiple
choice scores its points only when exactly the correct options are chosen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from backend.training.content import Bilingual, Question, Quiz
from backend.training.errors import AnswerError

__all__ = [
    "ALREADY_PASSED",
    "NO_ATTEMPTS_LEFT",
    "Answer",
    "AttemptCheck",
    "PublicQuestion",
    "Score",
    "counted_pct",
    "may_attempt",
    "parse_answers",
    "public_questions",
    "score",
]

# A single or multiple choice: the chosen option numbers; true_false: a bool; number: a Decimal.
Answer = frozenset[int] | bool | Decimal

ALREADY_PASSED = "already_passed"
NO_ATTEMPTS_LEFT = "no_attempts_left"

_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
_FIELD = re.compile(r"q([0-9]{1,4})\Z")


@dataclass(frozen=True)
class PublicQuestion:
    """A question as the page receives it: nothing in it tells the answer."""

    number: int
    kind: str
    text: Bilingual
    points: int
    options: tuple[Bilingual, ...] = ()


@dataclass(frozen=True)
class Score:
    points: int
    max_points: int
    pct: int  # whole percent, rounded down
    passed: bool
    correct: tuple[bool, ...]  # per question, in order


@dataclass(frozen=True)
class AttemptCheck:
    """Whether another attempt is allowed; false with a reason code (``ALREADY_PASSED``,
    ``NO_ATTEMPTS_LEFT``). Truthy exactly when allowed, so ``if may_attempt(...)`` reads right."""

    allowed: bool
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.allowed


def public_questions(quiz: Quiz) -> tuple[PublicQuestion, ...]:
    return tuple(
        PublicQuestion(
            number=question.number,
            kind=question.kind,
            text=question.text,
            points=question.points,
            options=tuple(option.text for option in question.options),
        )
        for question in quiz.questions
    )


def _parse_one(question: Question, values: Sequence[str]) -> Answer | None:
    values = [value.strip() for value in values if value.strip()]
    if not values:
        return None  # unanswered: scores nothing, refuses nothing
    number = question.number
    if question.kind in ("single", "multiple"):
        chosen: set[int] = set()
        for value in values:
            if not value.isdigit() or not 1 <= int(value) <= len(question.options):
                raise AnswerError(
                    question=number, code="unknown_option", message=f"no option {value!r}"
                )
            chosen.add(int(value))
        if question.kind == "single" and len(chosen) > 1:
            raise AnswerError(
                question=number, code="several_options", message="choose one option only"
            )
        return frozenset(chosen)
    if len(values) > 1:
        raise AnswerError(question=number, code="several_values", message="give one answer")
    value = values[0]
    if question.kind == "true_false":
        if value not in ("true", "false"):
            raise AnswerError(
                question=number, code="not_true_false", message=f"{value!r} is not true or false"
            )
        return value == "true"
    # A comma for the decimal point and spaces between thousands, as Russian readers type.
    text = value.replace(",", ".").replace(" ", "").replace("\u00a0", "")
    if not _NUMBER.match(text):
        raise AnswerError(question=number, code="not_decimal", message=f"{value!r} is not a number")
    return Decimal(text)


def parse_answers(quiz: Quiz, form: Mapping[str, Sequence[str]]) -> dict[int, Answer]:
    """Answers by question number from form fields ``q<n>`` (each a list of values, as a form
    repeats a field for a multiple choice). Other fields (a CSRF token) are not ours; a ``q<n>``
    the quiz does not have is refused. An empty field is an unanswered question."""
    by_number = {question.number: question for question in quiz.questions}
    answers: dict[int, Answer] = {}
    for field in sorted(form):
        match = _FIELD.match(field)
        if not match:
            continue
        number = int(match.group(1))
        if number not in by_number:
            raise AnswerError(
                question=number, code="unknown_question", message=f"no question {number}"
            )
        answer = _parse_one(by_number[number], form[field])
        if answer is not None:
            answers[number] = answer
    return answers


def _is_correct(question: Question, answer: Answer | None) -> bool:
    if question.kind in ("single", "multiple"):
        right = frozenset(i for i, option in enumerate(question.options, start=1) if option.correct)
        return isinstance(answer, frozenset) and answer == right
    if question.kind == "true_false":
        return isinstance(answer, bool) and answer is question.answer
    expected = question.answer
    return (
        isinstance(answer, Decimal)
        and isinstance(expected, Decimal)
        and abs(answer - expected) <= question.tolerance
    )


def score(quiz: Quiz, answers: Mapping[int, Answer]) -> Score:
    correct = tuple(_is_correct(q, answers.get(q.number)) for q in quiz.questions)
    points = sum(q.points for q, ok in zip(quiz.questions, correct, strict=True) if ok)
    max_points = sum(q.points for q in quiz.questions)
    pct = points * 100 // max_points
    return Score(points, max_points, pct, pct >= quiz.pass_pct, correct)


def may_attempt(quiz: Quiz, *, attempts_used: int, passed: bool) -> AttemptCheck:
    if passed and not quiz.retake_after_pass:
        return AttemptCheck(False, ALREADY_PASSED)
    if quiz.attempts and attempts_used >= quiz.attempts:
        return AttemptCheck(False, NO_ATTEMPTS_LEFT)
    return AttemptCheck(True)


def counted_pct(grading: str, pcts: Sequence[int]) -> int | None:
    """The score that counts from the attempts' scores in order: the highest or the last; None
    before the first attempt."""
    if not pcts:
        return None
    return max(pcts) if grading == "highest" else pcts[-1]
