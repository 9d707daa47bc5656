"""Price lists per currency (retail and wholesale prices, the list decides the currency) and
VAT as dated data (rates per country, category and validity; a split stored on every line)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lineage_api import Api
from sqlalchemy import func
from sqlmodel import select

from backend.core.days import day_of
from backend.core.model_base import VatCategory
from backend.main import create_app
from backend.orders.models import Order, Payment
from backend.periods.models import Period
from backend.periods.snapshot import _orders
from backend.vat.service import split

# 12 200,00 RUB, the brief's worked example.
GROSS = 1_220_000


def product(api: Api, sku: str, retail: int, wholesale: int, **extra: Any) -> int:
    body = {
        "sku": sku,
        "name_ru": sku,
        "name_en": sku,
        "retail_price": retail,
        "wholesale_price": wholesale,
        "currency": "RUB",
        "pv": 10,
        "cv": 8,
    } | extra
    made = api.client.post("/api/products", json=body, headers=api.as_("admin"))
    assert made.status_code == 201, made.text
    product_id = int(made.json()["id"])
    receipt = {"product_id": product_id, "quantity": 100}
    stocked = api.client.post("/api/warehouses/1/receipts", json=receipt, headers=api.as_("admin"))
    assert stocked.is_success, stocked.text
    return product_id


@pytest.fixture
def shop(api: Api) -> Api:
    made = api.client.post(
        "/api/warehouses", json={"code": "MSK", "name": "Moscow"}, headers=api.as_("admin")
    )
    assert made.status_code == 201
    return api


def place(
    api: Api, lines: list[tuple[int, int]], *, client: TestClient | None = None, **fields: Any
) -> Any:
    body = {
        "warehouse_id": 1,
        "lines": [{"product_id": p, "quantity": q} for p, q in lines],
    } | fields
    return (client or api.client).post("/api/orders", json=body, headers=api.as_("distributor"))


def customer(api: Api) -> int:
    made = api.client.post(
        "/api/customers",
        json={"first_name": "Rita", "last_name": "Retail"},
        headers=api.as_("distributor"),
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def kzt_list(api: Api, product_id: int, retail: int, wholesale: int) -> int:
    admin = api.as_("admin")
    made = api.client.post(
        "/api/price-lists", json={"name": "KZ", "currency": "KZT"}, headers=admin
    )
    assert made.status_code == 201, made.text
    list_id = int(made.json()["id"])
    price = {"product_id": product_id, "retail_price": retail, "wholesale_price": wholesale}
    assert api.client.put(f"/api/price-lists/{list_id}/items", json=price, headers=admin).is_success
    return list_id


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- price lists per currency -------------------------------------------------------------------


def test_an_order_on_a_kzt_list_is_in_kzt_at_the_lists_prices(shop: Api) -> None:
    api = shop
    tea = product(api, "TEA", 1000, 800)  # priced in RUB; the KZT list decides
    list_id = kzt_list(api, tea, retail=650_000, wholesale=520_000)  # 6 500,00 / 5 200,00 KZT
    own = place(api, [(tea, 2)], price_list_id=list_id)
    assert own.status_code == 201, own.text
    body = own.json()
    assert body["currency"] == "KZT"
    # The distributor's own order pays the list's wholesale price.
    assert body["total_amount"] == 2 * 520_000
    [line] = body["lines"]
    assert (line["unit_price"], line["amount"]) == (520_000, 1_040_000)
    # Both unit prices of the price source are kept on the line, in the order's currency.
    assert (line["retail_unit"], line["wholesale_unit"]) == (650_000, 520_000)
    # PV/CV stay points, whatever the currency.
    assert (body["total_pv"], body["total_cv"]) == (20, 16)

    retail = place(api, [(tea, 1)], price_list_id=list_id, customer_id=customer(api))
    assert retail.status_code == 201, retail.text
    assert retail.json()["currency"] == "KZT"
    assert retail.json()["total_amount"] == 650_000  # a retail customer pays the list's retail
    [line] = retail.json()["lines"]
    assert (line["retail_unit"], line["wholesale_unit"]) == (650_000, 520_000)


def test_without_a_list_own_orders_pay_wholesale_and_retail_customers_retail(shop: Api) -> None:
    api = shop
    tea = product(api, "TEA", 1000, 800)
    own = place(api, [(tea, 3)]).json()
    retail = place(api, [(tea, 3)], customer_id=customer(api)).json()
    assert (own["currency"], own["total_amount"]) == ("RUB", 2400)
    assert (retail["currency"], retail["total_amount"]) == ("RUB", 3000)
    for body in (own, retail):
        [line] = body["lines"]
        assert (line["retail_unit"], line["wholesale_unit"]) == (1000, 800)


def test_a_payment_in_another_currency_is_refused_and_writes_nothing(shop: Api) -> None:
    api = shop
    tea = product(api, "TEA", 1000, 800)
    placed = place(api, [(tea, 1)], price_list_id=kzt_list(api, tea, 650_000, 520_000)).json()
    url = f"/api/orders/{placed['id']}/payment"
    body = {"amount": 520_000, "currency": "RUB", "reference": "bank-1"}
    refused = api.client.post(url, json=body, headers=api.as_("finance"))
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["expected_currency"] == "KZT"
    unknown = api.client.post(
        url, json=body | {"currency": "XYZ"}, headers=api.as_("finance")
    ).status_code
    assert unknown == 422
    with api.session() as session:
        assert session.exec(select(func.count()).select_from(Payment)).one() == 0
        order = session.get(Order, placed["id"])
        assert order is not None and order.status == "placed" and order.paid_at is None
    paid = api.client.post(url, json=body | {"currency": "KZT"}, headers=api.as_("finance"))
    assert paid.status_code == 201, paid.text


def test_unknown_currencies_are_refused(shop: Api) -> None:
    api = shop
    admin = api.as_("admin")
    plist = {"name": "Nowhere", "currency": "XYZ"}
    assert api.client.post("/api/price-lists", json=plist, headers=admin).status_code == 422
    body = {
        "sku": "X",
        "name_ru": "X",
        "name_en": "X",
        "retail_price": 1,
        "wholesale_price": 1,
        "currency": "ABC",
    }
    assert api.client.post("/api/products", json=body, headers=admin).status_code == 422


# -- VAT ----------------------------------------------------------------------------------------


def test_the_standard_rate_follows_the_orders_date(shop: Api) -> None:
    """12 200,00 RUB gross (VAT inclusive):
    on 2025-12-31 at 20 %: VAT = 12 200,00 x 2000 / 12000 = 2 033,333... -> 2 033,33,
                           net = 12 200,00 - 2 033,33 = 10 166,67;
    on 2026-01-01 at 22 %: VAT = 12 200,00 x 2200 / 12200 = 2 200,00, net = 10 000,00."""
    api = shop
    tea = product(api, "TEA", GROSS, GROSS)
    api.clock.now = at("2025-12-31T23:59:59")
    before = place(api, [(tea, 1)]).json()
    api.clock.now = at("2026-01-01T00:00:00")
    after = place(api, [(tea, 1)]).json()
    rows = [
        (b["lines"][0]["vat_category"], b["lines"][0]["vat_rate_bp"])
        + (b["lines"][0]["net"], b["lines"][0]["vat"], b["lines"][0]["gross"])
        for b in (before, after)
    ]
    assert rows == [
        ("standard", 2000, 1_016_667, 203_333, 1_220_000),
        ("standard", 2200, 1_000_000, 220_000, 1_220_000),
    ]
    assert (after["total_net"], after["total_vat"], after["total_gross"]) == (
        1_000_000,
        220_000,
        1_220_000,
    )
    assert after["total_gross"] == after["total_amount"]
    read = api.client.get(f"/api/orders/{after['id']}", headers=api.as_("auditor")).json()
    assert read["lines"][0]["vat"] == 220_000 and read["total_vat"] == 220_000
    listed = api.client.get("/api/orders", headers=api.as_("admin")).json()["items"]
    assert [o["total_vat"] for o in listed] == [203_333, 220_000]


def test_reduced_zero_and_rounding_per_line(shop: Api) -> None:
    """Reduced 10 %: 1 100,00 x 1000 / 11000 = 100,00. Zero: no VAT.
    An awkward standard line (2026, 22 %): 3 x 33,33 = 99,99; 9999 x 2200 / 12200 = 1803,11...
    -> 18,03 VAT, 81,96 net. Rounded per line, not per unit (3 x 6,01 would be 18,03 too, but
    1 x 0,01: 0,01 x 22/122 = 0,0018 -> 0,00 VAT)."""
    api = shop
    api.clock.now = at("2026-03-01T10:00:00")
    food = product(api, "FOOD", 110_000, 110_000, vat_category="reduced")
    export = product(api, "EXPORT", 50_000, 50_000, vat_category="zero")
    odd = product(api, "ODD", 3333, 3333)
    cent = product(api, "CENT", 1, 1)
    body = place(api, [(food, 1), (export, 2), (odd, 3), (cent, 1)]).json()
    rows = [
        (x["sku"], x["vat_category"], x["vat_rate_bp"], x["net"], x["vat"], x["gross"])
        for x in body["lines"]
    ]
    assert rows == [
        ("FOOD", "reduced", 1000, 100_000, 10_000, 110_000),
        ("EXPORT", "zero", 0, 100_000, 0, 100_000),
        ("ODD", "standard", 2200, 8196, 1803, 9999),
        ("CENT", "standard", 2200, 1, 0, 1),
    ]
    assert body["total_vat"] == 10_000 + 1803
    assert body["total_net"] + body["total_vat"] == body["total_gross"] == body["total_amount"]


def test_rounding_is_half_up_to_the_minor_unit() -> None:
    # 9,99 at 20 %: 999 x 2000 / 12000 = 166,5 -> 167 (half up), net 832.
    assert split(999, VatCategory.standard, 2000).vat == 167
    assert split(999, VatCategory.standard, 2000).net == 832
    # 0,05 at 20 %: 5 / 6 = 0,83 -> 1; 0,03 at 20 %: 0,5 -> 1; 0,02: 0,33 -> 0.
    assert [split(g, VatCategory.standard, 2000).vat for g in (5, 3, 2)] == [1, 1, 0]
    assert split(12345, VatCategory.exempt, 0).vat == 0


@pytest.fixture
def exempt_client(shop: Api) -> Iterator[TestClient]:
    """The same database served for a seller exempt from VAT (the simplified system)."""
    settings = shop.settings.model_copy(update={"vat_exempt": True})
    app = create_app(settings, engine=shop.engine, clock=shop.clock)
    with TestClient(app) as client:
        yield client


def test_an_exempt_seller_charges_no_vat(shop: Api, exempt_client: TestClient) -> None:
    api = shop
    api.clock.now = at("2026-03-01T10:00:00")
    tea = product(api, "TEA", GROSS, GROSS)
    body = place(api, [(tea, 1)], client=exempt_client).json()
    [line] = body["lines"]
    # Printed as "Без НДС" on documents: no VAT amount, net = gross.
    assert (line["vat_category"], line["vat_rate_bp"]) == ("exempt", 0)
    assert (line["net"], line["vat"], line["gross"]) == (GROSS, 0, GROSS)


def test_no_rate_in_force_refuses_the_order_and_writes_nothing(shop: Api) -> None:
    api = shop
    tea = product(api, "TEA", 1000, 800)
    api.clock.now = at("2018-06-01T10:00:00")  # before the seeded rates
    refused = place(api, [(tea, 1)])
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "vat_rate_missing"
    assert "RU" in error["message"] and "standard" in error["message"]
    assert "2018-06-01" in error["message"]
    assert error["details"] == {"country": "RU", "category": "standard", "date": "2018-06-01"}
    with api.session() as session:
        assert session.exec(select(func.count()).select_from(Order)).one() == 0


def test_vat_rates_are_listed_for_staff_and_added_by_the_admin(shop: Api) -> None:
    api = shop
    url = "/api/vat-rates"
    listed = api.client.get(url, params={"country": "RU"}, headers=api.as_("auditor")).json()
    assert [
        (r["category"], r["rate_bp"], r["valid_from"], r["valid_to"]) for r in listed["items"]
    ] == [
        ("exempt", 0, "2019-01-01", None),
        ("reduced", 1000, "2019-01-01", None),
        ("standard", 2000, "2019-01-01", "2025-12-31"),
        ("standard", 2200, "2026-01-01", None),
        ("zero", 0, "2019-01-01", None),
    ]
    for role in ("admin", "finance", "warehouse"):
        assert api.client.get(url, headers=api.as_(role)).status_code == 200
    assert api.client.get(url, headers=api.as_("distributor")).status_code == 403

    kz = {"country": "KZ", "category": "standard", "rate_bp": 1200, "valid_from": "2019-01-01"}
    assert api.client.post(url, json=kz, headers=api.as_("finance")).status_code == 403
    made = api.client.post(url, json=kz | {"valid_to": "2025-12-31"}, headers=api.as_("admin"))
    assert made.status_code == 201, made.text
    # Overlapping validity for the same country and category: 409, nothing written.
    for overlap in (
        {"valid_from": "2025-12-31"},
        {"valid_from": "2018-01-01", "valid_to": "2019-01-01"},
        {"valid_from": "2020-01-01", "valid_to": "2020-12-31"},
    ):
        clash = api.client.post(url, json=kz | overlap, headers=api.as_("admin"))
        assert clash.status_code == 409, overlap
        assert clash.json()["error"]["code"] == "vat_rate_overlap"
    ru_2027 = {"country": "RU", "category": "standard", "rate_bp": 2500, "valid_from": "2027-01-01"}
    assert api.client.post(url, json=ru_2027, headers=api.as_("admin")).status_code == 409
    after = kz | {"rate_bp": 1600, "valid_from": "2026-01-01"}
    assert api.client.post(url, json=after, headers=api.as_("admin")).status_code == 201
    # Another category of the same country does not clash.
    reduced = kz | {"category": "reduced", "rate_bp": 500}
    assert api.client.post(url, json=reduced, headers=api.as_("admin")).status_code == 201
    for bad in (
        kz | {"category": "exempt", "rate_bp": 100, "valid_from": "2030-01-01"},
        kz | {"valid_from": "2030-01-02", "valid_to": "2030-01-01"},
        kz | {"rate_bp": -1, "valid_from": "2030-01-01"},
        kz | {"country": "kz", "valid_from": "2030-01-01"},
        kz | {"category": "luxury", "valid_from": "2030-01-01"},
    ):
        assert api.client.post(url, json=bad, headers=api.as_("admin")).status_code == 422
    kz_rates = api.client.get(url, params={"country": "KZ"}, headers=api.as_("admin")).json()
    assert kz_rates["count"] == 3
    log = api.client.get("/api/admin-log", headers=api.as_("admin")).json()["items"]
    added = [e for e in log if e["action"] == "vat_rate_added"]
    assert [e["payload"]["rate_bp"] for e in added] == [1200, 1600, 500]


# -- the period's inputs ------------------------------------------------------------------------


def test_a_period_reads_the_stored_line_prices_not_todays_catalog(shop: Api) -> None:
    api = shop
    api.clock.now = at("2026-03-01T10:00:00")
    tea = product(api, "TEA", 1000, 800)
    list_id = kzt_list(api, tea, 650_000, 520_000)
    buyer = customer(api)
    orders = [
        place(api, [(tea, 2)]).json(),  # own order, RUB, catalog prices
        place(api, [(tea, 3)], customer_id=buyer).json(),  # retail, RUB
        place(api, [(tea, 1)], customer_id=buyer, price_list_id=list_id).json(),  # retail, KZT
    ]
    for placed in orders:
        paid = api.client.post(
            f"/api/orders/{placed['id']}/payment",
            json={
                "amount": placed["total_amount"],
                "currency": placed["currency"],
                "reference": "bank",
            },
            headers=api.as_("finance"),
        )
        assert paid.status_code == 201, paid.text
    period = Period(id=1, start_day=day_of(api.clock.now), end_day=day_of(api.clock.now))

    def inputs() -> list[tuple[int, int]]:
        with api.session() as session:
            table, _, _, _ = _orders(session, period, {api.distributor_id})
        return list(zip(table.retail_price.tolist(), table.wholesale_price.tolist(), strict=True))

    expected = [(2 * 1000, 2 * 800), (3 * 1000, 3 * 800), (650_000, 520_000)]
    assert inputs() == expected
    admin = api.as_("admin")
    repriced = {"retail_price": 5000, "wholesale_price": 4000}
    assert api.client.patch(f"/api/products/{tea}", json=repriced, headers=admin).is_success
    relisted = {"product_id": tea, "retail_price": 1, "wholesale_price": 1}
    assert api.client.put(
        f"/api/price-lists/{list_id}/items", json=relisted, headers=admin
    ).is_success
    assert inputs() == expected
