"""Reports on the periods tests' small company, counted by eye: root 1 > Dina 2 > 3, 4 and
3 > 5 > 6 in the placement tree; everyone but the root buys 2 x Tea (8.00 RUB wholesale,
100 PV each) in period 1, which is computed and approved. Staff see the company; 3 leads
{3, 5, 6} and never sees 2 or 4; 6, with nobody below, is refused."""

from __future__ import annotations

import io
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from lineage_api import Api, add_user, error_code, token_for
from openpyxl import load_workbook
from sqlmodel import func, select
from test_api_periods import close, company, post

from backend.core.model_base import Role
from backend.periods.models import PeriodLine, PeriodPayee
from backend.reports.export import csv_text, xlsx_bytes
from backend.reports.framework import Chart, Column, Kind, Report

__all__ = ["company"]  # the fixture, re-exported for pytest
USD_RUB = Decimal("81.2345")  # the tests' seeded rate (lineage_api.seed_rates)


def rub_in_usdt(kopecks: int) -> int:
    """Kopecks as USDT minor units (6 places) at the seeded rate, half to even (the plan's)."""
    return round(Fraction(kopecks) / 100 / Fraction(USD_RUB) * 10**6)


@pytest.fixture
def closed(company: Api) -> Api:
    api = company
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    for n in (3, 6):
        api.headers[f"d{n}"] = token_for(
            add_user(api.engine, f"d{n}@example.com", Role.distributor, n), api.clock
        )
    return api


def report(api: Api, name: str, who: str = "auditor", **query: str) -> dict[str, Any]:
    found = api.client.get(f"/api/reports/{name}", params=query, headers=api.as_(who))
    assert found.status_code == 200, found.text
    return dict(found.json())


def column(found: dict[str, Any], key: str) -> list[Any]:
    return [row[key] for row in found["rows"]]


def test_structure_counts(closed: Api) -> None:
    api = closed
    status = report(api, "structure-status")
    assert column(status, "people") == [6, 0, 0, 6]  # active, inactive, terminated, everyone
    depth = report(api, "structure-depth")
    assert [(r["depth"], r["people"]) for r in depth["rows"]] == [
        (0, 1),
        (1, 1),
        (2, 2),
        (3, 1),
        (4, 1),
    ]
    countries = report(api, "structure-countries")
    assert countries["rows"] == [{"country": "", "people": 6}]  # nobody gave one
    ranks = report(api, "structure-ranks")
    assert sum(column(ranks, "paid_as")) == 6 and sum(column(ranks, "highest")) == 6
    growth = report(api, "structure-growth")
    assert [(r["joined"], r["total"]) for r in growth["rows"]] == [(6, 6)]


def test_sales_counts(closed: Api) -> None:
    api = closed
    sales = report(api, "sales-periods")
    (row,) = sales["rows"]
    assert sales["currency"] == "USDT" and sales["exponent"] == 6
    # 5 orders of 16.00 RUB: 80.00 RUB, the package's own converted figure.
    assert row["sales"] == rub_in_usdt(8000) == 984803
    assert (row["orders"], row["lines"], row["retail_share"]) == (5, 5, "0.0000")
    assert row["average_order"] == 984803 // 5
    products = report(api, "sales-products")
    assert products["rows"] == [{"sku": "TEA", "product": "Чай", "sales": 984803}]
    categories = report(api, "sales-categories")
    assert column(categories, "sales") == [984803, 0]
    warehouses = report(api, "sales-warehouses")
    assert warehouses["rows"] == [{"code": "MSK", "warehouse": "Moscow", "sales": 984803}]
    currencies = report(api, "sales-currencies")
    assert currencies["rows"] == [{"currency": "RUB", "charged": "80.00", "sales": 984803}]


