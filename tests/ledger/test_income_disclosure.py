"""The income disclosure statement (docs/compensation.md#income-disclosure): the statistics by
hand and as properties, the year-to-date carry, and the statement written into the package of
the year's last period, recomputed by verification from the package alone.

The company: a chain 1 <- 2 <- 3 (enroller = placement) with a 10 % one-level unilevel, so 2
earns 10 % of what 3 buys and 1 earns 10 % of what 2 and 5 buy; 4 and 5 are enrolled by 1 (5
buys a little for themself). A sponsor under 50 PV in a period is inactive and not paid.
1 point = 1.00 USD = 100 cents; an own order of v points costs v x 120 cents at wholesale."""

from __future__ import annotations

import dataclasses
import json
import statistics
from datetime import date

import numpy as np
import pytest
from engine_kit import company, plan
from hypothesis import given
from hypothesis import strategies as st

from ledger.disclosure import (
    IncomeYTD,
    carry_income,
    empty_income_ytd,
    figures,
    is_year_end,
    share,
)
from ledger.errors import InputError
from ledger.inputs import PeriodInputs, State
from ledger.package import (
    FORMAT_V2,
    build_package,
    parse_inputs,
    read_package_table,
    verify_package,
)

EPOCH = date(1970, 1, 1)
PLAN = plan(
    """
[unilevel]
tree = "enroller"
pct = [10]

[[ranks.rank]]
name = "Bronze"
min_pv = 100
"""
)
ROWS = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 2, 2, 0), (4, 1, 1, 1), (5, 1, 4, 0)]


def _day(d: date) -> int:
    return (d - EPOCH).days


def test_figures_of_a_hand_worked_list() -> None:
    earned = np.array([500, 0, 10_000, 100, 0, 300, 200, 0, 600, 400], dtype=np.int64)
    f = figures(earned)
    # Sorted: 0 0 0 100 200 300 400 500 600 10000; nearest rank ceil(p x 10 / 100).
    assert f == {
        "count": 10,
        "zero": 3,
        "zero_share": "30.00",
        "total": 12_100,
        "mean": 1_210,
        "median": 200,  # rank 5
        "p10": 0,  # rank 1
        "p25": 0,  # rank 3
        "p75": 500,  # rank 8
        "p90": 600,  # rank 9
        "p99": 10_000,  # rank 10
        "max": 10_000,
    }


def test_figures_of_nobody_are_zero_not_missing() -> None:
    f = figures(np.zeros(0, dtype=np.int64))
    assert f["count"] == 0 and f["median"] == 0 and f["zero_share"] == "0.00"


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [(1, 3, "33.33"), (2, 3, "66.67"), (1, 8, "12.50"), (1, 200, "0.50"), (0, 5, "0.00")],
)
def test_share_is_a_percentage_rounded_half_up(part: int, whole: int, text: str) -> None:
    assert share(part, whole) == text


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=300))
def test_figures_match_a_direct_computation(values: list[int]) -> None:
    f = figures(np.array(values, dtype=np.int64))
    ordered = sorted(values)
    assert f["count"] == len(values)
    assert f["zero"] == values.count(0)
    assert f["median"] == statistics.median_low(values)
    assert f["mean"] == sum(values) // len(values) and f["total"] == sum(values)
    assert f["max"] == max(values)
    for p in (10, 25, 75, 90, 99):
        assert f[f"p{p}"] == int(np.percentile(ordered, p, method="inverted_cdf"))
    assert f["p10"] <= f["p25"] <= f["median"] <= f["p75"] <= f["p90"] <= f["p99"] <= f["max"]


def test_carry_adds_the_same_year_and_starts_a_new_year_from_zero() -> None:
    ids = np.array([1, 2, 3], dtype=np.int64)
    carried = IncomeYTD.from_columns(
        id=[1, 2], year=[2026, 2025], earned=[500, 900], bought=[0, 70], active=[2, 5]
    )
    out = carry_income(
        carried,
        ids=ids,
        end_day=_day(date(2026, 12, 31)),
        earned=np.array([100, 0, 0]),
        bought=np.array([0, 30, 0]),
        active=np.array([1, 0, 0]),
    )
    # 1 adds to 2026's figures; 2's 2025 figures are dropped; 3 has nothing and no row.
    assert out.id.tolist() == [1, 2]
    assert out.year.tolist() == [2026, 2026]
    assert out.earned.tolist() == [600, 0]
    assert out.bought.tolist() == [0, 30]
    assert out.active.tolist() == [3, 0]


def test_carry_refuses_an_unknown_distributor() -> None:
    carried = IncomeYTD.from_columns(id=[9], year=[2026], earned=[1], bought=[0], active=[0])
    with pytest.raises(InputError, match="id 9"):
        carry_income(
            carried,
            ids=np.array([1], dtype=np.int64),
            end_day=_day(date(2026, 6, 30)),
            earned=np.zeros(1, dtype=np.int64),
            bought=np.zeros(1, dtype=np.int64),
            active=np.zeros(1, dtype=np.int64),
        )


