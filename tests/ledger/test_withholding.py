"""Withholding and the bank rail in the engine (docs/compensation.md#withholding, #rails).

Money: the plan pays in roubles, 1 point = 1.00 RUB = 100 kopecks. The company is a chain
1 <- 2 <- 3 (enroller = placement) with a 10 % one-level unilevel: 2 earns 10 % of what 3 buys,
1 earns 10 % of what 2 buys. Distributor 2 is a private individual paid by bank (no wallet),
1 is self-employed and paid in tokens.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import numpy as np
import pytest
from engine_kit import company, of, plan, run

from ledger.engine import PeriodResult
from ledger.errors import InputError, PlanError
from ledger.inputs import Orders, Payees, PeriodInputs, State
from ledger.package import (
    build_package,
    inputs_csv_files,
    parse_inputs,
    read_package_table,
    verify_package,
)
from ledger.rails import BANK, TOKEN, bank_account, is_bank
from ledger.withholding import (
    TAX_INDIVIDUAL,
    TAX_SELF_EMPLOYED,
    TAX_UNKNOWN,
    scale_on,
    tax_on,
)

RUB = """
[plan]
name = "test"

[currency]
code = "RUB"
decimals = 2
minor_per_point = 100

[unilevel]
tree = "enroller"
pct = [10]
"""
WITHHOLD = '\n[withholding]\nscale = "ru-ndfl"\n'
ROWS = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 2, 2, 0)]
EPOCH = date(1970, 1, 1)
KOPECKS = 100


def _day(d: date) -> int:
    return (d - EPOCH).days


def _inputs(
    period_id: int,
    first: date,
    last: date,
    buys: int,
    *,
    payees: dict[int, tuple[int, int]],
    state: State | None = None,
) -> PeriodInputs:
    """Distributor 3 buys ``buys`` points on the period's first day; 2 buys 100."""
    base = company(ROWS, no_wallet=(2,), period_id=period_id)
    start, end = _day(first), _day(last)
    orders = [(1, 2, 100), (2, 3, buys)]
    return dataclasses.replace(
        base,
        start_day=start,
        end_day=end,
        orders=Orders.from_columns(
            order_id=[o for o, _, _ in orders],
            distributor=[d for _, d, _ in orders],
            kind=[0, 0],
            day=[start, start],
            pv=[v for _, _, v in orders],
            cv=[v for _, _, v in orders],
            retail_price=[0, 0],
            wholesale_price=[v * 100 for _, _, v in orders],
        ),
        state=state if state is not None else base.state,
        payees=Payees.from_columns(
            id=list(payees),
            tax_status=[s for s, _ in payees.values()],
            rail=[r for _, r in payees.values()],
        ),
    )


MIXED = {1: (TAX_SELF_EMPLOYED, TOKEN), 2: (TAX_INDIVIDUAL, BANK)}


def _carry(files: dict[str, bytes]) -> State:
    """The next period's carry-in: this package's results/state.tbl."""
    cols = read_package_table(files["results/state.tbl"], file="results/state.tbl")
    return State.from_columns(**cols)


def test_the_scale_is_dated_data_rounded_to_the_rouble() -> None:
    old, new = scale_on("ru-ndfl", date(2024, 12, 31)), scale_on("ru-ndfl", date(2025, 1, 1))
    assert old is not None and new is not None
    assert scale_on("ru-ndfl", date(2020, 12, 31)) is None
    # 6 M RUB: before 2025 13 % of 5 M + 15 % of 1 M = 650 000 + 150 000.
    assert tax_on(6_000_000 * KOPECKS, old, unit=KOPECKS) == 800_000 * KOPECKS
    # From 2025: 13 % of 2.4 M + 15 % of 2.6 M + 18 % of 1 M = 312 000 + 390 000 + 180 000.
    assert tax_on(6_000_000 * KOPECKS, new, unit=KOPECKS) == 882_000 * KOPECKS
    # 60 M: + 18 % of 15 M + 20 % of 30 M + 22 % of 10 M = 702 000 + 2.7 M + 6 M + 2.2 M.
    assert tax_on(60_000_000 * KOPECKS, new, unit=KOPECKS) == 11_602_000 * KOPECKS
    # Half a rouble or more is a rouble: 13 % of 3.85 = 0.5005 -> 1; of 3.84 = 0.4992 -> 0.
    assert tax_on(385, new, unit=KOPECKS) == 100
    assert tax_on(384, new, unit=KOPECKS) == 0
    # A token with 6 decimals pegged to the rouble: the same whole roubles.
    assert tax_on(385 * 10**4, new, unit=10**6) == 10**6


