"""The worked examples of docs/compensation.md, run through the engine.

Every number the document's examples state is asserted here, so the document cannot drift from
the engine. When a test here fails after an engine change, fix the document's example (section
"Worked examples") in the same commit.

Money in examples 1, 2 and 4: ``minor_per_point = 100`` (1 point = 1.00 = 100 cents).
"""

from __future__ import annotations

from pathlib import Path

from engine_kit import company, lines, of, plan, run

from ledger.engine import run_period
from ledger.package import parse_inputs
from ledger.plan import load_plan

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE / "example_company"
HYBRID = HERE.parents[1] / "ledger" / "plans" / "binary_hybrid.toml"

# --- Example 1: binary -------------------------------------------------------------------------

# A (1) at the root; B (2) on A's left, C (3) on A's right, both enrolled by A.
BINARY_ROWS = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 1, 1, 1)]
BINARY_CARRY = [(1, 0, 200, 0, 0, 0)]  # A carries 0 left, 200 right into the period


def _binary(extra: str, orders: list[tuple[int, int]]) -> tuple[list[tuple[int, ...]], int, int]:
    text = f"""
[binary]
pct_by_rank = {{ none = 10 }}
{extra}
"""
    result = run(plan(text), company(BINARY_ROWS, orders, state=BINARY_CARRY))
    carry = (of(result, "carry_left", 1), of(result, "carry_right", 1))
    assert (of(result, "left_volume", 1), of(result, "right_volume", 1)) == (1500, 900)
    return [tuple(x) for x in lines(result, "binary")], carry[0], carry[1]


def test_example_1a_pay_leg() -> None:
    got = _binary('mode = "pay-leg"', [(1, 100), (2, 1500), (3, 700)])
    assert got == ([(1, 0, 1, 9000, 9000)], 600, 0)


def test_example_1b_inactive_and_flushed() -> None:
    got = _binary('mode = "pay-leg"\nflush_inactive = true', [(2, 1500), (3, 700)])
    assert got == ([(1, 0, 1, 9000, 0)], 0, 0)


def test_example_1c_inactive_not_flushed() -> None:
    got = _binary('mode = "pay-leg"\nflush_inactive = false', [(2, 1500), (3, 700)])
    assert got == ([], 1500, 900)


def test_example_1d_cycles() -> None:
    got = _binary(
        'mode = "cycles"\ncycle = { weak = 300, strong = 600, value = 2500 }',
        [(1, 100), (2, 1500), (3, 700)],
    )
    assert got == ([(1, 0, 1, 5000, 5000)], 300, 300)


def test_example_1e_rank_cap() -> None:
    got = _binary(
        'mode = "pay-leg"\ncap_by_rank = { none = 5000 }', [(1, 100), (2, 1500), (3, 700)]
    )
    assert got == ([(1, 0, 1, 9000, 5000)], 600, 0)


def test_example_1f_carry_ceiling_caps_the_strong_leg() -> None:
    """1c with carry_ceiling = 800: the strong left leg 1,500 -> 800, the weak right keeps 900."""
    got = _binary(
        'mode = "pay-leg"\nflush_inactive = false\ncarry_ceiling = 800', [(2, 1500), (3, 700)]
    )
    assert got == ([], 800, 900)


# --- Example 2: unilevel with compression ------------------------------------------------------

# Enroller chain A(1) <- B(2) <- C(3) <- D(4) <- E(5) <- F(6), and G(7) enrolled by A.
UNI_ROWS = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 2, 2, 0), (4, 3, 3, 0), (5, 4, 4, 0), (6, 5, 5, 0)]
UNI_ROWS += [(7, 1, 1, 1)]
UNI_ORDERS = [(1, 100), (2, 100), (3, 100), (4, 100), (6, 1000), (7, 400)]  # E buys nothing

UNI_RANKS = """
[placement]
width = 0

[[ranks.rank]]
name = "Member"
min_pv = 50

[[ranks.rank]]
name = "Bronze"
min_pv = 50
min_gv = 1000
max_leg_pct = 50
"""


