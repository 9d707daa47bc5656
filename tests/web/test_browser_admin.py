"""The administrator's office in Debian's chromium against the real app: the admin creates an
account (who then logs in with the password shown once), changes its role, opens Dina's
office read-only ("see as": her dashboard under the banner) and stops; the action log and the
company settings in English; the company details, refused next to a field, then saved. Every
page visited is checked by axe and screenshotted at 360 px and desktop width
(artifacts/screenshots/admin-*)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser_support import (
    ADMIN,
    check,
    company_with_a_closed_period,
    log_in,
    needs_chromium,
    serve_company,
)
from playwright.sync_api import Browser, Page, expect

pytestmark = needs_chromium
DINA_ID = 2  # the first enrolled under the company's root


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_a_closed_period) as url:
        yield url


def test_create_an_account_who_logs_in_then_change_its_role(
    page: Page, chromium: Browser, base_url: str
) -> None:
    page.goto("/login")
    log_in(page, *ADMIN)
    page.get_by_role("navigation", name="Главное меню").get_by_role(
        "link", name="Администрирование"
    ).click()
    expect(page.locator("h1")).to_have_text("Администрирование")
    check(page, "admin-landing-ru")
    page.locator(".sections").get_by_role("link", name=re.compile("^Пользователи")).click()
    expect(page).to_have_url("/admin/users")
    check(page, "admin-users-ru")

    page.fill("#new-email", "lena@example.com")
    page.fill("#new-full_name", "Елена Счетова")
    page.select_option("#new-role", "finance")
    page.get_by_role("button", name="Создать учётную запись").click()
    expect(page.locator(".notice")).to_have_text("Учётная запись создана.")
    password = page.locator("#new-password").inner_text()
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", password)
    check(page, "admin-user-created-ru")

    page.select_option("#role", "auditor")
    page.get_by_role("button", name="Сменить роль").click()
    expect(page.locator(".notice")).to_contain_text("Роль изменена")
    expect(page.locator("#new-password")).to_have_count(0)  # shown once, never again
    expect(page.locator(".facts")).to_contain_text("Аудитор")
    check(page, "admin-user-ru")

    lena = chromium.new_context(base_url=base_url)
    try:
        other = lena.new_page()
        other.goto("/login")
        log_in(other, "lena@example.com", password)
        expect(other.locator("h1")).to_contain_text("Елена Счетова")
        expect(other.locator("main")).to_contain_text("Аудитор")
    finally:
        lena.close()


def test_see_dinas_office_read_only_and_stop(page: Page) -> None:
    page.goto("/login")
    log_in(page, *ADMIN)
    page.goto("/admin")
    page.fill("#see-as-id", str(DINA_ID))
    page.get_by_role("button", name="Открыть кабинет партнёра").click()
    expect(page).to_have_url("/home")
    banner = page.locator(".see-as")
    expect(banner).to_contain_text(f"Дина Первая (ID {DINA_ID})")
    expect(page.get_by_role("link", name="Мои выписки", exact=True)).to_be_visible()  # her menu
    check(page, "admin-see-as-ru")
    banner.get_by_role("button", name="Завершить").click()
    expect(page).to_have_url("/admin")
    expect(page.locator(".see-as")).to_have_count(0)


def test_the_action_log_and_the_settings_in_english(page: Page) -> None:
    page.goto("/login")
    log_in(page, *ADMIN)
    page.get_by_role("button", name="English").click()
    page.goto("/admin/log")
    expect(page.locator("#chain-status")).to_contain_text("hash chain is intact")
    check(page, "admin-log-en")
    page.goto("/admin/settings")
    expect(page.locator("#holding_tank_days-source")).to_have_text("The default.")
    check(page, "admin-settings-en")
    page.fill("#holding_tank_days", "500")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#holding_tank_days-error")).to_have_text("From 0 to 365 days.")
    page.fill("#holding_tank_days", "5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".notice")).to_contain_text("The settings are saved")
    expect(page.locator("#holding_tank_days-source")).to_contain_text(
        "Changed by admin@example.com"
    )


def test_the_company_details_refused_next_to_the_field_then_saved(page: Page) -> None:
    page.goto("/login")
    log_in(page, *ADMIN)
    # The admin's language is kept on the account, and the test before this one chose English.
    page.get_by_role("button", name="Русский").click()
    page.goto("/admin/requisites")
    check(page, "admin-requisites")
    typed = {
        "legal_name": "ООО «Линия»",
        "inn": "7701000002",  # a wrong check digit
        "kpp": "770101001",
        "bank_name": "ПАО Сбербанк",
        "bik": "044525225",
        "account": "4070 2810 9380 0001 2345",
        "corr_account": "30101810400000000225",
    }
    for name, value in typed.items():
        page.fill(f"#{name}", value)
    page.get_by_role("button", name="Сохранить реквизиты").click()
    expect(page.locator("#inn-error")).to_have_text(
        "Контрольная цифра не сходится: проверьте, нет ли опечатки."
    )
    expect(page.locator("#inn")).to_have_attribute("aria-invalid", "true")
    check(page, "admin-requisites-refused")
    page.fill("#inn", "7701000001")
    page.get_by_role("button", name="Сохранить реквизиты").click()
    expect(page.locator(".notice")).to_contain_text("Реквизиты сохранены")
    expect(page.locator("#account")).to_have_value("40702810938000012345")
    expect(page.locator("#inn-changed")).to_contain_text("admin@example.com")
