"""The admin office's plan, price lists and warehouses in Debian's chromium against the real
app: the administrator reads the plan (and the plan period 1 ran with), changes a price on the
rouble price list (a typo refused first) and Dina's shop then shows the new price, adds a
warehouse and changes it; the plan and a price list again in English. Every page visited is
checked by axe and screenshotted at 360 px and desktop width (artifacts/screenshots/admin-*)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from browser_support import ADMIN, DINA, check, company_with_a_closed_period, log_in, needs_chromium
from browser_support import serve_company as serve
from lineage_api import Api
from playwright.sync_api import Page, expect
from test_shop_pages import rub

from backend.core.config import Settings
from backend.periods.service import package_dir

pytestmark = needs_chromium
PLAN_HASH: dict[str, str] = {}


def with_a_rouble_price_list(settings: Settings) -> None:
    """The periods tests' company with period 1 closed; then Dina lives in Russia and the tea
    (product 1) is on the rouble price list "Россия" at 9,00 / 7,50 ₽."""

    def rouble_list(api: Api) -> None:
        admin = api.as_("admin")
        dina = f"/api/distributors/{api.distributor_id}"
        moved = api.client.patch(dina, json={"country": "RU"}, headers=admin)
        assert moved.status_code == 200, moved.text
        made = api.client.post(
            "/api/price-lists", json={"name": "Россия", "currency": "RUB"}, headers=admin
        )
        assert made.status_code == 201, made.text
        item = {"product_id": 1, "retail_price": 900, "wholesale_price": 750}
        put = api.client.put("/api/price-lists/1/items", json=item, headers=admin)
        assert put.status_code == 200, put.text
        manifest = json.loads((package_dir(settings, 1) / "manifest.json").read_text())
        PLAN_HASH["period 1"] = manifest["planHash"]

    company_with_a_closed_period(settings, rouble_list)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory, with_a_rouble_price_list) as url:
        yield url


def log_in_admin(page: Page) -> None:
    """The admin, in Russian (a test before may have left the account in English)."""
    page.goto("/login")
    log_in(page, *ADMIN)
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")


def admin_tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Разделы").get_by_role("link", name=name).click()


def test_the_admin_reads_the_plan_and_the_plan_period_1_ran_with(page: Page) -> None:
    log_in_admin(page)
    page.goto("/admin/plan")
    expect(page.locator("h1")).to_have_text("Маркетинг-план")
    expect(page.locator("#plan-hash")).to_have_text(PLAN_HASH["period 1"])
    expect(page.locator("#ranks tbody tr")).to_have_count(5)
    expect(page.locator("#bonus-binary")).to_contain_text("Бинарный бонус")
    stored = page.locator("details.stored")
    expect(stored.locator("pre")).to_be_hidden()
    stored.locator("summary").click()
    expect(stored.locator("pre")).to_contain_text("[ranks]")
    check(page, "admin-plan-ru")
    page.locator("#plan-uses").get_by_role("link", name="период 1").click()
    expect(page.locator("h1")).to_have_text("Маркетинг-план периода 1")
    expect(page.locator("#plan-hash")).to_have_text(PLAN_HASH["period 1"])
    expect(page.locator("main")).to_contain_text("Это действующий сейчас план.")
    check(page, "admin-plan-period-ru")
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Plan of period 1")
    page.get_by_role("link", name="The plan in force").click()
    expect(page.locator("h1")).to_have_text("Compensation plan")
    expect(page.locator("#ranks")).to_contain_text("2 legs with rank Bronze or higher")
    check(page, "admin-plan-en")


def test_a_price_changed_by_the_admin_is_what_dina_pays(page: Page) -> None:
    log_in_admin(page)
    page.goto("/admin/catalogue")
    expect(page.locator("#product-table")).to_contain_text("TEA")
    check(page, "admin-catalogue-ru")
    page.get_by_role("navigation", name="Каталог").get_by_role("link", name="Прайс-листы").click()
    expect(page.locator("h1")).to_have_text("Прайс-листы")
    check(page, "admin-price-lists-ru")
    page.get_by_role("link", name="Россия").click()
    row = page.locator("#item-1")
    expect(row).to_contain_text(rub(750))
    row.get_by_role("link", name="Изменить").click()
    expect(page.locator("#retail_price")).to_have_value("9.00")
    page.fill("#retail_price", "15,5x")
    page.fill("#wholesale_price", "12")
    page.get_by_role("button", name="Сохранить цену").click()
    expect(page.locator("#retail_price-error")).to_contain_text("Введите сумму в виде 1 234,50")
    expect(page.locator("#retail_price")).to_have_attribute("aria-invalid", "true")
    check(page, "admin-price-list-refused-ru")
    page.fill("#retail_price", "15,50")
    page.get_by_role("button", name="Сохранить цену").click()
    expect(page.get_by_role("status")).to_have_text("Цена сохранена.")
    expect(page.locator("#item-1")).to_contain_text(rub(1_550))
    expect(page.locator("#item-1")).to_contain_text(rub(1_200))
    check(page, "admin-price-list-ru")
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Price list Россия")
    check(page, "admin-price-list-en")
    # Dina, in her own browser, buys at the new wholesale price.
    dina = page.context.browser.new_context(base_url=page.url.split("/admin")[0])  # type: ignore[union-attr]
    shop = dina.new_page()
    shop.goto("/login")
    log_in(shop, *DINA)
    shop.goto("/shop")
    expect(shop.locator("li.offer").first).to_contain_text(rub(1_200))
    expect(shop.locator("li.offer").first).to_contain_text(rub(1_550))
    dina.close()


def test_the_admin_adds_a_warehouse_and_changes_it(page: Page) -> None:
    log_in_admin(page)
    page.goto("/admin/catalogue")
    admin_tab(page, "Склады")
    expect(page.locator("h1")).to_have_text("Склады")
    page.fill("#code", "SPB")
    page.fill("#name", "Санкт-Петербург, Парнас")
    page.fill("#country", "ru")
    page.get_by_role("button", name="Добавить склад").click()
    expect(page.get_by_role("status")).to_have_text("Склад добавлен.")
    row = page.locator("#warehouse-table tr", has_text="SPB")
    expect(row).to_contain_text("Санкт-Петербург, Парнас")
    expect(row).to_contain_text("RU")
    check(page, "admin-warehouses-ru")
    row.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("Склад SPB")
    page.fill("#name", "Санкт-Петербург")
    page.get_by_label("Действует: отгружает заказы и принимает товар").uncheck()
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status")).to_have_text("Склад сохранён.")
    expect(page.locator("#name")).to_have_value("Санкт-Петербург")
    check(page, "admin-warehouse-ru")
    page.get_by_role("link", name="Все склады").click()
    expect(page.locator("#warehouse-table tr", has_text="SPB")).to_contain_text("неактивен")
