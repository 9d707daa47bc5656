"""The warehouse office through the test client, on SQLite and PostgreSQL: stock figures as the
API gives them, low rows in words, each movement form's success and its refusals (bad input
next to the field, the stock service's refusal in words, nothing written), the journal with its
filters, paging and CSV, the pick list and shipping a paid order (once, however often or
concurrently the button is pressed), and every other role refused."""

from __future__ import annotations

import csv
import io
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lineage_api import Api
from sqlalchemy import func
from sqlmodel import Session, select
from test_shop_pages import CREAM, KIT, MSK, TEA, stock_shop
from web_support import Browser

from backend.stock.models import StockMovement
from backend.web import warehouse as warehouse_pages

ALA = 2
WAREHOUSE = "warehouse@example.com"
PAGES = [
    "/warehouse",
    "/warehouse/movements",
    "/warehouse/movements.csv",
    "/warehouse/picklist",
    "/warehouse/orders/1",
]


@pytest.fixture
def shop(api: Api) -> Api:
    """The shop's company (Moscow and Almaty, 10 of each product) and Dina's order of 2 teas
    and 1 cream from Moscow, paid by finance."""
    stock_shop(api)
    paid_order(api, [(TEA, 2), (CREAM, 1)])
    return api


def paid_order(api: Api, lines: list[tuple[int, int]], *, pay: bool = True) -> int:
    order = {
        "warehouse_id": MSK,
        "lines": [{"product_id": p, "quantity": q} for p, q in lines],
    }
    placed = api.client.post("/api/orders", json=order, headers=api.as_("distributor"))
    assert placed.status_code == 201, placed.text
    body = placed.json()
    if pay:
        payment = {"amount": body["total_amount"], "currency": "RUB", "reference": "ПП-17"}
        url = f"/api/orders/{body['id']}/payment"
        paid = api.client.post(url, json=payment, headers=api.as_("finance"))
        assert paid.status_code == 201, paid.text
    return int(body["id"])


def office(api: Api, email: str = WAREHOUSE) -> Browser:
    browser = Browser(TestClient(api.client.app))
    assert browser.login(email).status_code == 303  # type: ignore[attr-defined]
    return browser


def send(browser: Browser, path: str, data: dict[str, str]) -> Any:
    return browser.post(path, data, token_from="/warehouse")


def api_stock(api: Api, house: int = MSK) -> dict[int, dict[str, int]]:
    url = f"/api/warehouses/{house}/stock"
    items = api.client.get(url, headers=api.as_("warehouse")).json()["items"]
    return {item["product_id"]: item for item in items}


def movements(api: Api) -> int:
    with Session(api.engine) as session:
        return session.exec(select(func.count()).select_from(StockMovement)).one()


def row(html: str, product_id: int) -> str:
    start = html.index(f'id="stock-{product_id}"')
    return html[start : html.index("</tr>", start)]


