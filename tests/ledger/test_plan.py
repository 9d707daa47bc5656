"""Plan files: the shipped examples load, the canonical form is stable, bad plans name
file, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.errors import PlanError
from ledger.plan import canonical_plan, load_plan, plan_hash

PLANS = sorted((Path(__file__).resolve().parents[2] / "ledger" / "plans").glob("*.toml"))
MINIMAL = """
[plan]
name = "x"

[currency]
code = "USD"
decimals = 2
minor_per_point = 100
"""


def test_the_example_plans_ship() -> None:
    assert [p.name for p in PLANS] == [
        "binary_hybrid.toml",
        "company_rub.toml",
        "company_rub_bank.toml",
        "matrix_3x7.toml",
        "unilevel_stairstep.toml",
    ]


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.stem)
def test_example_plan_round_trips_through_its_canonical_form(path: Path) -> None:
    plan = load_plan(path.read_bytes(), source=path.name)
    canonical = canonical_plan(plan)
    again = load_plan(canonical)
    assert canonical_plan(again) == canonical
    assert plan_hash(again) == plan_hash(plan)


def test_hash_ignores_layout_and_key_order_but_not_values() -> None:
    a = load_plan(MINIMAL + "[unilevel]\npct = [5, 2.5]\ntree = 'enroller'\n")
    b = load_plan(MINIMAL + '[unilevel]\ntree = "enroller"\npct = [5.0, 2.50]\n')
    c = load_plan(MINIMAL + '[unilevel]\ntree = "enroller"\npct = [5, 2.6]\n')
    assert plan_hash(a) == plan_hash(b) != plan_hash(c)


def bad(fragment: str) -> PlanError:
    with pytest.raises(PlanError) as caught:
        load_plan(MINIMAL + fragment, source="company.toml")
    return caught.value


def test_overlapping_rank_thresholds_are_refused() -> None:
    error = bad("""
[[ranks.rank]]
name = "Silver"
min_pv = 100
min_gv = 1000

[[ranks.rank]]
name = "Gold"
min_pv = 100
min_gv = 1000
""")
    assert (error.file, error.field) == ("company.toml", "ranks.rank.1")
    assert "overlap" in error.reason


def test_a_rank_asking_less_than_the_one_below_is_refused() -> None:
    error = bad("""
[[ranks.rank]]
name = "Silver"
min_gv = 1000

[[ranks.rank]]
name = "Gold"
min_gv = 500
""")
    assert error.field == "ranks.rank.1"


def test_percentage_over_100_names_the_field() -> None:
    error = bad("[unilevel]\npct = [5, 101]\n")
    assert error.field == "unilevel.pct.1"
    assert "between 0 and 100" in error.reason


def test_percentage_with_too_many_decimals_is_refused() -> None:
    assert "four decimals" in bad("[unilevel]\npct = [5.00001]\n").reason


def test_unknown_rank_reference_is_refused() -> None:
    error = bad("[unilevel]\npct = [5]\nlevel_min_rank = ['Emerald']\n")
    assert (error.field, "Emerald" in error.reason) == ("unilevel.level_min_rank", True)


def test_missing_field_and_unknown_field_are_named() -> None:
    assert bad("[fast_start]\npct = [5]\n").field == "fast_start.days"
    assert bad("[binary]\npay_leg = 10\n").field == "binary.pay_leg"


def test_syntax_error_names_the_file() -> None:
    error = bad("[unilevel\n")
    assert str(error).startswith("company.toml: (syntax): ")


def test_matching_must_name_an_enabled_bonus() -> None:
    assert bad("[matching]\nmatches = ['binary']\npct = [10]\n").field == "matching.matches"


def test_binary_needs_a_binary_tree() -> None:
    error = bad("[placement]\nwidth = 3\n[binary]\npct_by_rank = { none = 10 }\n")
    assert error.field == "placement.width"


@pytest.mark.parametrize(
    ("currency", "field", "reason"),
    [
        ('code = "USD"\ndecimals = 6', "currency.decimals", "USD has 2 decimals"),
        ('code = "USDT"\ndecimals = 6\npeg = "XYZ"', "currency.peg", "not an ISO 4217"),
        ('code = "USD"\ndecimals = 2\npeg = "EUR"', "currency.peg", "only a token is pegged"),
        (
            'code = "USDT"\ndecimals = 6\npoint_currency = "ABC"',
            "currency.point_currency",
            "not an ISO 4217",
        ),
    ],
)
def test_a_plans_currencies_are_checked(currency: str, field: str, reason: str) -> None:
    text = MINIMAL.replace('code = "USD"\ndecimals = 2', currency)
    with pytest.raises(PlanError) as caught:
        load_plan(text, source="p.toml")
    assert caught.value.field == field and reason in caught.value.reason
