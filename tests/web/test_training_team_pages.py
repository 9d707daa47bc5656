"""The mentor's pages through the test client, on SQLite and PostgreSQL, on the genealogy tests'
small company (`team`: Dina (2) brought P3..P8, P8 brought Chain9, each Chain member the next
down to Chain14; Outsider (15) in another branch). Everyone enrolled gets the onboarding course.
The leader's team with its steps, scope (another branch never appears, its page is 403),
filters, the sponsor's confirmation of a mentor step with a comment, refusals."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from lineage_api import Api, add_user
from sqlmodel import select
from test_genealogy_tree import team
from test_training_service import (
    RIGHT,
    WRONG,
    _text,
    course,
    publish_and_assign,
    read,
    read_up_to_the_quiz,
    submit,
)
from web_support import Browser

from backend.core.model_base import Role
from backend.training import service as training
from backend.training.content import Prerequisite, Step
from backend.training.models import TrainingEvent

__all__ = ["team"]  # the fixture, re-exported for pytest

ROW = re.compile(r'<a href="/distributors/(\d+)/training">')


def login(api: Api, email: str) -> Browser:
    browser = Browser(TestClient(api.client.app))
    browser.login(email)
    return browser


def dina(api: Api) -> Browser:
    return login(api, "dina@example.com")


def people(html: str) -> list[int]:
    return sorted({int(i) for i in ROW.findall(html)})


def test_the_leader_sees_her_team_with_each_persons_current_step(team: Api) -> None:
    read(team, 3, "company")  # P3 is one step further than the others
    page: Any = dina(team).get("/training/team?depth=10")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Обучение моей команды</h1>" in html
    assert people(html) == list(range(3, 15))  # P3..P8 and the whole chain; never Outsider
    assert 'href="/distributors/15/training"' not in html
    assert "Первые шаги партнёра" in html  # the course, in Russian
    p3 = html.split('href="/distributors/3/training"')[1].split("</tr>")[0]
    assert "План вознаграждений: баллы, активность, ранги" in p3  # the step after "company"
    assert re.search(r"1 из \d+", p3)
    p4 = html.split('href="/distributors/4/training"')[1].split("</tr>")[0]
    assert "Компания и её продукты" in p4 and re.search(r"0 из \d+", p4)
    # The default depth is 3 levels of the sponsor tree: Chain9 (2) and Chain10 (3), not 11.
    default: Any = dina(team).get("/training/team")
    assert people(default.text) == [3, 4, 5, 6, 7, 8, 9, 10]
    english = dina(team)
    english.post("/language", {"language": "en"}, token_from="/training/team")
    en: Any = english.get("/training/team")
    assert "Training of my team" in en.text and "A partner&#39;s first steps" in en.text


def test_sorting_and_paging(team: Api) -> None:
    by_id: Any = dina(team).get("/training/team?depth=10&sort=id&desc=true")
    assert [int(i) for i in ROW.findall(by_id.text)][:3] == [14, 13, 12]
    by_level: Any = dina(team).get("/training/team?depth=10&sort=level&desc=true")
    assert [int(i) for i in ROW.findall(by_level.text)][0] == 14
    refused: Any = dina(team).get("/training/team?depth=11")
    assert refused.status_code == 404  # 1..10 levels: no such page, as every bad query
    past: Any = dina(team).get("/training/team?page=5")
    assert past.status_code == 200 and "На этой странице ничего нет" in past.text


def test_another_branch_never_appears_and_its_page_is_refused(team: Api) -> None:
    browser = dina(team)
    refused: Any = browser.get("/distributors/15/training")
    assert refused.status_code == 403 and "Outsider" not in refused.text
    own: Any = browser.get("/distributors/9/training")  # deep in her sponsor tree: open
    assert own.status_code == 200 and "Обучение: Chain9 Member" in own.text
    add_user(team.engine, "p3@example.com", Role.distributor, 3)
    upward: Any = login(team, "p3@example.com").get("/distributors/2/training")
    assert upward.status_code == 403  # a recruit never opens their sponsor's page
    finance = login(team, "finance@example.com")
    assert finance.get("/training/team").status_code == 403  # type: ignore[attr-defined]
    assert finance.get("/distributors/3/training").status_code == 403  # type: ignore[attr-defined]


def test_filters_keep_the_stuck_and_those_who_failed_twice(team: Api) -> None:
    browser = dina(team)  # signed in first: a session started in the clock's future is refused
    team.clock.advance(days=10)
    read(team, 4, "company")  # P4 did something today; everyone else nothing for 10 days
    read_up_to_the_quiz(team, 5)
    submit(team, 5, WRONG)
    submit(team, 5, WRONG)  # P5 failed the quiz twice
    read_up_to_the_quiz(team, 6)
    submit(team, 6, WRONG)  # P6 only once
    stuck: Any = browser.get("/training/team?show=stuck&days=7")
    assert stuck.status_code == 200, stuck.headers
    assert people(stuck.text) == [3, 7, 8, 9, 10]
    longer: Any = browser.get("/training/team?show=stuck&days=30")
    assert people(longer.text) == [] and "Никто в вашей команде не подходит" in longer.text
    failed: Any = browser.get("/training/team?show=failed")
    assert people(failed.text) == [5]
    started: Any = browser.get("/training/team?show=not_started")
    assert 4 not in people(started.text) and 3 in people(started.text)
    by_failed: Any = browser.get("/training/team?sort=failed&desc=true")
    assert [int(i) for i in ROW.findall(by_failed.text)][:2] == [5, 6]
    submit(team, 5, RIGHT)
    assert people(browser.get("/training/team?show=failed").text) == [5]  # type: ignore[attr-defined]


def test_the_sponsor_confirms_a_mentor_step_with_a_comment(team: Api) -> None:
    call = course("call", Step("call", "mentor", _text("call")))
    publish_and_assign(team, call, 3)
    browser = dina(team)
    page: Any = browser.get("/distributors/3/training")
    assert page.status_code == 200
    action = "/distributors/3/training/call/call/confirmation"
    assert f'action="{action}"' in page.text and "Подтвердить звонок" in page.text
    empty: Any = browser.post(action, {"comment": "  "}, token_from="/distributors/3/training")
    assert empty.status_code == 422 and "Напишите комментарий" in empty.text
    assert 'aria-invalid="true"' in empty.text
    done: Any = browser.post(
        action, {"comment": "Talked for an hour"}, token_from="/distributors/3/training"
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/distributors/3/training?confirmed=true#course-call"
    after: Any = browser.get(done.headers["location"])
    assert "Шаг подтверждён" in after.text and "Talked for an hour" in after.text
    assert f'action="{action}"' not in after.text  # done: no form any more
    with team.session() as session:
        rows = training.progress_of(session, 3)
        assert next(r for r in rows if r.slug == "call").completed_at is not None
        event = session.exec(select(TrainingEvent).where(TrainingEvent.kind == "confirmed")).one()
        assert event.comment == "Talked for an hour"


def test_another_distributor_is_refused_the_confirmation(team: Api) -> None:
    call = course("call", Step("call", "mentor", _text("call")))
    publish_and_assign(team, call, 9)  # Chain9: sponsored by P8, two levels below Dina
    browser = dina(team)
    page: Any = browser.get("/distributors/9/training")
    action = "/distributors/9/training/call/call/confirmation"
    assert f'action="{action}"' not in page.text  # not her direct recruit: no form
    assert "Спонсор подтверждает этот шаг после звонка" in page.text
    refused: Any = browser.post(action, {"comment": "Hi"}, token_from="/distributors/9/training")
    assert refused.status_code == 403
    assert "Только спонсор человека подтверждает этот шаг" in refused.text
    add_user(team.engine, "out@example.com", Role.distributor, 15)
    outsider = login(team, "out@example.com")
    elsewhere: Any = outsider.post(action, {"comment": "Hi"}, token_from="/home")
    assert elsewhere.status_code == 403
    with team.session() as session:
        confirmed = select(TrainingEvent).where(TrainingEvent.kind == "confirmed")
        assert session.exec(confirmed).all() == []
    add_user(team.engine, "p8@example.com", Role.distributor, 8)
    sponsor = login(team, "p8@example.com")
    ok: Any = sponsor.post(action, {"comment": "Welcome"}, token_from="/distributors/9/training")
    assert ok.status_code == 303


def test_a_locked_mentor_step_is_refused_with_its_reasons_in_words(team: Api) -> None:
    gated = course(
        "gated",
        Step("intro", "lesson", _text("Intro"), text=_text("# Intro")),
        Step("call", "mentor", _text("call"), after=(Prerequisite("intro"),)),
    )
    publish_and_assign(team, gated, 3)
    browser = dina(team)
    page: Any = browser.get("/distributors/3/training")
    assert "закрыт" in page.text and "пройдите «Intro»" in page.text
    refused: Any = browser.post(
        "/distributors/3/training/gated/call/confirmation",
        {"comment": "Too early"},
        token_from="/distributors/3/training",
    )
    assert refused.status_code == 409
    assert "Этот шаг ещё не открыт" in refused.text and "пройдите «Intro»" in refused.text
