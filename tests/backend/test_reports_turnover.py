"""Team turnover, legs of a person, sales by region and the sales plan against actual, on the
reports tests' small company counted by eye: root 1 > 2 > 3, 4 and 3 > 5 > 6 (placement and
enroller trees alike); in period 1 everyone but the root buys 2 x Tea (100 PV, 8.00 RUB
wholesale each); in period 2, 2 buys 1, 3 buys 6 and 5 buys 2. So (PV; GV = own PV and the
whole downline):

    period 1: PV 2..6 = 200 each;       GV 6=200 5=400 3=600 4=200 2=1000 1=1000
    period 2: PV 2=100 3=600 5=200;     GV 6=0   5=200 3=800 4=0   2=900  1=900

Active means PV >= 100: 2..6 in period 1; 2, 3 and 5 in period 2."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from lineage_api import Api, add_user, error_code, token_for
from openpyxl import load_workbook
from sqlmodel import col, select
from test_api_periods import at, buy, close, month_start, post
from test_reports import closed, column, company, report, rub_in_usdt

from backend.admin_log.models import AdminAction, AdminLogEntry
from backend.core.model_base import Role
from backend.genealogy.models import Distributor
from backend.periods.models import PeriodPayee
from backend.periods.sales_plan import SalesPlan
from backend.reports.export import csv_text, xlsx_bytes
from backend.reports.framework import Chart, Column, Kind, Report

__all__ = ["closed", "company"]  # the fixtures, re-exported for pytest


@pytest.fixture
def two_periods(closed: Api) -> Api:
    api = closed
    api.clock.now = at(month_start(2) + timedelta(days=3))
    assert post(api, "/api/periods").status_code == 201
    for buyer, quantity in ((2, 1), (3, 6), (5, 2)):
        buy(api, buyer, quantity)
    close(api, 2)
    return api


def signed_pct(now: int, before: int) -> str:
    """The change as the reports print it: truncated to four places, with its sign."""
    scaled = abs(now - before) * 1_000_000 // before
    return ("-" if now < before else "") + f"{scaled // 10_000}.{scaled % 10_000:04d}"


def test_team_turnover_per_period(two_periods: Api) -> None:
    api = two_periods
    found = report(api, "turnover-periods")
    assert found["scope"] == "company" and found["currency"] == "USDT"
    rows = [(r["active"], r["pv"], r["gv"], r["sales"]) for r in found["rows"]]
    assert rows == [(5, 1000, None, rub_in_usdt(8000)), (3, 900, None, rub_in_usdt(7200))]
    assert column(found, "pv_change") == [None, "-10.0000"]
    assert column(found, "sales_change") == [
        None,
        signed_pct(rub_in_usdt(7200), rub_in_usdt(8000)),
    ]
    # Staff ask about Dina's team: her GV is the team's, the root is not in it.
    dina = report(api, "turnover-periods", person="2")
    assert dina["scope"] == "team:2"
    assert [(r["pv"], r["gv"]) for r in dina["rows"]] == [(1000, 1000), (900, 900)]
    # 3 leads {3, 5, 6}: 600 PV in both periods, 400 more from 3 and 200 fewer from 5 and 6.
    team = report(api, "turnover-periods", "d3")
    assert team["scope"] == "team:3"
    rows = [(r["active"], r["pv"], r["gv"], r["sales"]) for r in team["rows"]]
    assert rows == [(3, 600, 600, rub_in_usdt(4800)), (2, 800, 800, rub_in_usdt(6400))]
    assert column(team, "pv_change") == [None, "33.3333"]


def test_members_and_top_movers(two_periods: Api) -> None:
    api = two_periods
    movers = report(api, "turnover-movers")
    # One rise (3: +200), then the falls, largest first: 4, 5, 6 (-200), then 1, 2 (-100).
    assert [(r["id"], r["gv_change"]) for r in movers["rows"]] == [
        (3, 200),
        (4, -200),
        (5, -200),
        (6, -200),
        (1, -100),
        (2, -100),
    ]
    three = movers["rows"][0]
    assert (three["pv_before"], three["pv"], three["gv_before"], three["gv"]) == (
        200,
        600,
        600,
        800,
    )
    assert (three["sales_before"], three["sales"]) == (rub_in_usdt(1600), rub_in_usdt(4800))
    members = report(api, "turnover-members")
    assert [(r["id"], r["gv"]) for r in members["rows"]] == [
        (1, 900),
        (2, 900),
        (3, 800),
        (5, 200),
        (4, 0),
        (6, 0),
    ]
    # The leader sees their own team only, and may look at a member's team inside it.
    assert set(column(report(api, "turnover-movers", "d3"), "id")) == {3, 5, 6}
    assert column(report(api, "turnover-members", "d3", person="5"), "id") == [5, 6]
    for outside in ("2", "4"):
        refused = api.client.get(
            "/api/reports/turnover-members", params={"person": outside}, headers=api.as_("d3")
        )
        assert refused.status_code == 404 and error_code(refused) == "not_in_scope"


def test_legs_of_a_person(two_periods: Api) -> None:
    api = two_periods
    legs = report(api, "structure-legs", person="2")
    assert legs["scope"] == "person:2"
    # 3's leg {3, 5, 6}: active 3 and 5 in period 2; GV 600 + 800. 4's leg: 4 alone.
    assert [(r["id"], r["people"], r["active"], r["gv"], r["sales"]) for r in legs["rows"]] == [
        (3, 3, 2, 1400, rub_in_usdt(4800) + rub_in_usdt(6400)),
        (4, 1, 0, 200, rub_in_usdt(1600)),
    ]
    first = report(api, "structure-legs", person="2", **_period_1(api))
    assert [(r["active"], r["gv"]) for r in first["rows"]] == [(3, 600), (1, 200)]
    # Staff without a person: the top of the tree, whose one leg is everyone else.
    top = report(api, "structure-legs")
    assert [(r["id"], r["people"], r["gv"]) for r in top["rows"]] == [(2, 5, 1000 + 900)]
    # A leader: their own legs, or a team member's; nobody outside.
    mine = report(api, "structure-legs", "d3")
    assert [(r["id"], r["people"], r["active"], r["gv"]) for r in mine["rows"]] == [(5, 2, 1, 600)]
    refused = api.client.get(
        "/api/reports/structure-legs", params={"person": "1"}, headers=api.as_("d3")
    )
    assert refused.status_code == 404 and error_code(refused) == "not_in_scope"
    bad = api.client.get(
        "/api/reports/structure-legs", params={"person": "abc"}, headers=api.as_("admin")
    )
    assert bad.status_code == 422


def _period_1(api: Api) -> dict[str, str]:
    first = month_start(3)
    return {"from": first.isoformat(), "to": (first + timedelta(days=5)).isoformat()}


def _patch(api: Api, person: int, body: dict[str, Any]) -> Any:
    return api.client.patch(f"/api/distributors/{person}", json=body, headers=api.as_("admin"))


def test_regions_are_checked_and_sales_grouped_by_them(company: Api) -> None:
    """Sales by region group each period's sales by where each buyer lived when it was
    computed: stated before the period closes, counted there; a move afterwards does not
    change a closed period's figures."""
    api = company
    for person, body in (
        (2, {"country": "RU", "region": "RU-MOW"}),
        (3, {"country": "RU", "region": "ru-spe"}),  # any case
        (4, {"country": "KZ", "region": "KZ-ALA"}),  # the former code of Almaty
        (5, {"country": "RU"}),
    ):
        assert _patch(api, person, body).status_code == 200
    with api.session() as session:
        stored = dict(
            session.exec(
                select(Distributor.id, Distributor.region).where(col(Distributor.id).in_([3, 4]))
            ).all()
        )
    assert stored == {3: "RU-SPE", 4: "KZ-75"}
    unknown = _patch(api, 5, {"region": "RU-XXX"})
    assert unknown.status_code == 422 and "RU-XXX" in unknown.text
    elsewhere = _patch(api, 5, {"region": "KZ-75"})  # 5 lives in RU
    assert elsewhere.status_code == 422 and error_code(elsewhere) == "region_country"
    nowhere = _patch(api, 6, {"region": "RU-MOW"})  # 6 gave no country
    assert nowhere.status_code == 422
    moved = _patch(api, 2, {"country": "KZ"})  # RU-MOW would be left in another country
    assert moved.status_code == 422 and error_code(moved) == "region_country"
    joined = api.client.post(
        "/api/distributors",
        json={"first_name": "A", "last_name": "B", "sponsor_id": 2, "region": "RU-MOW"},
        headers=api.as_("admin"),
    )
    assert joined.status_code == 422 and "needs country RU" in joined.text
    with api.session() as session:
        assert session.exec(select(Distributor).where(Distributor.last_name == "B")).all() == []
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    api.headers["d3"] = token_for(
        add_user(api.engine, "d3@example.com", Role.distributor, 3), api.clock
    )
    found = report(api, "sales-regions")
    each = rub_in_usdt(1600)
    assert [(r["country"], r["region"], r["sales"]) for r in found["rows"]] == [
        ("KZ", "KZ-75", each),
        ("RU", "RU-MOW", each),
        ("RU", "RU-SPE", each),
        ("RU", "", each),  # 5: no region stated
        ("", "", each),  # 6: no country either
    ]
    assert found["rows"][0]["region_name"] == "Алматы"
    team = report(api, "sales-regions", "d3")  # 3, 5 and 6 only
    assert [(r["country"], r["region"]) for r in team["rows"]] == [
        ("RU", "RU-SPE"),
        ("RU", ""),
        ("", ""),
    ]
    # 3 moves to Moscow after the close: period 1's sales stay where they were made.
    assert _patch(api, 3, {"region": "RU-MOW"}).status_code == 200
    assert report(api, "sales-regions")["rows"] == found["rows"]


