"""Bad input across endpoint families: a 4xx in the error shape, and nothing half-written."""

from __future__ import annotations

import re
from typing import Any

import pytest
from lineage_api import Api
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from backend.accounts.models import User
from backend.api.policy import POLICY
from backend.chain_jobs import ChainJob
from backend.genealogy.models import Distributor, Placement

ID_ROUTES = sorted(
    path for (method, path) in POLICY if method == "GET" and re.search(r"\{\w+_id\}$", path)
)


def _counts(api: Api) -> dict[str, int]:
    with Session(api.engine) as session:
        return {
            table.name: session.exec(select(func.count()).select_from(table)).one()
            for table in SQLModel.metadata.sorted_tables
            if table.name != "login_throttle"
        }


@pytest.mark.parametrize("path", ID_ROUTES)
def test_id_routes_refuse_unknown_and_malformed_ids(api: Api, path: str) -> None:
    admin = api.as_("admin")
    for raw, status in (
        ("424242", 404),
        ("abc", 422),
        ("-1", 422),
        ("0", 422),
        ("99999999999", 422),
        ("1.5", 422),
    ):
        url = re.sub(r"\{\w+_id\}", "1", path)
        url = url[: url.rfind("/") + 1] + raw
        response = api.client.get(url, headers=admin)
        assert response.status_code == status, (url, response.text)
        assert response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"first_name": "x" * 201, "last_name": "Lee"},
        {"first_name": "", "last_name": "Lee"},
        {"first_name": "Ann"},
        {"first_name": "Ann", "last_name": "Lee", "email": "not-an-email"},
        {"first_name": "Ann", "last_name": "Lee", "email": "a@b.c" + "x" * 260},
        {"first_name": "Ann", "last_name": "Lee", "sponsor_id": "one"},
        {"first_name": "Ann", "last_name": "Lee", "sponsor_id": -4},
        {"first_name": "Ann", "last_name": "Lee", "sponsor_id": 777},
        {"first_name": "Ann", "last_name": "Lee", "country": "Russia"},
        {"first_name": "Ann", "last_name": "Lee", "phone": "call me"},
        {"first_name": "Ann", "last_name": "Lee", "wallet": "0x1234"},
        {"first_name": "Ann", "last_name": "Lee", "leg": -1},
        {"first_name": ["Ann"], "last_name": "Lee"},
        {"first_name": "Ann", "last_name": "Lee", "holding_tank": True},
    ],
)
def test_bad_enrollments_write_nothing(api: Api, body: dict[str, Any]) -> None:
    before = _counts(api)
    response = api.client.post("/api/distributors", json=body, headers=api.as_("admin"))
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["message"]
    assert _counts(api) == before


def test_a_refused_login_leaves_no_distributor_behind(api: Api) -> None:
    # An e-mail that already has an account: the enrollment is refused as a whole,
    # no distributor, no placement, no chain intent.
    before = _counts(api)
    body = {
        "first_name": "Dup",
        "last_name": "Login",
        "email": "finance@example.com",
        "password": "long-enough-1",
    }
    response = api.client.post("/api/distributors", json=body, headers=api.as_("admin"))
    assert response.status_code == 409
    assert _counts(api) == before
    with Session(api.engine) as session:
        assert session.exec(select(func.count()).select_from(Distributor)).one() == 2
        assert session.exec(select(func.count()).select_from(Placement)).one() == 2
        assert session.exec(select(func.count()).select_from(ChainJob)).one() == 2
        assert session.exec(select(func.count()).select_from(User)).one() == 5


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/users", {"email": "x@example.com", "role": "king", "password": "long-pass"}),
        ("POST", "/api/users", {"email": "x@example.com", "role": "admin", "password": "short"}),
        ("PATCH", "/api/users/1", {"role": None}),
        ("POST", "/api/warehouses", {"code": "A", "name": "x" * 201}),
        ("POST", "/api/customers", {"first_name": "A", "last_name": "B", "distributor_id": 999}),
        ("POST", "/api/distributors/2/status", {"status": "deleted", "reason": "x"}),
        ("POST", "/api/distributors/2/status", {"status": "inactive"}),
        ("POST", "/api/holding-tank/2/placement", {"parent_id": 1, "position": -1}),
        ("POST", "/api/holding-tank/2/placement", {"parent_id": 1, "position": 0}),
        (
            "PUT",
            "/api/price-lists/5/items",
            {"product_id": 1, "retail_price": 1, "wholesale_price": 1},
        ),
    ],
)
def test_other_families_refuse_bad_input(
    api: Api, method: str, path: str, body: dict[str, Any]
) -> None:
    before = _counts(api)
    response = api.client.request(method, path, json=body, headers=api.as_("admin"))
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["message"]
    assert _counts(api) == before


def test_non_json_and_wrong_content_are_422(api: Api) -> None:
    response = api.client.post(
        "/api/products",
        content=b"{not json",
        headers=api.as_("admin") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    listed = api.client.get("/api/products?limit=0", headers=api.as_("admin"))
    assert listed.status_code == 422
    listed = api.client.get("/api/products?limit=abc", headers=api.as_("admin"))
    assert listed.status_code == 422
