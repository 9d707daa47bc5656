"""`lineage audit` on a real Ganache with both rails: a period whose line 0 is a token line
(pushed) and lines 1 and 2 bank lines (attested with references computed from the bank's
statement). The package audit counts each line once by its rail; with `--bank-statement` and
the company's salt each attested reference is recomputed from its executed payment; a wrong
salt, a missing payment, a payment made twice, a paid line nobody attested, and a package that
calls an attested line a token line are each named.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bankfile_kit import COMPANY as REQUISITES
from bankfile_kit import TINKOFF, bank_statement, order
from test_audit_chain import (
    COMPANY,
    PLAN,
    Node,
    genealogy_rows,
    kinds,
    run_audit,
    runner,
    start_node,
    tampered,
    tree_of,
)
from test_chain_outbox import chain_template
from web3 import Web3

from backend.bankfiles.matching import payment_reference
from backend.bankfiles.orders import payment_file
from backend.bankfiles.statement import parse_statement
from backend.chain.deployment import Deployment
from backend.cli import app
from backend.packages import read_dir, write_package
from ledger.merkle import PayoutTree
from ledger.package import build_package, parse_inputs
from ledger.plan import load_plan

pytestmark = pytest.mark.chain
__all__ = ["chain_template"]  # the session fixture, re-exported for pytest

SALT = bytes(range(32))
#: Distributor 1 is paid in tokens, 2 (self-employed) and 7 (a company) by bank; 5 has no payout.
PAYEES = b"id,tax_status,rail\n1,1,0\n2,2,1\n5,3,1\n7,4,1\n"
TOKEN_LINE, BANK_LINES = 0, (1, 2)


@pytest.fixture(scope="module")
def rail_files() -> dict[str, bytes]:
    given = read_dir(COMPANY)
    given["payees.csv"] = PAYEES
    plan = load_plan(PLAN.read_bytes(), source=str(PLAN))
    files = build_package(plan=plan, inputs=parse_inputs(given))
    accounts = [row[2] for row in json.loads(files["results/leaves.json"])]
    assert [a.startswith("0xba4cba4cba4c") for a in accounts] == [False, True, True]
    return files


def payments(files: dict[str, bytes]) -> bytes:
    """The company's payment file for the two bank lines (orders 201 and 202)."""
    tree = tree_of(files)
    orders = [
        order(
            number=201 + n,
            amount=tree.leaf(index).amount,
            period_id=1,
            line_index=index,
            act_number=f"1-{index}",
            withheld=None,
            payee_account=account,
            **TINKOFF,
        )
        for n, (index, account) in enumerate(
            zip(BANK_LINES, ("40817810500001234567", "40802810500007654321"), strict=True)
        )
    ]
    return payment_file(REQUISITES, orders, created_at=datetime(2026, 4, 3, tzinfo=UTC))


def attest(node: Node, tree: PayoutTree, statement: bytes, salt: bytes = SALT) -> None:
    documents = {d.number: d for d in parse_statement(statement).documents}
    proof = tree.multiproof(list(BANK_LINES))
    refs = [payment_reference(salt, documents[str(200 + leaf.index)]) for leaf in proof.leaves]
    lines = [
        (leaf.index, Web3.to_checksum_address(leaf.account), leaf.amount) for leaf in proof.leaves
    ]
    node.send(
        node.vault.functions.attestBatch(1, lines, refs, list(proof.proof), list(proof.proof_flags))
    )


@pytest.fixture(scope="module")
def statement(rail_files: dict[str, bytes]) -> bytes:
    return bank_statement(payments(rail_files))


@pytest.fixture(scope="module")
def mixed_node(
    chain_template: tuple[Path, Deployment],
    rail_files: dict[str, bytes],
    statement: bytes,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Node]:
    """Period 1 anchored; its token line pushed, its bank lines attested."""
    node = start_node(chain_template, tmp_path_factory.mktemp("audit-rails") / "chain")
    try:
        node.place([row for row in genealogy_rows(rail_files) if row[0] != 1])
        manifest = json.loads(rail_files["manifest.json"])
        node.anchor(manifest)
        node.fund(tree_of(rail_files).leaf(TOKEN_LINE).amount)  # bank lines need no tokens
        tree = tree_of(rail_files)
        node.pay_batch(tree, [TOKEN_LINE])
        attest(node, tree, statement)
        yield node
    finally:
        node.stop()


def audit_with(
    node: Node,
    files: dict[str, bytes],
    tmp_path: Path,
    statement: bytes,
    *extra: str,
) -> tuple[int, dict[str, Any]]:
    write_package(tmp_path / "pkg", files)
    (tmp_path / "statement.txt").write_bytes(statement)
    return run_audit(
        node, tmp_path / "pkg", "--bank-statement", str(tmp_path / "statement.txt"), *extra
    )