def test_an_individual_crossing_the_bracket_over_two_periods_and_the_new_year() -> None:
    p = plan(WITHHOLD, header=RUB)
    # November 2026: 3 buys 20 000 000 points, so 2 earns 2 000 000.00 RUB gross.
    # Tax: 13 % of 2 000 000 = 260 000.00; paid 1 740 000.00 by bank.
    nov = _inputs(1, date(2026, 11, 1), date(2026, 11, 30), 20_000_000, payees=MIXED)
    files1 = build_package(plan=p, inputs=nov)
    r1 = run(p, nov)
    assert of(r1, "withheld", 2) == 260_000 * KOPECKS
    assert of(r1, "payout", 2) == 1_740_000 * KOPECKS
    assert of(r1, "balance_out", 2) == 0
    # 1 is self-employed: 10 % of 2's 100 points = 10.00 RUB, paid gross to the wallet.
    assert (of(r1, "withheld", 1), of(r1, "payout", 1)) == (0, 10 * KOPECKS)
    assert (of(r1, "ytd_year", 2), of(r1, "ytd_income", 2)) == (2026, 2_000_000 * KOPECKS)

    # December 2026: 2 earns 1 000 000.00 more; the year's income is 3 000 000.00.
    # Tax on it: 13 % of 2 400 000 + 15 % of 600 000 = 312 000 + 90 000 = 402 000.00;
    # already withheld 260 000.00, so 142 000.00 now (not 13 % = 130 000.00); paid 858 000.00.
    dec = _inputs(
        2, date(2026, 12, 1), date(2026, 12, 31), 10_000_000, payees=MIXED, state=_carry(files1)
    )
    files2 = build_package(plan=p, inputs=dec)
    r2 = run(p, dec)
    assert of(r2, "withheld", 2) == 142_000 * KOPECKS
    assert of(r2, "payout", 2) == 858_000 * KOPECKS
    assert of(r2, "ytd_income", 2) == 3_000_000 * KOPECKS
    assert of(r2, "ytd_withheld", 2) == 402_000 * KOPECKS

    # January 2027: a new year. 100 000.00 gross is taxed at 13 % from zero: 13 000.00.
    jan = _inputs(
        3, date(2027, 1, 1), date(2027, 1, 31), 1_000_000, payees=MIXED, state=_carry(files2)
    )
    r3 = run(p, jan)
    assert of(r3, "withheld", 2) == 13_000 * KOPECKS
    assert of(r3, "payout", 2) == 87_000 * KOPECKS
    assert (of(r3, "ytd_year", 2), of(r3, "ytd_income", 2)) == (2027, 100_000 * KOPECKS)
    assert of(r3, "ytd_withheld", 2) == 13_000 * KOPECKS

    for files, result in ((files1, r1), (files2, r2)):
        assert verify_package(files) == []
        totals = json.loads(files["results/totals.json"])
        assert totals["payout"] == int(result.payout.sum())  # the anchored total: the leaves
        assert totals["gross"] == totals["payout"] + totals["withheld"]
        manifest = json.loads(files["manifest.json"])
        assert manifest["payoutTotal"] == totals["payout"]
    payees = read_package_table(files2["results/payees.tbl"], file="results/payees.tbl")
    row = int(np.flatnonzero(payees["id"] == 2)[0])
    assert int(payees["withheld"][row]) == 142_000 * KOPECKS
    assert int(payees["rail"][row]) == BANK
    assert int(payees["tax_status"][row]) == TAX_INDIVIDUAL