def _unilevel(
    unqualified: str, variant: str
) -> tuple[list[tuple[int, int, int, int, int]], list[int]]:
    text = f"""{UNI_RANKS}
[unilevel]
tree = "enroller"
pct = [5, 3, 2]
level_min_rank = ["Member", "Member", "Bronze"]
unqualified = "{unqualified}"
variant = "{variant}"
"""
    result = run(plan(text), company(UNI_ROWS, UNI_ORDERS))
    ranks = {who: of(result, "paid_rank", who) for who in range(1, 8)}
    # A and F Bronze (2); E none (inactive); everyone else Member (1).
    assert ranks == {1: 2, 2: 1, 3: 1, 4: 1, 5: 0, 6: 2, 7: 1}
    assert [of(result, "gv", who) for who in range(1, 8)] == [
        1800,
        1300,
        1200,
        1100,
        1000,
        1000,
        400,
    ]
    return lines(result, "unilevel"), [of(result, "earned", who) for who in range(1, 8)]


# (source, level, payee or 0, gross, amount): the lines every variant shares.
UNI_COMMON = [
    (1, 1, 0, 500, 0),
    (1, 2, 0, 300, 0),
    (1, 3, 0, 200, 0),
    (2, 1, 1, 500, 500),
    (2, 2, 0, 300, 0),
    (2, 3, 0, 200, 0),
    (3, 1, 2, 500, 500),
    (3, 2, 1, 300, 300),
    (3, 3, 0, 200, 0),
    (4, 1, 3, 500, 500),
    (4, 2, 2, 300, 300),
    (4, 3, 1, 200, 200),
]
UNI_G = [(7, 1, 1, 2000, 2000), (7, 2, 0, 1200, 0), (7, 3, 0, 800, 0)]


def test_example_2a_unilevel_compressed_standard() -> None:
    source_f = [(6, 1, 4, 5000, 5000), (6, 2, 3, 3000, 3000), (6, 3, 2, 2000, 0)]
    assert _unilevel("rollup", "standard") == (
        UNI_COMMON + source_f + UNI_G,
        [3000, 800, 3500, 5000, 0, 0, 0],
    )


def test_example_2b_unilevel_compressed_generous() -> None:
    source_f = [(6, 1, 4, 5000, 5000), (6, 2, 3, 3000, 3000), (6, 3, 1, 2000, 2000)]
    assert _unilevel("rollup", "generous")[0] == UNI_COMMON + source_f + UNI_G


def test_example_2c_unilevel_without_compression() -> None:
    source_f = [(6, 1, 5, 5000, 0), (6, 2, 4, 3000, 3000), (6, 3, 3, 2000, 0)]
    assert _unilevel("breakage", "standard")[0] == UNI_COMMON + source_f + UNI_G


# --- Example 3: the example company with the binary hybrid plan -------------------------------


