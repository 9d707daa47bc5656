"""Binary bonus, computed by hand. 1 point = 1.00 = 100 cents; activity needs PV >= 50.

The company of every test: A (1) at the root; B (2) on A's left, C (3) on A's right, both
enrolled by A. B buys 1,500 CV, C buys 700 CV; A buys 100 unless said otherwise.
"""

from __future__ import annotations

from engine_kit import company, lines, of, plan, run

ROWS = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 1, 1, 1)]
CARRY_IN = [(1, 0, 200, 0, 0, 0)]  # A carries 0 left, 200 right


def binary_plan(extra: str = "", ranks: str = "") -> str:
    return f"""
{ranks}
[binary]
mode = "pay-leg"
pct_by_rank = {{ none = 10 }}
{extra}
"""


def test_pay_leg_worked_example_of_the_plan_document() -> None:
    """docs/compensation.md, example 1a: TL = 1,500 + 0, TR = 700 + 200 = 900; weak leg
    900 x 10 % = 90.00 (9,000 cents); carry-out 1,500 - 900 = 600 left, 900 - 900 = 0 right."""
    result = run(
        plan(binary_plan()), company(ROWS, [(1, 100), (2, 1500), (3, 700)], state=CARRY_IN)
    )
    assert lines(result, "binary") == [(1, 0, 1, 9000, 9000)]
    assert (of(result, "left_volume", 1), of(result, "right_volume", 1)) == (1500, 900)
    assert (of(result, "carry_left", 1), of(result, "carry_right", 1)) == (600, 0)


def test_inactive_distributor_is_flushed_when_flush_inactive() -> None:
    """A buys nothing (PV 0 < 50): bonus 0, the 9,000 it would have paid is breakage, and
    with flush_inactive = true both carries go to 0."""
    result = run(
        plan(binary_plan("flush_inactive = true")),
        company(ROWS, [(2, 1500), (3, 700)], state=CARRY_IN),
    )
    assert lines(result, "binary") == [(1, 0, 1, 9000, 0)]
    assert (of(result, "carry_left", 1), of(result, "carry_right", 1)) == (0, 0)


def test_inactive_distributor_keeps_both_legs_without_flush() -> None:
    """flush_inactive = false: no line, nothing consumed: carry-out 1,500 / 900."""
    result = run(
        plan(binary_plan("flush_inactive = false")),
        company(ROWS, [(2, 1500), (3, 700)], state=CARRY_IN),
    )
    assert lines(result, "binary") == []
    assert (of(result, "carry_left", 1), of(result, "carry_right", 1)) == (1500, 900)


def test_cycles_pay_a_fixed_value_and_the_strong_leg_takes_b() -> None:
    """Cycle 300 weak : 600 strong at 25.00. Weak leg is right (900), strong left (1,500):
    n = min(900 // 300, 1500 // 600) = min(3, 2) = 2 -> 50.00 (5,000 cents); consumed 600 right,
    1,200 left; carry-out 300 / 300."""
    text = """
[binary]
mode = "cycles"
cycle = { weak = 300, strong = 600, value = 2500 }
"""
    result = run(plan(text), company(ROWS, [(1, 100), (2, 1500), (3, 700)], state=CARRY_IN))
    assert lines(result, "binary") == [(1, 0, 1, 5000, 5000)]
    assert (of(result, "carry_left", 1), of(result, "carry_right", 1)) == (300, 300)


def test_rank_cap_turns_the_excess_into_breakage() -> None:
    """cap 50.00 for every rank: 90.00 allowed, 50.00 paid, 40.00 breakage; the volume is
    consumed as usual (carry 600 / 0)."""
    result = run(
        plan(binary_plan("cap_by_rank = { none = 5000 }")),
        company(ROWS, [(1, 100), (2, 1500), (3, 700)], state=CARRY_IN),
    )
    assert lines(result, "binary") == [(1, 0, 1, 9000, 5000)]
    assert of(result, "carry_left", 1) == 600


def test_carry_ceiling_flushes_volume_above_it() -> None:
    """carry_ceiling = 500: the 600 left over is cut to 500."""
    result = run(
        plan(binary_plan("carry_ceiling = 500")),
        company(ROWS, [(1, 100), (2, 1500), (3, 700)], state=CARRY_IN),
    )
    assert (of(result, "carry_left", 1), of(result, "carry_right", 1)) == (500, 0)


def test_carry_ceiling_caps_the_strong_leg_only() -> None:
    """carry_ceiling = 800, A inactive and not flushed, so nothing is paid or taken; the strong
    leg is the larger one, the left on a tie (as the cycles mode defines it).
    - B 1,500, C 700 + 200: TL 1,500 (strong) -> 800; TR 900 (weak) carries in full: 900.
    - B 500, C 700 + 200: TR 900 (strong) -> 800; TL 500 (weak): 500.
    - B 1,100, C 900 + 200: TL = TR = 1,100, the left is strong -> 800; the right keeps 1,100."""
    extra = "flush_inactive = false\ncarry_ceiling = 800"
    for b, c, carry in ((1500, 700, (800, 900)), (500, 700, (500, 800)), (1100, 900, (800, 1100))):
        result = run(plan(binary_plan(extra)), company(ROWS, [(2, b), (3, c)], state=CARRY_IN))
        assert lines(result, "binary") == []
        assert (of(result, "carry_left", 1), of(result, "carry_right", 1)) == carry


def test_carry_ceiling_leaves_the_weak_legs_cycle_remainder_alone() -> None:
    """Cycles 300 : 600 as above (2 cycles, carry-out 300 left, 300 right) with
    carry_ceiling = 200: the left (1,500) is the strong leg, its 300 is cut to 200; the right
    (weak, 900) keeps its 300."""
    text = """
[binary]
mode = "cycles"
cycle = { weak = 300, strong = 600, value = 2500 }
carry_ceiling = 200
"""
    result = run(plan(text), company(ROWS, [(1, 100), (2, 1500), (3, 700)], state=CARRY_IN))
    assert lines(result, "binary") == [(1, 0, 1, 5000, 5000)]
    assert (of(result, "carry_left", 1), of(result, "carry_right", 1)) == (200, 300)


def test_sponsored_legs_rule_needs_an_own_enrollee_on_each_leg() -> None:
    """C is enrolled by B, so A has no personally enrolled active distributor on the right:
    no bonus, legs carry 1,500 / 900. With require_sponsored_legs = false A earns 90.00."""
    rows = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 2, 1, 1)]
    data = company(rows, [(1, 100), (2, 1500), (3, 700)], state=CARRY_IN)
    strict = run(plan(binary_plan("require_sponsored_legs = true")), data)
    assert lines(strict, "binary") == []
    assert (of(strict, "carry_left", 1), of(strict, "carry_right", 1)) == (1500, 900)
    relaxed = run(plan(binary_plan("require_sponsored_legs = false")), data)
    assert lines(relaxed, "binary") == [(1, 0, 1, 9000, 9000)]


def test_percentage_follows_the_paid_as_rank() -> None:
    """pct_by_rank none 10 %, Star 15 %; A is a Star with PV 100 >= 100: 900 x 15 % = 135.00."""
    ranks = """
[[ranks.rank]]
name = "Star"
min_pv = 100
"""
    text = binary_plan(ranks=ranks).replace("{ none = 10 }", "{ none = 10, Star = 15 }")
    result = run(plan(text), company(ROWS, [(1, 100), (2, 1500), (3, 700)], state=CARRY_IN))
    assert lines(result, "binary") == [(1, 0, 1, 13500, 13500)]
