"""The finance office through the test client, on SQLite and PostgreSQL: the periods list and
opening the next period, a period's figures equal to its package's, maker-checker on the
approve button, the services' refusals shown in words next to their buttons, the vault page
without a chain, another bonus's movers, and every other role refused."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lineage_api import Api
from test_api_periods import at, buy, make_company, month_start, today
from web_support import Browser

from backend.core.money import format_money

MAKER, CHECKER = "finance@example.com", "f2@example.com"


@pytest.fixture
def company(api: Api) -> Api:
    return make_company(api)


def login(api: Api, email: str) -> Browser:
    """A page session, started at the real time (sessions expire by the wall clock) whatever
    day the app's clock is on."""
    person = Browser(TestClient(api.client.app))
    on = api.clock.now
    today(api)
    assert person.login(email).status_code == 303  # type: ignore[attr-defined]
    api.clock.now = on
    return person


def post(person: Browser, path: str, data: dict[str, str] | None = None) -> Any:
    return person.post(path, data or {}, token_from="/finance/periods")


def totals_of(api: Api, period: int) -> dict[str, Any]:
    package = api.settings.data_dir / "periods" / str(period) / "results" / "totals.json"
    return dict(json.loads(package.read_text()))


def money(api: Api, minor: int) -> str:
    return format_money(minor, "USDT", 6, locale="ru")


def computed(api: Api) -> Browser:
    """Period 1 opened and computed by the maker through the pages."""
    maker = login(api, MAKER)
    opened = post(maker, "/finance/periods")
    assert opened.status_code == 303 and opened.headers["location"] == "/finance/periods/1"
    done = post(maker, "/finance/periods/1/compute")
    assert done.status_code == 303, done.text
    return maker


def test_the_list_opens_the_next_period_and_shows_its_figures(company: Api) -> None:
    maker = login(company, MAKER)
    empty: Any = maker.get("/finance/periods")
    assert empty.status_code == 200 and "Периодов пока нет" in empty.text
    assert 'href="/finance/vault"' in empty.text  # the office's menu and tabs
    computed(company)
    listed: Any = maker.get("/finance/periods")
    assert 'href="/finance/periods/1"' in listed.text and "рассчитан" in listed.text
    totals = totals_of(company, 1)
    assert money(company, totals["payout"]) in listed.text
    # The next period has not started: the service's refusal, in words, next to the button.
    refused = post(maker, "/finance/periods")
    assert refused.status_code == 409
    assert "Следующий период ещё не начался" in refused.text
    assert "it cannot be opened before then" in refused.text


def test_the_period_page_shows_the_packages_totals(company: Api) -> None:
    maker = computed(company)
    page: Any = maker.get("/finance/periods/1")
    assert page.status_code == 200
    totals = totals_of(company, 1)
    figure = re.search(r'data-figure="payout">([^<]+)<', page.text)
    assert figure and figure.group(1) == money(company, totals["payout"])
    shown = dict(re.findall(r'data-bonus="(\w+)">.*?data-amount="(-?\d+)"', page.text, re.S))
    assert shown and shown == {k: str(v["amount"]) for k, v in totals["bonuses"].items()}
    breakage = re.search(r'data-figure="breakage">([^<]+)<', page.text)
    assert breakage and breakage.group(1) == money(company, totals["breakage"])
    assert "Соответствие требованиям" in page.text  # the compliance panel
    assert 'href="/distributors/2/statements/1"' in page.text  # a top earner's statement
    assert "finance@example.com" in page.text  # the transitions log: who computed


def test_approve_is_disabled_for_the_maker_with_the_reason(company: Api) -> None:
    maker = computed(company)
    today(company)
    page: Any = maker.get("/finance/periods/1")
    button = re.search(r"<button[^>]*>Утвердить расчёт №1</button>", page.text)
    assert button and "disabled" in button.group(0)
    assert 'aria-describedby="maker-reason"' in button.group(0)
    assert "Вы рассчитали этот период" in page.text
    # Sent anyway (a crafted form): the service refuses, and says why in words.
    refused = post(maker, "/finance/periods/1/approval", {"computation": "1"})
    assert refused.status_code == 403
    assert "maker-checker: the user who computed a period cannot approve it" in refused.text
    assert 'id="approve-error"' in refused.text
    # The checker may, naming the compute reviewed.
    checker = login(company, CHECKER)
    checked: Any = checker.get("/finance/periods/1")
    button = re.search(r"<button[^>]*>Утвердить расчёт №1</button>", checked.text)
    assert button and "disabled" not in button.group(0)
    stale = post(checker, "/finance/periods/1/approval", {"computation": "2"})
    assert stale.status_code == 409 and "not the compute #2 this approval names" in stale.text
    approved = post(checker, "/finance/periods/1/approval", {"computation": "1"})
    assert approved.status_code == 303
    after: Any = checker.get("/finance/periods/1")
    assert 'data-status="approved"' in after.text and "f2@example.com" in after.text
    assert "Закрепить в блокчейне" in after.text


