"""The partner's training pages through the test client, on SQLite and PostgreSQL: the course
list and the course with its progress, locked steps shown with every reason (a POST to one is
409 with the reasons), reading a lesson opens the next one (also as an htmx fragment with the
step list out of band), the quiz failed then passed with answers built from the content, its page
carrying nothing that tells the right answers, attempts running out, unreadable answers, the
task and mentor steps, and every other role refused."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api, add_user
from web_support import PASSWORD, Browser

from backend.accounts.models import User
from backend.core.model_base import Role
from backend.genealogy.models import Distributor
from backend.training import service as training
from backend.training.content import Question, Quiz, load_courses
from backend.training.models import Task

ONBOARDING = next(c for c in load_courses() if c.slug == "onboarding")
_QUIZ = ONBOARDING.step("plan-quiz").quiz
assert _QUIZ is not None
QUIZ: Quiz = _QUIZ
HTMX = {"HX-Request": "true"}
BEFORE_QUIZ = ("company", "plan-basics", "plan-bonuses", "check-on-chain", "income-claims")
BASE = "/training/onboarding"


def office(api: Api, email: str = "dina@example.com", password: str = PASSWORD) -> Browser:
    browser = Browser(TestClient(api.client.app))
    assert browser.client.get("/login").status_code == 200
    logged_in: Any = browser.post("/login", {"email": email, "password": password})
    assert logged_in.status_code == 303
    return browser


def get(browser: Browser, path: str) -> Any:
    return browser.client.get(path, follow_redirects=False)


def post(
    browser: Browser,
    path: str,
    data: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """A form to `path` with the CSRF token of the step's page (lists repeat a field)."""
    page = path.rsplit("/", 1)[0]
    form: dict[str, Any] = {"csrf_token": browser.token(page)} | (data or {})
    return browser.client.post(path, data=form, headers=headers or {}, follow_redirects=False)


def read(browser: Browser, step_id: str, headers: dict[str, str] | None = None) -> Any:
    return post(browser, f"{BASE}/{step_id}/done", headers=headers)