def test_the_sales_plan_against_actual(two_periods: Api) -> None:
    api = two_periods
    plan = {"sales": 1_000_000, "new_distributors": 4, "active": 4}
    put = api.client.put("/api/sales-plans/1", json=plan, headers=api.as_("admin"))
    assert put.status_code == 200, put.text
    assert put.json()["currency"] == "USDT" and put.json()["exponent"] == 6
    again = {"sales": 2_000_000, "new_distributors": 1, "active": 6}
    assert api.client.put("/api/sales-plans/2", json=again, headers=api.as_("admin")).is_success
    for body, who, status in (
        (plan, "finance", 403),
        ({**plan, "sales": -1}, "admin", 422),
        ({**plan, "active": 1.5}, "admin", 422),
    ):
        refused = api.client.put("/api/sales-plans/1", json=body, headers=api.as_(who))
        assert refused.status_code == status, refused.text
    missing = api.client.put("/api/sales-plans/99", json=plan, headers=api.as_("admin"))
    assert missing.status_code == 404
    found = report(api, "sales-plan")
    first, second = found["rows"]
    # Period 1: 0.984803 USDT sold of 1 planned; everyone (6) joined in it; 5 active.
    assert (first["sales_plan"], first["sales"], first["sales_pct"]) == (
        1_000_000,
        rub_in_usdt(8000),
        "98.4803",
    )
    assert (first["joined_plan"], first["joined"], first["joined_pct"]) == (4, 6, "150.0000")
    assert (first["active_plan"], first["active"], first["active_pct"]) == (4, 5, "125.0000")
    assert (second["joined"], second["joined_pct"]) == (0, "0.0000")
    assert (second["active"], second["active_pct"]) == (3, "50.0000")
    assert report(api, "sales-plan", "d3")["rows"] == []  # the plan is the company's
    with api.session() as session:
        logged = session.exec(
            select(AdminLogEntry).where(AdminLogEntry.action == AdminAction.sales_plan_set)
        ).all()
        stored = session.get(SalesPlan, 1)
    assert [e.target for e in logged] == ["period:1", "period:2"]
    assert stored is not None and stored.sales == 1_000_000
    replaced = {**plan, "sales": 500_000}
    assert api.client.put("/api/sales-plans/1", json=replaced, headers=api.as_("admin")).is_success
    with api.session() as session:
        last = session.exec(
            select(AdminLogEntry).order_by(col(AdminLogEntry.seq).desc()).limit(1)
        ).one()
    assert '"old":{"active":4,"currency":"USDT","new_distributors":4,"sales":1000000}' in (
        last.payload.replace(" ", "")
    )


