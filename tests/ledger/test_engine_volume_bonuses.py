"""Retail, fast start, unilevel (compression variants), forced matrix and stair-step, by hand.

1 point = 1.00 = 100 cents, so a line of ``p`` % on ``v`` points is ``p * v`` cents.
Activity needs PV >= 50. Lines read (source, level, payee, gross, amount); payee 0 = nobody.
"""

from __future__ import annotations

from engine_kit import START, company, lines, of, paid, plan, run

from ledger.inputs import KIND_RETAIL

CHAIN = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 2, 2, 0), (4, 3, 3, 0), (5, 4, 4, 0)]  # 5 -> 4 -> ... 1


def test_retail_profit_goes_to_the_seller_and_a_loss_counts_zero() -> None:
    """Distributor 2 sells at 150.00 what costs 100.00 wholesale: profit 50.00 (5,000 cents)
    to 2. Distributor 3 sells below wholesale (90.00 < 100.00): no line."""
    sales = [
        (2, KIND_RETAIL, START, 80, 80, 15000, 10000),
        (3, KIND_RETAIL, START, 80, 80, 9000, 10000),
    ]
    result = run(plan("[retail]\n"), company(CHAIN[:3], order_lines=sales))
    assert lines(result, "retail") == [(2, 0, 2, 5000, 5000)]


FAST_START = """
[fast_start]
days = 30
pct = [20, 10, 5]
unqualified = "breakage"
exclude_from_unilevel = true

[unilevel]
tree = "enroller"
pct = [10]
"""


def test_fast_start_pays_three_enroller_generations_and_breaks_the_missing_one() -> None:
    """3 joined on day 1 of the period and buys 200 CV on day 2: 20 % -> 2 (40.00), 10 % -> 1
    (20.00), 5 % -> nobody above 1: 10.00 breakage. The order is excluded from unilevel, so
    the only unilevel line is 2's own 100 CV: 10 % -> 1 = 10.00."""
    data = company(
        CHAIN[:3],
        [(1, 100), (2, 100)],
        joined={3: START},
        order_lines=[(3, 0, START + 1, 200, 200, 0, 24000)],
    )
    result = run(plan(FAST_START), data)
    assert lines(result, "fast_start") == [
        (3, 1, 2, 4000, 4000),
        (3, 2, 1, 2000, 2000),
        (3, 3, 0, 1000, 0),
    ]
    assert paid(result, "unilevel") == {1: 1000}


def test_fast_start_unqualified_upline_share_is_breakage_not_compressed() -> None:
    """2 buys nothing (inactive): its 40.00 is breakage; 1 still gets level 2's 20.00."""
    data = company(
        CHAIN[:3],
        [(1, 100)],
        joined={3: START},
        order_lines=[(3, 0, START + 1, 200, 200, 0, 24000)],
    )
    result = run(plan(FAST_START), data)
    assert lines(result, "fast_start")[:2] == [(3, 1, 2, 4000, 0), (3, 2, 1, 2000, 2000)]


def test_fast_start_ignores_orders_after_the_first_days() -> None:
    """3 joined 40 days before the period: day 40 is past the 30-day window: no fast start,
    and the 200 CV goes to unilevel instead (10 % -> 2 = 20.00)."""
    data = company(CHAIN[:3], [(1, 100), (2, 100), (3, 200)], joined={3: START - 40})
    result = run(plan(FAST_START), data)
    assert lines(result, "fast_start") == []
    assert paid(result, "unilevel")[2] == 2000


UNILEVEL = """
[[ranks.rank]]
name = "Pro"
min_pv = 200

[unilevel]
tree = "placement"
pct = [10, 5, 5]
unqualified = "{unqualified}"
variant = "{variant}"
level_min_rank = {levels}
"""


def unilevel(unqualified: str = "rollup", variant: str = "standard", levels: str = "[]") -> str:
    return UNILEVEL.format(unqualified=unqualified, variant=variant, levels=levels)