def test_a_bank_line_needs_no_wallet_and_its_leaf_carries_the_pseudo_address() -> None:
    p = plan("", header=RUB)  # no withholding: the rails alone
    inputs = _inputs(7, date(2026, 11, 1), date(2026, 11, 30), 1_000, payees=MIXED)
    files = build_package(plan=p, inputs=inputs)
    leaves = json.loads(files["results/leaves.json"])
    by_amount = {amount: account for _, _, account, amount in leaves}
    bank = bytes.fromhex(by_amount[100 * KOPECKS][2:])
    assert bank == bank_account(7, 2) and is_bank(bank)
    assert not is_bank(bytes.fromhex(by_amount[10 * KOPECKS][2:]))
    assert verify_package(files) == []
    # The same company without the payees input: 2 has no wallet and is held.
    plain = dataclasses.replace(inputs, payees=None)
    held = run(p, plain)
    assert (of(held, "payout", 2), of(held, "balance_out", 2)) == (0, 100 * KOPECKS)
    assert b"withheld" not in build_package(plan=p, inputs=plain)["results/payees.tbl"]


@pytest.mark.parametrize(("mode", "paid"), [("hold", 0), ("gross", 10 * KOPECKS)])
def test_an_unknown_tax_status_is_held_or_paid_gross(mode: str, paid: int) -> None:
    p = plan(WITHHOLD + f'unknown_status = "{mode}"\n', header=RUB)
    payees = {1: (TAX_UNKNOWN, TOKEN), 2: (TAX_INDIVIDUAL, BANK)}
    result: PeriodResult = run(
        p, _inputs(1, date(2026, 11, 1), date(2026, 11, 30), 1_000, payees=payees)
    )
    assert of(result, "payout", 1) == paid
    assert of(result, "withheld", 1) == 0
    assert of(result, "balance_out", 1) == 10 * KOPECKS - paid
    report = result.compliance["withholding"]
    assert report["held"] == (1 if mode == "hold" else 0)
    assert report["held_amount"] == (10 * KOPECKS if mode == "hold" else 0)
    # 2: 100.00 gross, 13 % = 13.00 withheld.
    assert (of(result, "withheld", 2), of(result, "payout", 2)) == (13 * KOPECKS, 87 * KOPECKS)


@pytest.mark.parametrize(
    ("currency", "ok"),
    [
        ('code = "USD"\ndecimals = 2', False),
        ('code = "USDT"\ndecimals = 6\npeg = "USD"', False),
        ('code = "RUBT"\ndecimals = 6\npeg = "RUB"', True),
    ],
)
def test_withholding_needs_a_rouble_payout_currency(currency: str, ok: bool) -> None:
    header = RUB.replace('code = "RUB"\ndecimals = 2', currency)
    if ok:
        assert plan(WITHHOLD, header=header).withholding is not None
    else:
        with pytest.raises(PlanError, match="must be RUB or a token pegged to RUB"):
            plan(WITHHOLD, header=header)


@pytest.mark.parametrize(
    ("payees", "message"),
    [
        ({1: (5, TOKEN)}, "tax_status 5 is not a code"),
        ({1: (TAX_INDIVIDUAL, 2)}, "rail 2 is not a code"),
        ({9: (TAX_INDIVIDUAL, BANK)}, "is not a distributor"),
    ],
)
def test_bad_payees_rows_are_refused(payees: dict[int, tuple[int, int]], message: str) -> None:
    with pytest.raises(InputError, match=message):
        run(
            plan(WITHHOLD, header=RUB),
            _inputs(1, date(2026, 11, 1), date(2026, 11, 30), 1_000, payees=payees),
        )


def test_a_period_before_any_scale_is_refused() -> None:
    with pytest.raises(InputError, match="no ru-ndfl scale is in force on 2020-11-30"):
        run(
            plan(WITHHOLD, header=RUB),
            _inputs(1, date(2020, 11, 1), date(2020, 11, 30), 1_000, payees=MIXED),
        )


def test_payees_and_year_to_date_state_round_trip_through_csv() -> None:
    p = plan(WITHHOLD, header=RUB)
    nov = _inputs(1, date(2026, 11, 1), date(2026, 11, 30), 20_000_000, payees=MIXED)
    dec = _inputs(
        2,
        date(2026, 12, 1),
        date(2026, 12, 31),
        10_000_000,
        payees=MIXED,
        state=_carry(build_package(plan=p, inputs=nov)),
    )
    csv = inputs_csv_files(dec)
    assert csv["payees.csv"].startswith(b"id,tax_status,rail\n")
    assert csv["state.csv"].split(b"\n")[0].endswith(b",ytd_year,ytd_income,ytd_withheld")
    assert build_package(plan=p, inputs=parse_inputs(csv)) == build_package(plan=p, inputs=dec)
