"""The finance office in Debian's chromium, on a real chain: a managed Ganache with the contracts
deployed, `lineage worker` beside the server sending what the pages ask for, and the small
company's period 1 open with its orders. The maker computes and finds approve disabled with
the reason; the checker approves, anchors and follows the anchor to "anchored", funds the
shortfall the page shows, and pays, followed live to "paid"; the vault page reads the chain."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser_support import (
    admin_client,
    check,
    enroll_dina,
    log_in,
    needs_chromium,
    new_company,
    serve_company_on_chain,
)
from lineage_api import Api, add_user, token_for
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, expect
from test_api_periods import make_company, post
from test_chain_outbox import Chain
from web_support import PASSWORD

from backend.core.config import Settings
from backend.core.model_base import Role

pytestmark = [needs_chromium, pytest.mark.chain]
MAKER, CHECKER = "finance@example.com", "checker@example.com"
CHAIN_WAIT = 90_000  # ms: the writer places the company, then sends each step


def open_period_with_orders(settings: Settings, chain: Chain) -> None:
    """The periods tests' small company (everyone bought in period 1), period 1 open; two
    finance logins, and the rest of the staff."""
    engine, clock = new_company(settings)
    with admin_client(settings, engine, clock) as (client, admin):
        headers = {"admin": admin}
        dina = enroll_dina(client, admin)
        for role in (Role.finance, Role.auditor, Role.warehouse):
            headers[role.value] = token_for(
                add_user(engine, f"{role.value}@example.com", role), clock
            )
        add_user(engine, CHECKER, Role.finance)
        api = make_company(Api(client, engine, clock, settings, headers, dina))
        assert post(api, "/api/periods").status_code == 201
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company_on_chain(tmp_path_factory, open_period_with_orders, writer=True) as (
        url,
        _,
    ):
        yield url


def enter(page: Page, email: str, language: str) -> None:
    page.goto("/login")
    page.click(f"button[value={language}]")
    log_in(page, email, PASSWORD)
    expect(page).to_have_url("/home")


def test_a_period_is_closed_by_two_people_and_followed_on_chain(
    page: Page, chromium: Chromium, base_url: str
) -> None:
    enter(page, MAKER, "ru")
    page.click("ul.menu >> text=Периоды")
    expect(page).to_have_url("/finance/periods")
    expect(page.locator("table.finance-periods")).to_contain_text("открыт")
    check(page, "finance-periods-ru")
    page.click("text=Период 1")
    expect(page).to_have_url("/finance/periods/1")
    page.click("button:has-text('Рассчитать')")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "computed")
    approve = page.locator("button:has-text('Утвердить расчёт №1')")
    expect(approve).to_be_disabled()
    expect(page.locator("#maker-reason")).to_contain_text("Вы рассчитали этот период")
    expect(page.locator("[data-figure=payout]")).not_to_be_empty()
    check(page, "finance-period-computed-ru")

    # The checker, in English, in their own browser.
    context = chromium.new_context(base_url=base_url, viewport={"width": 1280, "height": 860})
    checker = context.new_page()
    try:
        enter(checker, CHECKER, "en")
        checker.goto("/finance/periods/1")
        checker.click("button:has-text('Approve compute #1')")
        status = checker.locator("[data-status]")
        expect(status).to_have_attribute("data-status", "approved")
        checker.click("button:has-text('Anchor on chain')")
        # The progress fragment follows the anchor job; the page reloads when it is mined.
        expect(checker.locator("tr[data-job=anchor]")).to_be_visible()
        expect(status).to_have_attribute("data-status", "anchored", timeout=CHAIN_WAIT)
        expect(checker.locator("tr[data-job=anchor]")).to_have_attribute("data-state", "confirmed")
        expect(checker.locator("tr[data-job=anchor] code")).to_have_text(
            re.compile("^0x[0-9a-f]{64}$")
        )
        # The anchor's gas, from its receipt (the finance page showed "—" before).
        expect(checker.locator("tr[data-job=anchor] td.num").last).to_have_text(
            re.compile(r"^\s*\d[\d\s,\u00a0]*\d\s*$")
        )
        shortfall = checker.locator("[data-figure=shortfall]")
        expect(shortfall).not_to_have_text(re.compile(r"^0[.,]0+"))
        assert checker.locator("#amount").input_value() not in ("", "0")
        check(checker, "finance-period-anchored-en")
        checker.click("form[action='/finance/vault/funding'] button")
        expect(checker.locator("tr[data-job=fund]")).to_have_attribute(
            "data-state", "confirmed", timeout=CHAIN_WAIT
        )
        # Once nothing waits for the chain, the fragment has the page redrawn (HX-Refresh):
        # the shortfall is then read again from the funded vault.
        expect(shortfall).to_have_text(re.compile(r"^0[.,]0+"), timeout=CHAIN_WAIT)
        checker.click("button:has-text('Pay the period')")
        expect(status).to_have_attribute("data-status", "paid", timeout=CHAIN_WAIT)
        expect(checker.locator("tr[data-job=pay]").first).to_have_attribute(
            "data-state", "confirmed"
        )
        expect(checker.locator("#progress")).to_contain_text("Nothing is waiting for the chain.")
        # Distributor 5 has no wallet: held, said in words.
        expect(checker.locator("ul.held")).to_contain_text("No payout wallet")
        check(checker, "finance-period-paid-en")
        checker.goto("/finance/vault")
        expect(checker.locator("[data-figure=balance]")).not_to_have_text("—")
        # Funded from period 1's page: counted for period 1.
        expect(checker.locator("td[data-label='Funded for it']").first).to_have_text(
            re.compile(r"^[1-9]")
        )
        check(checker, "finance-vault-en")
    finally:
        context.close()

    # The maker sees it paid too, with the transitions log naming both people.
    page.goto("/finance/periods/1")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "paid")
    expect(page.locator("#log ~ div table")).to_contain_text(CHECKER)
    check(page, "finance-period-paid-ru")
    page.goto("/finance/vault")
    check(page, "finance-vault-ru")
