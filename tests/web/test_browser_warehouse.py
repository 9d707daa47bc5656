"""The warehouse office in Debian's chromium against the real app: the warehouse person receives
stock (the figures change), opens the pick list, ships Dina's paid order from its page (status
shipped, stock on hand down), reads the journal; a refused shipment in English. Every page is
checked by axe and screenshotted at 360 px and desktop width
(artifacts/screenshots/warehouse-*)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import (
    FINANCE,
    admin_client,
    check,
    dina_login,
    enroll_dina,
    log_in,
    needs_chromium,
    new_company,
    serve_company,
)
from lineage_api import Api, add_user, token_for
from playwright.sync_api import Locator, Page, expect
from test_shop_pages import stock_shop

from backend.core.config import Settings
from backend.core.model_base import Role

pytestmark = needs_chromium
WAREHOUSE = ("warehouse@example.com", "password-123")


def company_with_a_paid_order(settings: Settings) -> None:
    """The shop's company (Moscow and Almaty, 10 of each product), a warehouse and a finance
    login, and Dina's order of 2 teas and 1 cream from Moscow, paid by finance: all through the
    API, as the people would."""
    engine, clock = new_company(settings)
    with admin_client(settings, engine, clock) as (client, admin):
        dina = enroll_dina(client, admin)
        dina_headers = token_for(dina_login(client, admin, dina), clock)
        stock_shop(Api(client, engine, clock, settings, {"admin": admin}, dina))
        add_user(engine, WAREHOUSE[0], Role.warehouse)
        finance = token_for(add_user(engine, FINANCE[0], Role.finance), clock)
        order = {"warehouse_id": 1, "lines": [{"product_id": 1, "quantity": 2}]}
        order["lines"].append({"product_id": 2, "quantity": 1})
        placed = client.post("/api/orders", json=order, headers=dina_headers)
        assert placed.status_code == 201, placed.text
        body = placed.json()
        payment = {"amount": body["total_amount"], "currency": "RUB", "reference": "ПП-17"}
        paid = client.post(f"/api/orders/{body['id']}/payment", json=payment, headers=finance)
        assert paid.status_code == 201, paid.text
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_a_paid_order) as url:
        yield url


def menu(page: Page, name: str) -> Locator:
    return page.locator("header nav").get_by_role("link", name=name, exact=True)


def test_receive_stock_then_pick_and_ship_the_paid_order(page: Page) -> None:
    page.goto("/login")
    log_in(page, *WAREHOUSE)
    menu(page, "Остатки").click()
    expect(page.locator("h1")).to_have_text("Остатки")
    expect(page.locator("#stock-1 .on-hand")).to_have_text("10")
    expect(page.locator("#stock-1 .reserved")).to_have_text("2")
    check(page, "warehouse-stock-ru")
    receipt = page.locator("#op-receipts")
    receipt.locator("summary").click()
    receipt.get_by_label("Товар").select_option("1")
    receipt.get_by_label("Количество").fill("5")
    receipt.get_by_role("button", name="Оприходовать", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Поступление оприходовано.")
    expect(page.locator("#stock-1 .on-hand")).to_have_text("15")
    expect(page.locator("#stock-1 .available")).to_have_text("13")
    # A refusal in words, next to its form.
    shipment = page.locator("#op-shipments")
    shipment.locator("summary").click()
    shipment.get_by_label("Товар").select_option("2")
    shipment.get_by_label("Количество").fill("50")
    shipment.get_by_role("button", name="Отгрузить", exact=True).click()
    expect(page.locator("#shipments-refused")).to_have_text(
        "Недостаточно товара: свободно 9, запрошено 50 (не хватает 41)."
    )
    check(page, "warehouse-refused-ru")

    menu(page, "К отгрузке").click()
    expect(page.locator("h1")).to_have_text("К отгрузке")
    expect(page.locator("#pick-1")).to_contain_text("Чай травяной")
    check(page, "warehouse-picklist-ru")
    page.get_by_role("link", name="Заказ № 1", exact=True).click()
    expect(page.locator("#order-status")).to_have_text("оплачен")
    check(page, "warehouse-order-ru")
    page.get_by_role("button", name="Отгрузить").click()
    expect(page.locator("#order-status")).to_have_text("отгружен")
    expect(page.get_by_role("status")).to_contain_text("Заказ отгружен")
    expect(page.get_by_role("button", name="Отгрузить")).to_have_count(0)
    menu(page, "Остатки").click()
    expect(page.locator("#stock-1 .on-hand")).to_have_text("13")  # 15 - the order's 2
    expect(page.locator("#stock-1 .reserved")).to_have_text("0")

    menu(page, "Движения товара").click()
    expect(page.locator("#journal tbody tr").first).to_contain_text("отгрузка")
    check(page, "warehouse-movements-ru")
    page.get_by_label("Вид").select_option("receipt")
    page.get_by_role("button", name="Показать").click()
    expect(page).to_have_url("/warehouse/movements?warehouse=&product=&kind=receipt&from=&to=")
    expect(page.locator("#journal tbody tr")).to_have_count(7)  # 6 seeded, 1 here


def test_an_empty_pick_list_and_a_refusal_in_english(page: Page) -> None:
    page.goto("/login")
    page.get_by_role("button", name="English").click()
    log_in(page, *WAREHOUSE)
    page.goto("/warehouse/picklist?warehouse=2")
    expect(page.locator("h1")).to_have_text("To ship")
    expect(page.locator(".empty")).to_contain_text("Nothing to pick")
    check(page, "warehouse-picklist-en")
    page.goto("/warehouse?warehouse=2")
    adjust = page.locator("#op-adjustments")
    adjust.locator("summary").click()
    adjust.get_by_label("Product").select_option("3")
    adjust.get_by_label("Change (+ adds, − writes off)").fill("-2")
    adjust.get_by_role("button", name="Record the adjustment").click()
    expect(page.locator("#adjustments-reason-error")).to_contain_text("Give the reason")
    check(page, "warehouse-stock-en")