def test_both_rails_pass_and_each_line_is_named_by_its_rail(
    mixed_node: Node,
    rail_files: dict[str, bytes],
    statement: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_package(tmp_path / "plain", rail_files)
    code, plain = run_audit(mixed_node, tmp_path / "plain")
    assert plain["findings"] == [] and code == 0
    assert plain["facts"]["paidByRail"] == {"token": 1, "claim": 0, "bank": 2}
    assert "bank" not in plain["checks"]
    rails = {(line["index"], line["rail"]) for line in plain["paid"]}
    assert rails == {(0, "token"), (1, "bank"), (2, "bank")}
    documents = {d.number: d for d in parse_statement(statement).documents}
    refs = {line["index"]: line["ref"] for line in plain["paid"]}
    assert refs[0] is None
    assert refs[1] == "0x" + payment_reference(SALT, documents["201"]).hex()

    monkeypatch.setenv("LINEAGE_PAYMENT_REF_SALT", SALT.hex())
    code, report = audit_with(mixed_node, rail_files, tmp_path, statement)
    assert report["findings"] == [] and code == 0
    assert report["checks"]["bank"] == 0 and report["facts"]["attestedChecked"] == 2

    monkeypatch.delenv("LINEAGE_PAYMENT_REF_SALT")
    (tmp_path / "salt").write_text(SALT.hex() + "\n")
    code, report = audit_with(
        mixed_node, rail_files, tmp_path, statement, "--salt-file", str(tmp_path / "salt")
    )
    assert report["findings"] == [] and code == 0


def test_a_wrong_salt_recomputes_other_references(
    mixed_node: Node, rail_files: dict[str, bytes], statement: bytes, tmp_path: Path
) -> None:
    (tmp_path / "salt").write_text(bytes(range(1, 33)).hex())
    code, report = audit_with(
        mixed_node, rail_files, tmp_path, statement, "--salt-file", str(tmp_path / "salt")
    )
    assert code == 1
    assert kinds(report) == {
        ("bank", "reference_differs", "period 1 index 1", "ref"),
        ("bank", "reference_differs", "period 1 index 2", "ref"),
    }
    [first] = [f for f in report["findings"] if f["subject"] == "period 1 index 1"]
    assert "document 201" in first["note"] and "statement.txt line" in first["note"]


def test_a_missing_and_a_doubled_payment_are_findings(
    mixed_node: Node,
    rail_files: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    file = payments(rail_files)
    once = parse_statement(bank_statement(file)).documents[0]
    bank_keys = ("ВидПлатежа", "Код")  # bank_statement adds them to every document
    again = {key: value for key, value in once.fields.items() if key not in bank_keys}
    again |= {"Номер": "301", "ДатаСписано": "07.04.2026"}
    statement = bank_statement(file, skip=["202"], extra=[again])
    monkeypatch.setenv("LINEAGE_PAYMENT_REF_SALT", SALT.hex())
    code, report = audit_with(mixed_node, rail_files, tmp_path, statement)
    assert code == 1
    assert kinds(report) == {
        ("bank", "paid_twice", "period 1 index 1", ""),
        ("bank", "payment_missing", "period 1 index 2", ""),
    }


def test_a_paid_line_nobody_attested_is_unpaid_with_its_payment(
    chain_template: tuple[Path, Deployment],
    rail_files: dict[str, bytes],
    statement: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node = start_node(chain_template, tmp_path / "chain")
    try:
        node.place([row for row in genealogy_rows(rail_files) if row[0] != 1])
        node.anchor(json.loads(rail_files["manifest.json"]))
        node.fund(tree_of(rail_files).total)
        node.pay_batch(tree_of(rail_files), [TOKEN_LINE])
        monkeypatch.setenv("LINEAGE_PAYMENT_REF_SALT", SALT.hex())
        code, report = audit_with(node, rail_files, tmp_path, statement)
    finally:
        node.stop()
    assert code == 1
    assert kinds(report) == {
        ("payments", "unpaid", "period 1 index 1", ""),
        (
            "payments",
            "unpaid",
            "period 1 index 2",
            "",
        ),
    }
    notes = [f["note"] for f in report["findings"]]
    assert all("a bank line; paid by document 20" in n and "not attested" in n for n in notes)


def test_a_package_calling_an_attested_line_a_token_line_is_named(
    mixed_node: Node, rail_files: dict[str, bytes], tmp_path: Path
) -> None:
    rows = json.loads(rail_files["results/leaves.json"])
    rows[1][2] = "0x2222222222222222222222222222222222222222"  # bank line 1 as a wallet
    rows[0][2] = "0xba4cba4cba4c" + "00" * 14  # token line 0 as a bank line
    path = "results/leaves.json"
    code, report = run_audit(
        mixed_node, tampered(tmp_path, rail_files, path, json.dumps(rows).encode())
    )
    assert code == 1
    found = kinds(report)
    assert ("package", "hash_mismatch", path, "SHA-256") in found
    assert ("payments", "not_a_bank_line", "period 1 index 1", "rail") in found
    assert ("payments", "bank_line_paid_in_tokens", "period 1 index 0", "rail") in found


def test_unusable_statements_and_salts_exit_2(
    mixed_node: Node,
    rail_files: dict[str, bytes],
    statement: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LINEAGE_PAYMENT_REF_SALT", raising=False)
    write_package(tmp_path / "pkg", rail_files)
    good = tmp_path / "statement.txt"
    good.write_bytes(statement)
    utf8 = tmp_path / "utf8.txt"
    utf8.write_bytes(b"\xef\xbb\xbf" + statement.decode("cp1251").encode("utf-8"))
    short = tmp_path / "short.salt"
    short.write_text("00ff")
    base = ["audit", str(tmp_path / "pkg"), "--deployment", str(mixed_node.record)]
    cases = [
        ([*base, "--bank-statement", str(good)], "set LINEAGE_PAYMENT_REF_SALT or give --salt"),
        (
            [*base, "--bank-statement", str(utf8), "--salt-file", str(short)],
            "utf8.txt: line 1: the file is UTF-8",
        ),
        ([*base, "--bank-statement", str(good), "--salt-file", str(short)], "at least 16 bytes"),
        ([*base, "--salt-file", str(short)], "only used with --bank-statement"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
