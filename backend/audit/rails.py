"""Every paid line of a period by rail, from the vault's events: what the package audit and the
reconciliation both check, and what they list.

A line is paid by one of three events: `BatchPaid` (the vault pushed the token: rail
``token``), `Paid` (the distributor claimed it: ``claim``) or `BatchAttested` (the company paid
it by bank transfer and attested it with a payment reference: ``bank``). Whatever the rail, each
anchored line is paid once and the paid total never exceeds the anchored total; a bank line
(its leaf's account carries the bank marker, `ledger.rails.is_bank`) is only ever attested and
a token line only ever pushed or claimed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from backend.chain.audit_reads import PaymentEvents
from ledger.rails import is_bank

__all__ = [
    "RAILS",
    "Leaf",
    "LinePaid",
    "Rail",
    "is_bank_account",
    "lines_paid",
    "paid_sum",
    "rail_counts",
]

Rail = Literal["token", "claim", "bank"]
#: In report order.
RAILS: tuple[Rail, ...] = ("token", "claim", "bank")
#: What each rail's event is called in a finding's note.
EVENT_OF: dict[Rail, str] = {"token": "BatchPaid", "claim": "Paid", "bank": "BatchAttested"}


@dataclass(frozen=True)
class Leaf:
    """One payout leaf of a package (`results/leaves.json`)."""

    index: int
    account: str
    amount: int

    @property
    def bank(self) -> bool:
        return is_bank_account(self.account)


@dataclass(frozen=True)
class LinePaid:
    """One line paid on chain. `ref` is a bank line's payment reference; `account` and
    `amount` what a claim's `Paid` event names (a batch's lines name neither)."""

    period_id: int
    index: int
    rail: Rail
    tx_hash: str
    block: int
    ref: str | None = None
    account: str | None = None
    amount: int | None = None

    @property
    def event(self) -> str:
        return f"{EVENT_OF[self.rail]} in tx {self.tx_hash}"

    def as_json(self) -> dict[str, object]:
        return {
            "period_id": self.period_id,
            "index": self.index,
            "rail": self.rail,
            "tx_hash": self.tx_hash,
            "block": self.block,
            "ref": self.ref,
        }


def lines_paid(period_id: int, events: PaymentEvents) -> list[LinePaid]:
    """Each line of each payment event, in chain order (by block; within one block token
    pushes, then claims, then attestations)."""
    lines = [
        LinePaid(period_id, index, "token", batch.tx_hash, batch.block)
        for batch in events.batches
        for index in batch.indices
    ]
    lines += [
        LinePaid(
            period_id,
            claim.index,
            "claim",
            claim.tx_hash,
            claim.block,
            account=claim.account,
            amount=claim.amount,
        )
        for claim in events.claims
    ]
    lines += [
        LinePaid(period_id, line.index, "bank", line.tx_hash, line.block, ref=line.ref)
        for line in events.attestations
    ]
    order = {rail: n for n, rail in enumerate(RAILS)}
    return sorted(lines, key=lambda line: (line.block, order[line.rail]))


def paid_sum(events: PaymentEvents) -> int:
    """What the events say left the period's book: batches', claims' and attestations' amounts."""
    return (
        sum(batch.amount for batch in events.batches)
        + sum(claim.amount for claim in events.claims)
        + sum(batch.amount for batch in events.attest_batches)
    )


def rail_counts(lines: Iterable[LinePaid]) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(RAILS, 0)
    for line in lines:
        counts[line.rail] += 1
    return counts


def is_bank_account(account: str | None) -> bool:
    """True for a leaf account (``0x`` + 40 hex digits) carrying the bank marker."""
    if account is None:
        return False
    try:
        return is_bank(bytes.fromhex(account.removeprefix("0x")))
    except ValueError:
        return False
