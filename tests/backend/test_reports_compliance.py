"""The compliance reports on the periods tests' small company, counted by eye: root 1 > Dina 2
> 3, 4 and 3 > 5 > 6 in the placement tree; 2 to 6 each buy 2 x Tea (8.00 RUB wholesale,
100 PV) in period 1. Added here: 4 buys 2 x Tea again (400 PV of own purchases, above normal
consumption: 3 x the plan's activity min_pv of 100), and the root pays a 16.00 RUB fee and
buys nothing. The plan caps fast start at 5 USDT a payee. So, in period 1:

  - fee_only: 1 (16.00 RUB fee, no product);
  - payee_cap: 2, 3 and 5, whose fast start lines came to more than 5 USDT (cut to 5);
  - retail_share: every payee with PV (all their PV is their own: 0 % retail, below 30 %);
  - threshold: 2, 3, 5 and 6 (200 PV: the Silver and Gold rungs' min_pv); 4 has 400, 1 has 0;
  - consumption: 4 (400 PV > 300).

Only finance, admin and the auditor read them: a leader is refused."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from lineage_api import Api, add_user, error_code, token_for
from openpyxl import load_workbook
from sqlmodel import select
from test_api_periods import buy, close, company, post
from test_reports import rub_in_usdt
from test_reports_summary import _order, _product

from backend.core.model_base import ProductCategory, Role
from backend.orders.models import Order
from backend.periods.models import Period, PeriodLine, PeriodPayee
from backend.reports.export import xlsx_bytes
from backend.reports.flags import RULES
from backend.reports.framework import Asked, Scope, window
from backend.reports.registry import build

__all__ = ["company"]  # the fixture, re-exported for pytest
FAST_START_CAP = 5_000_000  # 5 USDT a payee


@pytest.fixture
def flagged(company: Api) -> Api:
    api = company
    plan = api.settings.data_dir / "plan.toml"
    plan.write_text(
        plan.read_text().replace(
            "[caps]\n", f"[caps]\nper_payee = {{ fast_start = {FAST_START_CAP} }}\n"
        )
    )
    buy(api, 4)
    with api.session() as session:
        first = session.get(Order, 1)
        assert first is not None and first.paid_at is not None
        fee = _product("FEE", ProductCategory.fee, 2000, 0)
        session.add(fee)
        session.flush()
        model = Order(
            distributor_id=1,
            warehouse_id=1,
            currency="RUB",
            total_amount=1600,
            total_pv=0,
            total_cv=0,
            created_by=first.created_by,
            paid_at=first.paid_at,
            status=first.status,
        )
        _order(session, model, [(fee, 1, 0, 1600)])
        session.commit()
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    api.headers["d3"] = token_for(
        add_user(api.engine, "d3@example.com", Role.distributor, 3), api.clock
    )
    return api


def report(api: Api, name: str, who: str = "auditor", **query: str) -> dict[str, Any]:
    found = api.client.get(f"/api/reports/{name}", params=query, headers=api.as_(who))
    assert found.status_code == 200, found.text
    return dict(found.json())


def by_rule(found: dict[str, Any]) -> dict[str, list[int]]:
    rules: dict[str, list[int]] = {}
    for row in found["rows"]:
        rules.setdefault(row["rule"], []).append(row["id"])
    return rules


def test_the_period_figures_are_the_packages(flagged: Api) -> None:
    api = flagged
    (row,) = report(api, "compliance-periods")["rows"]
    # 6 x 2 Tea at 8.00 RUB = 96.00 RUB of sales; the fee is not a sale.
    assert row["sales"] == rub_in_usdt(9600)
    assert (row["fee_lines"], row["fee_revenue"], row["bonus_from_fees"]) == (
        1,
        rub_in_usdt(1600),
        0,
    )
    assert row["retail_share"] == "0.0000" and row["threshold"] == 4
    assert row["cap_pct"] is None and row["cap_state"] == "none"  # the plan sets no ceiling
    with api.session() as session:
        period = session.get(Period, 1)
        assert period is not None and period.payout_total is not None
        paid = sum(session.exec(select(PeriodLine.amount)).all())
    assert row["payout"] == paid


def test_each_flag_names_its_rule_and_numbers(flagged: Api) -> None:
    api = flagged
    found = report(api, "compliance-flags")
    with api.session() as session:
        payees = sorted(
            session.exec(select(PeriodPayee.distributor_id).where(PeriodPayee.earned > 0)).all()
        )
        fast: dict[int, int] = {}
        paid: dict[int, int] = {}
        for payee, gross, amount in session.exec(
            select(PeriodLine.payee, PeriodLine.gross, PeriodLine.amount).where(
                PeriodLine.bonus == 2
            )
        ):
            fast[payee] = fast.get(payee, 0) + gross
            paid[payee] = paid.get(payee, 0) + amount
    # Cut to the cap: 2, 3 and 5 (the root's fast start is breakage, unqualified, not a cut).
    over_cap = sorted(p for p, gross in fast.items() if gross > paid[p] == FAST_START_CAP)
    assert over_cap == [2, 3, 5]
    rules = by_rule(found)
    assert rules == {
        "fee_only": [1],
        "payee_cap": over_cap,
        "retail_share": [p for p in payees if p != 1],
        "threshold": [2, 3, 5, 6],
        "consumption": [4],
    }
    rows = {(r["rule"], r["id"]): r for r in found["rows"]}
    fee = rows["fee_only", 1]
    assert fee["fees"] == rub_in_usdt(1600) and fee["pv"] == 0 and fee["own_pv"] == 0
    assert Decimal(fee["value"]) == Decimal(rub_in_usdt(1600)).scaleb(-6)
    eating = rows["consumption", 4]
    assert (eating["value"], eating["limit"], eating["unit"], eating["own_pv"]) == (
        "400",
        "300",
        "points",
        400,
    )
    assert rows["threshold", 2]["value"] == rows["threshold", 2]["limit"] == "200"
    share = rows["retail_share", 2]
    assert (share["value"], share["limit"], share["unit"]) == ("0.0000", "30.0000", "pct")
    capped = rows["payee_cap", over_cap[0]]
    assert Decimal(capped["limit"]) == Decimal("5")
    assert Decimal(capped["value"]) == Decimal(fast[over_cap[0]]).scaleb(-6)
    assert rows["threshold", 3]["name"] == "D 3"


def test_flags_filter_by_rule_and_refuse_an_unknown_one(flagged: Api) -> None:
    api = flagged
    only = report(api, "compliance-flags", filter="threshold")
    assert by_rule(only) == {"threshold": [2, 3, 5, 6]} and only["filter"] == "threshold"
    bad = api.client.get(
        "/api/reports/compliance-flags", params={"filter": "nope"}, headers=api.as_("finance")
    )
    assert bad.status_code == 422 and error_code(bad) == "unknown_rule"
    assert "threshold" in bad.json()["error"]["message"]


def test_only_the_compliance_officer_reads_them(flagged: Api) -> None:
    api = flagged
    for who in ("finance", "admin"):
        assert report(api, "compliance-flags", who)["rows"]
    for name in ("compliance-flags", "compliance-periods"):
        refused = api.client.get(f"/api/reports/{name}", headers=api.as_("d3"))
        assert refused.status_code == 403 and error_code(refused) == "not_for_your_role"
    listed = api.client.get("/api/reports", headers=api.as_("d3")).json()
    assert "compliance" not in listed and "structure-status" in listed["structure"]
    assert api.client.get("/api/reports", headers=api.as_("auditor")).json()["compliance"] == [
        "compliance-periods",
        "compliance-flags",
    ]


def test_the_page_shows_the_first_flags_and_the_exports_all(flagged: Api) -> None:
    api = flagged
    with api.session() as session:
        asked = Asked(session, api.settings, Scope(), window(session))
        page = build("compliance-flags", asked)
        everything = build(
            "compliance-flags", Asked(session, api.settings, Scope(), window(session), full=True)
        )
    assert page.limited is None and page.rows == everything.rows  # fewer than a page
    sheet = load_workbook(io.BytesIO(xlsx_bytes(everything, str)), read_only=True).active
    assert sheet is not None
    cells = list(sheet.iter_rows(values_only=True))
    assert len(cells) == len(everything.rows) + 1
    money = everything.column("earned")
    for got, row in zip(cells[1:], everything.rows, strict=True):
        assert got[everything.column("id")] == row[everything.column("id")]
        assert Decimal(str(got[money])).scaleb(6) == row[money]
        assert got[everything.column("rule")] == RULES[row[everything.column("rule")]]
