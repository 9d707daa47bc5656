"""Auto-placement with `weaker-leg`: a new distributor goes to the outermost position of the
sponsor's leg with less volume (PV of paid and shipped orders below each of the sponsor's
positions; ties go left). The back office used to pass no volumes, so every leg weighed the
same and the left one was always taken."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from lineage_api import Api

from backend.main import create_app


def enroll(client: TestClient, api: Api, name: str, sponsor_id: int) -> tuple[int, int, int]:
    body = {"first_name": name, "last_name": "Leg", "sponsor_id": sponsor_id}
    answer = client.post("/api/distributors", json=body, headers=api.as_("admin"))
    assert answer.status_code == 201, answer.text
    placement = answer.json()["placement"]
    return answer.json()["id"], placement["parent_id"], placement["position"]


def paid_order(client: TestClient, api: Api, distributor_id: int, quantity: int) -> None:
    body: dict[str, Any] = {
        "distributor_id": distributor_id,
        "warehouse_id": 1,
        "lines": [{"product_id": 1, "quantity": quantity}],
    }
    placed = client.post("/api/orders", json=body, headers=api.as_("admin"))
    assert placed.status_code == 201, placed.text
    payment = {"amount": placed.json()["total_amount"], "currency": "RUB", "reference": "r"}
    paid = client.post(
        f"/api/orders/{placed.json()['id']}/payment", json=payment, headers=api.as_("finance")
    )
    assert paid.status_code == 201, paid.text


def test_weaker_leg_places_under_the_leg_with_less_volume(api: Api) -> None:
    settings = api.settings.model_copy(update={"placement_strategy": "weaker-leg"})
    with TestClient(create_app(settings, engine=api.engine, clock=api.clock)) as client:
        admin = api.as_("admin")
        product = {
            "sku": "TEA", "name_ru": "Чай", "name_en": "Tea", "retail_price": 1000,
            "wholesale_price": 800, "currency": "RUB", "pv": 10, "cv": 8,
        }  # fmt: skip
        assert client.post("/api/products", json=product, headers=admin).status_code == 201
        warehouse = {"code": "MSK", "name": "Moscow"}
        assert client.post("/api/warehouses", json=warehouse, headers=admin).status_code == 201
        receipt = {"product_id": 1, "quantity": 100}
        assert client.post("/api/warehouses/1/receipts", json=receipt, headers=admin).is_success

        # The root (1) has Dina (the fixture's distributor) on its left and nobody on its right:
        # 0 PV against 0 PV, a tie, so the left leg's outermost position, under Dina.
        dina = api.distributor_id
        first, parent, position = enroll(client, api, "First", 1)
        assert (parent, position) == (dina, 0)

        # 10 PV on the left (Dina's order), 0 on the right: the right leg is weaker.
        paid_order(client, api, dina, 1)
        second, parent, position = enroll(client, api, "Second", 1)
        assert (parent, position) == (1, 1)

        # 50 PV on the right now (Second's order) against 10 on the left: the left again, at
        # its outermost position (below First, who sits below Dina).
        paid_order(client, api, second, 5)
        _third, parent, position = enroll(client, api, "Third", 1)
        assert (parent, position) == (first, 0)

        # An unpaid order counts for nothing: 60 PV of it on the left changes no choice.
        unpaid = {"distributor_id": first, "warehouse_id": 1,
                  "lines": [{"product_id": 1, "quantity": 6}]}  # fmt: skip
        assert client.post("/api/orders", json=unpaid, headers=admin).status_code == 201
        _fourth, parent, position = enroll(client, api, "Fourth", 1)
        assert (parent, position) == (_third, 0)