def test_refusals_are_shown_next_to_their_button(company: Api) -> None:
    maker = computed(company)
    # Before its end the period cannot be approved (the clock is inside period 1).
    checker = login(company, CHECKER)
    early = post(checker, "/finance/periods/1/approval", {"computation": "1"})
    assert early.status_code == 409
    assert "Период ещё не закончился" in early.text and "has not ended yet" in early.text
    # Anchoring a period that is not approved.
    anchor = post(maker, "/finance/periods/1/anchor")
    assert anchor.status_code == 409 and 'id="anchor-error"' in anchor.text
    assert "only an approved period can be anchored" in anchor.text
    # A funding amount that is not an amount: 422, the form kept.
    fund = post(maker, "/finance/vault/funding", {"amount": "12,5x", "period": "1"})
    assert fund.status_code == 422 and "Введите сумму больше нуля" in fund.text
    # Paying a period that is not anchored.
    pay = post(maker, "/finance/periods/1/payouts")
    assert pay.status_code in (409, 503) and 'id="pay-error"' in pay.text
    assert "Traceback" not in pay.text


def test_the_vault_says_when_the_chain_cannot_be_read(company: Api) -> None:
    computed(company)
    maker = login(company, MAKER)
    page: Any = maker.get("/finance/vault")
    assert page.status_code == 200
    assert "Хранилище сейчас не удаётся прочитать из блокчейна" in page.text
    assert "the contracts are not deployed yet" in page.text


def test_the_largest_changes_drill_down_to_the_payees(company: Api) -> None:
    maker = computed(company)
    checker = login(company, CHECKER)
    today(company)
    assert post(checker, "/finance/periods/1/approval", {"computation": "1"}).status_code == 303
    company.clock.now = at(month_start(2) + timedelta(days=3))
    assert post(maker, "/finance/periods").headers["location"] == "/finance/periods/2"
    buy(company, 2, quantity=6)  # Dina buys three times as much: her upline's bonuses move
    assert post(maker, "/finance/periods/2/compute").status_code == 303
    page: Any = maker.get("/finance/periods/2")
    moved = re.findall(r'/finance/periods/2/changes\?bonus=(\w+)"', page.text)
    assert moved, "no bonus moved"
    drill: Any = maker.get(f"/finance/periods/2/changes?bonus={moved[0]}")
    assert drill.status_code == 200
    assert re.search(r'href="/distributors/\d+/statements/2"', drill.text)
    assert maker.get("/finance/periods/2/changes?bonus=nothing").status_code == 404  # type: ignore[attr-defined]


@pytest.mark.parametrize("email", ["admin@example.com", "auditor@example.com", "dina@example.com"])
def test_every_other_role_is_refused(company: Api, email: str) -> None:
    from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD

    person = Browser(TestClient(company.client.app))
    today(company)
    if email == "admin@example.com":
        person.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    else:
        person.login(email)
    for path in ("/finance/periods", "/finance/periods/1", "/finance/vault"):
        refused: Any = person.get(path)
        assert refused.status_code == 403, path
    form = {"csrf_token": person.token("/home")}
    opened = person.client.post("/finance/periods", data=form, follow_redirects=False)
    assert opened.status_code == 403
    home: Any = person.get("/home")
    assert 'href="/finance/periods"' not in home.text


def test_unknown_periods_are_not_found(company: Api) -> None:
    maker = login(company, MAKER)
    for path in (
        "/finance/periods/7",
        "/finance/periods/0",
        "/finance/periods/abc",
        "/finance/periods/99999999999",
        "/finance/periods/7/progress",
        "/finance/periods/7/changes?bonus=unilevel",
    ):
        assert maker.get(path).status_code == 404, path  # type: ignore[attr-defined]
    assert post(maker, "/finance/periods/7/compute").status_code == 404
