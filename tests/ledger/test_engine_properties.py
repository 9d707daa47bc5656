"""Properties of the period run over random small companies and the three shipped plans."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger._table import read_table
from ledger.engine import PeriodResult, run_period
from ledger.inputs import KIND_FEE, Genealogy, Orders, PeriodInputs, State
from ledger.money import Rate, conversion
from ledger.package import build_package
from ledger.plan import BONUS_TYPES, Plan, load_plan, pct_to_ppm

PLANS = {
    p.stem: load_plan(p.read_bytes(), source=p.name)
    for p in sorted((Path(__file__).resolve().parents[2] / "ledger" / "plans").glob("*.toml"))
}
START, END = 20758, 20787
#: Rates for companies whose orders are in roubles and tenge as well as the payout currency.
RATES = (
    Rate("USD", "RUB", date(2026, 11, 27), Decimal("81.2345"), "test"),
    Rate("KZT", "RUB", date(2026, 11, 27), Decimal("0.161234"), "test"),
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def companies(draw: st.DrawFn) -> PeriodInputs:
    n = draw(st.integers(1, 25))
    parent, position, enroller = [-1], [0], [-1]
    children: dict[int, int] = {0: 0}
    for i in range(1, n):
        free = [p for p in range(i) if children[p] < 2]
        p = draw(st.sampled_from(free))
        parent.append(p)
        position.append(children[p])
        children[p] += 1
        children[i] = 0
        enroller.append(draw(st.integers(0, i - 1)))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
    ext = [0, *ids]
    joined = [draw(st.sampled_from([START - 400, START - 10, START + 3])) for _ in range(n)]
    orders = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.sampled_from([0, 0, 1, 2]),
                st.integers(0, 29),
                st.integers(0, 400),
                st.integers(0, 100),
            ),
            max_size=3 * n,
        )
    )
    kinds = [k for _, k, _, _, _ in orders]
    pv = [0 if k == KIND_FEE else v for (_, k, _, v, _) in orders]
    cv = [0 if k == KIND_FEE else v * c // 100 for (_, k, _, v, c) in orders]
    owner = [ids[d] for d, *_ in orders]
    day = [max(START + dd, joined[d]) for d, _, dd, _, _ in orders]
    carriers = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    wallet = np.asarray([[i % 256] * 20 for i in ids], dtype=np.uint8).reshape(n, 20)
    return PeriodInputs(
        period_id=7,
        start_day=START,
        end_day=END,
        genealogy=Genealogy.from_columns(
            id=ids,
            enroller=[ext[e + 1] for e in enroller],
            parent=[ext[p + 1] for p in parent],
            position=position,
            joined_day=joined,
            wallet=wallet,
            has_wallet=[draw(st.booleans()) for _ in ids],
        ),
        orders=Orders.from_columns(
            order_id=list(range(1, len(orders) + 1)),
            distributor=owner,
            kind=kinds,
            day=day,
            pv=pv,
            cv=cv,
            retail_price=[p * 150 for p in pv],
            wholesale_price=[p * 100 for p in pv],
        ),
        state=State.from_columns(
            id=[ids[c] for c in carriers],
            carry_left=[draw(st.integers(0, 500)) for _ in carriers],
            carry_right=[draw(st.integers(0, 500)) for _ in carriers],
            balance=[draw(st.integers(-100, 10**7)) for _ in carriers],
            achieved_rank=[draw(st.integers(0, 2)) for _ in carriers],
            matrix_done=[0 for _ in carriers],
        ),
        rates=RATES,  # the company plan values a point in roubles
    )


plans = st.sampled_from(sorted(PLANS))


@st.composite
def companies_in_currencies(draw: st.DrawFn) -> PeriodInputs:
    """A company whose order lines are priced in the payout currency, roubles or tenge."""
    inputs = draw(companies())
    o = inputs.orders
    currency = draw(
        st.lists(
            st.sampled_from([0, 643, 398]),
            min_size=o.order_id.shape[0],
            max_size=o.order_id.shape[0],
        )
    )
    columns = {f: getattr(o, f) for f in Orders.__dataclass_fields__}
    columns["currency"] = np.asarray(currency, dtype=np.int64)
    return replace(inputs, orders=Orders.from_columns(**columns))


@SETTINGS
@given(companies_in_currencies(), plans)
def test_every_payout_is_its_converted_lines_less_clawbacks_plus_balance(
    inputs: PeriodInputs, plan_name: str
) -> None:
    """Per payee, exactly: payout + balance_out = sum of line amounts - clawbacks + balance_in,
    each retail line being its base converted once at the period's rate."""
    plan = PLANS[plan_name]
    result = run_period(plan=plan, inputs=inputs)
    earned = np.zeros(result.ids.shape[0], dtype=np.int64)
    for block in result.lines:
        paid = block.payee >= 0
        np.add.at(earned, block.payee[paid], block.amount[paid])
        if block.bonus != BONUS_TYPES.index("retail") + 1:
            continue
        for base, currency, gross in zip(block.base, block.currency, block.gross, strict=True):
            code = {643: "RUB", 398: "KZT"}.get(int(currency), plan.currency.code)
            factor = conversion(RATES, code, plan.currency.code, peg=plan.currency.peg)
            exact = int(base) * factor.minor_factor(
                {"RUB": 2, "KZT": 2}.get(code, plan.currency.decimals), plan.currency.decimals
            )
            assert int(gross) == _round(exact, plan.rounding.mode)
    assert np.array_equal(earned, result.earned)
    assert np.array_equal(
        result.payout + result.balance_out, earned - result.clawback + result.balance_in
    )


