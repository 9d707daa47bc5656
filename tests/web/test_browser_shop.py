"""The shop in Debian's chromium against the real app: a partner adds two products to the cart
(one with the keyboard alone), changes a quantity, places the order and finds it in their
history; a refusal and the retail customers in English. Every page visited is checked by axe
and screenshotted at 360 px and desktop width (artifacts/screenshots/shop-*)."""

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
from lineage_api import Api
from playwright.sync_api import Page, expect
from test_shop_pages import rub, stock_shop

from backend.core.config import Settings

pytestmark = needs_chromium


def shop_company(settings: Settings) -> None:
    """Dina (a login) in Russia and the shop of the page tests: three products, a tenge list,
    Moscow and Almaty with 10 of each."""
    engine, clock = new_company(settings)
    with admin_client(settings, engine, clock) as (client, admin):
        dina = enroll_dina(client, admin)
        dina_login(client, admin, dina)
        stock_shop(Api(client, engine, clock, settings, {"admin": admin}, dina))
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, shop_company) as url:
        yield url


def card(page: Page, name: str) -> object:
    return page.locator("li.offer", has=page.get_by_role("heading", name=name))


def test_add_two_products_change_a_quantity_place_the_order_and_find_it(page: Page) -> None:
    page.goto("/login")
    log_in(page, *DINA)
    page.get_by_role("link", name="Каталог").click()
    expect(page.locator("h1")).to_have_text("Каталог")
    check(page, "shop-catalogue-ru")
    tea = card(page, "Чай травяной")
    tea.get_by_role("button", name="В корзину").click()  # type: ignore[attr-defined]
    cart_link = page.locator("#cart-link")
    expect(cart_link).to_contain_text("Корзина: 1 товар")
    expect(cart_link).to_contain_text("Добавлено в корзину.")
    # The second with the keyboard alone: the quantity field, Tab to its button, Enter.
    cream_quantity = page.locator("#qty-2")
    cream_quantity.focus()
    page.keyboard.press("Tab")
    expect(card(page, "Крем для рук").get_by_role("button", name="В корзину")).to_be_focused()  # type: ignore[attr-defined]
    page.keyboard.press("Enter")
    expect(cart_link).to_contain_text("Корзина: 2 товара")
    expect(page).to_have_url("/shop")  # htmx: the catalogue stays where it was
    cart_link.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("Корзина")
    expect(page.locator("#cart-total")).to_have_text(rub(97_600 + 45_050))
    check(page, "shop-cart-ru")
    page.fill("#qty-1", "3")
    page.locator("#line-1").get_by_role("button", name="Изменить").click()
    expect(page.locator("#cart-total")).to_have_text(rub(3 * 97_600 + 45_050))
    expect(page.locator("#cart-pv")).to_have_text("34 PV")  # 3 x 10 + 4
    page.get_by_role("button", name="Оформить заказ").click()
    expect(page).to_have_url("/shop/orders/1?placed=1")
    expect(page.locator("h1")).to_have_text("Заказ № 1")
    expect(page.locator("#order-total")).to_have_text(rub(3 * 97_600 + 45_050))
    expect(page.locator("#order-payment")).to_have_text("ожидает оплаты")
    check(page, "shop-order-ru")
    page.get_by_role("link", name="Мои заказы", exact=True).click()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Заказ № 1")
    expect(row).to_contain_text(rub(3 * 97_600 + 45_050))
    check(page, "shop-orders-ru")
    page.goto("/shop/cart")
    expect(page.locator(".empty")).to_contain_text("Корзина пуста.")


def test_a_refused_order_and_the_customers_in_english(page: Page) -> None:
    page.goto("/login")
    page.click("button[value=en]")
    log_in(page, *DINA)
    page.goto("/shop/customers")
    expect(page.locator("h1")).to_have_text("My customers")
    page.get_by_role("button", name="Add the customer").click()
    expect(page.locator("#first_name-error")).to_have_text(
        "Enter the first name (up to 200 characters)."
    )
    check(page, "shop-customers-error-en")
    page.fill("#first_name", "Olga")
    page.fill("#last_name", "Kim")
    page.fill("#email", "olga@example.com")
    page.get_by_role("button", name="Add the customer").click()
    expect(page.locator("h1")).to_have_text("Olga Kim")
    check(page, "shop-customer-en")
    page.get_by_role("button", name="Order for this customer").click()
    expect(page.locator(".for-whom")).to_contain_text("Olga Kim, at retail prices")
    check(page, "shop-catalogue-customer-en")
    kit = card(page, "Starter kit")  # untouched by the other flow: 10 in Moscow
    kit.locator("input[name=quantity]").fill("11")  # type: ignore[attr-defined]
    kit.get_by_role("button", name="Add to cart").click()  # type: ignore[attr-defined]
    expect(page.locator("#cart-link")).to_contain_text("Cart: 1 product")
    page.goto("/shop/cart")
    expect(page.locator("#line-3")).to_contain_text("Not enough in stock")
    page.get_by_role("button", name="Place the order").click()
    expect(page.locator("#line-3 .error")).to_contain_text("Available: 10.")
    check(page, "shop-cart-refused-en")
    page.fill("#qty-3", "10")
    page.locator("#line-3").get_by_role("button", name="Update").click()
    expect(page.locator("#cart-total")).to_have_text(rub(10 * 150_000, "en"))
    page.get_by_role("button", name="Place the order").click()
    expect(page.locator("#order-status")).to_have_text("placed")
    check(page, "shop-order-customer-en")
