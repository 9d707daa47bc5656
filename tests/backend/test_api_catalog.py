"""Products (prices in minor units, PV/CV, kits and fees at CV 0) and price lists."""

from __future__ import annotations

from typing import Any

import pytest
from lineage_api import Api

PRODUCT = {
    "sku": "VIT-C",
    "name_ru": "Витамин C",
    "name_en": "Vitamin C",
    "description_ru": "Шипучие таблетки",
    "description_en": "Effervescent tablets",
    "retail_price": 129900,
    "wholesale_price": 99900,
    "currency": "RUB",
    "pv": 30,
    "cv": 25,
}


def create(api: Api, **fields: Any) -> Any:
    return api.client.post("/api/products", json=PRODUCT | fields, headers=api.as_("admin"))


def test_create_read_update_product(api: Api) -> None:
    created = create(api)
    assert created.status_code == 201
    body = created.json()
    assert body["retail_price"] == 129900 and body["category"] == "product"
    assert body["name_ru"] == "Витамин C"
    url = f"/api/products/{body['id']}"
    updated = api.client.patch(url, json={"retail_price": 139900}, headers=api.as_("admin"))
    assert updated.json()["retail_price"] == 139900
    assert api.client.get(url, headers=api.as_("distributor")).json()["retail_price"] == 139900
    listed = api.client.get("/api/products?q=vit", headers=api.as_("auditor")).json()
    assert listed["count"] == 1


@pytest.mark.parametrize("category", ["kit", "fee"])
def test_kits_and_fees_carry_no_cv(api: Api, category: str) -> None:
    refused = create(api, sku="KIT-1", category=category, cv=10)
    assert refused.status_code == 422
    assert "CV 0" in refused.json()["error"]["message"]
    made = create(api, sku="KIT-1", category=category, cv=0, pv=0)
    assert made.status_code == 201
    url = f"/api/products/{made.json()['id']}"
    assert api.client.patch(url, json={"cv": 5}, headers=api.as_("admin")).status_code == 422


def test_a_product_cannot_become_a_kit_with_cv(api: Api) -> None:
    url = f"/api/products/{create(api).json()['id']}"
    response = api.client.patch(url, json={"category": "kit"}, headers=api.as_("admin"))
    assert response.status_code == 422


@pytest.mark.parametrize(
    "fields",
    [
        {"retail_price": -1},
        {"retail_price": 10.5},
        {"retail_price": "cheap"},
        {"pv": -3},
        {"currency": "rub"},
        {"currency": "RUBLE"},
        {"sku": "has space"},
        {"sku": "x" * 65},
        {"name_en": "x" * 201},
        {"name_ru": ""},
        {"description_en": "x" * 4001},
        {"wholesale_price": 200000},
    ],
)
def test_bad_product_input_is_422_and_writes_nothing(api: Api, fields: dict[str, Any]) -> None:
    response = create(api, **fields)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"]
    assert api.client.get("/api/products", headers=api.as_("admin")).json()["count"] == 0


def test_duplicate_sku_and_unknown_product(api: Api) -> None:
    assert create(api).status_code == 201
    assert create(api).status_code == 409
    assert api.client.get("/api/products/99", headers=api.as_("admin")).status_code == 404
    too_big = api.client.get("/api/products/99999999999", headers=api.as_("admin"))
    assert too_big.status_code == 422
    assert (
        api.client.patch("/api/products/99", json={"pv": 1}, headers=api.as_("admin")).status_code
        == 404
    )


def test_price_lists(api: Api) -> None:
    product_id = create(api).json()["id"]
    admin = api.as_("admin")
    made = api.client.post(
        "/api/price-lists", json={"name": "Spring", "currency": "RUB"}, headers=admin
    )
    assert made.status_code == 201
    url = f"/api/price-lists/{made.json()['id']}"
    assert (
        api.client.put(
            f"{url}/items",
            json={"product_id": product_id, "retail_price": 99900, "wholesale_price": 89900},
            headers=admin,
        ).status_code
        == 200
    )
    assert (
        api.client.put(
            f"{url}/items",
            json={"product_id": product_id, "retail_price": 99900, "wholesale_price": 79900},
            headers=admin,
        ).status_code
        == 200
    )
    body = api.client.get(url, headers=api.as_("distributor")).json()
    assert body["items"] == [
        {
            "id": body["items"][0]["id"],
            "product_id": product_id,
            "retail_price": 99900,
            "wholesale_price": 79900,
        }
    ]
    assert (
        api.client.put(
            f"{url}/items",
            json={"product_id": 99, "retail_price": 1, "wholesale_price": 1},
            headers=admin,
        ).status_code
        == 404
    )
    assert (
        api.client.put(
            f"{url}/items",
            json={"product_id": product_id, "retail_price": 1, "wholesale_price": -1},
            headers=admin,
        ).status_code
        == 422
    )
    above = {"product_id": product_id, "retail_price": 100, "wholesale_price": 101}
    assert api.client.put(f"{url}/items", json=above, headers=admin).status_code == 422
    usd = api.client.post(
        "/api/price-lists", json={"name": "US", "currency": "USD"}, headers=admin
    ).json()
    # The list decides the currency: a RUB product may be sold at the USD list's prices.
    other_currency = api.client.put(
        f"/api/price-lists/{usd['id']}/items",
        json={"product_id": product_id, "retail_price": 1500, "wholesale_price": 1200},
        headers=admin,
    )
    assert other_currency.status_code == 200
    unknown = {"name": "Nowhere", "currency": "XYZ"}
    assert api.client.post("/api/price-lists", json=unknown, headers=admin).status_code == 422
    assert api.client.delete(f"{url}/items/{product_id}", headers=admin).status_code == 204
    assert api.client.delete(f"{url}/items/{product_id}", headers=admin).status_code == 404
    assert (
        api.client.post(
            "/api/price-lists", json={"name": "Spring", "currency": "RUB"}, headers=admin
        ).status_code
        == 409
    )
    renamed = api.client.patch(url, json={"active": False}, headers=admin)
    assert renamed.json()["active"] is False
    clash = api.client.patch(
        f"/api/price-lists/{usd['id']}", json={"name": "Spring"}, headers=admin
    )
    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "price_list_name_taken"
    same = api.client.patch(url, json={"name": "Spring"}, headers=admin)  # its own name
    assert same.status_code == 200
