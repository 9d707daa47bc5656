"""The mentor's pages in Debian's chromium against the real app: Dina opens her team's training
from the genealogy page, filters those who failed a quiz twice, opens a recruit's progress and
confirms the call with her, in Russian and English. Every page is checked by axe and
screenshotted (artifacts/screenshots/training-team-*.png, training-person-*.png) at 360 px and
desktop width.

The company: Dina (a login) brought eight people, the last of whom brought two more, and
someone in another branch; everyone has the onboarding course, some are further along, one
failed its quiz twice, and the first recruit has a one-step course with a call to confirm."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import (
    DINA,
    admin_client,
    check,
    dina_login,
    enroll_dina,
    log_in,
    needs_chromium,
    new_company,
    serve_company,
)
from playwright.sync_api import Page, expect
from sqlmodel import Session

from backend.core.config import Settings
from backend.training import service as training
from backend.training.content import Bilingual, Course, Step
from backend.training.models import AssignReason

pytestmark = needs_chromium

DINA_ID = 2
RECRUITS = list(range(3, 11))
BELOW = [11, 12]  # brought by the last recruit
OUTSIDER = 13
NAMES = [
    ("Анна", "Иванова"),
    ("Борис", "Петров"),
    ("Вера", "Сидорова"),
    ("Глеб", "Смирнов"),
    ("Дарья", "Кузнецова"),
    ("Егор", "Попов"),
    ("Ирина", "Соколова"),
    ("Кирилл", "Лебедев"),
    ("Лена", "Новикова"),
    ("Максим", "Морозов"),
]
READING = ("company", "plan-basics", "plan-bonuses", "check-on-chain", "income-claims")
CALL = Course(
    "sponsor-call",
    Bilingual("Знакомство со спонсором", "Meeting your sponsor"),
    Bilingual("Первый разговор", "The first talk"),
    "admin",
    None,
    None,
    (Step("call", "mentor", Bilingual("Звонок со спонсором", "A call with your sponsor")),),
)


def company_in_training(settings: Settings) -> None:
    engine, clock = new_company(settings, rates=False)
    with admin_client(settings, engine, clock) as (client, admin):
        assert enroll_dina(client, admin) == DINA_ID
        dina_login(client, admin, DINA_ID)
        people = [
            {"first_name": first, "last_name": last, "sponsor_id": DINA_ID}
            for first, last in NAMES[: len(RECRUITS)]
        ]
        done = client.post("/api/distributors/batch", json=people, headers=admin)
        assert [p["id"] for p in done.json()] == RECRUITS, done.text
        below = [
            {"first_name": first, "last_name": last, "sponsor_id": RECRUITS[-1]}
            for first, last in NAMES[len(RECRUITS) :]
        ]
        done = client.post("/api/distributors/batch", json=below, headers=admin)
        assert [p["id"] for p in done.json()] == BELOW, done.text
        other = {"first_name": "Чужой", "last_name": "Далёкий", "sponsor_id": 1}
        assert client.post("/api/distributors", json=other, headers=admin).json()["id"] == OUTSIDER
    now = clock()
    with Session(engine) as session:
        for step in READING[:3]:
            training.complete_reading(session, 3, "onboarding", step, now=now)
        training.complete_reading(session, 4, "onboarding", "company", now=now)
        for step in READING:
            training.complete_reading(session, 5, "onboarding", step, now=now)
        for _ in range(2):
            training.submit_quiz(session, 5, "onboarding", "plan-quiz", {}, now=now)
        training.publish(session, CALL, actor=None, now=now)
        training.assign(session, 3, CALL.slug, reason=AssignReason.rank, actor=None, now=now)
    engine.dispose()


def dina_in(page: Page, language: str) -> None:
    page.goto("/login")
    log_in(page, *DINA)
    expect(page).to_have_url("/home")
    page.click(f"button[value={language}]")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_in_training) as url:
        yield url


def test_the_team_view_filters_and_a_recruits_call_is_confirmed(page: Page) -> None:
    dina_in(page, "ru")
    page.goto("/tree")
    page.click("text=Обучение моей команды")
    expect(page).to_have_url("/training/team")
    expect(page.locator("h1")).to_have_text("Обучение моей команды")
    rows = page.locator("table.training-team tbody tr")
    expect(rows).to_have_count(len(RECRUITS) + len(BELOW) + 1)  # Анна also has the call course
    expect(page.locator("table.training-team")).not_to_contain_text("Чужой")
    check(page, "training-team-ru")

    page.select_option("#show", "failed")
    page.click("form.filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Вера Сидорова")
    check(page, "training-team-failed-ru")

    page.goto("/training/team?sort=name")
    page.click("text=Анна Иванова >> nth=0")
    expect(page).to_have_url("/distributors/3/training")
    expect(page.locator("h1")).to_have_text("Обучение: Анна Иванова")
    check(page, "training-person-ru")
    page.click("form[action$='/confirmation'] button")  # no comment: refused in words
    expect(page.locator("p.error")).to_contain_text("Напишите комментарий")
    page.fill("textarea[name=comment]", "Обсудили первый заказ и план")
    page.click("form[action$='/confirmation'] button")
    expect(page.locator(".notice")).to_contain_text("Шаг подтверждён")
    expect(page.locator("#course-sponsor-call")).to_contain_text("пройден")
    expect(page.locator("table")).to_contain_text("Обсудили первый заказ и план")
    check(page, "training-person-confirmed-ru")


def test_in_english_and_another_branch_refused(page: Page) -> None:
    dina_in(page, "en")
    page.goto("/training/team?depth=2&sort=days&desc=true")
    expect(page.locator("h1")).to_have_text("Training of my team")
    expect(page.locator("table.training-team")).to_contain_text("A partner's first steps")
    check(page, "training-team-en")
    page.goto("/distributors/5/training")
    expect(page.locator("h1")).to_have_text("Training of Вера Сидорова")
    expect(page.locator("#course-onboarding")).to_contain_text("Quiz: the plan and the rules")
    check(page, "training-person-en")
    response = page.goto(f"/distributors/{OUTSIDER}/training")
    assert response is not None and response.status == 403
