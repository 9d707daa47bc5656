"""The partner's payouts and tax status page in Debian's chromium: a wrong INN is refused with
the message beside the field (and the field pointing at it), a valid bank profile saves and
shows in force and in the history with its account masked; axe and the 360 px width on each
state, screenshots in artifacts/screenshots/payout-*."""

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

from backend.core.config import Settings

pytestmark = needs_chromium
ACCOUNT = "40817810000000001234"  # valid with Sberbank's BIK


def company_with_dina(settings: Settings) -> None:
    engine, clock = new_company(settings, rates=False)
    with admin_client(settings, engine, clock) as (client, admin):
        dina_login(client, admin, enroll_dina(client, admin))
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_dina) as url:
        yield url


def test_a_wrong_inn_is_refused_beside_it_and_a_bank_profile_saves(page: Page) -> None:
    page.goto("/login")
    log_in(page, *DINA)
    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Выплаты").click()
    expect(page.locator("h1")).to_have_text("Выплаты и налоговый статус")
    expect(page.locator("#history")).to_be_visible()
    check(page, "payout-empty-ru")

    page.get_by_label("Физическое лицо").check()
    page.get_by_label("Банковский перевод").check()
    page.fill("#inn", "500100732258")  # one digit off a valid INN
    page.fill("#bank_account", ACCOUNT)
    page.fill("#bik", "044525225")
    page.fill("#corr_account", "30101810400000000225")
    page.get_by_role("button", name="Сохранить реквизиты").click()
    error = page.locator("#inn-error")
    expect(error).to_contain_text("Контрольные цифры ИНН не сходятся")
    expect(page.locator("#inn")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#inn")).to_have_attribute("aria-describedby", "inn-hint inn-error")
    # The message sits right under its own field.
    assert page.evaluate(
        "document.querySelector('#inn').parentElement.contains(document.querySelector('#inn-error'))"
    )
    expect(page.locator(".error")).to_have_count(2)  # the summary and the INN's
    expect(page.get_by_label("Банковский перевод")).to_be_checked()  # the choice stays
    check(page, "payout-error-ru")

    page.fill("#inn", "500100732259")
    page.fill("#bank_name", "ПАО Сбербанк")
    page.get_by_role("button", name="Сохранить реквизиты").click()
    expect(page).to_have_url("/payout?saved=1")
    expect(page.get_by_role("status")).to_contain_text("Реквизиты для выплат сохранены")
    facts = page.locator("section[aria-labelledby=now] .facts")
    expect(facts).to_contain_text("Банковский перевод")
    expect(facts).to_contain_text(ACCOUNT)
    rows = page.locator("section[aria-labelledby=history] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("•••• 1234")
    expect(rows.first).not_to_contain_text(ACCOUNT)
    check(page, "payout-saved-ru")
