"""Training in Debian's chromium against the real app: Dina, who got the onboarding course when
she signed up, reads the lessons (each "I have read it" opens the next one in place, no reload),
fails the quiz, then passes it (one answer given with the keyboard alone), and sees the task
steps open, the first-order task done by itself from her paid order. Every page visited is
checked by axe and screenshotted at 360 px and desktop width (artifacts/screenshots/training-*),
in Russian and, for the course page, in English."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import (
    DINA,
    check,
    company_with_a_closed_period,
    log_in,
    needs_chromium,
    serve_company,
)
from playwright.sync_api import Page, expect

from backend.training.content import load_courses

pytestmark = needs_chromium

ONBOARDING = next(c for c in load_courses() if c.slug == "onboarding")
LESSONS = ("company", "plan-basics", "plan-bonuses", "check-on-chain", "income-claims")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_a_closed_period) as url:
        yield url


def title(step_id: str, lang: str = "ru") -> str:
    return ONBOARDING.step(step_id).title.in_("en" if lang == "en" else "ru")


def step_item(page: Page, step_id: str) -> object:
    return page.locator(f"#step-{step_id}")


def test_dina_reads_fails_then_passes_the_quiz_and_the_tasks_open(page: Page) -> None:
    page.goto("/login")
    log_in(page, *DINA)
    page.get_by_role("link", name="Обучение", exact=True).click()
    expect(page.locator("h1")).to_have_text("Обучение")
    expect(page.locator(".course-card")).to_contain_text("Пройдено 0 из 11 обязательных шагов")
    check(page, "training-courses-ru")
    page.get_by_role("link", name="Первые шаги партнёра").click()
    expect(page.locator("h1")).to_have_text("Первые шаги партнёра")
    expect(page.locator("#step-plan-quiz")).to_have_class("step-item locked")
    expect(page.locator("#step-plan-quiz")).to_contain_text("Ещё нужно:")
    check(page, "training-course-ru")
    page.get_by_role("link", name=f"Продолжить: {title('company')}").click()
    expect(page.locator("h1")).to_have_text(title("company"))
    check(page, "training-lesson-ru")

    for index, step_id in enumerate(LESSONS):
        expect(page.locator("h1")).to_have_text(title(step_id))
        page.get_by_role("button", name="Я прочитал(а)").click()
        # htmx: the step list changes in place (the address stays the lesson's).
        expect(page.locator(f"#step-{step_id}")).to_have_class("step-item done")
        expect(page).to_have_url(f"/training/onboarding/{step_id}")
        expect(page.locator("#course-progress")).to_contain_text(f"Пройдено {index + 1} из 11")
        if step_id == "plan-basics":
            expect(page.locator("#reading")).to_contain_text("Только что открылось")
        page.locator("#reading a.button").click()  # "Следующий шаг: ..."

    expect(page.locator("h1")).to_have_text(title("plan-quiz"))
    check(page, "training-quiz-ru")
    # Nothing answered: 0 %, two attempts left, the form is there again.
    page.get_by_role("button", name="Отправить ответы").click()
    result = page.locator("#quiz-result")
    expect(result).to_contain_text("Ваш результат: 0 %")
    expect(result).to_contain_text("Осталось 2 попытки.")
    check(page, "training-quiz-failed-ru")

    quiz = ONBOARDING.step("plan-quiz").quiz
    assert quiz is not None
    for q in quiz.questions:
        if q.number == 1:  # the keyboard alone: focus the field, type, Tab on to question 2
            page.locator("#q1").focus()
            page.keyboard.type(str(q.answer))
            page.keyboard.press("Tab")
            second = quiz.questions[1]
            right = next(i for i, o in enumerate(second.options) if o.correct)
            for _ in range(right):
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Space")
            continue
        if q.number == 2:
            continue
        fieldset = page.locator(f"#question-{q.number}")
        if q.kind in ("single", "multiple"):
            for i, option in enumerate(q.options, 1):
                if option.correct:
                    fieldset.locator(f'input[value="{i}"]').check()
        elif q.kind == "true_false":
            fieldset.locator(f'input[value="{"true" if q.answer else "false"}"]').check()
        else:
            fieldset.locator("input").fill(str(q.answer))
    second_right = next(i for i, o in enumerate(quiz.questions[1].options, 1) if o.correct)
    expect(page.locator(f'#question-2 input[value="{second_right}"]')).to_be_checked()
    page.get_by_role("button", name="Отправить ответы").click()
    expect(result).to_contain_text("Ваш результат: 100 %")
    expect(result).to_contain_text("Тест сдан.")
    expect(result).to_contain_text(f"Только что открылось: {title('first-order')}")
    expect(page.locator("#step-first-order")).to_have_class("step-item open current")
    check(page, "training-quiz-passed-ru")

    page.locator("#quiz a.button").click()  # on to "Ваш первый заказ"
    expect(page.locator("h1")).to_have_text(title("first-order"))
    page.get_by_role("button", name="Я прочитал(а)").click()
    # Dina's order was paid long ago: the task opens and completes in the same request.
    expect(page.locator("#step-task-first-order")).to_have_class("step-item done")
    expect(page.locator("#step-first-customer")).to_contain_text("Дождитесь")  # two days' drip
    page.locator("#step-task-first-order a").first.click()
    expect(page.locator("h1")).to_have_text(title("task-first-order"))
    expect(page.locator(".task")).to_contain_text("Пройдено")
    check(page, "training-task-ru")
    page.locator("#step-task-first-customer a").first.click()
    expect(page.locator(".locked-box")).to_contain_text(f"Пройдите «{title('first-customer')}»")
    check(page, "training-locked-ru")

    page.get_by_role("button", name="English").click()
    page.goto("/training/onboarding")
    expect(page.locator("h1")).to_have_text(ONBOARDING.title.en)
    expect(page.locator("#course-progress")).to_contain_text("8 of 11 required steps done")
    check(page, "training-course-en")