def text_of(html: str) -> str:
    """The page's text as a person reads it (tags dropped, spaces joined)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def answers(quiz: Quiz, *, right: bool) -> dict[str, list[str]]:
    """Every question answered from the quiz file: all right, or all wrong."""
    form: dict[str, list[str]] = {}
    for q in quiz.questions:
        name = f"q{q.number}"
        if q.kind in ("single", "multiple"):
            chosen = [str(i) for i, o in enumerate(q.options, 1) if o.correct == right]
            form[name] = chosen if q.kind == "multiple" or right else chosen[:1]
        elif q.kind == "true_false":
            form[name] = ["true" if q.answer == right else "false"]
        else:
            assert isinstance(q.answer, Decimal)
            wrong = q.answer + q.tolerance + 1
            form[name] = [str(q.answer if right else wrong).replace(".", ",")]
    return form


def reach_the_quiz(browser: Browser) -> None:
    for step_id in BEFORE_QUIZ:
        assert read(browser, step_id).status_code == 303, step_id


def step_item(html: str, step_id: str) -> str:
    found = re.search(rf'<li class="step-item ([a-z ]+)" id="step-{step_id}"', html)
    assert found, f"no step {step_id} in the list"
    return found.group(1)


def test_the_course_list_shows_progress_current_step_and_due_date(api: Api) -> None:
    browser = office(api)
    page: Any = get(browser, "/training")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Первые шаги партнёра" in text
    assert "Пройдено 0 из 11 обязательных шагов" in text
    assert '<progress max="11" value="0"' in page.text
    assert "Текущий шаг: Компания и её продукты" in text
    assert "Пройти до" in text
    read(browser, "company")
    assert "Пройдено 1 из 11 обязательных шагов" in text_of(get(browser, "/training").text)
    in_english: Any = browser.post("/language", {"language": "en", "next": "/training"})
    assert in_english.status_code == 303
    english = text_of(get(browser, "/training").text)
    assert "A partner's first steps" in english and "1 of 11 required steps done" in english


def test_a_partner_without_a_course_sees_the_empty_state(api: Api) -> None:
    with api.session() as session:
        root = session.get(Distributor, 1)
        assert root is not None and not training.progress_of(session, 1)
    add_user(api.engine, "root@example.com", Role.distributor, 1)
    page: Any = get(office(api, "root@example.com"), "/training")
    assert page.status_code == 200
    assert "Вам пока не назначен ни один курс" in page.text


def test_a_locked_step_shows_every_reason_and_the_course_greys_it(api: Api) -> None:
    browser = office(api)
    course: Any = get(browser, BASE)
    assert course.status_code == 200
    assert step_item(course.text, "company") == "open current"
    assert 'aria-current="step"' in course.text
    assert step_item(course.text, "plan-quiz") == "locked"
    quiz: Any = get(browser, f"{BASE}/plan-quiz")
    assert quiz.status_code == 200  # never a 403: the page says why
    text = text_of(quiz.text)
    assert "Этот шаг пока закрыт" in text
    assert "Пройдите «Проверьте сами: размещение и выписка в блокчейне»" in text
    assert "Пройдите «Как говорить о доходе и как не говорить»" in text
    assert 'name="q1"' not in quiz.text  # no questions before the step opens
    task = text_of(get(browser, f"{BASE}/task-first-order").text)
    assert "Сдайте «Тест: план и правила» не меньше чем на 80 %" in task
    assert "Пройдите «Ваш первый заказ»" in task


def test_a_post_to_a_locked_step_is_409_with_the_reasons_and_changes_nothing(api: Api) -> None:
    browser = office(api)
    refused = read(browser, "plan-basics")
    assert refused.status_code == 409
    text = text_of(refused.text)
    assert "Этот шаг ещё закрыт" in text and "Пройдите «Компания и её продукты»" in text
    quiz = post(browser, f"{BASE}/plan-quiz/quiz", answers(QUIZ, right=True))
    assert quiz.status_code == 409
    assert "Пройдите «Как говорить о доходе и как не говорить»" in text_of(quiz.text)
    with api.session() as session:
        today = api.clock().date()
        view = training.course_view(session, api.distributor_id, "onboarding", today=today)
    assert view.required_done == 0 and all(s.attempts_used == 0 for s in view.steps)


def test_reading_a_lesson_opens_the_next_one(api: Api) -> None:
    browser = office(api)
    lesson: Any = get(browser, f"{BASE}/company")
    assert "<h2" in lesson.text and "Я прочитал(а)" in lesson.text  # the lesson, rendered
    done = read(browser, "company")
    assert done.status_code == 303
    assert done.headers["location"] == f"{BASE}/company?opened=plan-basics"
    after: Any = get(browser, done.headers["location"])
    text = text_of(after.text)
    assert "Только что открылось: План вознаграждений: баллы, активность, ранги" in text
    assert "Следующий шаг: План вознаграждений: баллы, активность, ранги" in text
    assert step_item(after.text, "company") == "done"
    assert step_item(after.text, "plan-basics") == "open current"
    assert "Я прочитал(а)" in get(browser, f"{BASE}/plan-basics").text
    # Again: nothing changes, nothing new opens.
    assert read(browser, "company").headers["location"] == f"{BASE}/company"


def test_htmx_gets_the_reading_part_and_the_step_list_out_of_band(api: Api) -> None:
    browser = office(api)
    fragment = read(browser, "company", headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="reading"')
    assert "<html" not in fragment.text
    assert 'id="course-steps" class="course-steps" hx-swap-oob="true"' in fragment.text
    assert step_item(fragment.text, "plan-basics") == "open current"
    assert "Только что открылось" in fragment.text
    refused = read(browser, "plan-bonuses", headers=HTMX)
    assert refused.status_code == 200  # htmx swaps only a 2xx: the refusal comes in words
    assert "Этот шаг ещё закрыт" in refused.text


def test_the_quiz_page_carries_nothing_that_tells_the_right_answers(api: Api) -> None:
    browser = office(api)
    reach_the_quiz(browser)
    page: Any = get(browser, f"{BASE}/plan-quiz")
    assert page.status_code == 200
    form = re.search(r'<form[^>]*class="quiz-form".*?</form>', page.text, re.S)
    assert form, "no quiz form"
    html = form.group(0)
    assert "correct" not in html.lower() and "data-" not in html and "checked" not in html
    assert "Проходной балл" in page.text and "использовано 0 из 3" in page.text
    for q in QUIZ.questions:
        assert f'name="q{q.number}"' in html
        if q.kind in ("single", "multiple"):
            inputs = re.findall(rf'<input ([^>]*name="q{q.number}"[^>]*)>', html)
            assert len(inputs) == len(q.options)
            # The right options' inputs differ from the wrong ones' only by their number.
            shapes = {re.sub(r'value="\d+"', 'value=""', attrs) for attrs in inputs}
            assert len(shapes) == 1, shapes
            kind = "radio" if q.kind == "single" else "checkbox"
            assert f'type="{kind}"' in inputs[0]
        elif q.kind == "true_false":
            assert len(re.findall(rf'type="radio" name="q{q.number}"', html)) == 2
        else:
            field = re.search(rf'<input id="q{q.number}"[^>]*>', html)
            assert field and 'type="text"' in field.group(0) and "value=" not in field.group(0)
            assert str(q.answer) not in field.group(0)


def test_the_quiz_failed_then_passed_opens_the_next_steps(api: Api) -> None:
    browser = office(api)
    reach_the_quiz(browser)
    failed = post(browser, f"{BASE}/plan-quiz/quiz", answers(QUIZ, right=False))
    assert failed.status_code == 303
    assert failed.headers["location"] == f"{BASE}/plan-quiz?attempt=1"
    shown = text_of(get(browser, failed.headers["location"]).text)
    assert "Ваш результат: 0 %" in shown and "Тест не сдан" in shown
    assert "Осталось 2 попытки." in shown and "использовано 1 из 3" in shown
    # With htmx: the quiz part and the step list; the right answers pass and open the lesson.
    passed = post(browser, f"{BASE}/plan-quiz/quiz", answers(QUIZ, right=True), headers=HTMX)
    assert passed.status_code == 200
    assert passed.text.lstrip().startswith('<section id="quiz"')
    text = text_of(passed.text)
    assert "Ваш результат: 100 %" in text and "Тест сдан." in text
    assert "Только что открылось: Ваш первый заказ" in text
    assert step_item(passed.text, "first-order") == "open current"
    assert step_item(passed.text, "plan-quiz") == "done"
    # The task waits for the lesson too; reading it opens the task, which says what to do.
    assert step_item(passed.text, "task-first-order") == "locked"
    assert read(browser, "first-order").headers["location"] == (
        f"{BASE}/first-order?opened=task-first-order"
    )
    task: Any = get(browser, f"{BASE}/task-first-order")
    assert "Шаг засчитается сам, когда ваш первый личный заказ будет оплачен." in task.text
    assert 'href="/shop"' in task.text
    again = post(browser, f"{BASE}/plan-quiz/quiz", answers(QUIZ, right=True))
    assert again.status_code == 409
    assert "Вы уже сдали этот тест" in again.text


def test_the_attempts_run_out(api: Api) -> None:
    browser = office(api)
    reach_the_quiz(browser)
    for _ in range(QUIZ.attempts):
        assert post(browser, f"{BASE}/plan-quiz/quiz", {"q1": "1"}).status_code == 303
    page = text_of(get(browser, f"{BASE}/plan-quiz?attempt=3").text)
    assert "Попыток больше нет." in page
    assert "Все попытки этого теста использованы." in page
    refused = post(browser, f"{BASE}/plan-quiz/quiz", answers(QUIZ, right=True))
    assert refused.status_code == 409
    assert "Все попытки этого теста использованы." in refused.text


def test_an_answer_that_cannot_be_read_is_422_and_uses_no_attempt(api: Api) -> None:
    browser = office(api)
    reach_the_quiz(browser)
    number = next(q for q in QUIZ.questions if q.kind == "number")
    refused = post(browser, f"{BASE}/plan-quiz/quiz", {f"q{number.number}": "сорок"})
    assert refused.status_code == 422
    assert f"Вопрос {number.number}: введите число, например 40 или 2,5." in refused.text
    single: Question = next(q for q in QUIZ.questions if q.kind == "single")
    two = post(browser, f"{BASE}/plan-quiz/quiz", {f"q{single.number}": ["1", "2"]})
    assert two.status_code == 422
    assert f"Вопрос {single.number}: выберите только один вариант." in two.text
    assert "использовано 0 из 3" in two.text


def test_tasks_complete_from_facts_and_the_sponsor_confirms_the_call(api: Api) -> None:
    browser = office(api)
    reach_the_quiz(browser)
    post(browser, f"{BASE}/plan-quiz/quiz", answers(QUIZ, right=True))
    read(browser, "first-order")
    with api.session() as session:
        sponsor = session.get(Distributor, 1)
        assert sponsor is not None
        name = f"{sponsor.first_name} {sponsor.last_name}"
        training.record_fact(session, api.distributor_id, Task.first_order, now=api.clock())
        session.commit()
    task = text_of(get(browser, f"{BASE}/task-first-order").text)
    assert "Пройдено" in task and "Пока не выполнено" not in task
    first_customer = text_of(get(browser, f"{BASE}/first-customer").text)
    assert "Дождитесь" in first_customer  # the drip: two days after enrollment
    api.clock.advance(days=2)
    read(browser, "first-customer")
    with api.session() as session:
        training.record_fact(
            session, api.distributor_id, Task.first_retail_customer, now=api.clock()
        )
        session.commit()
    mentor = text_of(get(browser, f"{BASE}/mentor-call").text)
    assert f"Ждём вашего спонсора, {name}" in mentor
    with api.session() as session:
        admin = session.get(User, 1)
        assert admin is not None and admin.role == Role.admin
        training.confirm_mentor(
            session, admin, api.distributor_id, "onboarding", "mentor-call", "Good <call>",
            now=api.clock(),
        )  # fmt: skip
    mentor_page: Any = get(browser, f"{BASE}/mentor-call")
    assert "Подтвердил(а)" in mentor_page.text
    assert "Good &lt;call&gt;" in mentor_page.text
    listing = text_of(get(browser, "/training").text)
    assert "Пройден" in listing and "Пройдено 11 из 11 обязательных шагов" in listing


def test_an_unknown_course_or_step_is_not_found(api: Api) -> None:
    browser = office(api)
    assert get(browser, "/training/no-such-course").status_code == 404
    assert get(browser, f"{BASE}/no-such-step").status_code == 404
    assert read(browser, "plan-quiz").status_code == 404  # a quiz is not "read"


@pytest.mark.parametrize("role", ["admin", "finance", "auditor", "warehouse"])
def test_every_other_role_is_refused(api: Api, role: str) -> None:
    email = ADMIN_EMAIL if role == "admin" else f"{role}@example.com"
    password = ADMIN_PASSWORD if role == "admin" else PASSWORD
    browser = office(api, email, password)
    for path in ("/training", BASE, f"{BASE}/company"):
        assert get(browser, path).status_code == 403, path
    refused = browser.client.post(
        f"{BASE}/company/done", data={"csrf_token": browser.token("/home")}
    )
    assert refused.status_code == 403
    home: Any = get(browser, "/home")
    assert 'href="/training"' not in home.text  # no menu entry either
