"""The genealogy pages in Debian's chromium against the real app: expanding a node, loading the
next fifty, a search several levels down opening the path, the drawn subtree, the level table,
keyboard only, and a distributor refused someone else's tree. Every page is checked by axe and
screenshotted (artifacts/screenshots/tree-*.png) at 360 px and desktop width.

The company: Dina (a login) brought 55 people (placed breadth first in the binary tree under
her), the last of whom starts a chain of six, each brought by the one before; everyone has
standings of a previewed period 1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

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
from backend.periods.models import Period, PeriodStanding, StandingKind, StandingRun

pytestmark = needs_chromium

FIRST = ["Анна", "Борис", "Вера", "Глеб", "Дарья", "Егор", "Ирина", "Кирилл", "Лена", "Максим"]
LAST = ["Иванова", "Петров", "Сидорова", "Смирнов", "Кузнецова", "Попов", "Соколова"]
DINA_ID, RECRUITS, CHAIN = 2, list(range(3, 58)), list(range(58, 64))
DEEPEST = ("Ярослав", "Глубинный")


def company_with_a_team(settings: Settings) -> None:
    engine, clock = new_company(settings, rates=False)
    with admin_client(settings, engine, clock) as (client, admin):
        assert enroll_dina(client, admin) == DINA_ID
        dina_login(client, admin, DINA_ID)
        recruits = [
            {"first_name": FIRST[i % 10], "last_name": LAST[i % 7], "sponsor_id": DINA_ID}
            for i in range(len(RECRUITS))
        ]
        done = client.post("/api/distributors/batch", json=recruits, headers=admin)
        assert [p["id"] for p in done.json()] == RECRUITS, done.text
        for member in CHAIN:
            first, last = DEEPEST if member == CHAIN[-1] else ("Звено", str(member))
            body = {"first_name": first, "last_name": last, "sponsor_id": member - 1}
            assert client.post("/api/distributors", json=body, headers=admin).json()["id"] == member
    with Session(engine) as session:
        session.add(Period(id=1, start_day=20400, end_day=20430))
        session.flush()
        everyone = [1, DINA_ID, *RECRUITS, *CHAIN]
        session.add(
            StandingRun(
                period_id=1,
                kind=StandingKind.preview,
                computed_at=datetime(2026, 1, 12, 9, 30, tzinfo=UTC),
                attempted_at=datetime(2026, 1, 12, 9, 30, tzinfo=UTC),
                plan_hash="0x" + "0" * 64,
                currency="USDT",
                exponent=6,
                distributors=len(everyone),
            )
        )
        for i in everyone:
            pv = (i * 37) % 120
            session.add(
                PeriodStanding(
                    period_id=1,
                    distributor_id=i,
                    pv=pv,
                    cv=pv,
                    gv=pv * 11,
                    left_volume=pv * 4,
                    right_volume=pv * 6,
                    active=pv >= 40,
                    paid_rank=i % 4,
                    achieved_rank=i % 5,
                    earned=0,
                )
            )
        session.commit()
    engine.dispose()


def dina_in(page: Page, language: str) -> None:
    """Logs Dina in and sets her language (the account remembers it between the tests)."""
    page.goto("/login")
    log_in(page, *DINA)
    expect(page).to_have_url("/home")
    page.click(f"button[value={language}]")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_a_team) as url:
        yield url


def test_expand_a_node_and_load_the_next_fifty(page: Page) -> None:
    dina_in(page, "ru")
    page.click("nav >> text=Команда")
    expect(page).to_have_url("/tree")
    expect(page.locator("h1")).to_have_text("Моя команда")
    expect(page.locator(".legs")).to_contain_text("Левая ветка")
    toggle = page.locator("#node-3 > .node-row > button.toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#kids-3 > li.node")).to_have_count(2)  # a binary tree
    check(page, "tree-ru")
    toggle.click()  # closes without asking again
    expect(page.locator("#kids-3")).to_be_hidden()

    page.click(".kinds >> text=Спонсорское дерево")
    expect(page).to_have_url("/distributors/2/tree?kind=sponsor")
    kids = page.locator("#kids-2 > li.node")
    expect(kids).to_have_count(50)
    page.click("#kids-2 > li.more a")
    expect(kids).to_have_count(55)
    expect(page.locator("#kids-2 > li.more")).to_have_count(0)
    # Focus went to the first person the page brought, not back to the top.
    expect(page.locator("#node-53 .who a")).to_be_focused()
    check(page, "tree-sponsor-more-ru")


def test_search_a_person_levels_down_opens_the_path(page: Page) -> None:
    dina_in(page, "en")
    page.goto("/tree")
    page.fill("#q", "Глубинный")
    page.press("#q", "Enter")
    match = page.locator(".node.match")
    expect(match).to_have_count(1)
    expect(match).to_have_id(f"node-{CHAIN[-1]}")
    expect(match.locator(".who a")).to_be_focused()
    expect(page.locator(".notice")).to_contain_text("levels below")
    # Every ancestor on the way is open, and the match is in view.
    opened = page.locator("button.toggle[aria-expanded=true]")
    assert opened.count() >= 10
    expect(match).to_be_in_viewport()
    check(page, "tree-search-en")
    page.fill("#q", "1")
    page.press("#q", "Enter")
    expect(page.locator("#q-error")).to_contain_text("is not in your downline")
    check(page, "tree-search-refused-en")


def test_keyboard_only_expands_and_opens_a_person(page: Page) -> None:
    dina_in(page, "ru")
    page.goto("/tree")
    page.locator("#q").focus()
    for _ in range(20):  # Tab on from the search to Dina's toggle, then to her first person
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('#node-3 button.toggle')"):
            break
    else:
        pytest.fail("Tab never reached the first person's toggle")
    page.keyboard.press("Enter")
    expect(page.locator("#kids-3 > li.node")).to_have_count(2)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the person's name: their own tree
    expect(page).to_have_url("/distributors/3/tree?kind=placement")


def test_the_picture_draws_focusable_people(page: Page) -> None:
    dina_in(page, "ru")
    page.goto("/distributors/2/tree/visual")
    nodes = page.locator("#tree-visual svg a")
    expect(nodes).to_have_count(1 + len(RECRUITS) + len(CHAIN))
    expect(page.locator("#tree-visual .status")).to_contain_text("Показано на схеме: 62.")
    expect(page.locator("#tree-visual svg circle.on").first).to_be_visible()
    check(page, "tree-visual-ru")
    page.locator("#tree-visual .canvas").focus()
    page.keyboard.press("Tab")
    expect(nodes.first).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url("/distributors/3/tree?kind=placement")


def test_levels_table_sorts_by_gv(page: Page) -> None:
    dina_in(page, "ru")
    page.goto("/distributors/2/levels?kind=sponsor")
    expect(page.locator(".levels li")).to_have_count(7)  # 55 brought, then the chain of six
    expect(page.locator("table tbody tr")).to_have_count(50)
    page.click("th >> text=ГО")
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("ГО")
    check(page, "tree-levels-ru")
    page.click("text=Следующая страница")
    expect(page.locator("table tbody tr")).to_have_count(5)


def test_someone_elses_tree_is_refused(page: Page) -> None:
    dina_in(page, "ru")
    response = page.goto("/distributors/1/tree")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Доступ запрещён")
    check(page, "tree-refused-ru")
