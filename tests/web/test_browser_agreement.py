"""The partner agreement in Debian's chromium: Dina is asked (a banner on her home page) to
accept the agreement, is refused beside the checkbox until she ticks it, accepts; the admin
publishes version 2 in the office; Dina's home and agreement pages ask her again while her
acceptance of version 1 stays listed. axe and the 360 px width on each state, screenshots in
artifacts/screenshots/agreement-*."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import (
    ADMIN,
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
from documents_kit import set_company
from playwright.sync_api import Page, expect

from backend.core.config import Settings

pytestmark = needs_chromium


def company_with_dina(settings: Settings) -> None:
    engine, clock = new_company(settings, rates=False)
    set_company(engine)
    with admin_client(settings, engine, clock) as (client, admin):
        dina_login(client, admin, enroll_dina(client, admin))
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_dina) as url:
        yield url


def _log_in_as(page: Page, who: tuple[str, str]) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    log_in(page, *who)


def test_a_partner_accepts_and_is_asked_again_after_a_new_version(page: Page) -> None:
    _log_in_as(page, DINA)
    banner = page.locator("#agreement-banner")
    expect(banner).to_contain_text("ждёт вашего акцепта")
    banner.get_by_role("link", name="Прочитать и принять договор").click()
    expect(page.locator("h1")).to_have_text("Партнёрский договор")
    text = page.get_by_role("article", name="Текст договора")
    expect(text).to_contain_text("Дина Первая")
    expect(text).to_contain_text("ООО «Линия»")
    expect(text.locator("h3").first).to_have_text("1. Предмет договора")
    check(page, "agreement-to-accept-ru")

    page.get_by_role("button", name="Принимаю").click()
    expect(page.locator("#agree-error")).to_contain_text("Отметьте, что вы прочитали договор")
    expect(page.locator("#agree")).to_have_attribute("aria-describedby", "agree-error")
    check(page, "agreement-unticked-ru")

    page.get_by_label("Я прочитал(а) партнёрский договор (редакция 1) и принимаю его.").check()
    page.get_by_role("button", name="Принимаю").click()
    expect(page).to_have_url("/agreement?accepted=1")
    expect(page.get_by_role("status")).to_contain_text("ваш акцепт записан")
    expect(page.locator("#status + p")).to_contain_text("Вы приняли редакцию 1")
    history = page.locator("section[aria-labelledby=history] tbody tr")
    expect(history).to_have_count(1)
    expect(page.get_by_role("button", name="Принимаю")).to_have_count(0)
    check(page, "agreement-accepted-ru")
    page.goto("/home")
    expect(page.locator("#agreement-banner")).to_have_count(0)

    _log_in_as(page, ADMIN)
    page.goto("/admin/templates")
    page.get_by_role("link", name="Партнёрский договор").click()
    ru = page.get_by_label("Текст на русском")
    clause = "Партнёр {{partner_name}} может выйти из договора в личном кабинете."
    ru.fill(ru.input_value() + f"\n\n## 9. Дополнение\n\n{clause}\n")
    page.get_by_role("button", name="Опубликовать новую редакцию").click()
    expect(page.get_by_role("status")).to_contain_text("Новая версия опубликована")
    expect(page.locator("section[aria-labelledby=versions] tbody tr")).to_have_count(2)
    check(page, "agreement-admin-published-ru")

    _log_in_as(page, DINA)
    expect(page.locator("#agreement-banner")).to_be_visible()
    page.goto("/agreement")
    expect(page.get_by_role("status")).to_contain_text("Опубликована новая редакция договора 2")
    expect(page.get_by_role("status")).to_contain_text("Ваш акцепт редакции 1 сохраняется")
    expect(page.get_by_role("article")).to_contain_text(
        "Партнёр Дина Первая может выйти из договора в личном кабинете."
    )
    expect(page.locator("section[aria-labelledby=history] tbody tr")).to_have_count(1)
    check(page, "agreement-new-version-ru")
    page.get_by_label("Я прочитал(а) партнёрский договор (редакция 2) и принимаю его.").check()
    page.get_by_role("button", name="Принимаю").click()
    expect(page.locator("section[aria-labelledby=history] tbody tr")).to_have_count(2)
