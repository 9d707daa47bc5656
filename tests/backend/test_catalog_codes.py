"""The codes a product carries for the UPD (OKEI unit, country of origin, TN VED) over the API
on SQLite and PostgreSQL: defaults for a product that names none, unknown codes refused with
422 and nothing written, a TN VED code cleared with null; and the company's ``vat_payer``
detail: only yes or no."""

from __future__ import annotations

from typing import Any

import pytest
from lineage_api import Api
from test_api_catalog import PRODUCT, create

from backend.company.requisites import problems, validated
from backend.core.errors import Invalid


def test_codes_default_and_change(api: Api) -> None:
    created = create(api)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["okei_code"], body["origin_country"], body["tnved_code"]) == ("796", "643", None)
    url = f"/api/products/{body['id']}"
    changed = api.client.patch(
        url,
        json={"okei_code": "778", "origin_country": "156", "tnved_code": "3304990000"},
        headers=api.as_("admin"),
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["okei_code"], body["origin_country"], body["tnved_code"]) == (
        "778",
        "156",
        "3304990000",
    )
    cleared = api.client.patch(url, json={"tnved_code": None}, headers=api.as_("admin"))
    assert cleared.status_code == 200 and cleared.json()["tnved_code"] is None
    assert cleared.json()["okei_code"] == "778"  # untouched
    no_unit = api.client.patch(url, json={"okei_code": None}, headers=api.as_("admin"))
    assert no_unit.status_code == 422  # a unit cannot be cleared


@pytest.mark.parametrize(
    "fields",
    [
        {"okei_code": "999"},
        {"okei_code": "шт"},
        {"origin_country": "RU"},
        {"origin_country": "000"},
        {"tnved_code": "33049900"},
        {"tnved_code": "33049900ab"},
    ],
)
def test_unknown_codes_are_refused(api: Api, fields: dict[str, Any]) -> None:
    refused = create(api, **fields)
    assert refused.status_code == 422, refused.text
    (field,) = fields
    assert field in refused.text
    listed = api.client.get("/api/products", headers=api.as_("admin")).json()
    assert listed["count"] == 0
    good = create(api)
    patched = api.client.patch(
        f"/api/products/{good.json()['id']}", json=fields, headers=api.as_("admin")
    )
    assert patched.status_code == 422
    assert PRODUCT["sku"] == good.json()["sku"]


def test_vat_payer_is_yes_or_no() -> None:
    assert problems({"vat_payer": "maybe"}) == {"vat_payer": "choice"}
    assert problems({"vat_payer": "yes"}) == {} == problems({"vat_payer": None})
    assert validated({"vat_payer": " No "})["vat_payer"] == "no"
    with pytest.raises(Invalid) as refused:
        validated({"vat_payer": "да"})
    assert refused.value.details == {"vat_payer": "choice"}