def test_payout_counts_are_the_packages(closed: Api) -> None:
    api = closed
    bonuses = report(api, "payouts-bonuses")
    (row,) = bonuses["rows"]
    assert (row["binary"], row["fast_start"], row["total"]) == (20000000, 210000000, 230000000)
    share = report(api, "payouts-share")
    assert share["rows"][0]["sales"] == 984803 and share["rows"][0]["payout"] == 230000000
    assert share["rows"][0]["pct"] == "23354.9247"
    breakage = report(api, "payouts-breakage")["rows"][0]
    assert (breakage["gross"], breakage["paid"], breakage["breakage"]) == (
        374000000,
        230000000,
        144000000,
    )
    top = report(api, "payouts-top")
    with api.session() as session:
        earners = session.exec(
            select(PeriodPayee.distributor_id, PeriodPayee.earned)
            .where(PeriodPayee.earned > 0)
            .order_by(PeriodPayee.earned.desc(), PeriodPayee.distributor_id)  # type: ignore[attr-defined]
        ).all()
    assert [(r["id"], r["earned"]) for r in top["rows"]] == [tuple(e) for e in earners]
    assert sum(column(top, "earned")) == 230000000
    changes = report(api, "payouts-changes")  # no period 0: every payee is new
    assert sorted(column(changes, "change")) == sorted(e for _, e in earners)


def test_a_leader_sees_their_team_only(closed: Api) -> None:
    api = closed
    status = report(api, "structure-status", "d3")
    assert status["scope"] == "team:3" and column(status, "people") == [3, 0, 0, 3]
    depth = report(api, "structure-depth", "d3")
    assert [(r["depth"], r["people"]) for r in depth["rows"]] == [(0, 1), (1, 1), (2, 1)]
    sales = report(api, "sales-periods", "d3")["rows"][0]
    assert (sales["sales"], sales["orders"]) == (rub_in_usdt(3 * 1600), 3)
    with api.session() as session:
        paid = session.exec(
            select(func.sum(PeriodLine.amount)).where(PeriodLine.payee.in_([3, 5, 6]))  # type: ignore[attr-defined]
        ).one()
    bonuses = report(api, "payouts-bonuses", "d3")
    assert bonuses["rows"][0]["total"] == paid
    for name in ("payouts-top", "payouts-changes"):
        assert set(column(report(api, name, "d3"), "id")) <= {3, 5, 6}
    refused = api.client.get("/api/reports/structure-status", headers=api.as_("d6"))
    assert refused.status_code == 403 and error_code(refused) == "not_a_leader"
    assert api.client.get("/api/reports/nope", headers=api.as_("auditor")).status_code == 404


def test_bad_ranges_are_refused_in_words(closed: Api) -> None:
    api = closed
    backwards = {"from": "2020-02-01", "to": "2020-01-01"}
    found = api.client.get("/api/reports/sales-periods", params=backwards, headers=api.as_("admin"))
    assert found.status_code == 422 and "starts after" in found.text
    empty = report(api, "sales-periods", "admin", **{"from": "2001-01-01", "to": "2001-02-01"})
    assert empty["rows"] == [] and empty["notes"]


def test_exports_hold_the_page_numbers(closed: Api) -> None:
    api = closed
    for name in ("sales-periods", "payouts-bonuses", "structure-status"):
        data = report(api, name)
        rebuilt = Report(
            name=name,
            title=name,
            columns=[Column(c["key"], c["title"], Kind(c["kind"])) for c in data["columns"]],
            rows=[list(r.values()) for r in data["rows"]],
            chart=Chart("bar", data["chart"]["x"], tuple(data["chart"]["series"])),
            scope=data["scope"],
            periods=data["periods"],
            currency=data["currency"],
            exponent=data["exponent"],
        )
        sheet = load_workbook(io.BytesIO(xlsx_bytes(rebuilt, str)), read_only=True).active
        assert sheet is not None
        cells = list(sheet.iter_rows(min_row=2, values_only=True))
        money = [i for i, c in enumerate(data["columns"]) if c["kind"] == "money"]
        for got, row in zip(cells, data["rows"], strict=True):
            for i in money:
                assert Decimal(str(got[i])).scaleb(data["exponent"]) == list(row.values())[i]
        assert csv_text(rebuilt, str).count("\n") == len(data["rows"]) + 1