def point_value(plan: Plan) -> Fraction:
    """Payout minor units per point: fixed, or converted from ``point_currency`` at RATES."""
    c = plan.currency
    if c.point_currency is None:
        return Fraction(c.minor_per_point)
    conv = conversion(RATES, c.point_currency, c.code, peg=c.peg)
    return c.minor_per_point * conv.minor_factor(2, c.decimals)


def _round(value: Fraction, mode: str) -> int:
    if mode == "floor":
        return value.numerator // value.denominator
    return round(value)  # Python's round is half-even on Fractions


@SETTINGS
@given(companies(), plans)
def test_every_line_is_rounded_once_and_paid_plus_breakage_is_gross(
    inputs: PeriodInputs, plan_name: str
) -> None:
    plan = PLANS[plan_name]
    result = run_period(plan=plan, inputs=inputs)
    unit = point_value(plan)
    money_based = {"retail", "matching", "matrix_completion"}
    for block in result.lines:
        name = BONUS_TYPES[block.bonus - 1]
        per = (
            1
            if name in money_based
            or (name == "binary" and plan.binary and plan.binary.mode == "cycles")
            else unit
        )
        for base, rate, gross, amount in zip(
            block.base.tolist(),
            block.rate.tolist(),
            block.gross.tolist(),
            block.amount.tolist(),
            strict=True,
        ):
            assert gross == _round(Fraction(base * rate * per, 1_000_000), plan.rounding.mode)
            assert 0 <= amount <= gross


