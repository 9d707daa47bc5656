"""Period packages: the example company end to end through the CLI, tampering detected and
located, canonical bytes whatever the input row order, CSV and binary inputs alike."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli import _register, app
from backend.packages import read_dir, read_package, write_package
from ledger.errors import PackageError
from ledger.inputs import AdminLogHead
from ledger.package import build_package, inputs_csv_files, parse_inputs, verify_package
from ledger.plan import load_plan

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE / "example_company"
PLAN = HERE.parents[1] / "ledger" / "plans" / "binary_hybrid.toml"


@pytest.fixture(autouse=True)
def _no_allocator_tuning(monkeypatch: pytest.MonkeyPatch) -> None:
    """`period compute/verify` tune the allocator for a whole process; not in a test session."""
    monkeypatch.setattr("backend.cli.period.keep_freed_memory", lambda: False)


@pytest.fixture(scope="module")
def cli() -> CliRunner:
    _register()
    return CliRunner()


@pytest.fixture()
def package(cli: CliRunner, tmp_path: Path) -> Path:
    out = tmp_path / "period-1"
    result = cli.invoke(
        app, ["period", "compute", "--plan", str(PLAN), "--inputs", str(EXAMPLE), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def test_compute_writes_every_file_and_the_manifest_hashes(package: Path) -> None:
    manifest = json.loads((package / "manifest.json").read_text())
    assert sorted(read_dir(package)) == sorted([*manifest["files"], "manifest.json"])
    assert manifest["leafCount"] == 3 and manifest["payoutTotal"] == 253_500_000
    leaves = json.loads((package / "results" / "leaves.json").read_text())
    assert leaves[0] == [1, 0, "0x" + "11" * 20, 128_500_000]


def test_verify_accepts_an_untouched_package(cli: CliRunner, package: Path) -> None:
    result = cli.invoke(app, ["period", "verify", str(package)])
    assert (result.exit_code, result.output.strip()) == (0, "ok: every file and hash matches")


def test_verify_names_the_file_and_first_differing_record(cli: CliRunner, package: Path) -> None:
    files = read_dir(package)
    tampered = bytearray(files["results/lines.tbl"])
    tampered[-1] ^= 1  # the last byte: the breakage column of the last line
    (package / "results" / "lines.tbl").write_bytes(bytes(tampered))
    result = cli.invoke(app, ["period", "verify", str(package)])
    assert result.exit_code == 1
    assert "mismatch: results/lines.tbl: record 29 differs" in result.output


def test_verify_spots_a_changed_input(package: Path) -> None:
    files = read_dir(package)
    files["inputs/period.json"] = files["inputs/period.json"].replace(
        b'"period_id": 1', b'"period_id": 2'
    )
    problems = verify_package(files)
    # The edited file no longer has the hash the manifest records; and recomputing from it
    # disagrees with the manifest and with every result that depends on the period id.
    assert [p.file for p in problems] == [
        "inputs/period.json",
        "manifest.json",
        "results/leaves.json",
        "results/totals.json",
    ]
    assert problems[0].where == "SHA-256"
    assert "inputs/period.json" in problems[1].expected
    assert problems[2].expected.startswith("  [2,") and problems[2].found.startswith("  [1,")


def test_zip_package_verifies_like_a_folder(package: Path, tmp_path: Path) -> None:
    zipped = tmp_path / "p.zip"
    write_package(zipped, read_dir(package))
    assert verify_package(read_package(zipped)) == []


def test_shuffled_input_rows_give_byte_identical_packages(tmp_path: Path) -> None:
    files = read_dir(EXAMPLE)
    shuffled = dict(files)
    for name in ("distributors.csv", "orders.csv", "state.csv"):
        head, *rows = files[name].decode().splitlines()
        shuffled[name] = ("\n".join([head, *reversed(rows)]) + "\n").encode()
    plan = load_plan(PLAN.read_bytes())
    a = build_package(plan=plan, inputs=parse_inputs(files))
    b = build_package(plan=plan, inputs=parse_inputs(shuffled))
    assert a == b


def test_inputs_written_as_csv_read_back_the_same(tmp_path: Path) -> None:
    inputs = parse_inputs(read_dir(EXAMPLE))
    again = parse_inputs(inputs_csv_files(inputs))
    plan = load_plan(PLAN.read_bytes())
    assert build_package(plan=plan, inputs=inputs) == build_package(plan=plan, inputs=again)
    assert (
        inputs_csv_files(inputs)["distributors.csv"] == (EXAMPLE / "distributors.csv").read_bytes()
    )


def test_export_writes_tables_as_csv(cli: CliRunner, package: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    assert cli.invoke(app, ["period", "export", str(package), "--out", str(out)]).exit_code == 0
    payees = (out / "results" / "payees.csv").read_text().splitlines()
    assert payees[0] == "id,earned,clawback,balance_in,payout,balance_out,leaf_index"
    assert payees[1] == "1,128500000,0,0,128500000,0,0"
    shutil.rmtree(out)


def test_admin_log_head_is_an_input_that_changes_the_inputs_hash() -> None:
    plan = load_plan(PLAN.read_bytes())
    plain = parse_inputs(read_dir(EXAMPLE))
    head = AdminLogHead(seq=7, hash="0x" + "ab" * 32)
    logged = dataclasses.replace(plain, admin_log=head)
    later = dataclasses.replace(plain, admin_log=AdminLogHead(seq=8, hash="0x" + "cd" * 32))
    manifests = [
        json.loads(build_package(plan=plan, inputs=i)["manifest.json"])
        for i in (plain, logged, later)
    ]
    assert len({m["inputsHash"] for m in manifests}) == 3
    assert len({m["resultsHash"] for m in manifests}) == 1  # the engine does not read it
    assert "inputs/admin_log.json" not in manifests[0]["files"]
    files = build_package(plan=plan, inputs=logged)
    assert json.loads(files["inputs/admin_log.json"]) == {"seq": 7, "hash": "0x" + "ab" * 32}
    assert verify_package(files) == []
    assert parse_inputs(inputs_csv_files(logged)).admin_log == head


def test_a_rewritten_admin_log_head_is_caught_by_verify() -> None:
    plan = load_plan(PLAN.read_bytes())
    inputs = dataclasses.replace(
        parse_inputs(read_dir(EXAMPLE)), admin_log=AdminLogHead(seq=7, hash="0x" + "ab" * 32)
    )
    files = build_package(plan=plan, inputs=inputs)
    files["inputs/admin_log.json"] = files["inputs/admin_log.json"].replace(b"ab", b"ac", 1)
    assert [p.file for p in verify_package(files)] == ["inputs/admin_log.json", "manifest.json"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"[]", "needs an object with seq and hash"),
        (b'{"seq": -1, "hash": "0x00"}', "seq must be a non-negative integer"),
        (b'{"seq": 1.5, "hash": "0x00"}', "seq must be a non-negative integer"),
        (b'{"seq": 1, "hash": "0xAB"}', "hash must be 0x and 64 lower-case hex digits"),
    ],
)
def test_a_malformed_admin_log_head_is_refused(text: bytes, message: str) -> None:
    files = read_dir(EXAMPLE)
    files["admin_log.json"] = text
    with pytest.raises(PackageError, match=message):
        parse_inputs(files)


def test_a_format_1_package_still_verifies_and_exports() -> None:
    """Periods computed before money carried its currency are recomputed in their format."""
    from ledger.package import tables_as_csv
    from ledger.package._files import FORMAT_V1

    plan = load_plan(PLAN.read_bytes(), source=PLAN.name)
    files = build_package(
        plan=plan, inputs=parse_inputs(read_dir(EXAMPLE)), format_version=FORMAT_V1
    )
    assert json.loads(files["manifest.json"])["format"] == FORMAT_V1
    assert b"currency" not in files["results/lines.tbl"].split(b"\n")[1]
    assert verify_package(files) == []
    assert tables_as_csv(files)["results/lines.csv"].startswith(b"bonus,source,level,payee,")
    tampered = dict(files)
    tampered["results/compliance.json"] = files["results/compliance.json"].replace(b"0", b"1", 1)
    assert verify_package(tampered)
