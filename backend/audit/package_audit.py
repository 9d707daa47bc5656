"""`lineage audit`: a period package against the chain, needing nothing but the two.

Four checks, each reported down to the record:

* package   — recompute the period from the package's plan and inputs (`verify_package`):
              every file's SHA-256 against the manifest, every file against its recomputation;
* anchor    — root, total and leaf count against `payoutTermsOf`, the three package hashes
              against `matchesPackage` (and, when they differ, which one, from `PeriodAnchored`);
* payments  — every paid line is a leaf of the package, paid once by one rail: pushed
              (`BatchPaid`) or claimed (`Paid`, with the leaf's account and amount) when it is a
              token line, attested (`BatchAttested`, with its payment reference) when it is a
              bank line (`backend.audit.rails`); each batch's amount is the sum of its leaves;
              unpaid leaves are listed (`PaymentFailed` ones called out); the vault's
              `paidTotalOf` and `isPaid` bitmap agree with the events, and the paid total stays
              within the anchored total;
* genealogy — each distributor of the package's genealogy has a `Placed` event with the same
              sponsor, parent and position;
* bank      — only with the bank's statements and the company's salt (`backend.audit.bank`):
              each attested line's reference recomputed from its executed payment.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from backend.audit.bank import BankEvidence, check_bank, evidence
from backend.audit.rails import Leaf, LinePaid, lines_paid, paid_sum, rail_counts
from backend.audit.report import PACKAGE_CHECKS, AuditInputError, AuditReport
from backend.bankfiles.statement import Statement
from backend.chain.audit_reads import AuditReader, PaymentEvents
from backend.chain.gateway import PayoutTerms
from ledger.errors import LedgerError
from ledger.package import TABLE_COLUMNS, read_table, verify_package

GENEALOGY_FILE = "inputs/distributors.tbl"
LEAVES_FILE = "results/leaves.json"


def audit_package(
    files: Mapping[str, bytes],
    reader: AuditReader,
    *,
    statements: Sequence[tuple[str, Statement]] = (),
    salt: bytes | None = None,
) -> AuditReport:
    """Audit one package against the chain behind `reader` (which has passed `check()`);
    with bank `statements` (each with its file name) and the company's `salt`, each attested
    bank line's reference against its executed payment too (check ``bank``)."""
    manifest = _manifest(files)
    period_id = _int(manifest, "periodId")
    bank = None
    if statements:
        if salt is None:
            raise AuditInputError("checking bank statements needs the payment reference salt")
        bank = evidence(period_id, statements, salt)
    report = AuditReport(checks=PACKAGE_CHECKS + (("bank",) if bank is not None else ()))
    report.facts["periodId"] = period_id
    _check_identity(manifest, reader)
    report.facts["chainId"] = reader.deployment.chainId
    _check_package(files, manifest, report)
    terms = reader.payout_terms_of(period_id)
    _check_anchor(manifest, period_id, terms, reader, report)
    leaves = _leaves(files, period_id, report)
    if leaves is not None:
        total = terms.total if terms is not None else None
        _check_payments(period_id, leaves, reader, report, total, bank)
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
    manifest: Mapping[str, Any],
    period_id: int,
    terms: PayoutTerms | None,
    reader: AuditReader,
    report: AuditReport,
) -> None:
    subject = f"period {period_id}"
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
    period_id: int,
    leaves: Mapping[int, Leaf],
    reader: AuditReader,
    report: AuditReport,
    anchored_total: int | None,
    bank: BankEvidence | None,
) -> None:
    events: PaymentEvents = reader.payment_events(period_id)
    paid = lines_paid(period_id, events)
    _check_batch_sums(period_id, leaves, events, report)
    by_index: dict[int, list[LinePaid]] = defaultdict(list)
    for line in paid:
        by_index[line.index].append(line)
        subject = f"period {period_id} index {line.index}"
        leaf = leaves.get(line.index)
        if leaf is None:
            report.add("payments", "not_a_leaf", subject, "", "a leaf of the package", line.event)
            continue
        if line.rail == "bank" and not leaf.bank:
            report.add(
                "payments",
                "not_a_bank_line",
                subject,
                "rail",
                "token",
                "bank",
                f"a token line attested: {line.event}",
            )
        elif line.rail != "bank" and leaf.bank:
            report.add(
                "payments",
                "bank_line_paid_in_tokens",
                subject,
                "rail",
                "bank",
                line.rail,
                line.event,
            )
        if line.rail == "claim":
            if (line.account or "").lower() != leaf.account.lower():
                report.add("payments", "mismatch", subject, "account", leaf.account, line.account)
            if line.amount != leaf.amount:
                report.add("payments", "mismatch", subject, "amount", leaf.amount, line.amount)
    for index, lines in sorted(by_index.items()):
        if len(lines) > 1:
            report.add(
                "payments",
                "paid_twice",
                f"period {period_id} index {index}",
                "",
                1,
                len(lines),
                "; ".join(line.event for line in lines),
            )
    failed = {f.index: f for f in events.failed}
    unpaid = [index for index in sorted(leaves) if index not in by_index]
    for index in unpaid:
        leaf = leaves[index]
        subject = f"period {period_id} index {index}"
        banked = bank.payments.get(index, ()) if bank is not None and leaf.bank else ()
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
            note = f"{leaf.amount} to {leaf.account}"
            if leaf.bank:
                note += "; a bank line"
            if banked and bank is not None:
                note += f"; paid by {bank.describe(banked[0])} but not attested"
            report.add("payments", "unpaid", subject, "", "paid", "no payment", note)
    report.facts["paidLines"] = sum(1 for i in leaves if i in by_index)
    report.facts["unpaidLines"] = len(unpaid)
    report.facts["paidByRail"] = rail_counts(line for line in paid if line.index in leaves)
    report.paid = [line.as_json() for line in paid]
    events_total = paid_sum(events)
    chain_total = reader.paid_total_of(period_id)
    if chain_total != events_total:
        report.add(
            "payments",
            "mismatch",
            f"period {period_id}",
            "paidTotalOf",
            events_total,
            chain_total,
            "sum of the payment events",
        )
    if anchored_total is not None and max(events_total, chain_total) > anchored_total:
        report.add(
            "payments",
            "over_total",
            f"period {period_id}",
            "paidTotalOf",
            f"at most {anchored_total}",
            max(events_total, chain_total),
            "paid more than the anchored total",
        )
    ordered = sorted(leaves)
    for index, flag in zip(ordered, reader.paid_flags(period_id, ordered), strict=True):
        if flag != (index in by_index):
            report.add(
                "payments",
                "mismatch",
                f"period {period_id} index {index}",
                "isPaid",
                index in by_index,
                flag,
                "vault bitmap vs payment events",
            )
    if bank is not None:
        check_bank(period_id, leaves, paid, bank, report)


def _check_batch_sums(
    period_id: int, leaves: Mapping[int, Leaf], events: PaymentEvents, report: AuditReport
) -> None:
    """Each batch's amount (token push or attestation) is the sum of the leaves it lists."""
    batches = [(b.tx_hash, b.indices, b.amount) for b in events.batches]
    batches += [(b.tx_hash, b.indices, b.amount) for b in events.attest_batches]
    for tx_hash, indices, amount in batches:
        if not all(i in leaves for i in indices):
            continue  # each line not in the package is its own finding
        listed = sum(leaves[i].amount for i in indices)
        if listed != amount:
            report.add(
                "payments",
                "mismatch",
                f"period {period_id} batch {tx_hash}",
                "amount",
                listed,
                amount,
                "sum of the package leaves it lists",
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
