"""The distributor's dashboard in Debian's chromium against the real app: Dina's company with its
first period closed, the second open with orders so far and previewed (what the worker does
on its own), someone in her team gone inactive. She logs in and sees this period's estimate
with its time, the tiles of both periods, the rank report card and her team's events, in
Russian and in English; axe finds nothing serious, screenshots at 360 px and desktop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from browser_support import (
    ADMIN,
    DINA,
    FINANCE,
    check,
    company_with_a_closed_period,
    log_in,
    needs_chromium,
    serve_company,
)
from fastapi.testclient import TestClient
from lineage_api import Api, Clock, token_for
from playwright.sync_api import Page, expect
from sqlmodel import Session, select
from test_api_periods import at, buy, month_start, post

from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.main import create_app
from backend.periods.preview import refresh_preview

pytestmark = needs_chromium


def company_with_an_estimate(settings: Settings) -> None:
    company_with_a_closed_period(settings)
    engine = make_engine(settings.resolved_database_url)
    clock = Clock()
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        with Session(engine) as session:
            ids = {
                email: session.exec(select(User.id).where(User.email == email)).one()
                for email in (ADMIN[0], FINANCE[0], DINA[0])
            }
        headers = {
            "admin": token_for(ids[ADMIN[0]], clock),  # type: ignore[arg-type]
            "finance": token_for(ids[FINANCE[0]], clock),  # type: ignore[arg-type]
        }
        api = Api(client, engine, clock, settings, headers, 2)
        assert post(api, "/api/periods").status_code == 201
        clock.now = at(month_start(2) + timedelta(days=4))
        for buyer, quantity in ((2, 3), (3, 4), (4, 1)):
            buy(api, buyer, quantity)
        clock.now = datetime.now(UTC).replace(microsecond=0)
        lapsed = client.post(
            "/api/distributors/6/status",
            json={"status": "inactive", "reason": "stopped buying"},
            headers=headers["admin"],
        )
        assert lapsed.status_code == 200, lapsed.text
    with Session(engine) as session:
        done = refresh_preview(session, settings, now=datetime.now(UTC) - timedelta(minutes=3))
    assert done.status == "stored", done
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_an_estimate) as url:
        yield url


def test_a_distributor_sees_estimate_tiles_rank_card_and_team(page: Page) -> None:
    page.goto("/login")
    log_in(page, *DINA)
    expect(page).to_have_url("/home")
    main = page.locator("main")
    expect(page.locator("h2#now")).to_have_text("Текущий период")
    expect(main.locator(".badge")).to_contain_text("Оценка на ")
    expect(main.locator("section[aria-labelledby=now] dl.tiles dt")).to_have_count(8)
    expect(main.locator("section[aria-labelledby=now]")).to_contain_text("Левая ветка")
    expect(main.locator(".amount")).to_contain_text("USDT")
    expect(main.locator("section[aria-labelledby=estimate]")).to_contain_text("рассчитана")
    expect(main.locator("h3")).to_contain_text("Следующий ранг:")
    bars = main.locator(".requirements progress")
    expect(bars.first).to_have_attribute("aria-labelledby", "req-pv")
    expect(main.locator(".requirements .hint").first).to_contain_text("Выполнено")
    expect(main.locator("section[aria-labelledby=last]")).to_contain_text("Период 1")
    feed = main.locator(".feed li")
    expect(feed.first).to_contain_text("Переход в статус «неактивен»")
    expect(main.locator(".feed")).to_contain_text("Новый участник команды")
    # ECharts drew the volumes (an SVG with a bar per period) above the table it mirrors.
    chart = main.locator(".volume-chart svg")
    expect(chart).to_have_count(1)
    expect(chart).to_contain_text("Период 2 *")
    expect(main.locator("table.history tbody tr")).to_have_count(2)
    check(page, "dashboard-ru")

    # Keyboard: the first link of the team feed is reachable and opens the person's record.
    link = main.locator(".feed li a").first
    link.focus()
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url("/distributors/6")

    page.goto("/home")
    page.click("button[value=en]")
    expect(page.locator("h2#now")).to_have_text("This period")
    expect(main.locator(".badge")).to_contain_text("Estimate as of ")
    expect(main.locator("h2#estimate")).to_have_text("Estimated earnings")
    expect(main.locator("h3")).to_contain_text("Next rank:")
    expect(feed.first).to_contain_text("Became inactive")
    check(page, "dashboard-en")
