"""Money through the API: every amount beside its currency and exponent, a period's payout %
of sales converted at its dated rates, the plan's ceiling refusing approval, a missing rate
refusing compute; on SQLite and PostgreSQL."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from lineage_api import Api, error_code
from sqlmodel import delete
from test_api_periods import PLAN, approve, company, post, today

from backend.rates.models import ExchangeRate

__all__ = ["company"]  # the fixture, re-exported for pytest

USD_RUB = Fraction("81.2345")  # the test companies' rate (lineage_api.TEST_RATES)


def opened(api: Api) -> None:
    """Period 1 (three months back, ended) open, the clock at today."""
    assert post(api, "/api/periods").status_code == 201
    today(api)


def period(api: Api, number: int = 1) -> dict[str, Any]:
    read = api.client.get(f"/api/periods/{number}", headers=api.as_("auditor"))
    assert read.status_code == 200, read.text
    body: dict[str, Any] = read.json()
    return body


def test_a_period_shows_its_money_in_the_payout_currency(company: Api) -> None:
    opened(company)
    assert post(company, "/api/periods/1/compute").status_code == 200
    shown = period(company)
    assert (shown["currency"], shown["exponent"]) == ("USDT", 6)
    share = shown["payout_share"]
    # Five own orders of 2 x 8.00 RUB at wholesale: 80.00 RUB = 8000 kopecks, converted once at
    # 81.2345 RUB per USD (USDT pegged 1:1) into micro-USDT, half-even: 984 803.
    assert round(8000 * Fraction(10**4) / USD_RUB) == 984_803
    assert share["sales"] == 984_803 and share["currency"] == "USDT"
    assert share["sales_by_currency"]["RUB"]["amount"] == 8000
    assert share["sales_by_currency"]["RUB"]["exponent"] == 2
    assert "USD/RUB 81.2345" in share["sales_by_currency"]["RUB"]["rate"]
    scaled = share["payout"] * 1_000_000 // share["sales"]
    assert share["pct"] == f"{scaled // 10_000}.{scaled % 10_000:04d}"
    lines = company.client.get("/api/periods/1/lines", headers=company.as_("auditor")).json()
    assert lines["count"] > 0
    for line in lines["items"]:
        assert (line["currency"], line["exponent"]) == ("USDT", 6)
        assert line["base_unit"] in ("points", "cycles", "count", "USDT")


def test_a_period_over_the_plans_ceiling_cannot_be_approved(company: Api) -> None:
    plan = company.settings.data_dir / "plan.toml"
    plan.write_text(plan.read_text().replace("[caps]", "[caps]\nmax_pct_of_sales = 1"))
    opened(company)
    assert post(company, "/api/periods/1/compute").status_code == 200
    share = period(company)["payout_share"]
    assert share["within_cap"] is False and share["cap_pct"] == "1.0000"
    refused = approve(company, 1)
    assert refused.status_code == 409 and error_code(refused) == "payout_over_ceiling"
    details = refused.json()["error"]["details"]
    assert details["pct"] == share["pct"] and details["sales"] == share["sales"]
    assert period(company)["status"] == "computed"


def test_a_period_without_its_rate_is_refused_naming_pair_and_day(company: Api) -> None:
    with company.session() as session:
        session.execute(delete(ExchangeRate))
        session.commit()
    opened(company)
    refused = post(company, "/api/periods/1/compute")
    assert refused.status_code == 409 and error_code(refused) == "rate_missing"
    end = period(company)["end_date"]
    assert refused.json()["error"]["details"] == {"pair": "RUB/USD", "date": end}
    assert f"RUB/USD on or before {end}" in refused.json()["error"]["message"]
    assert period(company)["status"] == "open"


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_products_and_orders_give_the_exponent_of_their_currency(company: Api, role: str) -> None:
    product = company.client.get("/api/products/1", headers=company.as_(role)).json()
    assert (product["currency"], product["exponent"]) == ("RUB", 2)
    order = company.client.get("/api/orders/1", headers=company.as_("admin")).json()
    assert (order["currency"], order["exponent"]) == ("RUB", 2)
    schema = company.client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("ProductPublic", "OrderPublic", "PriceListPublic", "PeriodLinePublic"):
        assert "exponent" in schema[name]["properties"], name
    assert PLAN.name == "binary_hybrid.toml"


def test_a_currency_the_ledger_cannot_convert_is_refused_at_the_door(api: Api) -> None:
    """Mexican pesos are ISO 4217 but not among the ledger's currencies: a product priced in
    them could never be in a period, so it is refused when entered, not when a period runs."""
    product = {
        "sku": "PESO", "name_ru": "Песо", "name_en": "Peso", "retail_price": 100,
        "wholesale_price": 80, "currency": "MXN", "pv": 1, "cv": 1,
    }  # fmt: skip
    refused = post_as_admin(api, "/api/products", product)
    assert refused.status_code == 422 and "MXN" in refused.text
    rate = {"base": "MXN", "quote": "RUB", "day": "2026-11-30", "rate": "4.1", "source": "test"}
    refused = post_as_admin(api, "/api/rates", rate)
    assert refused.status_code == 422 and "MXN is not a known ISO 4217 currency" in refused.text


def post_as_admin(api: Api, url: str, body: dict[str, Any]) -> Any:
    return api.client.post(url, json=body, headers=api.as_("admin"))
