"""The partner's shop pages through the test client, on SQLite and PostgreSQL: the catalogue in
roubles for a Russian partner and in tenge for a Kazakh one, the cart's arithmetic, placing an
order (once, however often the form is sent), refusals with their reason next to the line and
nothing written, another partner's order and customer refused, retail customers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lineage_api import Api, add_user
from sqlalchemy import func
from sqlmodel import Session, select
from web_support import Browser, csrf_of

from backend.core.model_base import Role, VatCategory
from backend.core.money import format_money
from backend.orders.models import Order, OrderLine
from backend.stock.models import StockMovement
from backend.vat.service import order_day, rate_in_force
from backend.web.shop import CART_COOKIE

TEA, CREAM, KIT = 1, 2, 3
MSK, ALA = 1, 2
# Wholesale and retail in kopecks; in tenge on the KZT list (tiyn).
PRODUCTS = [
    ("TEA", "Чай травяной", "Herbal tea", 97_600, 122_000, "standard", 10, "product"),
    ("CREAM", "Крем для рук", "Hand cream", 45_050, 55_000, "reduced", 4, "product"),
    ("KIT", "Стартовый набор", "Starter kit", 150_000, 150_000, "standard", 0, "kit"),
]
TENGE = {TEA: (610_000, 760_000), CREAM: (280_000, 340_000)}  # KIT is not on the KZT list


@pytest.fixture
def shop(api: Api) -> Api:
    return stock_shop(api)


def stock_shop(api: Api) -> Api:
    """Three products in roubles, a tenge list (without the kit), a Moscow and an Almaty
    warehouse with 10 of each, Dina in Russia and Asel, a partner in Kazakhstan with a login."""
    admin = api.as_("admin")

    def ok(response: Any) -> Any:
        assert response.status_code in (200, 201), response.text
        return response.json()

    for sku, name_ru, name_en, wholesale, retail, vat, pv, category in PRODUCTS:
        product = {
            "sku": sku,
            "name_ru": name_ru,
            "name_en": name_en,
            "wholesale_price": wholesale,
            "retail_price": retail,
            "currency": "RUB",
            "vat_category": vat,
            "pv": pv,
            "cv": pv,
            "category": category,
        }
        if category == "kit":
            product["cv"] = 0
        ok(api.client.post("/api/products", json=product, headers=admin))
    ok(api.client.post("/api/price-lists", json={"name": "KZ", "currency": "KZT"}, headers=admin))
    for product_id, (wholesale, retail) in TENGE.items():
        item = {"product_id": product_id, "wholesale_price": wholesale, "retail_price": retail}
        ok(api.client.put("/api/price-lists/1/items", json=item, headers=admin))
    for code, name, country in (("MSK", "Москва", "RU"), ("ALA", "Алматы", "KZ")):
        house = {"code": code, "name": name, "country": country}
        ok(api.client.post("/api/warehouses", json=house, headers=admin))
    for house in (MSK, ALA):
        for product_id in (TEA, CREAM, KIT):
            receipt = {"product_id": product_id, "quantity": 10}
            ok(api.client.post(f"/api/warehouses/{house}/receipts", json=receipt, headers=admin))
    url = f"/api/distributors/{api.distributor_id}"
    ok(api.client.patch(url, json={"country": "RU"}, headers=admin))
    asel = {"first_name": "Асель", "last_name": "Нурланова", "country": "KZ"}
    created = ok(api.client.post("/api/distributors", json=asel, headers=admin))
    add_user(api.engine, "asel@example.com", Role.distributor, created["id"])
    return api


def office(api: Api, email: str = "dina@example.com") -> Browser:
    browser = Browser(TestClient(api.client.app))
    assert browser.login(email).status_code == 303  # type: ignore[attr-defined]
    return browser


def add(browser: Browser, product_id: int, quantity: int | str, **headers: str) -> Any:
    form = {
        "csrf_token": browser.token("/shop"),
        "product_id": str(product_id),
        "quantity": str(quantity),
        "next": "/shop",
    }
    return browser.client.post("/shop/cart/add", data=form, headers=headers, follow_redirects=False)


def post(browser: Browser, path: str, data: dict[str, str], **headers: str) -> Any:
    form = {"csrf_token": browser.token("/shop/cart")} | data
    return browser.client.post(path, data=form, headers=headers, follow_redirects=False)


def version_of(html: str) -> str:
    found = re.search(r'name="version" value="([0-9a-f]+)"', html)
    assert found, "the cart page has no order form"
    return found.group(1)


def place(browser: Browser) -> Any:
    return post(
        browser, "/shop/cart/order", {"version": version_of(browser.client.get("/shop/cart").text)}
    )


def vat_in(api: Api, gross: int, category: VatCategory) -> tuple[int, int]:
    """The rate in force today (basis points) and the VAT inside ``gross``, by the formula of
    docs/vat-and-price-lists.md (rounded half up)."""
    with Session(api.engine) as session:
        rate = rate_in_force(session, "RU", category, order_day(api.clock()))
    return rate, (2 * gross * rate + 10_000 + rate) // (2 * (10_000 + rate))


def rub(minor: int, locale: str = "ru") -> str:
    return format_money(minor, "RUB", locale=locale)


def counts(api: Api) -> tuple[int, int, int]:
    with Session(api.engine) as session:
        return (
            session.exec(select(func.count()).select_from(Order)).one(),
            session.exec(select(func.count()).select_from(OrderLine)).one(),
            session.exec(select(func.count()).select_from(StockMovement)).one(),
        )


def test_the_catalogue_shows_a_russian_partner_roubles_with_vat_pv_and_stock(shop: Api) -> None:
    page: Any = office(shop).get("/shop")
    assert page.status_code == 200, page.text
    html = page.text
    assert "<h1>Каталог</h1>" in html and "3 товара" in html
    assert "Чай травяной" in html and "Herbal tea" not in html
    assert rub(97_600) in html and "976,00\u00a0₽" in html  # wholesale: her own order
    assert f"Розничная цена: {rub(122_000)}" in html
    rate, tea_vat = vat_in(shop, 97_600, VatCategory.standard)
    assert f"в т. ч. НДС {rate // 100}\u00a0%: {rub(tea_vat)}" in html
    _, cream_vat = vat_in(shop, 45_050, VatCategory.reduced)
    assert f"в т. ч. НДС 10\u00a0%: {rub(cream_vat)}" in html
    assert "10 PV" in html and "4 PV" in html
    assert "Москва: в наличии 10" in html and "Алматы" not in html  # her country's warehouse
    assert 'href="/shop"' in html and 'href="/shop/orders"' in html  # the menu
    assert 'href="/shop/customers"' in html and "Корзина: 0 товаров" in html


def test_a_kazakh_partner_sees_the_tenge_list_and_the_almaty_warehouse(shop: Api) -> None:
    html = office(shop, "asel@example.com").get("/shop").text  # type: ignore[attr-defined]
    assert format_money(610_000, "KZT", locale="ru") in html  # 6 100,00 KZT
    assert "₽" not in html and "2 товара" in html
    assert "Стартовый набор" not in html  # not on the tenge list
    assert "«KZ» (KZT)" in html
    assert "Алматы: в наличии 10" in html and "Москва" not in html


def test_search_category_and_the_empty_states(shop: Api) -> None:
    browser = office(shop)
    found: Any = browser.get("/shop?q=%D0%BA%D1%80%D0%B5%D0%BC")  # "крем"
    assert "Крем для рук" in found.text and "Чай травяной" not in found.text
    assert "1 товар" in found.text
    kits: Any = browser.get("/shop?category=kit")
    assert "Стартовый набор" in kits.text and "Крем для рук" not in kits.text
    nothing: Any = browser.get("/shop?q=nothing-like-this")
    assert "Ничего не найдено" in nothing.text and 'href="/shop"' in nothing.text
    assert browser.get("/shop?category=bogus").status_code == 200  # type: ignore[attr-defined]
    empty: Any = browser.get("/shop/cart")
    assert "Корзина пуста." in empty.text and 'name="version"' not in empty.text


def test_cart_arithmetic_add_change_remove_and_retail_prices(shop: Api) -> None:
    browser = office(shop)
    assert add(browser, TEA, 2).headers["location"] == "/shop"
    fragment = add(browser, CREAM, 1, **{"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Корзина: 2 товара" in fragment.text and "Добавлено в корзину." in fragment.text
    add(browser, CREAM, 2)  # adds to the line: 3 creams
    cart: Any = browser.get("/shop/cart")
    total = 2 * 97_600 + 3 * 45_050
    assert f'id="cart-total">{rub(total)}<' in cart.text
    assert 'id="cart-pv">32 PV<' in cart.text  # 2 x 10 + 3 x 4
    _, tea_vat = vat_in(shop, 2 * 97_600, VatCategory.standard)
    _, cream_vat = vat_in(shop, 3 * 45_050, VatCategory.reduced)
    assert rub(tea_vat + cream_vat) in cart.text
    changed = post(
        browser,
        "/shop/cart/update",
        {"product_id": str(TEA), "quantity": "5"},
        **{"HX-Request": "true"},
    )
    assert changed.status_code == 200 and changed.text.startswith('<div id="cart">')
    assert f'id="cart-total">{rub(5 * 97_600 + 3 * 45_050)}<' in changed.text
    removed = post(browser, "/shop/cart/remove", {"product_id": str(CREAM)})
    assert removed.headers["location"] == "/shop/cart"
    after: Any = browser.get("/shop/cart")
    assert f'id="cart-total">{rub(5 * 97_600)}<' in after.text and "Крем для рук" not in after.text
    # For a retail customer the same cart costs retail prices.
    customer = {"first_name": "Ольга", "last_name": "Покупатель"}
    made = post(browser, "/shop/customers", customer)
    customer_id = made.headers["location"].split("/")[-1].split("?")[0]
    post(browser, "/shop/cart/options", {"customer_id": customer_id, "warehouse_id": str(MSK)})
    retail: Any = browser.get("/shop/cart")
    assert f'id="cart-total">{rub(5 * 122_000)}<' in retail.text
    assert "Для Ольга Покупатель (розничные цены)" in retail.text


def test_placing_the_order_once_even_when_the_form_is_sent_twice(shop: Api) -> None:
    browser = office(shop)
    add(browser, TEA, 2)
    add(browser, CREAM, 1)
    version = version_of(browser.client.get("/shop/cart").text)
    cookie = browser.client.cookies.get(CART_COOKIE)
    assert cookie
    placed = post(browser, "/shop/cart/order", {"version": version})
    assert placed.status_code == 303, placed.text
    assert placed.headers["location"] == "/shop/orders/1?placed=1"
    assert not browser.client.cookies.get(CART_COOKIE)  # the cart is emptied
    browser.client.cookies.set(CART_COOKIE, cookie)  # the second click of a double submit
    again = post(browser, "/shop/cart/order", {"version": version})
    assert again.headers["location"] == "/shop/orders/1?placed=1"
    assert counts(shop)[0] == 1
    order = shop.client.get("/api/orders/1", headers=shop.as_("distributor")).json()
    assert order["total_amount"] == 2 * 97_600 + 45_050 and order["price_list_id"] is None
    page: Any = browser.get("/shop/orders/1?placed=1")
    assert page.status_code == 200
    assert "<h1>Заказ № 1</h1>" in page.text and "Заказ оформлен" in page.text
    assert f'id="order-total">{rub(order["total_gross"])}<' in page.text
    assert f'id="order-vat">{rub(order["total_vat"])}<' in page.text
    assert rub(order["total_net"]) in page.text
    assert 'id="order-status">оформлен<' in page.text
    assert 'id="order-payment">ожидает оплаты' in page.text
    history: Any = browser.get("/shop/orders")
    assert "1 заказ" in history.text and 'href="/shop/orders/1"' in history.text
    assert "ожидает оплаты" in history.text and "для себя" in history.text
    # Paid by finance: the page says so.
    payment = {"amount": order["total_amount"], "currency": "RUB", "reference": "bank-1"}
    paid = shop.client.post("/api/orders/1/payment", json=payment, headers=shop.as_("finance"))
    assert paid.status_code == 201, paid.text
    assert 'id="order-payment">оплачен' in browser.get("/shop/orders/1").text  # type: ignore[attr-defined]


def test_a_kazakh_order_is_placed_in_tenge_from_almaty(shop: Api) -> None:
    browser = office(shop, "asel@example.com")
    add(browser, CREAM, 2)
    assert place(browser).status_code == 303
    order = shop.client.get("/api/orders/1", headers=shop.as_("admin")).json()
    assert (order["currency"], order["price_list_id"], order["warehouse_id"]) == ("KZT", 1, ALA)
    assert order["total_amount"] == 2 * 280_000
    page: Any = browser.get("/shop/orders/1")
    assert format_money(560_000, "KZT", locale="ru") in page.text


def test_an_order_beyond_the_stock_is_refused_next_to_the_line_and_writes_nothing(
    shop: Api,
) -> None:
    browser = office(shop)
    add(browser, TEA, 1)
    add(browser, CREAM, 11)  # 10 in Moscow
    before = counts(shop)
    refused = place(browser)
    assert refused.status_code == 409
    html = refused.text
    assert "Traceback" not in html and "<h1>Корзина</h1>" in html
    assert "Заказ не оформлен. Проверьте корзину" in html
    line = html[html.index('id="line-2"') : html.index("</tr>", html.index('id="line-2"'))]
    assert "Недостаточно на выбранном складе." in line and "Доступно: 10." in line
    assert 'aria-invalid="true"' in line
    assert counts(shop) == before  # no order, no line, no reservation
    assert browser.client.cookies.get(CART_COOKIE)  # the cart is kept to be fixed
    fixed = post(browser, "/shop/cart/update", {"product_id": str(CREAM), "quantity": "10"})
    assert fixed.status_code == 303
    assert place(browser).status_code == 303 and counts(shop)[0] == 1


def test_an_invalid_quantity_is_refused_next_to_the_line(shop: Api) -> None:
    browser = office(shop)
    add(browser, TEA, 2)
    for wrong in ("-1", "abc", "2.5", str(10**10)):
        refused = post(browser, "/shop/cart/update", {"product_id": str(TEA), "quantity": wrong})
        assert refused.status_code == 422, wrong
        assert "Введите целое число от 0 до 1\u00a0000\u00a0000\u00a0000." in refused.text
        assert 'aria-describedby="line-error-1"' in refused.text
    htmx = post(
        browser,
        "/shop/cart/update",
        {"product_id": str(TEA), "quantity": "x"},
        **{"HX-Request": "true"},
    )
    assert htmx.status_code == 200 and "Введите целое число" in htmx.text  # htmx swaps a 200
    assert f'id="cart-total">{rub(2 * 97_600)}<' in browser.get("/shop/cart").text  # type: ignore[attr-defined]
    zero = add(browser, TEA, 0)
    assert zero.status_code == 422 and "Товар не добавлен" in zero.text
    assert "от 1 до 1000000000" in zero.text
    stale = post(browser, "/shop/cart/order", {"version": "0123456789abcdef"})
    assert stale.status_code == 409 and "Корзина изменилась" in stale.text
    assert counts(shop)[0] == 0


def test_another_partners_order_and_customer_are_a_403_page(shop: Api) -> None:
    dina = office(shop)
    add(dina, TEA, 1)
    assert place(dina).status_code == 303
    made = post(dina, "/shop/customers", {"first_name": "Ольга", "last_name": "Покупатель"})
    customer = made.headers["location"].split("?")[0]
    asel = office(shop, "asel@example.com")
    for path in ("/shop/orders/1", customer):
        refused: Any = asel.get(path)
        assert refused.status_code == 403 and "Доступ запрещён" in refused.text
        assert "Ольга" not in refused.text and "Traceback" not in refused.text
    own: Any = asel.get("/shop/orders")
    assert "Пока нет ни одного заказа." in own.text
    hijack = post(asel, "/shop/cart/options", {"customer_id": customer.split("/")[-1]})
    assert hijack.status_code == 403
    assert asel.get("/shop/orders/999").status_code == 404  # type: ignore[attr-defined]
    staff = office(shop, "finance@example.com")
    assert staff.get("/shop").status_code == 403  # type: ignore[attr-defined]


def test_retail_customers_are_added_with_errors_next_to_fields_and_ordered_for(
    shop: Api,
) -> None:
    browser = office(shop)
    empty: Any = browser.get("/shop/customers")
    assert "<h1>Мои клиенты</h1>" in empty.text and "Пока нет ни одного клиента." in empty.text
    wrong = post(
        browser, "/shop/customers", {"first_name": " ", "last_name": "Ким", "email": "not-mail"}
    )
    assert wrong.status_code == 422
    assert 'id="first_name-error"' in wrong.text and 'id="email-error"' in wrong.text
    assert 'id="last_name-error"' not in wrong.text and 'value="Ким"' in wrong.text
    assert "Введите корректный e-mail или оставьте поле пустым." in wrong.text
    made = post(
        browser,
        "/shop/customers",
        {
            "first_name": "Ольга",
            "last_name": "Ким",
            "email": "olga@example.com",
            "phone": "+7 900 123-45-67",
        },
    )
    assert made.status_code == 303
    page: Any = browser.get(made.headers["location"])
    assert "<h1>Ольга Ким</h1>" in page.text and "Клиент добавлен." in page.text
    assert "Пока нет заказов этого клиента." in page.text
    customer_id = made.headers["location"].split("/")[-1].split("?")[0]
    chosen = post(browser, "/shop/cart/options", {"customer_id": customer_id, "next": "/shop"})
    assert chosen.headers["location"] == "/shop"
    catalogue: Any = browser.get("/shop")
    assert "Вы оформляете заказ для клиента Ольга Ким" in catalogue.text
    assert rub(122_000) in catalogue.text  # retail prices
    add(browser, TEA, 1)
    assert place(browser).status_code == 303
    order = shop.client.get("/api/orders/1", headers=shop.as_("distributor")).json()
    assert order["customer_id"] == int(customer_id) and order["total_amount"] == 122_000
    listed: Any = browser.get(f"/shop/customers/{customer_id}")
    assert "1 заказ" in listed.text and 'href="/shop/orders/1"' in listed.text
    assert "Ольга Ким" in browser.get("/shop/orders").text  # type: ignore[attr-defined]
    customers: Any = browser.get("/shop/customers")
    assert "olga@example.com" in customers.text


def test_the_shop_in_english(shop: Api) -> None:
    browser = office(shop)
    browser.post("/language", {"language": "en", "next": "/shop"}, token_from="/shop")
    page: Any = browser.get("/shop")
    assert "<h1>Catalogue</h1>" in page.text and "Herbal tea" in page.text
    assert rub(97_600, "en") in page.text and "Moscow" not in page.text
    assert "Москва: 10 in stock" in page.text and "Add to cart" in page.text
    add(browser, TEA, 1)
    assert "Place the order" in browser.get("/shop/cart").text  # type: ignore[attr-defined]


def test_every_post_form_of_the_shop_carries_the_csrf_token(shop: Api) -> None:
    browser = office(shop)
    add(browser, TEA, 1)
    post(browser, "/shop/customers", {"first_name": "A", "last_name": "B"})
    for path in ("/shop", "/shop/cart", "/shop/customers", "/shop/customers/1"):
        html = browser.client.get(path).text
        assert html.count('method="post"') == html.count('name="csrf_token"') > 0, path
        assert csrf_of(html)
    forged = browser.client.post(
        "/shop/cart/order", data={"version": "x", "csrf_token": "0" * 64}, follow_redirects=False
    )
    assert forged.status_code == 403 and counts(shop)[0] == 0
