"""The distributor's dashboard through the test client, on SQLite and PostgreSQL: tiles of this
period's estimate and of the last closed period, the rank report card with its text, the
estimate's states (not computed, unavailable and why, ready with its time), the team feed, the
empty states of a new partner, in Russian and English."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from lineage_api import Api
from sqlalchemy import delete
from test_api_periods import at, buy, close, company, month_start, post, today
from web_support import Browser

from backend.core.money import format_money
from backend.periods.preview import refresh_preview
from backend.periods.standings import figures_of
from backend.rates.models import ExchangeRate

__all__ = ["company"]  # the fixture, re-exported for pytest


def dina(api: Api, language: str = "ru") -> Browser:
    today(api)  # sessions live in the present (orders were backdated into their period)
    browser = Browser(TestClient(api.client.app))
    assert browser.login("dina@example.com").status_code == 303  # type: ignore[attr-defined]
    if language != "ru":
        browser.post("/language", {"language": language, "next": "/home"}, token_from="/home")
    return browser


def home(browser: Browser) -> str:
    page: Any = browser.get("/home")
    assert page.status_code == 200, page.text
    return str(page.text)


def preview(api: Api) -> None:
    with api.session() as session:
        outcome = refresh_preview(session, api.settings, now=api.clock(), force=True)
    assert outcome.status in ("stored", "refused")


def period_two_open(api: Api) -> None:
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    assert post(api, "/api/periods").status_code == 201
    api.clock.now = at(month_start(2) + timedelta(days=3))


def test_a_new_partner_sees_empty_states_not_blank_areas(api: Api) -> None:
    text = home(dina(api))
    assert "<h1>Мой офис</h1>" in text
    assert "Сейчас нет открытого периода" in text
    assert "Нечего оценивать: открытого периода нет." in text
    assert "Ни один период ещё не рассчитан." in text
    assert "В вашей команде пока нет событий" in text
    assert "Выписок пока нет" in text and 'href="/static/dashboard.css"' in text
    english = home(dina(api, "en"))
    assert "No period is open right now." in english and "No events in your team yet" in english


def test_dashboard_shows_estimate_tiles_rank_card_and_feed(company: Api) -> None:
    api = company
    period_two_open(api)
    buy(api, 2, quantity=3)
    buy(api, 3, quantity=1)
    text = home(dina(api))
    assert "Ещё не рассчитана. Оценка обновляется каждые 15 минут." in text
    preview(api)
    with api.session() as session:
        mine = figures_of(session, [2])[2]
    text = home(dina(api))
    assert "Период 2:" in text and "Оценка на " in text
    assert "Личный объём (PV)" in text and "Левая ветка" in text and "Правая ветка" in text
    assert "Новых в команде" in text and "Ранг выплаты" in text and "Высший ранг" in text
    amount = format_money(mine.earned, "USDT", 6, locale="ru")
    assert amount in text and "окончательна только после закрытия" in text
    # The rank report card: so far this period Dina is paid as Member (300 PV, 400 GV), while
    # her highest rank stays the Bronze of period 1.
    assert "Следующий ранг: Bronze" in text and "<dd>Bronze</dd>" in text
    assert '<progress max="100" value="100"' in text and '<progress max="1000" value="400"' in text
    assert "300 из 100" in text and "Выполнено (100 %)." in text
    assert "400 из 1\u00a0000" in text and "40 % выполнено, нужно ещё 600." in text
    # The last closed period, and the feed of period 1's team events.
    assert "Последний закрытый период" in text and "Период 1:" in text and "утверждён" in text
    assert "Новый участник команды" in text and 'href="/distributors/3"' in text
    assert "Новый ранг: Member" in text
    # Volumes by period: period 1 as computed, period 2 as this period's estimate (marked *),
    # in the chart's data and in its table.
    history = text.split('aria-labelledby="history"')[1].split("</section>")[0]
    assert 'data-periods="[1, 2]"' in history and 'data-estimates="[false, true]"' in history
    assert f'data-pv="[200, {mine.pv}]"' in history
    assert '<th scope="row">Период 2 *</th>' in history
    assert f'<td class="num">{mine.gv}</td>' in history or f"{mine.gv:,}" in history

    english = home(dina(api, "en"))
    assert "Estimate as of " in english and "Next rank: Bronze" in english
    assert "300 of 100" in english and "Done (100%)." in english
    assert format_money(mine.earned, "USDT", 6, locale="en") in english
    assert "Joined the team" in english and "New rank: Member" in english
    assert "Left leg" in english and "Paid-as rank" in english


def test_an_unavailable_estimate_says_why(company: Api) -> None:
    api = company
    period_two_open(api)
    buy(api, 2)
    with api.session() as session:
        session.execute(delete(ExchangeRate))
        session.commit()
    preview(api)
    text = home(dina(api))
    assert "Оценка недоступна." in text and "Нет курса RUB/USD" in text
    english = home(dina(api, "en"))
    assert "The estimate is unavailable." in english
    assert "There is no exchange rate for RUB/USD yet." in english


def test_the_card_counts_the_leg_cap_in_words(company: Api) -> None:
    api = company
    buy(api, 6, quantity=8)
    assert post(api, "/api/periods").status_code == 201
    today(api)
    assert post(api, "/api/periods/1/compute").status_code == 200
    browser = Browser(TestClient(api.client.app))
    from lineage_api import add_user

    from backend.core.model_base import Role

    add_user(api.engine, "three@example.com", Role.distributor, 3)
    browser.login("three@example.com")
    text = home(browser)
    assert "Следующий ранг: Bronze" in text
    assert "800 из 1\u00a0000" in text and "80 % выполнено, нужно ещё 200." in text
    assert "От одной ветки засчитывается не более 600" in text and "1\u00a0400" in text
