"""`lineage audit`: a period package against the chain, needing nothing but the two.

Four checks, each reported down to the record:

* package   — recompute the period from the package's plan and inputs (`verify_package`):
              every file's SHA-256 against the manifest, every file against its recomputation;
* anchor    — root, total and leaf count against `payoutTermsOf`, the three package hashes
              against `matchesPackage` (and, when they differ, which one, from `PeriodAnchored`);
* payments  — every paid line (`BatchPaid`, `Paid`) is a leaf of the package, paid once with the
              leaf's account and amount; unpaid leaves are listed (`PaymentFailed` ones called
              out); the vault's `paidTotalOf` and `isPaid` bitmap agree with the events;
* genealogy — each distributor of the package's genealogy has a `Placed` event with the same
              sponsor, parent and position.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.audit.report import PACKAGE_CHECKS, AuditReport
from backend.chain.audit_reads import AuditReader, PaymentEvents
from ledger.errors import LedgerError
from ledger.package import TABLE_COLUMNS, read_table, verify_package

GENEALOGY_FILE = "inputs/distributors.tbl"
LEAVES_FILE = "results/leaves.json"


class AuditInputError(Exception):
    """The package or the chain cannot be audited at all (exit 2, one line)."""


@dataclass(frozen=True)
class Leaf:
    index: int
    account: str
    amount: int


def audit_package(files: Mapping[str, bytes], reader: AuditReader) -> AuditReport:
    """Audit one package against the chain behind `reader` (which has passed `check()`)."""
    manifest = _manifest(files)
    period_id = _int(manifest, "periodId")
    report = AuditReport(checks=PACKAGE_CHECKS)
    report.facts["periodId"] = period_id
    _check_identity(manifest, reader)
    report.facts["chainId"] = reader.deployment.chainId
    _check_package(files, manifest, report)
    _check_anchor(manifest, period_id, reader, report)
    leaves = _leaves(files, period_id, report)
    if leaves is not None:
        _check_payments(period_id, leaves, reader, report)
    _check_genealogy(files, reader, report)
    return report


def _manifest(files: Mapping[str, bytes]) -> dict[str, Any]:
    if "manifest.json" not in files:
        raise AuditInputError("not a period package: no manifest.json")
    try:
        manifest = json.loads(files["manifest.json"])
    except ValueError as exc:
        raise AuditInputError(f"manifest.json is not JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise AuditInputError("manifest.json is not a JSON object")
    return manifest


def _int(manifest: Mapping[str, Any], key: str) -> int:
    value = manifest.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise AuditInputError(f"manifest.json: {key} is missing or not an integer")
    return value


def _check_identity(manifest: Mapping[str, Any], reader: AuditReader) -> None:
    """A package anchored on one chain (or deployment) is not audited against another."""
    chain = manifest.get("chain")
    if not isinstance(chain, dict):
        return
    chain_id = chain.get("chainId")
    if chain_id is not None and chain_id != reader.deployment.chainId:
        raise AuditInputError(
            f"the package was anchored on chain {chain_id}; the node is chain "
            f"{reader.deployment.chainId}"
        )
    contracts = chain.get("contracts")
    if isinstance(contracts, dict):
        ours = reader.deployment.contracts.model_dump()
        for name, address in sorted(contracts.items()):
            if name in ours and str(address).lower() != str(ours[name]).lower():
                raise AuditInputError(
                    f"the package names {name} {address}; the deployment record has {ours[name]}"
                )


def _check_package(
    files: Mapping[str, bytes], manifest: Mapping[str, Any], report: AuditReport
) -> None:
    # The file hashes first, on their own: they still name the changed file when the inputs
    # are so damaged that the engine refuses them (a genealogy that is not a tree, say).
    recorded = manifest.get("files")
    if not isinstance(recorded, dict):
        report.add("package", "mismatch", "manifest.json", "files", "per-file SHA-256", None)
        recorded = {}
    for path in sorted(set(recorded) | set(files)):
        if path == "manifest.json":
            continue
        if path not in files:
            report.add("package", "missing_file", path, "", "a file", "<missing>")
        elif path not in recorded:
            report.add("package", "extra_file", path, "", "<no such file>", "<extra file>")
        else:
            actual = "0x" + hashlib.sha256(files[path]).hexdigest()
            if actual != recorded[path]:
                report.add("package", "hash_mismatch", path, "SHA-256", recorded[path], actual)
    try:
        mismatches = verify_package(files)
    except LedgerError as exc:
        report.add("package", "not_recomputable", "package", "", "inputs the engine accepts", exc)
        return
    for m in mismatches:
        if m.where == "SHA-256" or (m.where == "file" and m.file != "manifest.json"):
            continue  # reported above
        report.add("package", "recomputed_differs", m.file, m.where, m.expected, m.found)


def _check_anchor(
    manifest: Mapping[str, Any], period_id: int, reader: AuditReader, report: AuditReport
) -> None:
    subject = f"period {period_id}"
    terms = reader.payout_terms_of(period_id)
    if terms is None:
        report.add("anchor", "not_anchored", subject, "", "anchored on PeriodAnchor", "absent")
        return
    report.facts["anchoredAt"] = terms.anchored_at
    for key, chained in (
        ("payoutRoot", terms.payout_root.lower()),
        ("payoutTotal", terms.total),
        ("leafCount", terms.leaf_count),
    ):
        recorded = manifest.get(key)
        if isinstance(recorded, str):
            recorded = recorded.lower()
        if recorded != chained:
            report.add("anchor", "mismatch", subject, key, chained, recorded, "chain vs manifest")
    hashes = {key: str(manifest.get(key, "")) for key in ("inputsHash", "planHash", "resultsHash")}
    try:
        matches = reader.matches_package(
            period_id, hashes["inputsHash"], hashes["planHash"], hashes["resultsHash"]
        )
    except ValueError as exc:
        report.add("anchor", "mismatch", subject, "package hashes", "three 32-byte hashes", exc)
        return
    if matches:
        return
    events = reader.anchored_events(period_id)
    if not events:
        report.add("anchor", "mismatch", subject, "matchesPackage", True, False)
        return
    anchored = events[0]
    chained_hashes = {
        "inputsHash": anchored.inputs_hash,
        "planHash": anchored.plan_hash,
        "resultsHash": anchored.results_hash,
    }
    for key, chained in chained_hashes.items():
        if hashes[key].lower() != chained.lower():
            report.add(
                "anchor", "mismatch", subject, key, chained, hashes[key], "chain vs manifest"
            )


def _leaves(
    files: Mapping[str, bytes], period_id: int, report: AuditReport
) -> dict[int, Leaf] | None:
    try:
        rows = json.loads(files[LEAVES_FILE])
        leaves: dict[int, Leaf] = {}
        for number, row in enumerate(rows, start=1):
            row_period, index, account, amount = row
            if int(row_period) != period_id:
                report.add(
                    "package", "mismatch", LEAVES_FILE, f"record {number}", period_id, row_period
                )
            leaves[int(index)] = Leaf(int(index), str(account), int(amount))
    except (KeyError, ValueError, TypeError) as exc:
        report.add("payments", "unreadable", LEAVES_FILE, "", "a JSON array of leaves", exc)
        return None
    report.facts["leaves"] = len(leaves)
    return leaves


def _check_payments(
    period_id: int, leaves: Mapping[int, Leaf], reader: AuditReader, report: AuditReport
) -> None:
    events: PaymentEvents = reader.payment_events(period_id)
    times_paid: Counter[int] = Counter()
    paid_sum = 0
    for batch in events.batches:
        batch_sum = 0
        for index in batch.indices:
            times_paid[index] += 1
            leaf = leaves.get(index)
            if leaf is None:
                report.add(
                    "payments",
                    "not_a_leaf",
                    f"period {period_id} index {index}",
                    "",
                    "a leaf of the package",
                    f"paid in BatchPaid of tx {batch.tx_hash}",
                )
                continue
            batch_sum += leaf.amount
        if batch_sum != batch.amount and all(i in leaves for i in batch.indices):
            report.add(
                "payments",
                "mismatch",
                f"period {period_id} batch {batch.tx_hash}",
                "amount",
                batch_sum,
                batch.amount,
                "sum of the package leaves it lists",
            )
        paid_sum += batch.amount
    for claim in events.claims:
        times_paid[claim.index] += 1
        paid_sum += claim.amount
        subject = f"period {period_id} index {claim.index}"
        leaf = leaves.get(claim.index)
        if leaf is None:
            report.add(
                "payments",
                "not_a_leaf",
                subject,
                "",
                "a leaf of the package",
                f"claimed in tx {claim.tx_hash}",
            )
            continue
        if claim.account.lower() != leaf.account.lower():
            report.add("payments", "mismatch", subject, "account", leaf.account, claim.account)
        if claim.amount != leaf.amount:
            report.add("payments", "mismatch", subject, "amount", leaf.amount, claim.amount)
    for index, count in sorted(times_paid.items()):
        if count > 1:
            report.add("payments", "paid_twice", f"period {period_id} index {index}", "", 1, count)
    failed = {f.index: f for f in events.failed}
    unpaid = [index for index in sorted(leaves) if times_paid[index] == 0]
    for index in unpaid:
        leaf = leaves[index]
        subject = f"period {period_id} index {index}"
        if index in failed:
            report.add(
                "payments",
                "payment_failed",
                subject,
                "",
                "paid",
                f"PaymentFailed in tx {failed[index].tx_hash}",
                f"{leaf.amount} to {leaf.account}; claimable",
            )
        else:
            report.add(
                "payments",
                "unpaid",
                subject,
                "",
                "paid",
                "no payment",
                f"{leaf.amount} to {leaf.account}",
            )
    report.facts["paidLines"] = sum(1 for i in leaves if times_paid[i] > 0)
    report.facts["unpaidLines"] = len(unpaid)
    chain_total = reader.paid_total_of(period_id)
    if chain_total != paid_sum:
        report.add(
            "payments",
            "mismatch",
            f"period {period_id}",
            "paidTotalOf",
            paid_sum,
            chain_total,
            "sum of the payment events",
        )
    ordered = sorted(leaves)
    for index, flag in zip(ordered, reader.paid_flags(period_id, ordered), strict=True):
        if flag != (times_paid[index] > 0):
            report.add(
                "payments",
                "mismatch",
                f"period {period_id} index {index}",
                "isPaid",
                times_paid[index] > 0,
                flag,
                "vault bitmap vs payment events",
            )


def _check_genealogy(files: Mapping[str, bytes], reader: AuditReader, report: AuditReport) -> None:
    try:
        table = read_table(
            files[GENEALOGY_FILE], file=GENEALOGY_FILE, columns=TABLE_COLUMNS[GENEALOGY_FILE]
        )
    except (KeyError, LedgerError) as exc:
        report.add("genealogy", "unreadable", GENEALOGY_FILE, "", "the genealogy table", exc)
        return
    placed: dict[int, tuple[int, int, int]] = {}
    placed_count: Counter[int] = Counter()
    for event in reader.placed_events():
        placed_count[event.id] += 1
        placed.setdefault(event.id, (event.sponsor, event.parent, event.position))
    ids = [int(v) for v in table["id"]]
    rows = zip(
        ids,
        (int(v) for v in table["enroller"]),
        (int(v) for v in table["parent"]),
        (int(v) for v in table["position"]),
        strict=True,
    )
    for number, (distributor, enroller, parent, position) in enumerate(rows, start=1):
        subject = f"distributor {distributor}"
        where = f"{GENEALOGY_FILE} record {number}"
        chained = placed.get(distributor)
        if chained is None:
            report.add(
                "genealogy", "missing_on_chain", subject, "", "a Placed event", "none", where
            )
            continue
        if placed_count[distributor] > 1:
            report.add(
                "genealogy", "placed_twice", subject, "", 1, placed_count[distributor], where
            )
        for name, mine, theirs in zip(
            ("sponsor", "parent", "position"), (enroller, parent, position), chained, strict=True
        ):
            if mine != theirs:
                report.add(
                    "genealogy",
                    "mismatch",
                    subject,
                    name,
                    theirs,
                    mine,
                    f"chain vs {where}",
                )
    report.facts["distributors"] = len(ids)