def test_exports_hold_the_page_numbers(two_periods: Api) -> None:
    api = two_periods
    for name in ("turnover-periods", "turnover-movers", "structure-legs", "sales-regions"):
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
        assert len(cells) == len(data["rows"]) > 0
        for got, row in zip(cells, data["rows"], strict=True):
            for i, c in enumerate(data["columns"]):
                value = list(row.values())[i]
                if c["kind"] == "money":
                    assert Decimal(str(got[i])).scaleb(data["exponent"]) == value
                elif c["kind"] == "integer" and value is not None:
                    assert got[i] == value
        assert csv_text(rebuilt, str).count("\n") == len(data["rows"]) + 1


def test_the_largest_payout_changes_over_two_periods(two_periods: Api) -> None:
    """Found by the database (`period_change`); here straight from the payees of both periods:
    every change but zero, the largest first, with both periods' amounts."""
    api = two_periods
    with api.session() as session:
        earned = {
            (int(p), int(i)): int(e)
            for p, i, e in session.exec(
                select(PeriodPayee.period_id, PeriodPayee.distributor_id, PeriodPayee.earned)
            )
        }
    people = {i for _, i in earned}
    expected = sorted(
        (
            (i, earned.get((1, i), 0), earned.get((2, i), 0))
            for i in people
            if earned.get((1, i), 0) != earned.get((2, i), 0)
        ),
        key=lambda m: (-abs(m[2] - m[1]), m[0]),
    )
    found = report(api, "payouts-changes")
    assert [(r["id"], r["previous"], r["earned"], r["change"]) for r in found["rows"]] == [
        (i, before, now, now - before) for i, before, now in expected
    ]
    assert len(expected) >= 2 and any(now < before for _, before, now in expected)