def test_unilevel_dynamic_compression_skips_the_inactive_upline() -> None:
    """5 buys 100 CV; 4 buys nothing. Compressed, the uplines are 3, 2, 1:
    10 % -> 3 (10.00), 5 % -> 2 (5.00), 5 % -> 1 (5.00)."""
    data = company(CHAIN, [(1, 100), (2, 100), (3, 100), (5, 100)])
    result = run(plan(unilevel("rollup")), data)
    assert [x for x in lines(result, "unilevel") if x[0] == 5] == [
        (5, 1, 3, 1000, 1000),
        (5, 2, 2, 500, 500),
        (5, 3, 1, 500, 500),
    ]


def test_unilevel_without_compression_breaks_the_inactive_uplines_share() -> None:
    """unqualified = "breakage": level 1 is 4 (inactive): 10.00 breakage; 3 and 2 get 5.00."""
    data = company(CHAIN, [(1, 100), (2, 100), (3, 100), (5, 100)])
    result = run(plan(unilevel("breakage")), data)
    assert [x for x in lines(result, "unilevel") if x[0] == 5] == [
        (5, 1, 4, 1000, 0),
        (5, 2, 3, 500, 500),
        (5, 3, 2, 500, 500),
    ]


def test_unilevel_standard_variant_uses_up_a_level_the_payee_is_not_paid_for() -> None:
    """Level 3 needs rank Pro (PV >= 200); only 1 is a Pro. From 5: level 1 -> 4, level 2
    -> 3, level 3 -> 2, who is not a Pro: standard = 5.00 breakage, and 1 gets nothing."""
    data = company(CHAIN, [(1, 200), (2, 100), (3, 100), (4, 100), (5, 100)])
    result = run(plan(unilevel(levels='["none", "none", "Pro"]')), data)
    assert [x for x in lines(result, "unilevel") if x[0] == 5] == [
        (5, 1, 4, 1000, 1000),
        (5, 2, 3, 500, 500),
        (5, 3, 2, 500, 0),
    ]


def test_unilevel_generous_variant_skips_to_the_next_upline_paid_that_deep() -> None:
    """Same company, generous: level 3 goes past 2 to 1 (a Pro): 1 gets 5.00."""
    data = company(CHAIN, [(1, 200), (2, 100), (3, 100), (4, 100), (5, 100)])
    result = run(plan(unilevel(variant="generous", levels='["none", "none", "Pro"]')), data)
    assert [x for x in lines(result, "unilevel") if x[0] == 5] == [
        (5, 1, 4, 1000, 1000),
        (5, 2, 3, 500, 500),
        (5, 3, 1, 500, 500),
    ]


MATRIX = """
[placement]
width = 2

[matrix]
width = 2
depth = 2
pct = [10, 5]
completion_bonus = 10000
"""
FULL_2X2 = [
    (1, 0, 0, 0),
    (2, 1, 1, 0),
    (3, 1, 1, 1),
    (4, 2, 2, 0),
    (5, 2, 2, 1),
    (6, 3, 3, 0),
    (7, 3, 3, 1),
]


def test_matrix_pays_placement_levels_and_a_completion_bonus_once() -> None:
    """Everyone buys 100 CV. Source 4: level 1 -> 2 (10.00), level 2 -> 1 (5.00). The 2 + 4
    positions below 1 are full: completion bonus 100.00 to 1, and matrix_done becomes 1.
    Total to 1: levels from 2 and 3 (10.00 each), from 4..7 (5.00 each), plus 100.00."""
    result = run(plan(MATRIX), company(FULL_2X2, [(i, 100) for i in range(1, 8)]))
    assert [x for x in lines(result, "matrix") if x[0] == 4] == [
        (4, 1, 2, 1000, 1000),
        (4, 2, 1, 500, 500),
    ]
    assert lines(result, "matrix_completion") == [(1, 0, 1, 10000, 10000)]
    assert paid(result, "matrix")[1] == 2 * 1000 + 4 * 500
    assert int(result.matrix_done[0]) == 1