def test_example_3_example_company() -> None:
    files = {p.name: p.read_bytes() for p in EXAMPLE.iterdir()}
    result = run_period(plan=load_plan(HYBRID.read_bytes()), inputs=parse_inputs(files))
    by_id = {int(i): k for k, i in enumerate(result.ids)}

    def col(name: str) -> list[int]:
        return [int(getattr(result, name)[by_id[i]]) for i in range(1, 9)]

    assert col("pv") == [150, 220, 200, 100, 60, 300, 100, 400]
    assert col("cv") == [150, 200, 180, 100, 60, 250, 100, 400]
    assert col("gv") == [1530, 320, 500, 100, 60, 300, 500, 400]
    assert col("active") == [1, 1, 1, 1, 0, 1, 1, 1]
    assert col("paid_rank") == [2, 1, 1, 1, 0, 1, 1, 1]
    assert col("left_volume")[:3] == [360, 100, 250]
    assert col("right_volume")[:3] == [1130, 60, 500]
    assert col("carry_left")[:3] == [0, 100, 250]
    assert col("carry_right")[:3] == [770, 60, 500]
    assert lines(result, "retail") == [(2, 0, 2, 40_000_000, 40_000_000)]
    assert lines(result, "fast_start") == [
        (7, 1, 1, 20_000_000, 20_000_000),
        (7, 2, 0, 10_000_000, 0),
        (7, 3, 0, 5_000_000, 0),
        (8, 1, 7, 80_000_000, 80_000_000),
        (8, 2, 1, 40_000_000, 40_000_000),
        (8, 3, 0, 20_000_000, 0),
    ]
    paid_unilevel = [x for x in lines(result, "unilevel") if x[4]]
    assert paid_unilevel == [
        (2, 1, 1, 10_000_000, 10_000_000),
        (3, 1, 1, 9_000_000, 9_000_000),
        (4, 1, 2, 5_000_000, 5_000_000),
        (4, 2, 1, 3_000_000, 3_000_000),
        (5, 1, 1, 3_000_000, 3_000_000),
        (6, 1, 3, 12_500_000, 12_500_000),
        (6, 2, 1, 7_500_000, 7_500_000),
    ]
    assert lines(result, "binary") == [(1, 0, 1, 36_000_000, 36_000_000)]
    assert [x[4] for x in lines(result, "matching")] == [0, 0, 0]
    assert [x[3] for x in lines(result, "matching")] == [3_600_000, 1_800_000, 1_800_000]
    assert result.totals["global_cap"] == {"allowed": 792_000_000, "factor": "1.000000000"}
    assert col("earned") == [128_500_000, 45_000_000, 12_500_000, 0, 0, 0, 80_000_000, 0]
    assert col("payout") == [128_500_000, 45_000_000, 0, 0, 0, 0, 80_000_000, 0]
    assert col("balance_out") == [0, 0, 12_500_000, 0, 15_000_000, -5_000_000, 0, 0]
    assert result.totals["payout"] == 253_500_000
    assert result.totals["sales"] == 1_876_000_000
    # 8's one fee line (order 1010), once at its charged wholesale_price: 49.00.
    assert result.compliance["product_volume_only"]["fee_revenue"] == 49_000_000


# --- Example 5: a compliance course ---------------------------------------------------------


def test_example_5_compliance_course() -> None:
    files = {p.name: p.read_bytes() for p in EXAMPLE.iterdir()}
    files["training.csv"] = b"distributor,completed_day\n1,20760\n2,20787\n7,20788\n"
    hybrid = HYBRID.read_text() + '\n[compliance_course]\ncourse = "onboarding"\n'
    result = run_period(plan=load_plan(hybrid), inputs=parse_inputs(files))
    by_id = {int(i): k for k, i in enumerate(result.ids)}

    def col(name: str) -> list[int]:
        return [int(getattr(result, name)[by_id[i]]) for i in range(1, 9)]

    assert col("earned") == [128_500_000, 45_000_000, 12_500_000, 0, 0, 0, 80_000_000, 0]
    assert col("payout") == [128_500_000, 45_000_000, 0, 0, 0, 0, 0, 0]
    assert col("balance_out") == [0, 0, 12_500_000, 0, 15_000_000, -5_000_000, 80_000_000, 0]
    assert result.totals["payees"] == 2
    assert result.totals["payout"] == 173_500_000
    assert result.compliance["compliance_course"] == {
        "course": "onboarding",
        "completed": 2,
        "not_completed": 6,
        "held": 1,
        "held_amount": 80_000_000,
    }


# --- Example 4: stair-step differential --------------------------------------------------------


def test_example_4_stairstep_differential() -> None:
    text = """
[[ranks.rank]]
name = "Director"
min_pv = 50
min_gv = 100000

[stairstep]
basis = "group-volume"
breakaway_rank = "Director"
step = [{ min_gv = 0, pct = 5 }, { min_gv = 500, pct = 10 }, { min_gv = 1500, pct = 15 }]
"""
    rows = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 2, 2, 0)]
    result = run(plan(text), company(rows, [(1, 1000), (2, 400), (3, 200)]))
    assert lines(result, "stairstep") == [
        (1, 3, 1, 15000, 15000),
        (2, 2, 2, 4000, 4000),
        (2, 3, 1, 2000, 2000),
        (3, 1, 3, 1000, 1000),
        (3, 2, 2, 1000, 1000),
        (3, 3, 1, 1000, 1000),
    ]
