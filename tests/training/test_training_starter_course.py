"""The company's starter course as shipped: it loads, every step speaks both languages, its
quiz can be passed by the right answers (and only by them), and the plan figures its quiz asks
about are this plan's, so changing the plan without the course fails here."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from backend.training.content import Course, Quiz, load_courses
from backend.training.quiz import Answer, score

PLAN = Path(__file__).parents[2] / "ledger" / "plans" / "company_rub.toml"


def onboarding() -> Course:
    courses = {course.slug: course for course in load_courses()}
    return courses["onboarding"]


def the_quiz() -> Quiz:
    quiz = next(step.quiz for step in onboarding().steps if step.quiz is not None)
    assert quiz is not None
    return quiz


def right_answers(quiz: Quiz) -> dict[int, Answer]:
    answers: dict[int, Answer] = {}
    for q in quiz.questions:
        if q.kind in ("single", "multiple"):
            answers[q.number] = frozenset(i for i, o in enumerate(q.options, start=1) if o.correct)
        else:
            assert q.answer is not None
            answers[q.number] = q.answer
    return answers


def test_the_starter_course_loads_in_both_languages() -> None:
    course = onboarding()
    assert course.assign_on == "signup"
    kinds = {step.kind for step in course.steps}
    assert {"lesson", "quiz", "task", "mentor"} <= kinds
    for step in course.steps:
        assert step.title.ru.strip() and step.title.en.strip()
        if step.kind == "lesson":
            assert step.text is not None and step.text.ru.strip() and step.text.en.strip()
    tasks = {step.task for step in course.steps if step.kind == "task"}
    assert tasks == {"first_order", "first_retail_customer"}


def test_its_quiz_is_passed_by_the_right_answers_only() -> None:
    quiz = the_quiz()
    assert 8 <= len(quiz.questions) <= 12
    right = right_answers(quiz)
    assert score(quiz, right).pct == 100
    wrong = dict(right)
    for q in quiz.questions[:3]:  # three wrong of 8-12 is under the 80 % pass mark
        if q.kind == "true_false":
            wrong[q.number] = not q.answer
        elif q.kind == "number" and isinstance(q.answer, Decimal):
            wrong[q.number] = q.answer + 1
        else:
            wrong[q.number] = frozenset()
    assert not score(quiz, wrong).passed


def test_the_figures_it_teaches_are_the_plans() -> None:
    plan = tomllib.loads(PLAN.read_text())
    quiz = the_quiz()
    numbers = {q.text.en: q.answer for q in quiz.questions if q.kind == "number"}
    activity = next(a for text, a in numbers.items() if "active" in text)
    assert activity == Decimal(plan["activity"]["min_pv"])
    binary = next(a for text, a in numbers.items() if "binary" in text)
    assert binary == Decimal(plan["binary"]["pct_by_rank"]["Member"])