def test_matrix_completion_is_not_paid_twice() -> None:
    """Carry-in state says 1 already completed: no completion line."""
    data = company(FULL_2X2, [(i, 100) for i in range(1, 8)], state=[(1, 0, 0, 0, 0, 1)])
    assert lines(run(plan(MATRIX), data), "matrix_completion") == []


STAIRSTEP = """
[[ranks.rank]]
name = "Consultant"
min_pv = 50

[[ranks.rank]]
name = "Manager"
min_pv = 50
min_gv = 400

[[ranks.rank]]
name = "Director"
min_pv = 50
min_gv = 3000
max_leg_pct = 50

[stairstep]
tree = "enroller"
basis = "rank"
breakaway_rank = "Director"
generation_pct = [5]
step = [
  { rank = "Consultant", pct = 5 },
  { rank = "Manager", pct = 10 },
  { rank = "Director", pct = 20 },
]
"""


def test_stairstep_pays_differentials_up_to_the_breakaway() -> None:
    """Chain 4 -> 3 -> 2 -> 1 (enrollers). PV: 4: 100, 3: 400, 2: 2,600, 1: 3,000.
    GV: 4: 100, 3: 500, 2: 3,100, 1: 6,100. Director needs 3,000 with a leg counted at most
    1,500: 2 = 2,600 + min(500, 1,500) = 3,100 yes; 1 = 3,000 + min(3,100, 1,500) = 4,500 yes.
    Manager (GV >= 400): 3. Consultant: 4. Steps: 4 5 %, 3 10 %, 2 and 1 20 % (breakaway).
    Source 4 (100 CV): 4 own 5 % = 5.00, 3 +5 % = 5.00, 2 +10 % = 10.00, top reached.
    Source 3 (400): 3 10 % = 40.00, 2 +10 % = 40.00. Source 2 (2,600): 2 20 % = 520.00.
    Source 1 (3,000): 1 20 % = 600.00.
    Generations: 2's group CV (2 + 3 + 4) = 3,100; 1 is 2's first breakaway upline:
    5 % = 155.00 to 1. 1's group is itself (3,000): nobody above: 150.00 breakage."""
    data = company(CHAIN[:4], [(4, 100), (3, 400), (2, 2600), (1, 3000)])
    result = run(plan(STAIRSTEP), data)
    assert lines(result, "stairstep") == [
        (1, 3, 1, 60000, 60000),
        (2, 3, 2, 52000, 52000),
        (3, 2, 3, 4000, 4000),
        (3, 3, 2, 4000, 4000),
        (4, 1, 4, 500, 500),
        (4, 2, 3, 500, 500),
        (4, 3, 2, 1000, 1000),
    ]
    assert lines(result, "generation") == [(1, 1, 0, 15000, 0), (2, 1, 1, 15500, 15500)]


def test_stairstep_unreached_top_percentage_is_breakage() -> None:
    """Only 4 (Consultant, 5 %) and 3 (Manager, 10 %) exist: from 4's 100 CV, 4 gets 5.00,
    3 gets 5.00, and the 10 % up to the top 20 % has nobody: 10.00 breakage."""
    data = company([(3, 0, 0, 0), (4, 3, 3, 0)], [(4, 100), (3, 400)])
    result = run(plan(STAIRSTEP), data)
    assert [x for x in lines(result, "stairstep") if x[0] == 4] == [
        (4, 1, 4, 500, 500),
        (4, 2, 3, 500, 500),
        (4, 3, 0, 1000, 0),
    ]


BREAKAWAY_BELOW_TOP = """
[[ranks.rank]]
name = "Consultant"
min_pv = 50

[[ranks.rank]]
name = "Director"
min_pv = 50
min_gv = 1000

[[ranks.rank]]
name = "Executive"
min_pv = 50
min_gv = 3000

[stairstep]
tree = "enroller"
basis = "rank"
breakaway_rank = "Director"
generation_pct = [5]
step = [
  { rank = "Consultant", pct = 5 },
  { rank = "Director", pct = 15 },
  { rank = "Executive", pct = 20 },
]
"""


