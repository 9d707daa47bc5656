"""Orders: reservation, payment by finance, shipment, cancellation, return, idempotency."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from lineage_api import Api
from sqlalchemy import func
from sqlmodel import Session, select

from backend.orders.models import Order, OrderLine
from backend.periods.models import Period, PeriodStatus
from backend.stock.models import StockMovement


@pytest.fixture
def shop(api: Api) -> Api:
    admin = api.as_("admin")
    products = [
        {
            "sku": "TEA",
            "name_ru": "Чай",
            "name_en": "Tea",
            "retail_price": 1000,
            "wholesale_price": 800,
            "currency": "RUB",
            "pv": 10,
            "cv": 8,
        },
        {
            "sku": "KIT",
            "name_ru": "Набор",
            "name_en": "Starter kit",
            "retail_price": 5000,
            "wholesale_price": 5000,
            "currency": "RUB",
            "pv": 0,
            "cv": 0,
            "category": "kit",
        },
    ]
    for product in products:
        assert api.client.post("/api/products", json=product, headers=admin).status_code == 201
    api.client.post("/api/warehouses", json={"code": "MSK", "name": "Moscow"}, headers=admin)
    for product_id, quantity in ((1, 10), (2, 3)):
        api.client.post(
            "/api/warehouses/1/receipts",
            json={"product_id": product_id, "quantity": quantity},
            headers=admin,
        )
    return api


def order(
    api: Api,
    lines: list[tuple[int, int]] | None = None,
    role: str = "distributor",
    key: str | None = None,
    **fields: Any,
) -> Any:
    body = {
        "warehouse_id": 1,
        "lines": [{"product_id": p, "quantity": q} for p, q in (lines or [(1, 2), (2, 1)])],
    }
    headers = api.as_(role) | ({"Idempotency-Key": key} if key else {})
    return api.client.post("/api/orders", json=body | fields, headers=headers)


def pay(api: Api, order_id: int, amount: int, key: str | None = None, **fields: Any) -> Any:
    headers = api.as_("finance") | ({"Idempotency-Key": key} if key else {})
    body = {"amount": amount, "currency": "RUB", "reference": "bank-123"} | fields
    return api.client.post(f"/api/orders/{order_id}/payment", json=body, headers=headers)


def available(api: Api, product_id: int) -> int:
    items = api.client.get("/api/warehouses/1/stock", headers=api.as_("admin")).json()["items"]
    return next(i["available"] for i in items if i["product_id"] == product_id)


def test_order_life_cycle(shop: Api) -> None:
    api = shop
    placed = order(api)
    assert placed.status_code == 201
    body = placed.json()
    assert body["distributor_id"] == api.distributor_id
    assert body["status"] == "placed"
    # Own order: wholesale prices; volumes are unit volume x quantity.
    assert body["total_amount"] == 2 * 800 + 5000
    assert (body["total_pv"], body["total_cv"]) == (20, 16)
    assert [(x["sku"], x["unit_price"], x["amount"], x["cv"]) for x in body["lines"]] == [
        ("TEA", 800, 1600, 16),
        ("KIT", 5000, 5000, 0),
    ]
    assert available(api, 1) == 8
    api.clock.advance(hours=2)
    paid_at = (api.clock() - timedelta(hours=1)).isoformat()
    payment = pay(api, body["id"], 6600, paid_at=paid_at)
    assert payment.status_code == 201, payment.text
    url = f"/api/orders/{body['id']}"
    after = api.client.get(url, headers=api.as_("distributor")).json()
    assert after["status"] == "paid"
    assert after["paid_at"] == payment.json()["paid_at"]
    assert pay(api, body["id"], 6600).status_code == 409
    shipped = api.client.post(f"{url}/shipment", headers=api.as_("warehouse"))
    assert shipped.json()["status"] == "shipped"
    items = api.client.get("/api/warehouses/1/stock", headers=api.as_("admin")).json()["items"]
    assert [(i["on_hand"], i["reserved"]) for i in items] == [(8, 0), (2, 0)]
    partial = api.client.post(
        f"{url}/return",
        json={"lines": [{"line_id": body["lines"][0]["id"], "quantity": 1}], "reason": "damaged"},
        headers=api.as_("warehouse"),
    )
    assert partial.json()["status"] == "shipped"
    assert [(x["returned_quantity"], x["clawback"]) for x in partial.json()["lines"]] == [
        (1, True),
        (0, False),
    ]
    rest = api.client.post(
        f"{url}/return", json={"reason": "changed mind"}, headers=api.as_("warehouse")
    )
    assert rest.json()["status"] == "returned"
    assert all(
        x["clawback"] and x["returned_quantity"] == x["quantity"] for x in rest.json()["lines"]
    )
    assert available(api, 1) == 10 and available(api, 2) == 3
    again = api.client.post(f"{url}/return", json={"reason": "x"}, headers=api.as_("warehouse"))
    assert again.status_code == 409


def test_retail_customer_orders_use_retail_prices(shop: Api) -> None:
    api = shop
    customer = api.client.post(
        "/api/customers",
        json={"first_name": "Rita", "last_name": "R"},
        headers=api.as_("distributor"),
    ).json()
    assert customer["distributor_id"] == api.distributor_id
    body = order(api, [(1, 1)], customer_id=customer["id"]).json()
    assert body["total_amount"] == 1000 and body["customer_id"] == customer["id"]
    # Another distributor's customer cannot be used.
    other = api.client.post(
        "/api/customers",
        json={"first_name": "O", "last_name": "X", "distributor_id": 1},
        headers=api.as_("admin"),
    ).json()
    assert order(api, [(1, 1)], customer_id=other["id"]).status_code == 422
    assert (
        api.client.get(f"/api/customers/{other['id']}", headers=api.as_("distributor")).status_code
        == 403
    )


def test_price_list_prices(shop: Api) -> None:
    api = shop
    admin = api.as_("admin")
    api.client.post("/api/price-lists", json={"name": "Promo", "currency": "RUB"}, headers=admin)
    price = {"product_id": 1, "retail_price": 900, "wholesale_price": 700}
    api.client.put("/api/price-lists/1/items", json=price, headers=admin)
    assert order(api, [(1, 2)], price_list_id=1).json()["total_amount"] == 1400
    assert order(api, [(2, 1)], price_list_id=1).status_code == 422


def test_idempotency_key_makes_retries_safe(shop: Api) -> None:
    api = shop
    first = order(api, [(1, 1)], key="order-abc")
    retry = order(api, [(1, 1)], key="order-abc")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["id"] == first.json()["id"]
    assert order(api, [(1, 2)], key="order-abc").status_code == 409
    assert available(api, 1) == 9
    order_id = first.json()["id"]
    paid = pay(api, order_id, 800, key="pay-1")
    repaid = pay(api, order_id, 800, key="pay-1")
    assert (paid.status_code, repaid.status_code) == (201, 200)
    assert repaid.json()["id"] == paid.json()["id"]
    assert order(api, [(1, 1)], key="x" * 201).status_code == 422
    with Session(api.engine) as session:
        assert session.exec(select(func.count()).select_from(Order)).one() == 1


def test_payment_must_match_and_is_finance_only(shop: Api) -> None:
    api = shop
    order_id = order(api, [(1, 1)]).json()["id"]
    assert pay(api, order_id, 799).status_code == 422
    assert pay(api, order_id, 800, currency="USD").status_code == 422
    future = (api.clock() + timedelta(days=1)).isoformat()
    assert pay(api, order_id, 800, paid_at=future).status_code == 422
    before = (api.clock() - timedelta(days=1)).isoformat()
    assert pay(api, order_id, 800, paid_at=before).status_code == 422
    naive = api.clock().replace(tzinfo=None).isoformat()
    assert pay(api, order_id, 800, paid_at=naive).status_code == 422
    assert pay(api, 999, 800).status_code == 404
    admin_try = api.client.post(
        f"/api/orders/{order_id}/payment",
        json={"amount": 800, "currency": "RUB", "reference": "r"},
        headers=api.as_("admin"),
    )
    assert admin_try.status_code == 403
    ship_unpaid = api.client.post(f"/api/orders/{order_id}/shipment", headers=api.as_("admin"))
    assert ship_unpaid.status_code == 409


def test_cancellation_releases_stock_and_claws_back_paid_orders(shop: Api) -> None:
    api = shop
    unpaid = order(api, [(1, 3)]).json()["id"]
    cancel = {"reason": "changed mind"}
    done = api.client.post(
        f"/api/orders/{unpaid}/cancellation", json=cancel, headers=api.as_("distributor")
    )
    assert done.json()["status"] == "cancelled"
    assert not done.json()["lines"][0]["clawback"]
    assert available(api, 1) == 10
    paid = order(api, [(1, 3)]).json()["id"]
    pay(api, paid, 2400)
    own = api.client.post(
        f"/api/orders/{paid}/cancellation", json=cancel, headers=api.as_("distributor")
    )
    assert own.status_code == 409
    by_finance = api.client.post(
        f"/api/orders/{paid}/cancellation", json=cancel, headers=api.as_("finance")
    )
    assert by_finance.json()["lines"][0]["clawback"] is True
    assert available(api, 1) == 10
    twice = api.client.post(
        f"/api/orders/{paid}/cancellation", json=cancel, headers=api.as_("finance")
    )
    assert twice.status_code == 409


def test_insufficient_stock_writes_no_order(shop: Api) -> None:
    api = shop
    response = order(api, [(1, 2), (2, 4)])
    assert response.status_code == 409
    assert response.json()["error"]["details"]["shortfall"] == 1
    with Session(api.engine) as session:
        assert session.exec(select(func.count()).select_from(Order)).one() == 0
        assert session.exec(select(func.count()).select_from(OrderLine)).one() == 0
        reservations = session.exec(
            select(func.count())
            .select_from(StockMovement)
            .where(StockMovement.kind == "reservation")
        ).one()
    assert reservations == 0
    assert available(api, 1) == 10


@pytest.mark.parametrize(
    ("lines", "fields", "status"),
    [
        ([(1, -1)], {}, 422),
        ([(1, 0)], {}, 422),
        ([(99, 1)], {}, 404),
        ([(1, 1), (1, 2)], {}, 422),
        ([], {}, 422),
        ([(1, 1)], {"warehouse_id": 99}, 404),
        ([(1, 1)], {"warehouse_id": "one"}, 422),
        ([(1, 1)], {"note": "x" * 1001}, 422),
        ([(1, 1)], {"distributor_id": 1}, 403),
        ([(1, 1)], {"customer_id": 99}, 404),
    ],
)
def test_bad_orders_are_refused(
    shop: Api, lines: list[tuple[int, int]], fields: dict[str, Any], status: int
) -> None:
    body = {"warehouse_id": 1, "lines": [{"product_id": p, "quantity": q} for p, q in lines]}
    response = shop.client.post("/api/orders", json=body | fields, headers=shop.as_("distributor"))
    assert response.status_code == status, response.text
    with Session(shop.engine) as session:
        assert session.exec(select(func.count()).select_from(Order)).one() == 0


def test_admin_orders_for_a_distributor_and_terminated_cannot_order(shop: Api) -> None:
    api = shop
    assert order(api, [(1, 1)], role="admin").status_code == 422  # whose order?
    assert order(api, [(1, 1)], role="admin", distributor_id=1).status_code == 201
    api.client.post(
        f"/api/distributors/{api.distributor_id}/status",
        json={"status": "terminated", "reason": "policy"},
        headers=api.as_("admin"),
    )
    # Termination ended the distributor's sessions; nobody orders for them either.
    assert order(api, [(1, 1)]).status_code == 401
    refused = order(api, [(1, 1)], role="admin", distributor_id=api.distributor_id)
    assert refused.status_code == 409


def test_orders_are_listed_by_payment_date_and_scoped(shop: Api) -> None:
    api = shop
    mine = order(api, [(1, 1)]).json()["id"]
    theirs = order(api, [(1, 1)], role="admin", distributor_id=1).json()["id"]
    api.clock.advance(days=40)
    pay(api, mine, 800, paid_at=(api.clock() - timedelta(days=39)).isoformat())
    listed = api.client.get("/api/orders", headers=api.as_("distributor")).json()
    assert [o["id"] for o in listed["items"]] == [mine]
    assert (
        api.client.get(f"/api/orders/{theirs}", headers=api.as_("distributor")).status_code == 403
    )
    window = {
        "paid_from": (api.clock() - timedelta(days=45)).isoformat(),
        "paid_to": (api.clock() - timedelta(days=30)).isoformat(),
    }
    in_period = api.client.get("/api/orders", params=window, headers=api.as_("auditor")).json()
    assert [o["id"] for o in in_period["items"]] == [mine]


def test_a_payment_dated_inside_an_approved_period_is_refused(shop: Api) -> None:
    """That period's inputs are locked: the payment would silently never count."""
    api = shop
    order_id = order(api, [(1, 1)]).json()["id"]
    paid_at = api.clock()
    day = (paid_at.date() - paid_at.date().replace(year=1970, month=1, day=1)).days
    with Session(api.engine) as session:
        session.add(Period(id=1, start_day=day - 3, end_day=day, status=PeriodStatus.approved))
        session.commit()
    refused = pay(api, order_id, 800, paid_at=paid_at.isoformat())
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "period_closed"
    assert "period 1" in refused.json()["error"]["message"]
    with Session(api.engine) as session:
        assert session.get(Order, order_id).status == "placed"
        period = session.get(Period, 1)
        period.status = PeriodStatus.computed  # a preview only: inputs not locked yet
        session.add(period)
        session.commit()
    assert pay(api, order_id, 800, paid_at=paid_at.isoformat()).status_code == 201
