"""A statement's executed payments matched to the payout lines they pay, and the payment
reference each match gets for the chain.

A payment pays a line when all three agree: the purpose's line reference (``выплата
<period>/<index>``), the payee's account and the amount to the kopeck. A payment the company
made (its account is the payer's, ``ДатаСписано`` given) that names a line but disagrees on the
account or the amount, names a line not expected, or pays a line twice is listed with its
reason; so is a matched payment the bank returned within the statement (an incoming document
naming the same line), which is then not a match. A line no payment names is listed as unpaid.
Documents naming no line are someone else's business (rent, taxes) and are only counted,
unless one pays an expected line's account its exact amount: then it is listed as a payment
whose reference was lost.

The payment reference (what ``attestBatch`` records for a line) is
``keccak256(salt || len(number) || number || date || amount)``: the company's secret salt
(at least 16 bytes), the document number's length as one byte and its UTF-8 bytes, the
document's date as ``YYYYMMDD`` in ASCII, the amount in kopecks as 8 bytes big-endian. It
names the bank document to whoever holds the salt and nothing to anyone else: no personal data.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sha3 import keccak_256

from backend.bankfiles.exchange import LINE_REFERENCE
from backend.bankfiles.statement import Document, Statement
from backend.core.config import Settings

MIN_SALT_BYTES = 16
SALT_FILE = "payment-ref.salt"


class Reason(StrEnum):
    amount_short = "amount_short"  # paid less than the line (a partial payment)
    amount_over = "amount_over"  # paid more than the line
    account_differs = "account_differs"  # paid to another account than the line's payee's
    unknown_line = "unknown_line"  # names a line that is not among the expected ones
    paid_twice = "paid_twice"  # a second payment of a line already matched
    returned = "returned"  # the bank returned the payment within the statement
    not_debited = "not_debited"  # the company's document without ДатаСписано: not executed
    no_reference = "no_reference"  # the right account and amount, but no line reference
    unpaid = "unpaid"  # an expected line no payment names


@dataclass(frozen=True)
class ExpectedLine:
    """A bank line awaiting payment: its period, its index in the period's payout table, the
    amount paid (kopecks) and the payee's account."""

    period_id: int
    index: int
    amount: int
    payee_account: str

    @property
    def key(self) -> tuple[int, int]:
        return self.period_id, self.index


@dataclass(frozen=True)
class Matched:
    line: ExpectedLine
    document: Document
    reference: bytes  # 32 bytes: `payment_reference`


@dataclass(frozen=True)
class Unmatched:
    reason: Reason
    document: Document | None  # None for an unpaid line
    line: ExpectedLine | None  # None when the document names no expected line

    @property
    def detail(self) -> str:
        doc = self.document
        where = f"document {doc.number} of {doc.date:%d.%m.%Y} (line {doc.line})" if doc else ""
        line = f"line {self.line.period_id}/{self.line.index}" if self.line else ""
        return f"{self.reason.value}: " + ", ".join(part for part in (where, line) if part)


@dataclass(frozen=True)
class MatchResult:
    matched: tuple[Matched, ...]
    unmatched: tuple[Unmatched, ...]
    unrelated: int  # documents that name no line (and are no lost reference)


def payment_reference(salt: bytes, document: Document) -> bytes:
    """The 32-byte reference of ``document`` (see the module's text)."""
    if len(salt) < MIN_SALT_BYTES:
        raise ValueError(f"the payment reference salt needs at least {MIN_SALT_BYTES} bytes")
    number = document.number.encode("utf-8")
    if len(number) > 255:
        raise ValueError("a document number of more than 255 bytes")
    body = (
        salt
        + bytes([len(number)])
        + number
        + document.date.strftime("%Y%m%d").encode("ascii")
        + document.amount.to_bytes(8, "big")
    )
    digest: bytes = keccak_256(body).digest()
    return digest


def _line_key(document: Document) -> tuple[int, int] | None:
    found = LINE_REFERENCE.search(document.purpose)
    return (int(found.group(1)), int(found.group(2))) if found else None


def match(statement: Statement, expected: Sequence[ExpectedLine], *, salt: bytes) -> MatchResult:
    """Each of the statement's payments of the company matched to its expected line (see the
    module's text); the reasons for the rest."""
    lines = {line.key: line for line in expected}
    if len(lines) != len(expected):
        raise ValueError("an expected line is given twice")
    ours = set(statement.accounts) | {section.account for section in statement.sections}
    candidates: dict[tuple[int, int], Document] = {}
    returned: set[tuple[int, int]] = set()
    unmatched: list[Unmatched] = []
    named: set[tuple[int, int]] = set()
    unreferenced: list[Document] = []
    for document in statement.documents:
        key = _line_key(document)
        outgoing = document.payer_account in ours
        if key is None:
            if outgoing:
                unreferenced.append(document)
            continue
        if not outgoing:
            if document.payee_account in ours:
                returned.add(key)
            continue
        line = lines.get(key)
        named.add(key)
        reason: Reason | None = None
        if document.debited_on is None:
            reason = Reason.not_debited
        elif line is None:
            reason = Reason.unknown_line
        elif document.payee_account != line.payee_account:
            reason = Reason.account_differs
        elif document.amount < line.amount:
            reason = Reason.amount_short
        elif document.amount > line.amount:
            reason = Reason.amount_over
        elif key in candidates:
            reason = Reason.paid_twice
        if reason is None:
            candidates[key] = document
        else:
            unmatched.append(Unmatched(reason, document, line))
    matched: list[Matched] = []
    for key, document in candidates.items():
        if key in returned:
            unmatched.append(Unmatched(Reason.returned, document, lines[key]))
        else:
            matched.append(Matched(lines[key], document, payment_reference(salt, document)))
    unrelated = 0
    for document in unreferenced:
        lost = [
            line
            for line in expected
            if line.key not in named
            and line.payee_account == document.payee_account
            and line.amount == document.amount
        ]
        if lost:
            unmatched.append(Unmatched(Reason.no_reference, document, lost[0]))
            named.add(lost[0].key)
        else:
            unrelated += 1
    unmatched += [
        Unmatched(Reason.unpaid, None, line) for line in expected if line.key not in named
    ]
    return MatchResult(tuple(matched), tuple(unmatched), unrelated)


def payment_salt(settings: Settings) -> bytes:
    """The company's salt: ``LINEAGE_PAYMENT_REF_SALT`` (hex, at least 16 bytes), else one
    generated once into ``<data_dir>/payment-ref.salt`` (mode 0600). Keep it with the company's
    secrets: without it a reference on chain can no longer be tied to its bank document."""
    if settings.payment_ref_salt is not None:
        text = settings.payment_ref_salt.get_secret_value().strip()
        try:
            salt = bytes.fromhex(text.removeprefix("0x"))
        except ValueError:
            raise ValueError("LINEAGE_PAYMENT_REF_SALT is not hexadecimal") from None
        if len(salt) < MIN_SALT_BYTES:
            raise ValueError(f"LINEAGE_PAYMENT_REF_SALT needs at least {MIN_SALT_BYTES} bytes")
        return salt
    return _salt_file(settings.data_dir / SALT_FILE)


def _salt_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: two processes starting together keep the first one's salt
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    salt = bytes.fromhex(path.read_text().strip())
    if len(salt) < MIN_SALT_BYTES:
        raise ValueError(f"{path} holds fewer than {MIN_SALT_BYTES} bytes of salt")
    return salt