def test_stairstep_breakaway_rank_below_the_top_step_earns_its_own_step() -> None:
    """Chain 3 -> 2 -> 1 (enrollers). PV: 3: 100, 2: 1,000, 1: 2,000; GV: 3: 100,
    2: 1,100, 1: 3,100. Ranks: 3 Consultant (5 %), 2 Director (>= 1,000: 15 %, breakaway),
    1 Executive (>= 3,000: 20 %, breakaway too). 2 breaks away but is paid 15 %, not the top 20 %.
    The differential walk ends at a breakaway distributor: 2's group has left 1's.
    Source 3 (100 CV): 3 own 5 % = 5.00; 2 15 - 5 = 10 % = 10.00; 20 - 15 = 5 % = 5.00 breakage.
    Source 2 (1,000): 2 own 15 % = 150.00; 20 - 15 = 5 % = 50.00 breakage (not 1's).
    Source 1 (2,000): 1 own 20 % = 400.00.
    Generations: 2's group CV 1,000 + 100 = 1,100, 1 is 2's first breakaway upline: 5 % = 55.00;
    1's group is 2,000 (2's group excluded), nobody above: 100.00 breakage."""
    data = company(CHAIN[:3], [(3, 100), (2, 1000), (1, 2000)])
    result = run(plan(BREAKAWAY_BELOW_TOP), data)
    assert [of(result, "paid_rank", who) for who in (1, 2, 3)] == [3, 2, 1]
    assert lines(result, "stairstep") == [
        (1, 3, 1, 40000, 40000),
        (2, 2, 2, 15000, 15000),
        (2, 3, 0, 5000, 0),
        (3, 1, 3, 500, 500),
        (3, 2, 2, 1000, 1000),
        (3, 3, 0, 500, 0),
    ]
    assert lines(result, "generation") == [(1, 1, 0, 10000, 0), (2, 1, 1, 5500, 5500)]


GGV_STEPS = """
[[ranks.rank]]
name = "Director"
min_pv = 50
min_gv = 1000
max_leg_pct = 50

[stairstep]
tree = "enroller"
basis = "group-volume"
breakaway_rank = "Director"
step = [{ min_gv = 0, pct = 5 }, { min_gv = 500, pct = 10 }, { min_gv = 1500, pct = 15 }]
"""


def test_stairstep_breakaway_step_comes_from_group_volume_without_broken_away_groups() -> None:
    """Chain 3 -> 2 -> 1 (enrollers). PV: 3: 1,200, 2: 1,000, 1: 100. Director needs GV 1,000
    with a leg counted at most 500: 3 = 1,200 yes; 2 = 1,000 + min(1,200, 500) = 1,500 yes;
    1 = 100 + min(2,200, 500) = 600 no. So 3 and 2 break away.
    GGV: 3 = 1,200 (10 %); 2 = 2,200 - 3's 1,200 = 1,000 (10 %, although GV 2,200 would
    reach 15 %); 1 = 2,300 - 2's 2,200 = 100 (5 %). Nobody is on the 15 % step.
    Source 3 (1,200 CV): 3 own 10 % = 120.00; no one above on 15 %: 5 % = 60.00 breakage.
    Source 2 (1,000): 2 own 10 % = 100.00; 5 % = 50.00 breakage.
    Source 1 (100): 1 own 5 % = 5.00; 10 % = 10.00 breakage."""
    data = company(CHAIN[:3], [(3, 1200), (2, 1000), (1, 100)])
    result = run(plan(GGV_STEPS), data)
    assert [of(result, "paid_rank", who) for who in (1, 2, 3)] == [0, 1, 1]
    assert lines(result, "stairstep") == [
        (1, 1, 1, 500, 500),
        (1, 3, 0, 1000, 0),
        (2, 2, 2, 10000, 10000),
        (2, 3, 0, 5000, 0),
        (3, 2, 3, 12000, 12000),
        (3, 3, 0, 6000, 0),
    ]
