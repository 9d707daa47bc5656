"""The compliance course (docs/compensation.md#compliance-course): a plan may name a course a
distributor must have completed by the period's last day to be paid; the money of one who has
not is held as balance, not broken; completions are a period input.

Money: 1 point = 1.00 = 100 cents (engine_kit). Unless a test says otherwise the company is a
chain 1 <- 2 <- 3 (enroller = placement), a 10 % one-level unilevel, and 3 buys 1,000 points, so
2 earns 100.00 (10,000 cents) and 1 earns 10.00 on 2's 100 points.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from engine_kit import END, START, company, lines, of, plan, run

from backend.packages import read_dir
from ledger.engine import PeriodResult
from ledger.errors import InputError, PlanError
from ledger.inputs import PeriodInputs, Training
from ledger.package import (
    FORMAT_V2,
    build_package,
    inputs_csv_files,
    parse_inputs,
    read_table,
    verify_package,
)
from ledger.plan import canonical_plan, load_plan, plan_hash

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE / "example_company"
PLANS = HERE.parents[1] / "ledger" / "plans"
COURSE = '\n[compliance_course]\ncourse = "onboarding"\n'
UNILEVEL = '\n[unilevel]\ntree = "enroller"\npct = [10]\n'
ROWS = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 2, 2, 0)]
ORDERS = [(1, 100), (2, 100), (3, 1000)]


def _trained(inputs: PeriodInputs, days: dict[int, int]) -> PeriodInputs:
    return dataclasses.replace(
        inputs,
        training=Training.from_columns(distributor=list(days), completed_day=list(days.values())),
    )


def _run(
    days: dict[int, int] | None,
    *,
    fragment: str = UNILEVEL + COURSE,
    no_wallet: tuple[int, ...] = (),
) -> PeriodResult:
    data = company(ROWS, ORDERS, no_wallet=no_wallet)
    return run(plan(fragment), data if days is None else _trained(data, days))


@pytest.mark.parametrize(
    ("day", "paid"),
    [(START - 400, True), (START, True), (END, True), (END + 1, False)],
    ids=["long-before", "first-day", "last-day", "day-after"],
)
def test_completed_by_the_last_day_is_paid_after_it_is_held(day: int, paid: bool) -> None:
    result = _run({1: START, 2: day})
    assert of(result, "earned", 2) == 10_000
    assert of(result, "payout", 2) == (10_000 if paid else 0)
    assert of(result, "balance_out", 2) == (0 if paid else 10_000)
    report = result.compliance["compliance_course"]
    assert report == {
        "course": "onboarding",
        "completed": 2 if paid else 1,
        "not_completed": 1 if paid else 2,
        "held": 0 if paid else 1,
        "held_amount": 0 if paid else 10_000,
    }


def test_a_hold_changes_no_line_only_the_payout() -> None:
    """Lines, amounts, earned and compression are the plan's as without a course: a
    distributor without the course still qualifies the walk and is still matched."""
    fragment = UNILEVEL + '\n[matching]\nmatches = ["unilevel"]\npct = [50]\n'
    without = _run(None, fragment=fragment)
    held = _run({}, fragment=fragment + COURSE)  # nobody completed it
    for bonus in ("unilevel", "matching"):
        assert lines(held, bonus) == lines(without, bonus)
    assert held.earned.tolist() == without.earned.tolist()
    assert held.payout.tolist() == [0, 0, 0]
    assert held.balance_out.tolist() == without.earned.tolist()
    assert held.payout_root == "0x" + "00" * 32
    report = held.compliance["compliance_course"]
    assert report["held"] == 2  # 1 (10.00 + 50.00 matching) and 2 (100.00); 3 earned nothing
    assert report["held_amount"] == int(without.payout.sum()) == 16_000


def test_the_hold_is_carried_and_paid_in_the_first_period_after_completion() -> None:
    first = _run({1: START, 2: END + 3})
    assert of(first, "balance_out", 2) == 10_000
    carry = [
        (int(i), 0, 0, int(b), 0, 0) for i, b in zip(first.ids, first.balance_out, strict=True) if b
    ]
    days = 30
    data = company(ROWS, ORDERS, state=carry, period_id=2)
    shifted = dataclasses.replace(
        data,
        start_day=START + days,
        end_day=END + days,
        orders=dataclasses.replace(data.orders, day=data.orders.day + days),
    )
    second = run(plan(UNILEVEL + COURSE), _trained(shifted, {1: START, 2: END + 3}))
    assert of(second, "balance_in", 2) == 10_000
    assert of(second, "payout", 2) == 20_000  # the held 100.00 and this period's 100.00
    assert of(second, "balance_out", 2) == 0
    assert second.compliance["compliance_course"]["held"] == 0


def test_other_reasons_come_first_and_are_not_counted_as_course_holds() -> None:
    """Without a wallet, below the minimum: carried for that reason, not for the course."""
    no_wallet = _run({}, no_wallet=(2,))
    assert of(no_wallet, "balance_out", 2) == 10_000
    assert no_wallet.compliance["compliance_course"]["held"] == 1  # 1 only (10.00)
    assert no_wallet.compliance["compliance_course"]["held_amount"] == 1_000
    minimum = _run({}, fragment=UNILEVEL + COURSE + "\n[payout]\nminimum = 5000\n")
    assert minimum.compliance["compliance_course"]["held"] == 1  # 2 only; 1's 10.00 < 50.00
    assert minimum.compliance["compliance_course"]["held_amount"] == 10_000


def test_a_plan_naming_a_course_refuses_inputs_without_completions() -> None:
    with pytest.raises(InputError) as refused:
        _run(None)
    assert str(refused.value).startswith("training.csv: missing: the plan's [compliance_course]")
    assert "'onboarding'" in str(refused.value)


@pytest.mark.parametrize(
    ("days", "who", "day", "message"),
    [
        ({}, [9], [START], "training.csv: distributor 9: is not a distributor"),
        ({}, [2, 2], [START, END], "training.csv: distributor 2: appears twice"),
        ({}, [2], [-1], "training.csv: row with key 2: negative completed_day"),
    ],
)
def test_bad_completion_rows_are_refused(
    days: dict[int, int], who: list[int], day: list[int], message: str
) -> None:
    del days
    data = dataclasses.replace(
        company(ROWS, ORDERS),
        training=Training.from_columns(distributor=who, completed_day=day),
    )
    with pytest.raises(InputError, match=message):
        run(plan(UNILEVEL + COURSE), data)


def test_without_a_course_completions_are_neither_read_nor_packaged() -> None:
    plain = company(ROWS, ORDERS)
    given = _trained(plain, {9: -5})  # would be refused if it were read
    p = plan(UNILEVEL)
    assert run(p, given).payout.tolist() == run(p, plain).payout.tolist()
    assert build_package(plan=p, inputs=given) == build_package(plan=p, inputs=plain)


# The repository's plans on the example company, computed before the compliance course existed
# (rates.json added so that company_rub, which values a point in roubles, can run). Without a
# [compliance_course] every package must keep exactly these bytes, and so verify as before. They
# are format 2 packages (before the income disclosure's year-to-date tables), recomputed in it.
BEFORE = {
    "binary_hybrid": (
        "0x251c7e069ae7a4e39e00ac3760147fcf9fa5d12e8ceb2a4f31a08a20b6cfbebf",
        "0x3af5c77b665eb62fc034524c38a5210db0cc3260f5f965502ce92d17a7af3f7b",
    ),
    "company_rub": (
        "0x251c7e069ae7a4e39e00ac3760147fcf9fa5d12e8ceb2a4f31a08a20b6cfbebf",
        "0x4e089144c2df3f997fbe386396606b80c309ee9d44feda43a3c860c5bcd7931f",
    ),
    "matrix_3x7": (
        "0x251c7e069ae7a4e39e00ac3760147fcf9fa5d12e8ceb2a4f31a08a20b6cfbebf",
        "0x1e80acb4ef7d3c85de9bab59a74b7b7ec3b386e87035f738714380004ba85586",
    ),
    "unilevel_stairstep": (
        "0x251c7e069ae7a4e39e00ac3760147fcf9fa5d12e8ceb2a4f31a08a20b6cfbebf",
        "0x39c7facf524c8b354990af839e56936bb0fff154e7c1e6408189e1b850602d82",
    ),
}
RATES = (
    b'[{"base": "USD", "quote": "RUB", "date": "2026-11-27", "rate": "81.2345", '
    b'"source": "test"}]\n'
)


def _example_files() -> dict[str, bytes]:
    files = read_dir(EXAMPLE)
    files["rates.json"] = RATES
    return files


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_the_repositorys_plans_give_the_same_bytes_as_before(name: str) -> None:
    assert "compliance_course" not in (PLANS / f"{name}.toml").read_text()
    p = load_plan((PLANS / f"{name}.toml").read_bytes())
    files = build_package(plan=p, inputs=parse_inputs(_example_files()), format_version=FORMAT_V2)
    manifest = json.loads(files["manifest.json"])
    assert (manifest["inputsHash"], manifest["resultsHash"]) == BEFORE[name]
    assert verify_package(files) == []
    assert "inputs/training.tbl" not in files
    assert b"compliance_course" not in files["results/compliance.json"]


def _course_package(days: dict[int, int]) -> dict[str, bytes]:
    hybrid = (PLANS / "binary_hybrid.toml").read_text() + COURSE
    inputs = _trained(parse_inputs(read_dir(EXAMPLE)), days)
    return build_package(plan=load_plan(hybrid), inputs=inputs)


def test_completions_are_a_hashed_input_and_the_package_verifies() -> None:
    base = {1: 20760, 2: 20787, 7: 20788}
    files = _course_package(base)
    assert verify_package(files) == []
    table = read_table(
        files["inputs/training.tbl"],
        file="inputs/training.tbl",
        columns=("distributor", "completed_day"),
    )
    assert table["distributor"].tolist() == [1, 2, 7]
    hashes = {
        json.loads(_course_package(days)["manifest.json"])["inputsHash"]
        for days in (base, {**base, 7: 20787}, {**base, 7: 20789}, {1: 20760, 2: 20787})
    }
    assert len(hashes) == 4  # every completion day is committed to, even one that pays the same
    tampered = dict(files)
    tampered["inputs/training.tbl"] = files["inputs/training.tbl"].replace(
        (20788).to_bytes(2, "little"), (20787).to_bytes(2, "little")
    )
    assert tampered["inputs/training.tbl"] != files["inputs/training.tbl"]
    assert "inputs/training.tbl" in [m.file for m in verify_package(tampered)]


def test_completions_round_trip_through_csv_in_any_row_order() -> None:
    inputs = _trained(parse_inputs(read_dir(EXAMPLE)), {7: 20788, 1: 20760, 2: 20787})
    csv = inputs_csv_files(inputs)
    assert csv["training.csv"] == b"distributor,completed_day\n1,20760\n2,20787\n7,20788\n"
    again = parse_inputs(csv)
    assert again.training is not None
    assert again.training.distributor.tolist() == [1, 2, 7]
    hybrid = load_plan((PLANS / "binary_hybrid.toml").read_text() + COURSE)
    assert build_package(plan=hybrid, inputs=again) == build_package(plan=hybrid, inputs=inputs)
    assert parse_inputs(read_dir(EXAMPLE)).training is None


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ('course = "Onboarding"', "compliance_course.course"),
        ('course = "on boarding"', "compliance_course.course"),
        ('course = ""', "compliance_course.course"),
        ('course = "' + "a" * 41 + '"', "compliance_course.course"),
        ("course = 7", "compliance_course.course"),
        ("", "compliance_course.course"),
        ('course = "onboarding"\ndue_days = 3', "compliance_course.due_days"),
    ],
)
def test_the_plan_refuses_a_bad_course(section: str, field: str) -> None:
    with pytest.raises(PlanError) as refused:
        plan(f"\n[compliance_course]\n{section}\n")
    assert refused.value.field == field


def test_a_course_slug_loads_and_is_part_of_the_plan_hash() -> None:
    named = plan(UNILEVEL + '\n[compliance_course]\ncourse = "starter-2"\n')
    assert named.compliance_course is not None
    assert named.compliance_course.course == "starter-2"
    other = plan(UNILEVEL + '\n[compliance_course]\ncourse = "starter-3"\n')
    assert len({plan_hash(named), plan_hash(other), plan_hash(plan(UNILEVEL))}) == 3
    assert b'[compliance_course]\ncourse = "starter-2"' in canonical_plan(named)
