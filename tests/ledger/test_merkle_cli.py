"""`lineage merkle root|proof` on good and malformed LEAVES.json files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli import _register, app
from ledger.merkle import PayoutLeaf, PayoutTree

_register()
runner = CliRunner()
ALICE = "0x" + "11" * 20
CHECKSUMMED = "0x52908400098527886E0F7030069857D2E4169EE7"  # from EIP-55's examples


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "LEAVES.json"
    path.write_text(content)
    return path


def test_root_and_proof_print_what_the_tree_computes(tmp_path: Path) -> None:
    rows = [[3, i, "0x" + f"{i + 1:02x}" * 20, 10 * i] for i in range(5)]
    path = write(tmp_path, json.dumps(rows))
    tree = PayoutTree([PayoutLeaf(*row) for row in rows])

    result = runner.invoke(app, ["merkle", "root", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == tree.root_hex

    result = runner.invoke(app, ["merkle", "proof", str(path), "--index", "3"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == tree.proof(3)


def test_amounts_as_digit_strings_and_checksummed_addresses_are_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps([[1, 0, CHECKSUMMED, str(2**200)]]))
    result = runner.invoke(app, ["merkle", "root", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("0x")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "the file is empty"),
        ("[]", "the array is empty"),
        ("{", "not JSON"),
        ('{"a": 1}', "expected a JSON array"),
        (json.dumps([[1, 0, "0x12", 5]]), "row 0: account must be a 0x-prefixed"),
        (json.dumps([[1, 0, CHECKSUMMED.replace("E", "e", 1), 5]]), "EIP-55 checksum"),
        (json.dumps([[1, 0, ALICE, -5]]), "row 0: amount must not be negative"),
        (json.dumps([[1, 0, ALICE, 2.5]]), "row 0: amount must be an integer"),
        (json.dumps([[1, 0, ALICE, "12a"]]), "row 0: amount must be an integer"),
        (json.dumps([[1, 0, ALICE, 5], [1, 0, ALICE, 6]]), "row 1: duplicate index 0"),
        (json.dumps([[1, 0, ALICE]]), "row 0: expected [periodId, index, account, amount]"),
    ],
)
def test_malformed_input_exits_non_zero_with_a_one_line_reason(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = write(tmp_path, content)
    result = runner.invoke(app, ["merkle", "root", str(path)])
    assert result.exit_code == 2
    assert reason in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_missing_file_and_unknown_index_are_reported(tmp_path: Path) -> None:
    result = runner.invoke(app, ["merkle", "root", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "no such file" in result.output
    path = write(tmp_path, json.dumps([[1, 0, ALICE, 5]]))
    result = runner.invoke(app, ["merkle", "proof", str(path), "--index", "7"])
    assert result.exit_code == 2 and "no leaf with index 7" in result.output


def test_the_eip55_check_agrees_with_eth_utils() -> None:
    # leaves_file checks EIP-55 itself (eth_utils' import would slow `lineage merkle` down).
    import random

    from eth_utils.address import is_checksum_address as reference
    from eth_utils.address import to_checksum_address

    from backend.leaves_file import is_checksum_address

    rng = random.Random(55)
    for _ in range(500):
        lower = "0x" + rng.randbytes(20).hex()
        good = to_checksum_address(lower)
        flip = rng.choice([i for i, c in enumerate(good) if c.isalpha() and i > 1])
        typo = good[:flip] + good[flip].swapcase() + good[flip + 1 :]
        for candidate in (good, lower, "0x" + lower[2:].upper(), typo, good[:-1], good + "0"):
            assert is_checksum_address(candidate) == reference(candidate), candidate
    assert is_checksum_address(CHECKSUMMED)
