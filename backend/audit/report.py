"""What an audit found: one `Finding` per divergence, down to the record, grouped by check."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: The checks of a package audit, in report order.
PACKAGE_CHECKS = ("package", "anchor", "payments", "genealogy")
#: The checks of a database-vs-chain reconciliation, in report order.
RECONCILIATION_CHECKS = ("placements", "anchors", "payouts")


class AuditInputError(Exception):
    """The package, a statement or the chain cannot be audited at all (exit 2, one line)."""


@dataclass(frozen=True)
class Finding:
    """One divergence.

    `check` is the group (`package`, `anchor`, `payments`, `genealogy`, `placements`, ...);
    `subject` names the thing (a file, `period 3 line 12`, `distributor 42`); `field` the part
    of it that differs (`record 7`, `sponsor`, `payoutRoot`); `kind` a stable machine-readable
    tag (`mismatch`, `missing_on_chain`, `unpaid`, `paid_twice`, ...).
    """

    check: str
    kind: str
    subject: str
    field: str
    expected: str
    found: str
    note: str = ""

    def __str__(self) -> str:
        text = f"[{self.check}] {self.subject}"
        if self.field:
            text += f" {self.field}"
        text += f": {self.kind}: expected {self.expected!r}, found {self.found!r}"
        return text + (f" ({self.note})" if self.note else "")


@dataclass
class AuditReport:
    """Findings plus what was checked; `ok` only when nothing differs."""

    checks: tuple[str, ...]
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    #: Every line paid on chain, in chain order: period, index, rail (`token`, `claim`,
    #: `bank`), transaction, a bank line's reference (and the distributor, when known).
    paid: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(
        self,
        check: str,
        kind: str,
        subject: str,
        field_name: str,
        expected: object,
        found: object,
        note: str = "",
    ) -> None:
        self.findings.append(
            Finding(check, kind, subject, field_name, _text(expected), _text(found), note)
        )

    def count_by_check(self) -> dict[str, int]:
        counts = dict.fromkeys(self.checks, 0)
        for finding in self.findings:
            counts[finding.check] = counts.get(finding.check, 0) + 1
        return counts

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": self.count_by_check(),
            "facts": self.facts,
            "findings": [asdict(finding) for finding in self.findings],
            "paid": self.paid,
        }


def _text(value: object) -> str:
    if value is None:
        return "<none>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