@SETTINGS
@given(companies(), plans)
def test_upline_bonuses_account_for_every_level_of_every_source(
    inputs: PeriodInputs, plan_name: str
) -> None:
    """What the rules allow: each source with a base has exactly one line per level (paid or
    breakage), and a stair-step source's differentials add up to the top percentage."""
    plan = PLANS[plan_name]
    result = run_period(plan=plan, inputs=inputs)
    levels = {
        "unilevel": plan.unilevel and len(plan.unilevel.pct),
        "fast_start": plan.fast_start and len(plan.fast_start.pct),
        "matrix": plan.matrix and plan.matrix.depth,
        "matching": plan.matching and len(plan.matching.pct),
    }
    for block in result.lines:
        name = BONUS_TYPES[block.bonus - 1]
        if name in levels:
            depth = int(levels[name] or 0)
            _, counts = np.unique(block.source, return_counts=True)
            assert set(counts.tolist()) <= {depth}
            assert block.level.tolist() == list(range(1, depth + 1)) * (len(block) // depth)
        if name == "stairstep" and plan.stairstep is not None:
            top = pct_to_ppm(plan.stairstep.step[-1].pct)
            sums = np.zeros(result.ids.shape[0], dtype=np.int64)
            np.add.at(sums, block.source, block.rate)
            sources = np.flatnonzero(result.cv > 0)
            assert sums[sources].tolist() == [top] * sources.shape[0]


def _qualified_payees(result: PeriodResult, names: set[str]) -> bool:
    for block in result.lines:
        if BONUS_TYPES[block.bonus - 1] in names:
            paid = block.payee[block.amount > 0]
            if not bool(np.all(result.active[paid])):
                return False
    return True


@SETTINGS
@given(companies(), plans)
def test_no_negative_amounts_or_carry_and_compression_pays_only_the_qualified(
    inputs: PeriodInputs, plan_name: str
) -> None:
    result = run_period(plan=PLANS[plan_name], inputs=inputs)
    assert int(result.carry_left.min(initial=0)) >= 0
    assert int(result.carry_right.min(initial=0)) >= 0
    assert int(result.payout.min(initial=0)) >= 0
    assert _qualified_payees(result, {"fast_start", "unilevel", "matrix", "matching", "binary"})
    assert bool(np.all(result.payout[result.payees] > 0))


@SETTINGS
@given(companies(), plans)
def test_global_cap_holds(inputs: PeriodInputs, plan_name: str) -> None:
    plan = PLANS[plan_name]
    result = run_period(plan=plan, inputs=inputs)
    assert plan.caps.global_pct is not None
    exact = int(result.cv.sum()) * pct_to_ppm(plan.caps.global_pct) * point_value(plan)
    allowed = exact.numerator // (exact.denominator * 1_000_000)
    capped = sum(
        int(b.amount.sum())
        for b in result.lines
        if BONUS_TYPES[b.bonus - 1] in plan.caps.global_bonuses
    )
    assert capped <= allowed


@SETTINGS
@given(companies(), plans, st.data())
def test_fee_lines_never_produce_a_bonus(
    inputs: PeriodInputs, plan_name: str, data: st.DataObject
) -> None:
    plan = _without_retail(PLANS[plan_name])
    before = run_period(plan=plan, inputs=inputs)
    o, ids = inputs.orders, inputs.genealogy.id
    extra = data.draw(st.lists(st.sampled_from(ids.tolist()), min_size=1, max_size=5))
    k = len(extra)
    orders = Orders.from_columns(
        order_id=np.concatenate([o.order_id, 100_000 + np.arange(k)]),
        distributor=np.concatenate([o.distributor, extra]),
        kind=np.concatenate([o.kind, [KIND_FEE] * k]),
        day=np.concatenate([o.day, [END] * k]),
        pv=np.concatenate([o.pv, [0] * k]),
        cv=np.concatenate([o.cv, [0] * k]),
        retail_price=np.concatenate([o.retail_price, [4900] * k]),
        wholesale_price=np.concatenate([o.wholesale_price, [4900] * k]),
    )
    after = run_period(plan=plan, inputs=replace(inputs, orders=orders))
    for a, b in zip(before.lines, after.lines, strict=True):
        assert a.payee.tolist() == b.payee.tolist() and a.amount.tolist() == b.amount.tolist()
    fees_before, fees_after = (r.compliance["product_volume_only"] for r in (before, after))
    assert fees_after["fee_lines"] == fees_before["fee_lines"] + k
    assert fees_after["fee_revenue"] == fees_before["fee_revenue"] + 4900 * k  # each fee once


def _without_retail(plan: Plan) -> Plan:
    return plan.model_copy(update={"retail": None})


def _shuffled(inputs: PeriodInputs, seed: int) -> PeriodInputs:
    rng = np.random.default_rng(seed)
    g, o, s = inputs.genealogy, inputs.orders, inputs.state
    gp = rng.permutation(g.id.shape[0])
    op = rng.permutation(o.order_id.shape[0])
    sp = rng.permutation(s.id.shape[0])
    return replace(
        inputs,
        genealogy=Genealogy(**{f: getattr(g, f)[gp] for f in Genealogy.__dataclass_fields__}),
        orders=Orders(**{f: getattr(o, f)[op] for f in Orders.__dataclass_fields__}),
        state=State(
            **{
                f: getattr(s, f)[sp]
                for f in State.__dataclass_fields__
                if getattr(s, f) is not None  # the year-to-date columns are optional
            }
        ),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(companies(), plans, st.integers(0, 2**32 - 1))
def test_shuffled_inputs_give_the_same_package(
    inputs: PeriodInputs, plan_name: str, seed: int
) -> None:
    plan = PLANS[plan_name]
    assert build_package(plan=plan, inputs=inputs) == build_package(
        plan=plan, inputs=_shuffled(inputs, seed)
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(companies(), plans)
def test_carry_out_read_back_from_the_package_gives_the_same_next_period(
    inputs: PeriodInputs, plan_name: str
) -> None:
    plan = PLANS[plan_name]
    result = run_period(plan=plan, inputs=inputs)
    files = build_package(plan=plan, inputs=inputs, result=result)
    # A plan withholding tax carries the year-to-date figures too.
    ytd = ("ytd_year", "ytd_income", "ytd_withheld") if plan.withholding is not None else ()
    table = read_table(
        files["results/state.tbl"],
        file="state",
        columns=(
            "id",
            "carry_left",
            "carry_right",
            "balance",
            "achieved_rank",
            "matrix_done",
            *ytd,
        ),
    )
    from_package = State(**table)  # type: ignore[arg-type]
    in_memory = State(
        id=result.ids,
        carry_left=result.carry_left,
        carry_right=result.carry_right,
        balance=result.balance_out,
        achieved_rank=result.achieved_rank,
        matrix_done=result.matrix_done,
        **{name: getattr(result, name) for name in ytd},
    )
    nxt = replace(inputs, period_id=8)
    a = build_package(plan=plan, inputs=replace(nxt, state=from_package))
    b = build_package(plan=plan, inputs=replace(nxt, state=in_memory))
    assert {k: v for k, v in a.items() if k.startswith("results/")} == {
        k: v for k, v in b.items() if k.startswith("results/")
    }