def test_stock_figures_are_the_apis_and_low_rows_say_so(shop: Api) -> None:
    browser = office(shop)
    page: Any = browser.get("/warehouse")
    assert page.status_code == 200, page.text
    html = page.text
    assert "<h1>Остатки</h1>" in html and "Остатки: Москва" in html
    levels = api_stock(shop)
    assert levels[TEA]["available"] == 8 and levels[TEA]["reserved"] == 2
    for product_id in (TEA, CREAM, KIT):
        level, cells = levels[product_id], row(html, product_id)
        assert f'class="num available">{level["available"]}<' in cells
        assert f'class="num reserved">{level["reserved"]}<' in cells
        assert f'class="num on-hand">{level["on_hand"]}<' in cells
        assert f'value="{level["low_stock_threshold"]}"' in cells
        assert "Достаточно" in cells and "Мало" not in cells
    # The threshold form: 9 is above the 8 teas available, so tea is low, in words.
    saved = send(
        browser, "/warehouse/thresholds", {"warehouse_id": "1", "product_id": "1", "threshold": "9"}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/warehouse?warehouse=1&done=threshold"
    html = browser.client.get(saved.headers["location"]).text
    assert "Порог минимального остатка сохранён." in html
    assert 'class="low"' in row(html, TEA) and "Мало: ниже порога" in row(html, TEA)
    low = shop.client.get("/api/stock/low", headers=shop.as_("warehouse")).json()["items"]
    assert [(x["warehouse_id"], x["product_id"]) for x in low] == [(MSK, TEA)]
    listed = html[html.index('id="low-stock"') : html.index('id="record-heading"')]
    assert "Москва" in listed and "Чай травяной" in listed and "Крем для рук" not in listed
    refused = send(
        browser,
        "/warehouse/thresholds",
        {"warehouse_id": "1", "product_id": "1", "threshold": "-1"},
    )
    assert refused.status_code == 422
    assert "Введите целое число от 0 до 1000000000." in row(refused.text, TEA)
    other: Any = browser.get("/warehouse?warehouse=2")
    assert "Остатки: Алматы" in other.text and 'class="low"' not in other.text
    assert browser.get("/warehouse?warehouse=99").status_code == 404  # type: ignore[attr-defined]


def test_a_receipt_raises_on_hand_and_bad_quantities_are_refused_next_to_the_field(
    shop: Api,
) -> None:
    browser = office(shop)
    done = send(
        browser,
        "/warehouse/receipts",
        {"warehouse_id": "1", "product_id": "1", "quantity": " 5 ", "reason": "Накладная 12"},
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=receipts")
    assert api_stock(shop)[TEA]["on_hand"] == 15
    assert "Поступление оприходовано." in browser.client.get(done.headers["location"]).text
    before = movements(shop)
    for quantity, message in (
        ("-3", "Введите количество от 1 до 1000000000."),
        ("0", "Введите количество от 1 до 1000000000."),
        ("1000000001", "Введите количество от 1 до 1000000000."),
        ("пять", "Введите целое число единиц, например 12."),
        ("2.5", "Введите целое число единиц, например 12."),
        ("", "Введите целое число единиц, например 12."),
    ):
        refused = send(
            browser,
            "/warehouse/receipts",
            {"warehouse_id": "1", "product_id": "1", "quantity": quantity},
        )
        assert refused.status_code == 422, quantity
        html = refused.text
        assert f'<p class="error" id="receipts-quantity-error">{message}</p>' in html
        assert 'id="receipts-quantity" name="quantity"' in html and 'aria-invalid="true"' in html
        assert '<details class="operation" id="op-receipts" open>' in html
    no_product = send(
        browser, "/warehouse/receipts", {"warehouse_id": "1", "product_id": "77", "quantity": "1"}
    )
    assert no_product.status_code == 422 and "Выберите товар." in no_product.text
    assert movements(shop) == before


def test_a_shipment_beyond_the_free_stock_is_refused_in_words(shop: Api) -> None:
    browser = office(shop)
    before = movements(shop)
    refused = send(
        browser, "/warehouse/shipments", {"warehouse_id": "1", "product_id": "1", "quantity": "9"}
    )
    assert refused.status_code == 409
    assert "Недостаточно товара: свободно 8, запрошено 9 (не хватает 1)." in refused.text
    assert movements(shop) == before and api_stock(shop)[TEA]["on_hand"] == 10
    done = send(
        browser, "/warehouse/shipments", {"warehouse_id": "1", "product_id": "1", "quantity": "8"}
    )
    assert done.status_code == 303
    assert (api_stock(shop)[TEA]["on_hand"], api_stock(shop)[TEA]["available"]) == (2, 0)


def test_an_adjustment_needs_a_signed_change_and_a_reason(shop: Api) -> None:
    browser = office(shop)
    before = movements(shop)
    missing = send(
        browser,
        "/warehouse/adjustments",
        {"warehouse_id": "1", "product_id": "2", "delta": "-2", "reason": "  "},
    )
    assert missing.status_code == 422
    assert 'id="adjustments-reason-error">Укажите основание' in missing.text
    zero = send(
        browser,
        "/warehouse/adjustments",
        {"warehouse_id": "1", "product_id": "2", "delta": "0", "reason": "x"},
    )
    assert "Изменение не может быть нулевым." in zero.text
    words = send(
        browser,
        "/warehouse/adjustments",
        {"warehouse_id": "1", "product_id": "2", "delta": "минус два", "reason": "x"},
    )
    assert "Введите целое число со знаком" in words.text
    too_much = send(
        browser,
        "/warehouse/adjustments",
        {"warehouse_id": "1", "product_id": "2", "delta": "-20", "reason": "порча"},
    )
    assert too_much.status_code == 409 and "Недостаточно товара" in too_much.text
    assert movements(shop) == before
    done = send(
        browser,
        "/warehouse/adjustments",
        {"warehouse_id": "1", "product_id": "2", "delta": "-2", "reason": "Инвентаризация"},
    )
    assert done.status_code == 303 and api_stock(shop)[CREAM]["on_hand"] == 8
    plus = send(
        browser,
        "/warehouse/adjustments",
        {"warehouse_id": "1", "product_id": "2", "delta": "+3", "reason": "Излишки"},
    )
    assert plus.status_code == 303 and api_stock(shop)[CREAM]["on_hand"] == 11


def test_a_transfer_moves_stock_between_two_warehouses_only(shop: Api) -> None:
    browser = office(shop)
    same = send(
        browser,
        "/warehouse/transfers",
        {"warehouse_id": "1", "product_id": "3", "quantity": "4", "to_warehouse_id": "1"},
    )
    assert same.status_code == 422 and "Выберите склад-получатель" in same.text
    short = send(
        browser,
        "/warehouse/transfers",
        {"warehouse_id": "1", "product_id": "3", "quantity": "11", "to_warehouse_id": "2"},
    )
    assert short.status_code == 409 and "не хватает 1" in short.text
    done = send(
        browser,
        "/warehouse/transfers",
        {"warehouse_id": "1", "product_id": "3", "quantity": "4", "to_warehouse_id": "2"},
    )
    assert done.status_code == 303
    assert api_stock(shop, MSK)[KIT]["on_hand"] == 6 and api_stock(shop, ALA)[KIT]["on_hand"] == 14


def test_reservation_and_release_and_releasing_more_than_reserved(shop: Api) -> None:
    browser = office(shop)
    held = send(
        browser,
        "/warehouse/reservations",
        {"warehouse_id": "2", "product_id": "1", "quantity": "3"},
    )
    assert held.status_code == 303
    assert api_stock(shop, ALA)[TEA]["reserved"] == 3
    too_many = send(
        browser, "/warehouse/releases", {"warehouse_id": "2", "product_id": "1", "quantity": "4"}
    )
    assert too_many.status_code == 409
    assert "В резерве на этом складе только 3: снять 4 нельзя." in too_many.text
    freed = send(
        browser, "/warehouse/releases", {"warehouse_id": "2", "product_id": "1", "quantity": "3"}
    )
    assert freed.status_code == 303 and api_stock(shop, ALA)[TEA]["reserved"] == 0


def test_the_journal_filters_pages_and_exports_the_same_rows(
    shop: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = office(shop)
    page: Any = browser.get("/warehouse/movements?warehouse=1&kind=receipt")
    html = page.text
    assert page.status_code == 200 and "<h1>Движения товара</h1>" in html
    body = html[html.index('id="journal"') :]
    assert body.count("<tr>") == 1 + 3  # the header and Moscow's three receipts
    assert "резервирование" not in body and "Алматы" not in body
    reserved: Any = browser.get("/warehouse/movements?kind=reservation")
    assert 'href="/warehouse/orders/1"' in reserved.text
    bad: Any = browser.get("/warehouse/movements?from=31.01.2026")
    assert bad.status_code == 422 and "Введите дату в виде 2026-01-31." in bad.text
    today = shop.clock().date().isoformat()
    assert "<tr>" in browser.client.get(f"/warehouse/movements?from={today}&to={today}").text
    empty: Any = browser.get("/warehouse/movements?to=2000-01-01")
    assert "Движений по этим условиям нет." in empty.text
    # Paging by id: two a page, newest first, then older.
    monkeypatch.setattr(warehouse_pages, "JOURNAL_PAGE", 2)
    first = browser.client.get("/warehouse/movements?warehouse=1&kind=receipt").text
    assert "Более ранние движения" in first and "Самые новые" not in first
    older = first.split('href="/warehouse/movements?')[-1].split('"')[0].replace("&amp;", "&")
    assert older == "warehouse=1&kind=receipt&before=2"
    second = browser.client.get(f"/warehouse/movements?{older}").text
    second_body = second[second.index('id="journal"') :]
    assert second_body.count("<tr>") == 2 and "Более ранние движения" not in second
    # The CSV of the same filters: a byte-order mark, `;`, Moscow's receipts, oldest first.
    exported: Any = browser.get("/warehouse/movements.csv?warehouse=1&kind=receipt")
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Движение", "Дата и время (UTC)", "Склад"]
    assert [(r[2], r[3], r[5], r[6]) for r in rows[1:]] == [
        ("MSK", "TEA", "поступление", "10"),
        ("MSK", "CREAM", "поступление", "10"),
        ("MSK", "KIT", "поступление", "10"),
    ]
    everything: Any = browser.get("/warehouse/movements.csv")
    lines = everything.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + movements(shop)


def test_the_pick_list_and_shipping_a_paid_order(shop: Api) -> None:
    unpaid = paid_order(shop, [(KIT, 1)], pay=False)
    browser = office(shop)
    picks: Any = browser.get("/warehouse/picklist")
    html = picks.text
    assert picks.status_code == 200 and "1 оплаченный заказ ждёт отгрузки" in html
    assert 'href="/warehouse/orders/1"' in html and f"/warehouse/orders/{unpaid}" not in html
    pick = html[html.index('id="pick-1"') :]
    assert "Чай травяной" in pick and "TEA" in pick and "Партнёр: Dina First" in pick
    order: Any = browser.get("/warehouse/orders/1")
    assert 'id="order-status">оплачен<' in order.text and "ПП-17" in order.text
    assert 'action="/warehouse/orders/1/shipment"' in order.text
    shipped = send(browser, "/warehouse/orders/1/shipment", {})
    assert shipped.status_code == 303
    assert shipped.headers["location"] == "/warehouse/orders/1?shipped=1"
    after = browser.client.get(shipped.headers["location"]).text
    assert 'id="order-status">отгружен<' in after and "Заказ отгружен" in after
    assert 'action="/warehouse/orders/1/shipment"' not in after
    api_order = shop.client.get("/api/orders/1", headers=shop.as_("warehouse")).json()
    assert api_order["status"] == "shipped"
    levels = api_stock(shop)
    assert (levels[TEA]["on_hand"], levels[TEA]["reserved"]) == (8, 0)
    again = send(browser, "/warehouse/orders/1/shipment", {})
    assert again.status_code == 409 and "Заказ № 1 уже отгружен." in again.text
    not_paid = send(browser, f"/warehouse/orders/{unpaid}/shipment", {})
    assert not_paid.status_code == 409 and f"Заказ № {unpaid} ещё не оплачен" in not_paid.text
    assert "Собирать нечего" in browser.client.get("/warehouse/picklist").text
    assert api_stock(shop)[TEA]["on_hand"] == 8
    assert browser.get("/warehouse/orders/999").status_code == 404  # type: ignore[attr-defined]


def test_two_concurrent_shipments_of_one_order_ship_it_once(shop: Api) -> None:
    people = [office(shop), office(shop)]
    tokens = [p.token("/warehouse") for p in people]
    answers: list[int] = []
    start = threading.Barrier(2)

    def press(person: Browser, token: str) -> None:
        start.wait()
        sent = person.client.post(
            "/warehouse/orders/1/shipment", data={"csrf_token": token}, follow_redirects=False
        )
        answers.append(sent.status_code)

    threads = [
        threading.Thread(target=press, args=pair) for pair in zip(people, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [303, 409]
    assert api_stock(shop)[TEA]["on_hand"] == 8  # shipped once
    with Session(shop.engine) as session:
        shipments = session.exec(
            select(func.count()).select_from(StockMovement).where(StockMovement.kind == "shipment")
        ).one()
    assert shipments == 2  # the order's two lines, once


@pytest.mark.parametrize("role", ["admin", "finance", "auditor", "distributor"])
def test_every_other_role_is_refused_the_warehouse_office(shop: Api, role: str) -> None:
    emails = {"admin": ("admin@example.com", "admin-password-1")}
    email, *password = emails.get(role, (f"{role}@example.com",))
    if role == "distributor":
        email = "dina@example.com"
    browser = Browser(TestClient(shop.client.app))
    assert browser.login(email, *password).status_code == 303  # type: ignore[attr-defined]
    for path in PAGES:
        refused: Any = browser.get(path)
        assert refused.status_code == 403, path
    home = browser.client.get("/home").text
    assert 'href="/warehouse' not in home
    posted = browser.post("/warehouse/orders/1/shipment", {}, token_from="/home")
    assert posted.status_code == 403  # type: ignore[attr-defined]
    assert shop.client.get("/api/orders/1", headers=shop.as_("admin")).json()["status"] == "paid"


def test_the_warehouse_menu_and_english_pages(shop: Api) -> None:
    browser = office(shop)
    home = browser.client.get("/home").text
    for path in ("/warehouse", "/warehouse/movements", "/warehouse/picklist"):
        assert f'href="{path}"' in home
    browser.post("/language", {"language": "en", "next": "/warehouse"}, token_from="/home")
    html = browser.client.get("/warehouse").text
    assert "<h1>Stock</h1>" in html and "Stock in Москва" in html and "Herbal tea" in html
    refused = send(
        browser, "/warehouse/shipments", {"warehouse_id": "1", "product_id": "1", "quantity": "9"}
    )
    assert "Not enough stock: 8 available, 9 asked for (short by 1)." in refused.text