def test_year_end_by_the_calendar() -> None:
    monthly = plan('\n[calendar]\nperiod = "monthly"\nstart = "2026-01-01"\n')
    weekly = plan('\n[calendar]\nperiod = "weekly"\nstart = "2026-01-05"\n')
    assert is_year_end(monthly, end_day=_day(date(2026, 12, 31)))
    assert not is_year_end(monthly, end_day=_day(date(2026, 11, 30)))
    # Weekly: the week ending on 28 December is the last; the next ends on 4 January.
    assert is_year_end(weekly, end_day=_day(date(2026, 12, 27)))
    assert not is_year_end(weekly, end_day=_day(date(2026, 12, 20)))


def _month(
    period_id: int,
    first: date,
    last: date,
    buys: dict[int, int],
    carried: IncomeYTD,
    state: State | None = None,
) -> PeriodInputs:
    base = company(ROWS, orders=sorted(buys.items()), period_id=period_id)
    return dataclasses.replace(
        base,
        start_day=_day(first),
        end_day=_day(last),
        orders=dataclasses.replace(base.orders, day=np.full(len(buys), _day(first))),
        state=state if state is not None else base.state,
        income_ytd=carried,
    )


def _two_months() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """November: 1 buys 50, 2 buys 100, 3 buys 200, 5 buys 10; December: 2 buys 50, 3 300."""
    nov = build_package(
        plan=PLAN,
        inputs=_month(
            1,
            date(2026, 11, 1),
            date(2026, 11, 30),
            {1: 50, 2: 100, 3: 200, 5: 10},
            empty_income_ytd(),
        ),
    )
    carried = IncomeYTD.from_columns(
        **read_package_table(nov["results/income_ytd.tbl"], file="results/income_ytd.tbl")
    )
    state = State.from_columns(
        **read_package_table(nov["results/state.tbl"], file="results/state.tbl")
    )
    dec = build_package(
        plan=PLAN,
        inputs=_month(2, date(2026, 12, 1), date(2026, 12, 31), {2: 50, 3: 300}, carried, state),
    )
    return nov, dec


def test_only_the_years_last_period_writes_the_statement() -> None:
    nov, dec = _two_months()
    assert "results/disclosure.json" not in nov
    assert "results/disclosure.json" in json.loads(dec["manifest.json"])["files"]


def test_the_statement_counts_zero_earners_and_its_median_is_the_packages() -> None:
    _, dec = _two_months()
    s = json.loads(dec["results/disclosure.json"])
    # Year to date: 1 earned 10 % of 2's 100 and 5's 10 points in November (1100 cents) and
    # nothing in December (inactive); 2 earned 10 % of 3's 200 + 300 points (5000); 3, 4 and 5
    # earned nothing: five participants, three at zero.
    assert s["year"] == 2026 and s["period"]["through"] == "2026-12-31"
    assert s["earnings"]["count"] == 5 and s["earnings"]["zero"] == 3
    assert s["earnings"]["zero_share"] == "60.00"
    assert s["earnings"]["total"] == 6_100 and s["earnings"]["max"] == 5_000
    # The median computed directly over the package: every participant of
    # results/distributors.tbl, their year's earnings from results/income_ytd.tbl, else 0.
    people = read_package_table(dec["results/distributors.tbl"], file="results/distributors.tbl")
    ytd = read_package_table(dec["results/income_ytd.tbl"], file="results/income_ytd.tbl")
    by_id = dict(zip(ytd["id"].tolist(), ytd["earned"].tolist(), strict=True))
    everyone = [by_id.get(who, 0) for who in people["id"].tolist()]
    assert len(everyone) == 5
    assert s["earnings"]["median"] == statistics.median_low(everyone) == 0
    # Own purchases at wholesale (x 120 cents a point): 1: 6000, 2: 18000, 3: 60000, 5: 1200.
    assert s["expenses"]["total"] == 85_200 and s["expenses"]["zero"] == 1
    # 1 is active in November, 2 and 3 in both months, 5 in neither (10 < 50 points).
    assert s["active"]["count"] == 3 and s["active"]["share"] == "60.00"
    assert s["active"]["earnings"]["count"] == 3 and s["active"]["earnings"]["zero"] == 1
    bands = {b["name"]: b["earnings"]["count"] for b in s["bands"]}
    assert sum(bands.values()) == 5 and bands["Bronze"] == 2


def test_verify_recomputes_the_statement_from_the_package_alone() -> None:
    _, dec = _two_months()
    reread = parse_inputs(dec, prefix="inputs/")
    assert reread.income_ytd is not None and reread.income_ytd.id.tolist() == [1, 2, 3, 5]
    assert verify_package(dec) == []
    forged = json.loads(dec["results/disclosure.json"])
    forged["earnings"]["zero"] = 0
    tampered = dict(dec) | {"results/disclosure.json": json.dumps(forged).encode()}
    assert {p.file for p in verify_package(tampered)} == {"results/disclosure.json"}


def test_a_format_2_package_stays_verifiable_without_the_disclosure() -> None:
    inputs = _month(2, date(2026, 12, 1), date(2026, 12, 31), {3: 300}, empty_income_ytd())
    old = build_package(plan=PLAN, inputs=inputs, format_version=FORMAT_V2)
    assert json.loads(old["manifest.json"])["format"] == FORMAT_V2
    assert not any("income_ytd" in p or "disclosure" in p for p in old)
    assert verify_package(old) == []
