"""Database against chain: placements, anchors and payouts, every divergence by record.

* placements — each placement the database calls confirmed has a `Placed` event with the same
  sponsor, parent and position (and transaction, when recorded); each placed id is known to the
  database; a placement still pending in the database but already on chain is called out.
* anchors    — each period the database holds as anchored (or later) is anchored on chain with
  the same root, total, leaf count and package hashes; each period anchored on chain is
  anchored in the database.
* payouts    — every line the vault paid is a payout leaf of the database's period (index,
  account, amount), paid once by the rail its leaf and the database's payee row name (a bank
  line attested, a token line pushed or claimed); an attested line's reference is the one
  stored for the bank payment it matched; each attestation's amount is the sum of its lines;
  the vault's paid total is within the period's; a period the database calls `paid` has every
  leaf paid. The report's `paid` lists every paid line with its rail, transaction and (a
  bank line's) payment reference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlmodel import Session, col, select

from backend.audit.rails import LinePaid, is_bank_account, lines_paid, rail_counts
from backend.audit.report import RECONCILIATION_CHECKS, AuditReport
from backend.bank_payouts.models import BankPayment, Outcome
from backend.chain.audit_reads import AnchorRecord, AuditReader
from backend.core.model_base import ChainStatus
from backend.genealogy.models import Placement
from backend.periods.models import Period, PeriodPayee, PeriodStatus

ANCHORED = frozenset({PeriodStatus.anchored, PeriodStatus.paying, PeriodStatus.paid})


def reconcile(session: Session, reader: AuditReader, period_id: int | None = None) -> AuditReport:
    report = AuditReport(checks=RECONCILIATION_CHECKS)
    report.facts["chainId"] = reader.deployment.chainId
    _placements(session, reader, report)
    statement = select(Period).order_by(col(Period.id))
    if period_id is not None:
        statement = statement.where(Period.id == period_id)
        report.facts["periodId"] = period_id
    periods = list(session.exec(statement))
    events = reader.anchored_events(period_id)
    _anchors(periods, events, reader, report)
    anchored_ids = {e.period_id for e in events} | {p.id for p in periods if p.status in ANCHORED}
    by_id = {p.id: p for p in periods}
    for pid in sorted(anchored_ids):
        _payouts(session, reader, pid, by_id.get(pid), report)
    return report


def _placements(session: Session, reader: AuditReader, report: AuditReport) -> None:
    rows = list(session.exec(select(Placement).order_by(col(Placement.distributor_id))))
    placed: dict[int, tuple[int, int, int, str]] = {}
    count: Counter[int] = Counter()
    for event in reader.placed_events():
        count[event.id] += 1
        placed.setdefault(event.id, (event.sponsor, event.parent, event.position, event.tx_hash))
    known = set()
    confirmed = 0
    for row in rows:
        known.add(row.distributor_id)
        subject = f"distributor {row.distributor_id}"
        chained = placed.get(row.distributor_id)
        if row.chain_status != ChainStatus.confirmed:
            if chained is not None:
                report.add(
                    "placements",
                    "status",
                    subject,
                    "chain_status",
                    "confirmed",
                    row.chain_status.value,
                    "placed on chain but not confirmed in the database",
                )
            continue
        confirmed += 1
        if chained is None:
            report.add(
                "placements",
                "missing_on_chain",
                subject,
                "",
                "a Placed event",
                "none",
                "confirmed in the database",
            )
            continue
        if count[row.distributor_id] > 1:
            report.add("placements", "placed_twice", subject, "", 1, count[row.distributor_id])
        mine = (row.sponsor_id or 0, row.parent_id or 0, row.position)
        for name, ours, theirs in zip(
            ("sponsor", "parent", "position"), mine, chained, strict=False
        ):
            if ours != theirs:
                report.add(
                    "placements", "mismatch", subject, name, theirs, ours, "chain vs database"
                )
        tx = chained[3]
        if row.tx_hash is not None and row.tx_hash.lower() != tx.lower():
            report.add("placements", "mismatch", subject, "tx_hash", tx, row.tx_hash)
    for distributor in sorted(set(placed) - known):
        report.add(
            "placements",
            "not_in_database",
            f"distributor {distributor}",
            "",
            "a placement row",
            "none",
            f"placed on chain in tx {placed[distributor][3]}",
        )
    report.facts["placements"] = len(rows)
    report.facts["confirmedPlacements"] = confirmed
    report.facts["placedOnChain"] = len(placed)


def _anchors(
    periods: Sequence[Period],
    events: Sequence[AnchorRecord],
    reader: AuditReader,
    report: AuditReport,
) -> None:
    on_chain = {e.period_id: e for e in events}
    for period in periods:
        subject = f"period {period.id}"
        anchored = on_chain.get(period.id)
        if period.status not in ANCHORED:
            if anchored is not None:
                report.add(
                    "anchors",
                    "status",
                    subject,
                    "status",
                    "anchored",
                    period.status.value,
                    f"anchored on chain in tx {anchored.tx_hash}",
                )
            continue
        terms = reader.payout_terms_of(period.id)
        if terms is None or anchored is None:
            report.add(
                "anchors",
                "missing_on_chain",
                subject,
                "",
                "anchored on PeriodAnchor",
                "absent",
                f"the database says {period.status.value}",
            )
            continue
        pairs = (
            ("payoutRoot", terms.payout_root, period.payout_root),
            ("payoutTotal", terms.total, period.payout_total),
            ("leafCount", terms.leaf_count, period.leaf_count),
            ("inputsHash", anchored.inputs_hash, period.inputs_hash),
            ("planHash", anchored.plan_hash, period.plan_hash),
            ("resultsHash", anchored.results_hash, period.results_hash),
            ("anchor_tx", anchored.tx_hash, period.anchor_tx or anchored.tx_hash),
        )
        for name, theirs, ours in pairs:
            same = (
                str(theirs).lower() == str(ours).lower()
                if isinstance(theirs, str)
                else theirs == ours
            )
            if not same:
                report.add("anchors", "mismatch", subject, name, theirs, ours, "chain vs database")
    known = {p.id for p in periods}
    for pid in sorted(set(on_chain) - known):
        report.add(
            "anchors",
            "not_in_database",
            f"period {pid}",
            "",
            "a period row",
            "none",
            f"anchored on chain in tx {on_chain[pid].tx_hash}",
        )
    report.facts["anchoredOnChain"] = len(on_chain)


def _payouts(
    session: Session,
    reader: AuditReader,
    period_id: int,
    period: Period | None,
    report: AuditReport,
) -> None:
    payees = session.exec(
        select(PeriodPayee).where(
            PeriodPayee.period_id == period_id, col(PeriodPayee.leaf_index).is_not(None)
        )
    )
    leaves = {int(p.leaf_index or 0): p for p in payees}
    events = reader.payment_events(period_id)
    paid = lines_paid(period_id, events)
    times: Counter[int] = Counter()
    for line in paid:
        times[line.index] += 1
        subject = f"period {period_id} index {line.index}"
        payee = leaves.get(line.index)
        if payee is None:
            report.add(
                "payouts",
                "not_in_database",
                subject,
                "",
                "a payout leaf in the database",
                line.event,
            )
            continue
        _rail(line, payee, subject, report)
        if line.rail == "claim":
            if (payee.account or "").lower() != (line.account or "").lower():
                report.add("payouts", "mismatch", subject, "account", line.account, payee.account)
            if payee.payout != line.amount:
                report.add("payouts", "mismatch", subject, "amount", line.amount, payee.payout)
    _references(session, period_id, paid, leaves, report)
    for batch in events.attest_batches:
        lines = [leaves.get(i) for i in batch.indices]
        stored = sum(p.payout for p in lines if p is not None)
        if all(p is not None for p in lines) and stored != batch.amount:
            report.add(
                "payouts",
                "mismatch",
                f"period {period_id} batch {batch.tx_hash}",
                "amount",
                batch.amount,
                stored,
                "the attestation's amount vs the sum of its lines in the database",
            )
    for index, count in sorted(times.items()):
        if count > 1:
            report.add(
                "payouts",
                "paid_twice",
                f"period {period_id} index {index}",
                "",
                1,
                count,
                "; ".join(line.event for line in paid if line.index == index),
            )
    terms = reader.payout_terms_of(period_id) if times else None
    chain_total = reader.paid_total_of(period_id) if terms is not None else 0
    if terms is not None and chain_total > terms.total:
        report.add(
            "payouts",
            "over_total",
            f"period {period_id}",
            "paidTotalOf",
            f"at most {terms.total}",
            chain_total,
            "the vault paid more than the anchored total",
        )
    if period is not None and period.status == PeriodStatus.paid:
        failed = {f.index for f in events.failed}
        for index in sorted(set(leaves) - set(times)):
            report.add(
                "payouts",
                "unpaid",
                f"period {period_id} index {index}",
                f"distributor {leaves[index].distributor_id}",
                "paid",
                "payment failed" if index in failed else "no payment",
                "the database says the period is paid",
            )
    paid_lines = report.facts.setdefault("paidLines", {})
    mine = [line for line in paid if line.index in leaves]
    paid_lines[str(period_id)] = {
        "leaves": len(leaves),
        "paid": len(set(times) & set(leaves)),
        "byRail": rail_counts(mine),
    }
    for line in paid:
        payee = leaves.get(line.index)
        report.paid.append(
            {
                **line.as_json(),
                "distributor_id": payee.distributor_id if payee else None,
                "amount": payee.payout if payee else line.amount,
            }
        )


def _references(
    session: Session,
    period_id: int,
    paid: list[LinePaid],
    leaves: dict[int, PeriodPayee],
    report: AuditReport,
) -> None:
    """Each attested bank line's reference on chain is the one the database stored for the
    bank payment it matched (`backend.bank_payouts`)."""
    stored = {
        int(row.line_index): row.reference
        for row in session.exec(
            select(BankPayment).where(
                BankPayment.period_id == period_id, BankPayment.outcome == Outcome.matched
            )
        )
        if row.line_index is not None
    }
    for line in paid:
        if line.rail != "bank" or line.index not in leaves:
            continue
        subject = f"period {period_id} index {line.index}"
        if line.index not in stored:
            report.add(
                "payouts",
                "not_in_database",
                subject,
                "ref",
                "a matched bank payment",
                "none",
                f"attested in tx {line.tx_hash} with reference {line.ref}",
            )
        elif (stored[line.index] or "").lower() != (line.ref or "").lower():
            report.add(
                "payouts", "mismatch", subject, "ref", line.ref, stored[line.index], line.event
            )


def _rail(line: LinePaid, payee: PeriodPayee, subject: str, report: AuditReport) -> None:
    """A bank line is attested, a token line pushed or claimed: by the leaf's account (the bank
    marker) and by the rail the database recorded for the period's payee."""
    bank_leaf = is_bank_account(payee.account)
    if line.rail == "bank" and not bank_leaf:
        report.add(
            "payouts",
            "not_a_bank_line",
            subject,
            "rail",
            "bank",
            payee.rail or "token",
            f"a token line attested: {line.event}",
        )
    elif line.rail != "bank" and bank_leaf:
        report.add(
            "payouts",
            "bank_line_paid_in_tokens",
            subject,
            "rail",
            line.rail,
            "bank",
            line.event,
        )
    elif payee.rail is not None and (payee.rail == "bank") != (line.rail == "bank"):
        report.add(
            "payouts",
            "mismatch",
            subject,
            "rail",
            line.rail,
            payee.rail,
            f"the database's rail for distributor {payee.distributor_id}",
        )
