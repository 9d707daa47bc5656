"""Matching, caps, rounding, minimum payout, clawbacks and wallets, computed by hand.

1 point = 1.00 = 100 cents unless a test sets ``minor_per_point = 1``.
"""

from __future__ import annotations

from engine_kit import HEADER, company, lines, of, paid, plan, run

from ledger.engine import payee_rows

CHAIN = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 2, 2, 0), (4, 3, 3, 0)]  # 4 -> 3 -> 2 -> 1


def test_matching_pays_generations_of_the_matched_bonus() -> None:
    """Unilevel 10 % one level (enroller tree); 4 buys 1,000, others 100 each.
    Unilevel: 3 earns 100.00 (from 4), 2 earns 10.00 (from 3), 1 earns 10.00 (from 2).
    Matching 50 % / 20 %: on 3's 100.00: 2 gets 50.00, 1 gets 20.00; on 2's 10.00: 1 gets
    5.00, generation 2 has nobody: 2.00 breakage; on 1's 10.00: 5.00 + 2.00 breakage."""
    text = """
[unilevel]
tree = "enroller"
pct = [10]

[matching]
matches = ["unilevel"]
pct = [50, 20]
"""
    result = run(plan(text), company(CHAIN, [(1, 100), (2, 100), (3, 100), (4, 1000)]))
    assert lines(result, "matching") == [
        (1, 1, 0, 500, 0),
        (1, 2, 0, 200, 0),
        (2, 1, 1, 500, 500),
        (2, 2, 0, 200, 0),
        (3, 1, 2, 5000, 5000),
        (3, 2, 1, 2000, 2000),
    ]


def test_matching_compresses_past_an_inactive_generation() -> None:
    """Binary-free check of compression: 3 earns 100.00 unilevel from 4 and 2 buys nothing.
    Unilevel compresses too: 4's 1,000 CV pays 3 (active). Matching on 3's 100.00: generation 1
    skips inactive 2 and is 1: 50.00; generation 2: nobody, 20.00 breakage."""
    text = """
[unilevel]
tree = "enroller"
pct = [10]

[matching]
matches = ["unilevel"]
pct = [50, 20]
"""
    result = run(plan(text), company(CHAIN, [(1, 100), (3, 100), (4, 1000)]))
    assert [x for x in lines(result, "matching") if x[0] == 3] == [
        (3, 1, 1, 5000, 5000),
        (3, 2, 0, 2000, 0),
    ]


def test_per_payee_cap_fills_in_canonical_order_and_breaks_the_rest() -> None:
    """1 enrolls 2 and 3 (100 CV each): unilevel 5 % = 5.00 from each; cap 7.00 per payee:
    the line from 2 pays 5.00, the line from 3 pays 2.00 and 3.00 is breakage."""
    text = """
[unilevel]
tree = "enroller"
pct = [5]

[caps]
per_payee = { unilevel = 700 }
"""
    rows = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 1, 1, 1)]
    result = run(plan(text), company(rows, [(1, 100), (2, 100), (3, 100)]))
    assert [x for x in lines(result, "unilevel") if x[2] == 1] == [
        (2, 1, 1, 500, 500),
        (3, 1, 1, 500, 200),
    ]


def test_global_cap_scales_every_capped_line_by_one_factor() -> None:
    """Total CV 200 (1 and 2 buy 100). Cap 10 % of CV = 20 points = 20.00. Unilevel 50 %:
    2's 100 CV -> 1 = 50.00 (1's own CV has no upline: 50.00 breakage, paid 0).
    Factor = 20.00 / 50.00 = 0.4: the line pays 20.00, 30.00 becomes breakage."""
    text = """
[unilevel]
tree = "enroller"
pct = [50]

[caps]
global_pct = 10
global_bonuses = ["unilevel"]
"""
    result = run(plan(text), company(CHAIN[:2], [(1, 100), (2, 100)]))
    assert lines(result, "unilevel") == [(1, 1, 0, 5000, 0), (2, 1, 1, 5000, 2000)]
    assert result.totals["global_cap"] == {"allowed": 2000, "factor": "0.400000000"}


ROUNDING = """
[plan]
name = "rounding"

[currency]
code = "XTS"
decimals = 0
minor_per_point = 1

[rounding]
mode = "{mode}"

[placement]
width = 0

[unilevel]
tree = "enroller"
pct = [12.5]
payee_active = false
"""


