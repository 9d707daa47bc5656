"""Inputs the engine refuses, each with a message naming the file, the record and the reason;
and the CLI turning every refusal into one line and a non-zero exit code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from engine_kit import END, START, company, plan, run
from typer.testing import CliRunner

from backend.cli import _register, app
from ledger.errors import CycleError, InputError, NegativeVolumeError, UnknownReferenceError

EXAMPLE = Path(__file__).resolve().parent / "example_company"
DEFAULT_PLAN = Path(__file__).resolve().parents[2] / "ledger" / "plans" / "binary_hybrid.toml"
UNILEVEL = plan("[unilevel]\ntree = 'enroller'\npct = [10]\n")
ROWS = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 2, 2, 0)]


def test_order_for_an_unknown_distributor_is_refused() -> None:
    with pytest.raises(UnknownReferenceError, match=r"orders\.csv: distributor 99: is not"):
        run(UNILEVEL, company(ROWS, [(99, 100)]))


def test_unknown_enroller_is_refused() -> None:
    with pytest.raises(UnknownReferenceError, match="enroller 7"):
        run(UNILEVEL, company([(1, 0, 0, 0), (2, 7, 1, 0)]))


def test_cycle_in_the_genealogy_is_refused() -> None:
    """2 and 3 are each other's enroller (and parent): nobody reaches a root."""
    rows = [(1, 0, 0, 0), (2, 3, 3, 0), (3, 2, 2, 0)]
    with pytest.raises(CycleError, match=r"distributor [23]: is their own ancestor"):
        run(UNILEVEL, company(rows, [(1, 100)]))


def test_negative_volume_is_refused() -> None:
    with pytest.raises(NegativeVolumeError, match="negative cv"):
        run(UNILEVEL, company(ROWS, order_lines=[(2, 0, START, 10, -5, 0, 0)]))


def test_fee_line_with_volume_is_refused() -> None:
    with pytest.raises(InputError, match="fee line must carry zero"):
        run(UNILEVEL, company(ROWS, order_lines=[(2, 2, START, 0, 5, 0, 4900)]))


def test_order_outside_the_period_is_refused() -> None:
    with pytest.raises(InputError, match="outside the period"):
        run(UNILEVEL, company(ROWS, order_lines=[(2, 0, END + 1, 100, 100, 0, 100)]))


def test_two_distributors_in_one_position_are_refused() -> None:
    rows = [(1, 0, 0, 0), (2, 1, 1, 0), (3, 1, 1, 0)]
    with pytest.raises(InputError, match="parent 1 position 0: is held by two"):
        run(plan("[retail]\n"), company(rows))


def test_duplicate_id_is_refused() -> None:
    with pytest.raises(InputError, match="id 2: appears twice"):
        run(UNILEVEL, company([(1, 0, 0, 0), (2, 1, 1, 0), (2, 1, 1, 1)]))


@pytest.fixture(autouse=True)
def _no_allocator_tuning(monkeypatch: pytest.MonkeyPatch) -> None:
    """`period compute/verify` tune the allocator for a whole process; not in a test session."""
    monkeypatch.setattr("backend.cli.period.keep_freed_memory", lambda: False)


@pytest.fixture(scope="module")
def cli() -> CliRunner:
    _register()
    return CliRunner()


def test_cli_refuses_a_bad_order_with_one_line(cli: CliRunner, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(EXAMPLE, inputs)
    with (inputs / "orders.csv").open("a") as f:
        f.write("2000,42,0,20760,10,10,0,100\n")
    result = cli.invoke(
        app,
        [
            "period",
            "compute",
            "--plan",
            str(DEFAULT_PLAN),
            "--inputs",
            str(inputs),
            "--out",
            str(tmp_path / "pkg"),
        ],
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: orders.csv: distributor 42: is not a distributor in distributors.csv"
    ]
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_refuses_a_bad_plan_with_one_line(cli: CliRunner, tmp_path: Path) -> None:
    bad_plan = tmp_path / "plan.toml"
    bad_plan.write_text(DEFAULT_PLAN.read_text().replace("min_pv = 100\n", "min_pv = -1\n", 1))
    result = cli.invoke(
        app,
        [
            "period",
            "compute",
            "--plan",
            str(bad_plan),
            "--inputs",
            str(EXAMPLE),
            "--out",
            str(tmp_path / "pkg"),
        ],
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad_plan}: activity.min_pv: ")


def test_cli_reports_a_missing_input_directory(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(
        app,
        [
            "period",
            "compute",
            "--plan",
            str(DEFAULT_PLAN),
            "--inputs",
            str(tmp_path / "nope"),
            "--out",
            str(tmp_path / "p"),
        ],
    )
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
