"""`lineage audit` on a real Ganache: a package anchored and paid passes; tampering with the
package or a chain that diverges from it is named down to the record.

The chain is deployed once (the outbox tests' session template); each scenario starts its own
node from a copy of it, places the example company, anchors period 1 and pays it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_chain_outbox import chain_template, free_port
from typer.testing import CliRunner
from web3 import Web3

from backend.chain.deployment import Deployment
from backend.chain.gateway import ChainGateway, PlacementRequest, load_abi
from backend.cli import _register, app
from backend.dev.devchain import ManagedGanache, address_of, load_or_create_mnemonic, mnemonic_key
from backend.packages import read_dir, write_package
from ledger.merkle import PayoutLeaf, PayoutTree
from ledger.package import TABLE_COLUMNS, build_package, parse_inputs, read_table, write_table
from ledger.plan import load_plan

pytestmark = pytest.mark.chain
__all__ = ["chain_template"]  # the session fixture, re-exported for pytest

ROOT = Path(__file__).resolve().parents[2]
COMPANY = ROOT / "tests" / "ledger" / "example_company"
PLAN = ROOT / "ledger" / "plans" / "binary_hybrid.toml"
BLOCKED = "0x7777777777777777777777777777777777777777"
runner = CliRunner()
_register()


class Node:
    """One Ganache from the deployed template, driven with web3 (tests only)."""

    def __init__(self, data_dir: Path, deployment: Deployment) -> None:
        self.data_dir = data_dir
        self.deployment = deployment
        self.ganache = ManagedGanache(data_dir, port=free_port()).start()
        self.key = mnemonic_key(load_or_create_mnemonic(data_dir))
        self.sender = address_of(self.key)
        self.w3 = Web3(Web3.HTTPProvider(self.ganache.rpc_url))
        contracts = deployment.contracts
        self.anchor_c = self._contract("PeriodAnchor", contracts.PeriodAnchor)
        self.vault = self._contract("PayoutVault", contracts.PayoutVault)
        self.token = self._contract("BlacklistableTestUSD", contracts.PayoutToken)
        record = json.loads((data_dir / "deployment.json").read_text())
        record["rpcUrl"] = self.ganache.rpc_url
        self.record = data_dir / "deployment.json"
        self.record.write_text(json.dumps(record))

    def _contract(self, name: str, address: str) -> Any:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_abi(name))

    def send(self, call: Any) -> None:
        tx = call.transact({"from": self.sender, "gas": 3_000_000})
        assert self.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    def place(self, rows: list[tuple[int, int, int, int]]) -> None:
        gateway = ChainGateway(self.ganache.rpc_url, self.deployment, private_key=self.key)
        signed = gateway.sign_place_batch(
            [PlacementRequest(*row) for row in rows], nonce=gateway.nonce()
        )
        assert gateway.wait_receipt(gateway.broadcast(signed)).succeeded

    def anchor(self, manifest: dict[str, Any]) -> None:
        self.send(
            self.anchor_c.functions.anchor(
                manifest["periodId"],
                bytes.fromhex(manifest["payoutRoot"][2:]),
                manifest["payoutTotal"],
                manifest["leafCount"],
                bytes.fromhex(manifest["inputsHash"][2:]),
                bytes.fromhex(manifest["planHash"][2:]),
                bytes.fromhex(manifest["resultsHash"][2:]),
            )
        )

    def fund(self, amount: int) -> None:
        self.send(self.token.functions.mint(self.vault.address, amount))

    def block(self, account: str) -> None:
        self.send(self.token.functions.setBlocked(Web3.to_checksum_address(account), True))

    def pay_batch(self, tree: PayoutTree, indices: list[int]) -> None:
        proof = tree.multiproof(indices)
        lines = [
            (leaf.index, Web3.to_checksum_address(leaf.account), leaf.amount)
            for leaf in proof.leaves
        ]
        period = proof.leaves[0].period_id
        self.send(
            self.vault.functions.payBatch(period, lines, list(proof.proof), list(proof.proof_flags))
        )

    def claim(self, tree: PayoutTree, index: int) -> None:
        leaf = tree.leaf(index)
        self.send(
            self.vault.functions.claim(
                leaf.period_id,
                leaf.index,
                Web3.to_checksum_address(leaf.account),
                leaf.amount,
                tree.proof_bytes(index),
            )
        )

    def stop(self) -> None:
        self.ganache.stop()


@pytest.fixture(scope="module")
def package_files() -> dict[str, bytes]:
    plan = load_plan(PLAN.read_bytes(), source=str(PLAN))
    return build_package(plan=plan, inputs=parse_inputs(read_dir(COMPANY)))


def genealogy_rows(files: dict[str, bytes]) -> list[tuple[int, int, int, int]]:
    path = "inputs/distributors.tbl"
    table = read_table(files[path], file=path, columns=TABLE_COLUMNS[path])
    columns = ("id", "enroller", "parent", "position")
    return [tuple(int(v) for v in row) for row in zip(*(table[c] for c in columns), strict=True)]  # type: ignore[misc]


def tree_of(files: dict[str, bytes]) -> PayoutTree:
    rows = json.loads(files["results/leaves.json"])
    return PayoutTree([PayoutLeaf(*row) for row in rows])


def start_node(template: tuple[Path, Deployment], data_dir: Path) -> Node:
    source, deployment = template
    shutil.copytree(source, data_dir)
    return Node(data_dir, deployment)


@pytest.fixture(scope="module")
def paid_node(
    chain_template: tuple[Path, Deployment],
    package_files: dict[str, bytes],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Node]:
    """The company placed as in the package, period 1 anchored, every line paid."""
    node = start_node(chain_template, tmp_path_factory.mktemp("audit-paid") / "chain")
    try:
        node.place([row for row in genealogy_rows(package_files) if row[0] != 1])
        manifest = json.loads(package_files["manifest.json"])
        node.anchor(manifest)
        node.fund(manifest["payoutTotal"])
        tree = tree_of(package_files)
        node.pay_batch(tree, [0, 2])
        node.claim(tree, 1)
        yield node
    finally:
        node.stop()


def run_audit(node: Node, package: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(
        app, ["audit", str(package), "--deployment", str(node.record), "--json", *extra]
    )
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def kinds(report: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    return {(f["check"], f["kind"], f["subject"], f["field"]) for f in report["findings"]}


def tampered(tmp_path: Path, files: dict[str, bytes], path: str, data: bytes) -> Path:
    out = tmp_path / "tampered"
    write_package(out, {**files, path: data})
    return out


def with_row_changed(
    files: dict[str, bytes], path: str, row: int, column: str, value: int
) -> bytes:
    table = dict(read_table(files[path], file=path, columns=TABLE_COLUMNS[path]))
    changed = table[column].copy()
    changed[row] = value
    table[column] = changed
    return write_table(table)


def test_an_anchored_and_paid_package_passes(
    paid_node: Node, package_files: dict[str, bytes], tmp_path: Path
) -> None:
    write_package(tmp_path / "pkg", package_files)
    code, report = run_audit(paid_node, tmp_path / "pkg")
    assert report["findings"] == [] and code == 0
    assert report["facts"]["paidLines"] == 3 and report["facts"]["distributors"] == 8
    table = runner.invoke(
        app, ["audit", str(tmp_path / "pkg"), "--data-dir", str(paid_node.data_dir)]
    )
    assert table.exit_code == 0, table.output
    assert "ok: the package matches the chain" in table.output


def test_a_changed_genealogy_row_is_named(
    paid_node: Node, package_files: dict[str, bytes], tmp_path: Path
) -> None:
    path = "inputs/distributors.tbl"
    data = with_row_changed(package_files, path, 4, "position", 0)  # distributor 5
    code, report = run_audit(paid_node, tampered(tmp_path, package_files, path, data))
    assert code == 1
    found = kinds(report)
    assert ("package", "hash_mismatch", path, "SHA-256") in found
    assert ("genealogy", "mismatch", "distributor 5", "position") in found
    [row] = [f for f in report["findings"] if f["subject"] == "distributor 5"]
    assert (row["expected"], row["found"]) == ("1", "0")
    assert "inputs/distributors.tbl record 5" in row["note"]


def test_a_changed_order_row_is_named(
    paid_node: Node, package_files: dict[str, bytes], tmp_path: Path
) -> None:
    path = "inputs/orders.tbl"
    data = with_row_changed(package_files, path, 0, "pv", 999)  # order 1001 of distributor 1
    code, report = run_audit(paid_node, tampered(tmp_path, package_files, path, data))
    assert code == 1
    found = kinds(report)
    assert ("package", "hash_mismatch", path, "SHA-256") in found
    # the recomputation from the changed order differs from the stored results, record by record
    assert ("package", "recomputed_differs", "results/distributors.tbl", "record 1") in found


def test_a_changed_result_line_is_named(
    paid_node: Node, package_files: dict[str, bytes], tmp_path: Path
) -> None:
    path = "results/lines.tbl"
    data = with_row_changed(package_files, path, 2, "amount", 1)
    code, report = run_audit(paid_node, tampered(tmp_path, package_files, path, data))
    assert code == 1
    found = kinds(report)
    assert ("package", "hash_mismatch", path, "SHA-256") in found
    assert ("package", "recomputed_differs", path, "record 3") in found


def test_a_changed_file_byte_is_named(
    paid_node: Node, package_files: dict[str, bytes], tmp_path: Path
) -> None:
    path = "results/totals.json"
    data = bytearray(package_files[path])
    at = data.index(b"0x") + 5
    data[at] = ord("0") if data[at] != ord("0") else ord("1")
    code, report = run_audit(paid_node, tampered(tmp_path, package_files, path, bytes(data)))
    assert code == 1
    found = kinds(report)
    assert ("package", "hash_mismatch", path, "SHA-256") in found
    assert any(f[0] == "package" and f[2] == path and f[3].startswith("line ") for f in found)


def test_a_package_for_another_period_is_not_anchored(
    paid_node: Node, package_files: dict[str, bytes], tmp_path: Path
) -> None:
    period = json.loads((COMPANY / "period.json").read_text())
    period["period_id"] = 2
    given = read_dir(COMPANY)
    given["period.json"] = json.dumps(period).encode()
    plan = load_plan(PLAN.read_bytes(), source=str(PLAN))
    write_package(tmp_path / "p2", build_package(plan=plan, inputs=parse_inputs(given)))
    code, report = run_audit(paid_node, tmp_path / "p2")
    assert code == 1
    assert ("anchor", "not_anchored", "period 2", "") in kinds(report)
    assert {f["kind"] for f in report["findings"] if f["check"] == "payments"} == {"unpaid"}


def test_a_chain_that_diverges_is_reported(
    chain_template: tuple[Path, Deployment], package_files: dict[str, bytes], tmp_path: Path
) -> None:
    node = start_node(chain_template, tmp_path / "chain")
    try:
        rows = [row for row in genealogy_rows(package_files) if row[0] not in (1, 6)]
        rows = [(8, 7, 7, 1) if row[0] == 8 else row for row in rows]  # 8 placed at position 1
        node.place(rows)
        manifest = json.loads(package_files["manifest.json"])
        node.anchor(manifest)
        node.fund(manifest["payoutTotal"])
        node.block(BLOCKED)
        tree = tree_of(package_files)
        node.pay_batch(tree, [0, 2])  # line 2 pays the blocked account: PaymentFailed
        write_package(tmp_path / "pkg", package_files)
        code, report = run_audit(node, tmp_path / "pkg")
        table = runner.invoke(
            app, ["audit", str(tmp_path / "pkg"), "--data-dir", str(node.data_dir)]
        )
    finally:
        node.stop()
    assert table.exit_code == 1 and "FAILED: 4 finding(s)" in table.output
    assert "distributor 8" in table.output and "PaymentFailed in tx" in table.output
    assert code == 1
    assert kinds(report) == {
        ("genealogy", "missing_on_chain", "distributor 6", ""),
        ("genealogy", "mismatch", "distributor 8", "position"),
        ("payments", "unpaid", "period 1 index 1", ""),
        ("payments", "payment_failed", "period 1 index 2", ""),
    }
    assert report["facts"]["unpaidLines"] == 2


def test_unusable_input_is_one_line_and_exit_2(
    paid_node: Node, package_files: dict[str, bytes], tmp_path: Path
) -> None:
    write_package(tmp_path / "pkg", package_files)
    record = json.loads(paid_node.record.read_text())
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({**record, "chainId": 999}))
    result = runner.invoke(app, ["audit", str(tmp_path / "pkg"), "--deployment", str(wrong)])
    assert result.exit_code == 2
    assert "chain 1337" in result.output and "999" in result.output
    assert "Traceback" not in result.output
    down = runner.invoke(
        app,
        [
            "audit",
            str(tmp_path / "pkg"),
            "--deployment",
            str(paid_node.record),
            "--rpc",
            f"http://127.0.0.1:{free_port()}",
        ],
    )
    assert down.exit_code == 2 and "unreachable" in down.output, down.output
    missing = runner.invoke(app, ["audit", str(tmp_path / "nope"), "--deployment", str(wrong)])
    assert missing.exit_code == 2 and "no such package" in missing.output
