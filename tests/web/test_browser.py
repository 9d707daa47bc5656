"""Real flows in Debian's chromium against the real app (uvicorn on a free port, a seeded SQLite
company with a distributor login): login in both languages, keyboard only, refusals, statements.
Every page visited is checked by axe-core (no serious or critical violation) and screenshotted at
360 px and at desktop width into artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

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
from playwright.sync_api import Page, expect

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_a_closed_period) as url:
        yield url


def test_login_in_russian_office_and_logout(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url("/login")
    expect(page.locator("h1")).to_have_text("Вход")
    check(page, "login-ru")
    log_in(page, *DINA)
    expect(page).to_have_url("/home")
    expect(page.locator("h1")).to_have_text("Мой офис")
    expect(page.locator("main")).to_contain_text("Дина Первая")
    check(page, "office-ru")
    page.click("text=Профиль")
    expect(page.locator("h1")).to_have_text("Профиль")
    check(page, "profile-ru")
    page.click("text=Выйти")
    expect(page).to_have_url("/login")
    page.goto("/home")
    expect(page).to_have_url("/login?next=/home")


def test_login_in_english_with_a_wrong_password_first(page: Page) -> None:
    page.goto("/login")
    page.click("button[value=en]")
    expect(page.locator("h1")).to_have_text("Log in")
    log_in(page, DINA[0], "not-her-password")
    error = page.locator("#password-error")
    expect(error).to_have_text("Wrong e-mail or password.")
    expect(page.locator("#password")).to_have_attribute("aria-describedby", "password-error")
    check(page, "login-error-en")
    log_in(page, *DINA)
    expect(page.locator("h1")).to_have_text("My office")
    check(page, "office-en")


def test_keyboard_only_login(page: Page) -> None:
    page.goto("/login")
    expect(page.locator("#email")).to_be_focused()  # autofocus: the form is ready to type in
    page.keyboard.type(ADMIN[0])
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(ADMIN[1])
    page.keyboard.press("Enter")
    expect(page).to_have_url("/home")
    check(page, "staff-home")
    page.goto("/accounts")
    check(page, "accounts")


def test_a_distributor_is_refused_a_staff_page(page: Page) -> None:
    page.goto("/login")
    log_in(page, *DINA)
    expect(page).to_have_url("/home")
    response = page.goto("/accounts")
    assert response is not None and response.status == 403
    # Her language is whichever she last chose (the tests share one company).
    expect(page.locator("h1")).to_have_text(re.compile("Доступ запрещён|Access denied"))
    check(page, "forbidden")
    missing = page.goto("/nowhere")
    assert missing is not None and missing.status == 404
    check(page, "not-found")


def test_statements_list_detail_csv_and_refusals(page: Page) -> None:
    page.goto("/login")
    log_in(page, *DINA)
    expect(page).to_have_url("/home")
    page.goto("/statements")
    expect(page.locator("h1")).to_have_text(re.compile("Мои выписки|My statements"))
    check(page, "statements")
    page.locator("main table a").first.click()
    expect(page).to_have_url(re.compile(r"/distributors/2/statements/1$"))
    expect(page.locator("h1")).to_have_text(
        re.compile("Выписка за период 1|Statement for period 1")
    )
    check(page, "statement")
    with page.expect_download() as download:
        page.locator("a[download]").click()
    path = download.value.path()
    assert download.value.suggested_filename == "statement-1-2.csv"
    text = Path(path).read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].startswith(("Строка,Бонус", "Line,Bonus"))
    refused = page.goto("/distributors/3/statements/1")
    assert refused is not None and refused.status == 403
    page.click("button.secondary")  # log out


def test_finance_reads_a_held_statement(page: Page) -> None:
    page.goto("/login")
    log_in(page, *FINANCE)
    expect(page).to_have_url("/home")
    page.goto("/distributors/5")
    page.click("a[href='/distributors/5/statements']")
    expect(page.locator("h1")).to_have_text(re.compile("Выписки: D 5|Statements of D 5"))
    page.goto("/distributors/5/statements/1")
    expect(page.locator("main")).to_contain_text(re.compile("Нет кошелька|No payout wallet"))
    check(page, "statement-held")