def test_rounding_half_even_and_floor_per_line() -> None:
    """12.5 % with 1 minor unit per point, one line per source under 1:
    CV 3 -> 0.375: half-even 0, floor 0; CV 4 -> 0.5: half-even 0 (to even), floor 0;
    CV 5 -> 0.625: half-even 1, floor 0; CV 12 -> 1.5: half-even 2, floor 1;
    CV 20 -> 2.5: half-even 2, floor 2."""
    rows = [(1, 0, 0, 0)] + [(i, 1, 1, 0) for i in range(2, 7)]
    data = company(rows, [(2, 3), (3, 4), (4, 5), (5, 12), (6, 20)])
    for mode, expected in (("half-even", [0, 0, 1, 2, 2]), ("floor", [0, 0, 0, 1, 2])):
        result = run(plan("", header=ROUNDING.format(mode=mode)), data)
        assert [x[3] for x in lines(result, "unilevel") if x[2] == 1] == expected


def test_rounding_residual_is_reported_not_paid() -> None:
    """Floor: exact 0.375 + 0.5 + 0.625 + 1.5 + 2.5 = 5.5, paid 0 + 0 + 0 + 1 + 2 = 3:
    residual 2.5 minor units."""
    rows = [(1, 0, 0, 0)] + [(i, 1, 1, 0) for i in range(2, 7)]
    data = company(rows, [(2, 3), (3, 4), (4, 5), (5, 12), (6, 20)])
    result = run(plan("", header=ROUNDING.format(mode="floor")), data)
    assert result.totals["rounding_residual"] == "2.500000"


MINIMUM = (
    HEADER
    + """
[payout]
minimum = 1000

[unilevel]
tree = "enroller"
pct = [5]
"""
)


def test_total_below_minimum_carries_as_a_balance() -> None:
    """1 earns 5 % of 100 = 5.00 < 10.00 minimum: payout 0, balance 5.00."""
    result = run(plan("", header=MINIMUM), company(CHAIN[:2], [(1, 100), (2, 100)]))
    assert (of(result, "payout", 1), of(result, "balance_out", 1)) == (0, 500)


def test_balance_in_lifts_the_total_over_the_minimum() -> None:
    """5.00 earned + 6.00 balance = 11.00 >= 10.00: paid 11.00, balance 0, one leaf."""
    data = company(CHAIN[:2], [(1, 100), (2, 100)], state=[(1, 0, 0, 600, 0, 0)])
    result = run(plan("", header=MINIMUM), data)
    assert (of(result, "payout", 1), of(result, "balance_out", 1)) == (1100, 0)
    assert result.payees.tolist() == [0]


def test_clawback_larger_than_earnings_leaves_a_negative_balance() -> None:
    """5.00 earned, 8.00 clawed back for a returned order: balance -3.00, nothing paid."""
    data = company(CHAIN[:2], [(1, 100), (2, 100)], returns=[(1, 800)])
    result = run(plan("", header=MINIMUM), data)
    assert (of(result, "payout", 1), of(result, "balance_out", 1)) == (0, -300)


def test_payee_without_wallet_keeps_the_money_as_balance() -> None:
    """1 earns 15.00 but has no wallet yet: no leaf, balance 15.00."""
    data = company(CHAIN[:2], [(1, 100), (2, 300)], no_wallet=[1])
    result = run(plan("", header=MINIMUM), data)
    assert paid(result, "unilevel") == {1: 1500}
    assert (of(result, "payout", 1), of(result, "balance_out", 1)) == (0, 1500)
    assert result.payees.tolist() == []
    assert result.payout_root == "0x" + "00" * 32


def test_payee_rows_are_who_has_money_moving_and_their_leaves() -> None:
    """A chain 1..6 (unilevel 5 %, minimum 10.00, 1-4 active): 1 earns 5.00 from 2 (below the
    minimum: held); 2 earns 15.00 from 3 (paid, leaf 0); 3 earns 20.00 from 4 but has no wallet
    (held); 4 earns nothing and is clawed back 8.00 (negative balance); 5 earns nothing but
    brings 12.00 in (paid, leaf 1); 6 has nothing at all: no row."""
    chain = [*CHAIN, (5, 4, 4, 0), (6, 5, 5, 0)]
    data = company(
        chain,
        [(1, 100), (2, 100), (3, 300), (4, 400)],
        no_wallet=[3],
        returns=[(4, 800)],
        state=[(5, 0, 0, 1200, 0, 0)],
    )
    result = run(plan("", header=MINIMUM), data)
    rows = payee_rows(result)
    assert result.ids[rows.index].tolist() == [1, 2, 3, 4, 5]
    assert rows.leaf_index.tolist() == [-1, 0, -1, -1, 1]
    assert result.payout[rows.index].tolist() == [0, 1500, 0, 0, 1200]
    assert result.balance_out[rows.index].tolist() == [500, 0, 2000, -800, 0]
