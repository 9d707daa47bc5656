"""A package's attested bank lines against the bank's statements (`lineage audit
--bank-statement FILE`): each attested line's payment reference is recomputed from the
statement's executed payment of that line and must be the one on chain.

The auditor needs the company's salt (``LINEAGE_PAYMENT_REF_SALT`` or ``--salt-file``): the
reference is ``payment_reference(salt, document)`` (`backend.bankfiles.matching`), so nothing on
chain names a bank document to anyone without it. A payment is the company's executed one
(its payer account is one of the statement's accounts, ``ДатаСписано`` given) whose purpose
names the line (``выплата <period>/<index>``); a payment the bank returned within a statement
(an incoming document naming the same line) pays nothing.

Findings (check ``bank``): an attested line with no executed payment (``payment_missing``), a
reference that no payment of the line recomputes to (``reference_differs``), a payment whose
amount is not the leaf's (``mismatch`` of ``amount``), a line the bank paid twice
(``paid_twice``), and an executed payment of a line that is not a bank line of the package
(``not_a_bank_line``). An executed payment of a bank line nobody attested is noted on that
line's ``unpaid`` finding rather than counted twice.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from backend.audit.rails import Leaf, LinePaid, is_bank_account
from backend.audit.report import AuditInputError, AuditReport
from backend.bankfiles.exchange import LINE_REFERENCE, BankFileError, date_text
from backend.bankfiles.matching import MIN_SALT_BYTES, payment_reference
from backend.bankfiles.statement import Document, Statement, parse_statement

__all__ = ["BankEvidence", "check_bank", "evidence", "load_salt", "load_statements"]

SALT_ENV = "LINEAGE_PAYMENT_REF_SALT"


@dataclass(frozen=True)
class BankEvidence:
    """The statements' executed payments of one period's lines, by line index, and the salt
    their references are computed with."""

    salt: bytes
    payments: Mapping[int, tuple[Document, ...]]
    sources: Mapping[int, str]  # id(document) -> "file line N", for findings

    def where(self, document: Document) -> str:
        return self.sources.get(id(document), f"line {document.line}")

    def describe(self, document: Document) -> str:
        return f"document {document.number} of {date_text(document.date)} ({self.where(document)})"


def load_salt(salt_file: Path | None) -> bytes:
    """The salt from ``--salt-file`` (hex text, as the data folder's ``payment-ref.salt``) or
    else ``LINEAGE_PAYMENT_REF_SALT`` (hex); `AuditInputError` when neither gives 16 bytes."""
    if salt_file is not None:
        try:
            text, source = salt_file.read_text(encoding="ascii"), str(salt_file)
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditInputError(f"{salt_file}: cannot read the salt: {exc}") from None
    elif os.environ.get(SALT_ENV, "").strip():
        text, source = os.environ[SALT_ENV], SALT_ENV
    else:
        raise AuditInputError(
            f"checking bank statements needs the company's payment reference salt: "
            f"set {SALT_ENV} or give --salt-file"
        )
    try:
        salt = bytes.fromhex(text.strip().removeprefix("0x"))
    except ValueError:
        raise AuditInputError(f"{source}: the salt is not hexadecimal") from None
    if len(salt) < MIN_SALT_BYTES:
        raise AuditInputError(f"{source}: the salt needs at least {MIN_SALT_BYTES} bytes")
    return salt


def load_statements(paths: Sequence[Path]) -> list[tuple[str, Statement]]:
    """Each file parsed strictly; `AuditInputError` naming the file and line otherwise."""
    statements = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise AuditInputError(f"{path}: {exc.strerror or exc}") from None
        try:
            statements.append((str(path), parse_statement(data)))
        except BankFileError as exc:
            raise AuditInputError(f"{path}: {exc.message}") from None
    return statements


def evidence(
    period_id: int, statements: Sequence[tuple[str, Statement]], salt: bytes
) -> BankEvidence:
    """The executed, not returned, payments naming a line of `period_id`, by line index."""
    payments: dict[int, list[Document]] = defaultdict(list)
    sources: dict[int, str] = {}
    returned: set[int] = set()
    for name, statement in statements:
        ours = set(statement.accounts) | {section.account for section in statement.sections}
        for document in statement.documents:
            found = LINE_REFERENCE.search(document.purpose)
            if found is None or int(found.group(1)) != period_id:
                continue
            index = int(found.group(2))
            if document.payer_account in ours:
                if document.debited_on is not None:
                    payments[index].append(document)
                    sources[id(document)] = f"{Path(name).name} line {document.line}"
            elif document.payee_account in ours:
                returned.add(index)
    kept = {index: tuple(docs) for index, docs in payments.items() if index not in returned}
    return BankEvidence(salt, kept, sources)


def check_bank(
    period_id: int,
    leaves: Mapping[int, Leaf],
    paid: Sequence[LinePaid],
    bank: BankEvidence,
    report: AuditReport,
) -> None:
    attested: dict[int, LinePaid] = {}
    for line in paid:
        if line.rail == "bank":
            attested.setdefault(line.index, line)
    for index, documents in sorted(bank.payments.items()):
        subject = f"period {period_id} index {index}"
        leaf = leaves.get(index)
        if leaf is None or not is_bank_account(leaf.account):
            report.add(
                "bank",
                "not_a_bank_line",
                subject,
                "",
                "a bank line of the package",
                "a token line" if leaf is not None else "no such line",
                f"paid by {bank.describe(documents[0])}",
            )
            continue
        if len(documents) > 1:
            report.add(
                "bank",
                "paid_twice",
                subject,
                "",
                1,
                len(documents),
                "; ".join(bank.describe(d) for d in documents),
            )
    for index, line in sorted(attested.items()):
        subject = f"period {period_id} index {index}"
        documents = bank.payments.get(index, ())
        if not documents:
            report.add(
                "bank",
                "payment_missing",
                subject,
                "",
                "an executed payment in the statements",
                "none",
                f"attested in tx {line.tx_hash} with reference {line.ref}",
            )
            continue
        refs = ["0x" + payment_reference(bank.salt, d).hex() for d in documents]
        same = [
            d for d, ref in zip(documents, refs, strict=True) if ref == (line.ref or "").lower()
        ]
        if not same:
            report.add(
                "bank",
                "reference_differs",
                subject,
                "ref",
                line.ref,
                refs[0],
                f"recomputed from {bank.describe(documents[0])}; attested in tx {line.tx_hash}",
            )
        leaf = leaves.get(index)
        document = (same or list(documents))[0]
        if leaf is not None and document.amount != leaf.amount:
            report.add(
                "bank",
                "mismatch",
                subject,
                "amount",
                leaf.amount,
                document.amount,
                f"the leaf vs {bank.describe(document)}",
            )
    report.facts["bankPayments"] = sum(len(d) for d in bank.payments.values())
    report.facts["attestedChecked"] = sum(1 for i in attested if bank.payments.get(i))
