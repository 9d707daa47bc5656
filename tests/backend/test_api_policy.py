"""Every (role, endpoint) pair against the policy table: allowed, or 403."""

from __future__ import annotations

import pytest
from lineage_api import Api

from backend.api.policy import AUTHENTICATED, POLICY, PUBLIC, allowed
from backend.core.model_base import Role

ROLES = [role.value for role in Role]
PATH_IDS = {
    "user_id": "1",
    "product_id": "1",
    "warehouse_id": "1",
    "price_list_id": "1",
    "order_id": "1",
    "customer_id": "1",
    "period_id": "1",
    "block_id": "1",
    "document_id": "1",
}


def _world(api: Api) -> None:
    """One of everything, owned by the distributor account where ownership matters."""
    admin, dist = api.as_("admin"), api.as_("distributor")
    product = {
        "sku": "TEA-1",
        "name_ru": "Чай",
        "name_en": "Tea",
        "retail_price": 1000,
        "wholesale_price": 800,
        "currency": "RUB",
        "pv": 10,
        "cv": 8,
    }
    assert api.client.post("/api/products", json=product, headers=admin).status_code == 201
    warehouse = {"code": "MSK", "name": "Moscow"}
    assert api.client.post("/api/warehouses", json=warehouse, headers=admin).status_code == 201
    receipt = {"product_id": 1, "quantity": 100}
    assert api.client.post("/api/warehouses/1/receipts", json=receipt, headers=admin).is_success
    plist = {"name": "Promo", "currency": "RUB"}
    assert api.client.post("/api/price-lists", json=plist, headers=admin).status_code == 201
    price = {"product_id": 1, "retail_price": 900, "wholesale_price": 700}
    assert api.client.put("/api/price-lists/1/items", json=price, headers=admin).is_success
    customer = {"first_name": "Rita", "last_name": "Retail"}
    assert api.client.post("/api/customers", json=customer, headers=dist).status_code == 201
    order = {"warehouse_id": 1, "lines": [{"product_id": 1, "quantity": 1}]}
    assert api.client.post("/api/orders", json=order, headers=dist).status_code == 201


def _operations(api: Api) -> list[tuple[str, str]]:
    spec = api.client.get("/openapi.json").json()
    return sorted((method.upper(), path) for path, ops in spec["paths"].items() for method in ops)


def test_every_route_has_a_policy_entry_and_every_entry_a_route(api: Api) -> None:
    operations = set(_operations(api))
    assert operations - set(POLICY) == set(), "routes without a policy entry"
    assert set(POLICY) - operations == set(), "policy entries without a route"


def test_auditor_writes_nothing() -> None:
    for (method, _path), rule in POLICY.items():
        if method != "GET" and rule not in (PUBLIC, AUTHENTICATED):
            assert Role.auditor not in rule, (method, _path)


def test_each_role_gets_exactly_what_the_policy_allows(api: Api) -> None:
    _world(api)
    PATH_IDS["distributor_id"] = str(api.distributor_id)
    mismatches = []
    for method, path in _operations(api):
        url = path.format(**PATH_IDS)
        rule = POLICY[(method, path)]
        for role in ["anonymous", *ROLES]:
            body = {} if method in ("POST", "PUT", "PATCH") else None
            if path in ("/api/auth/token", "/api/auth/logout"):
                # A form post, and a call that ends the role's token: the auth tests cover them.
                continue
            response = api.client.request(method, url, json=body, headers=api.as_(role))
            payload = response.json() if response.content else None
            code = (
                payload["error"]["code"]
                if isinstance(payload, dict) and "error" in payload
                else None
            )
            if role == "anonymous":
                expected_ok = rule == PUBLIC
                ok = response.status_code != 401
            else:
                expected_ok = allowed(rule, Role(role))
                ok = response.status_code not in (401, 403)
                if not expected_ok and not (
                    response.status_code == 403 and code == "role_forbidden"
                ):
                    mismatches.append((role, method, path, response.status_code, code))
                    continue
            if ok != expected_ok:
                mismatches.append((role, method, path, response.status_code, code))
    assert mismatches == []


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic abc", "Bearer "])
def test_bad_tokens_are_401(api: Api, header: str) -> None:
    response = api.client.get("/api/users/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
