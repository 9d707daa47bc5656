"""The finance page's bank transfers in Debian's chromium, on a real chain with `lineage worker`
beside the server: a rouble period anchored with its token line already pushed (the seed does
that in process) waits for its two bank lines. Finance downloads the payment file, a wrong file
is refused next to the upload form, the dev bank's statement of the file is uploaded, and the
attestation is followed live until the period is paid."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bankpay_kit import NET, rouble_company
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
from test_api_periods import close, post
from test_chain_outbox import FAST, Chain
from test_period_chain import settle
from web_support import PASSWORD

from backend.core.config import Settings
from backend.core.model_base import Role
from backend.dev.bank import execute
from backend.worker.writer import ChainWriter

pytestmark = [needs_chromium, pytest.mark.chain]
FINANCE = "finance@example.com"
CHAIN_WAIT = 90_000  # ms


def period_waiting_for_the_bank(settings: Settings, chain: Chain) -> None:
    record = json.loads(settings.resolved_deployment_file.read_text())
    for key in ("tokenCurrency", "tokenDecimals", "tokenSymbol"):  # see test_bank_payouts_chain
        record.pop(key, None)
    settings.resolved_deployment_file.write_text(json.dumps(record))
    engine, clock = new_company(settings)
    with admin_client(settings, engine, clock) as (client, admin):
        headers = {"admin": admin}
        dina = enroll_dina(client, admin)
        for role in (Role.finance, Role.auditor):
            headers[role.value] = token_for(
                add_user(engine, f"{role.value}@example.com", role), clock
            )
        api = rouble_company(Api(client, engine, clock, settings, headers, dina))
        writer = ChainWriter(engine, chain.gateway(), settings, config=FAST)
        settle(writer)
        assert post(api, "/api/periods").status_code == 201
        close(api, 1)
        assert post(api, "/api/periods/1/anchor").status_code == 202
        funded = api.client.post(
            "/api/vault/funding", json={"amount": NET[3]}, headers=api.as_("finance")
        )
        assert funded.status_code == 202, funded.text
        settle(writer)
        assert post(api, "/api/periods/1/payouts").status_code == 202
        settle(writer)
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company_on_chain(tmp_path_factory, period_waiting_for_the_bank, writer=True) as (
        url,
        _,
    ):
        yield url


def test_the_bank_lines_are_paid_from_the_page_and_followed_on_chain(
    page: Page, chromium: Chromium, base_url: str, tmp_path: Path
) -> None:
    page.goto("/login")
    page.click("button[value=en]")
    log_in(page, FINANCE, PASSWORD)
    page.goto("/finance/periods/1")
    status = page.locator("[data-status]")
    expect(status).to_have_attribute("data-status", "paying")
    bank = page.locator("section.bank")
    expect(bank.locator("h2")).to_have_text("Bank transfers")
    expect(bank.locator("[data-figure=bank-lines]")).to_contain_text("2 lines")
    expect(bank.locator("[data-figure=bank-open]")).to_contain_text("2 lines")
    expect(bank.locator("[data-figure=bank-attested]")).to_contain_text("0 lines")
    check(page, "finance-bank-open-en")

    with page.expect_download() as download:
        page.click("text=Download the payment file")
    orders = Path(download.value.path()).read_bytes()
    assert orders.startswith(b"1CClientBankExchange\r\n")
    assert orders.decode("cp1251").count("СекцияДокумент=") == 2

    wrong = tmp_path / "statement.txt"
    wrong.write_bytes("1CClientBankExchange\r\nне выписка\r\n".encode())
    page.set_input_files("#statement", str(wrong))
    page.click("button:has-text('Upload the statement')")
    error = page.locator("#bank_statement-error")
    expect(error).to_contain_text("not in the encoding it declares")
    expect(page.locator("#statement")).to_have_attribute("aria-invalid", "true")
    check(page, "finance-bank-refused-en")

    statement = tmp_path / "vypiska.txt"
    statement.write_bytes(execute(orders))
    page.set_input_files("#statement", str(statement))
    page.click("button:has-text('Upload the statement')")
    expect(page).to_have_url("/finance/periods/1#bank")
    expect(page.locator("tr[data-job=attest]")).to_be_visible()
    expect(status).to_have_attribute("data-status", "paid", timeout=CHAIN_WAIT)
    expect(page.locator("tr[data-job=attest]")).to_have_attribute("data-state", "confirmed")
    expect(bank.locator("[data-figure=bank-attested]")).to_contain_text("2 lines")
    expect(bank.locator("tr[data-outcome=matched]")).to_have_count(2)
    expect(page.locator("text=Download the payment file")).to_have_count(0)
    check(page, "finance-bank-paid-en")

    # In Russian, in another browser: the same section in words.
    context = chromium.new_context(base_url=base_url, viewport={"width": 1280, "height": 860})
    russian = context.new_page()
    try:
        russian.goto("/login")
        russian.click("button[value=ru]")
        log_in(russian, FINANCE, PASSWORD)
        russian.goto("/finance/periods/1")
        section = russian.locator("section.bank")
        expect(section.locator("h2")).to_have_text("Банковские переводы")
        expect(section.locator("tr[data-outcome=matched]").first).to_contain_text("сопоставлен")
        check(russian, "finance-bank-paid-ru")
    finally:
        context.close()
