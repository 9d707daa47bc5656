"""Warehouses and the movement journal: levels derived, never negative, low-stock alerts."""

from __future__ import annotations

from typing import Any

import pytest
from lineage_api import Api
from sqlalchemy import func
from sqlmodel import Session, select

from backend.stock.models import StockMovement


@pytest.fixture
def stocked(api: Api) -> Api:
    admin = api.as_("admin")
    product = {
        "sku": "P-1",
        "name_ru": "Продукт",
        "name_en": "Product",
        "retail_price": 500,
        "wholesale_price": 400,
        "currency": "RUB",
        "pv": 5,
        "cv": 4,
    }
    assert api.client.post("/api/products", json=product, headers=admin).status_code == 201
    for code in ("MSK", "SPB"):
        body = {"code": code, "name": code}
        assert api.client.post("/api/warehouses", json=body, headers=admin).status_code == 201
    return api


def post(api: Api, path: str, body: dict[str, Any], role: str = "warehouse") -> Any:
    return api.client.post(f"/api/warehouses/1/{path}", json=body, headers=api.as_(role))


def level(api: Api, warehouse_id: int = 1) -> dict[str, int]:
    items = api.client.get(
        f"/api/warehouses/{warehouse_id}/stock", headers=api.as_("auditor")
    ).json()["items"]
    return {k: items[0][k] for k in ("on_hand", "reserved", "available")} if items else {}


def test_levels_follow_the_journal(stocked: Api) -> None:
    api = stocked
    assert post(api, "receipts", {"product_id": 1, "quantity": 20}).status_code == 201
    assert post(api, "reservations", {"product_id": 1, "quantity": 5}).status_code == 201
    assert level(api) == {"on_hand": 20, "reserved": 5, "available": 15}
    assert post(api, "releases", {"product_id": 1, "quantity": 2}).status_code == 201
    assert post(api, "shipments", {"product_id": 1, "quantity": 4}).status_code == 201
    assert (
        post(api, "adjustments", {"product_id": 1, "delta": -1, "reason": "broken"}).status_code
        == 201
    )
    assert level(api) == {"on_hand": 15, "reserved": 3, "available": 12}
    moved = post(api, "transfers", {"product_id": 1, "quantity": 10, "to_warehouse_id": 2})
    assert moved.status_code == 201
    assert [m["kind"] for m in moved.json()] == ["transfer_out", "transfer_in"]
    assert moved.json()[0]["transfer_ref"] == moved.json()[1]["transfer_ref"]
    assert level(api) == {"on_hand": 5, "reserved": 3, "available": 2}
    assert level(api, 2) == {"on_hand": 10, "reserved": 0, "available": 10}
    journal = api.client.get("/api/warehouses/1/movements", headers=api.as_("auditor")).json()
    assert [m["kind"] for m in journal["items"]] == [
        "receipt",
        "reservation",
        "release",
        "shipment",
        "adjustment",
        "transfer_out",
    ]
    with Session(api.engine) as session:
        total = session.exec(select(func.sum(StockMovement.on_hand_delta))).one()
    assert total == 15


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("shipments", {"product_id": 1, "quantity": 8}),
        ("reservations", {"product_id": 1, "quantity": 8}),
        ("adjustments", {"product_id": 1, "delta": -8, "reason": "count"}),
        ("transfers", {"product_id": 1, "quantity": 8, "to_warehouse_id": 2}),
    ],
)
def test_stock_never_goes_negative(stocked: Api, path: str, body: dict[str, Any]) -> None:
    api = stocked
    post(api, "receipts", {"product_id": 1, "quantity": 7})
    post(api, "reservations", {"product_id": 1, "quantity": 2})
    response = post(api, path, body)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "insufficient_stock"
    assert error["details"]["shortfall"] == 3
    assert error["details"]["available"] == 5
    assert level(api) == {"on_hand": 7, "reserved": 2, "available": 5}
    assert level(api, 2) == {}


def test_cannot_release_more_than_reserved(stocked: Api) -> None:
    post(stocked, "receipts", {"product_id": 1, "quantity": 7})
    response = post(stocked, "releases", {"product_id": 1, "quantity": 1})
    assert response.status_code == 409


def test_low_stock_thresholds(stocked: Api) -> None:
    api = stocked
    post(api, "receipts", {"product_id": 1, "quantity": 7})
    low = api.client.get("/api/stock/low", headers=api.as_("warehouse")).json()
    assert low["count"] == 0  # default threshold 5 < 7
    set_url = "/api/warehouses/1/thresholds/1"
    response = api.client.put(
        set_url, json={"low_stock_threshold": 10}, headers=api.as_("warehouse")
    )
    assert response.json()["low_stock_threshold"] == 10
    low = api.client.get("/api/stock/low", headers=api.as_("warehouse")).json()
    assert [(i["warehouse_id"], i["product_id"], i["available"]) for i in low["items"]] == [
        (1, 1, 7)
    ]
    assert (
        api.client.put(
            "/api/warehouses/1/thresholds/9",
            json={"low_stock_threshold": 1},
            headers=api.as_("warehouse"),
        ).status_code
        == 404
    )
    assert (
        api.client.put(
            set_url, json={"low_stock_threshold": -1}, headers=api.as_("warehouse")
        ).status_code
        == 422
    )


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("receipts", {"product_id": 1, "quantity": -5}, 422),
        ("receipts", {"product_id": 1, "quantity": 0}, 422),
        ("receipts", {"product_id": 1, "quantity": "ten"}, 422),
        ("receipts", {"product_id": 1, "quantity": 1.5}, 422),
        ("receipts", {"product_id": 99, "quantity": 1}, 404),
        ("receipts", {"product_id": 1, "quantity": 1, "reason": "x" * 501}, 422),
        ("adjustments", {"product_id": 1, "delta": 0, "reason": "zero"}, 422),
        ("adjustments", {"product_id": 1, "delta": 3}, 422),
        ("transfers", {"product_id": 1, "quantity": 1, "to_warehouse_id": 1}, 422),
        ("transfers", {"product_id": 1, "quantity": 1, "to_warehouse_id": 77}, 404),
    ],
)
def test_bad_movements_are_refused_and_write_nothing(
    stocked: Api, path: str, body: dict[str, Any], status: int
) -> None:
    response = post(stocked, path, body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["message"]
    with Session(stocked.engine) as session:
        assert session.exec(select(func.count()).select_from(StockMovement)).one() == 0


def test_unknown_and_inactive_warehouses(stocked: Api) -> None:
    api = stocked
    assert (
        api.client.post(
            "/api/warehouses/9/receipts",
            json={"product_id": 1, "quantity": 1},
            headers=api.as_("warehouse"),
        ).status_code
        == 404
    )
    assert api.client.get("/api/warehouses/9/stock", headers=api.as_("admin")).status_code == 404
    api.client.patch("/api/warehouses/2", json={"active": False}, headers=api.as_("admin"))
    refused = api.client.post(
        "/api/warehouses/2/receipts",
        json={"product_id": 1, "quantity": 1},
        headers=api.as_("warehouse"),
    )
    assert refused.status_code == 409
    dup = api.client.post(
        "/api/warehouses", json={"code": "MSK", "name": "again"}, headers=api.as_("admin")
    )
    assert dup.status_code == 409
    bad = api.client.post(
        "/api/warehouses", json={"code": "M S K", "name": "x"}, headers=api.as_("admin")
    )
    assert bad.status_code == 422
