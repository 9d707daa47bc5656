"""The auditor's packages and reconciliation, as pages show them.

Closed periods' packages: the files on disk against the manifest the database stored, the
manifest's hashes against the ones anchored on chain, and the package as one archive in the
one canonical form `backend.packages.archive_bytes` writes (`lineage period compute --out
X.zip` writes the same bytes for the same files). The reconciliation (`reconcile`) grouped per
check, each finding linked to the record it names.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from eth_utils.crypto import keccak
from sqlmodel import Session, col, select

from backend.audit.history import Compared, OpenReader, reading_chain
from backend.audit.reconcile import ANCHORED, reconcile
from backend.audit.report import Finding
from backend.core.config import Settings
from backend.core.errors import Conflict, NotFound
from backend.deployment.service import Deployment, deployment
from backend.packages import archive_bytes, read_dir
from backend.periods.models import Period
from backend.periods.service import get_period, package_dir

__all__ = [
    "FileCheck",
    "PackageView",
    "ReconciliationView",
    "Subject",
    "closed_periods",
    "package_archive",
    "package_view",
    "reconciliation_view",
]


def closed_periods(session: Session, settings: Settings) -> list[tuple[Period, bool]]:
    """Every period anchored or later, newest first, and whether its package is on disk."""
    query = select(Period).where(col(Period.status).in_([s.value for s in ANCHORED]))
    periods = list(session.exec(query.order_by(col(Period.id).desc())))
    return [(p, (package_dir(settings, p.id) / "manifest.json").is_file()) for p in periods]


def _closed(session: Session, period_id: int) -> Period:
    period = get_period(session, period_id)  # NotFound for an unknown id
    if period.status not in ANCHORED or period.manifest is None:
        raise NotFound(f"period {period_id} is not closed: it has no anchored package")
    return period


@dataclass(frozen=True)
class FileCheck:
    path: str
    size: int | None
    recorded: str
    found: str | None

    @property
    def same(self) -> bool:
        return self.found is not None and self.found == self.recorded


@dataclass(frozen=True)
class PackageView:
    period: Period
    files: list[FileCheck]
    hashes: list[Compared]
    matches_package: bool
    archive_sha256: str | None
    record: Deployment
    problems: list[str] = field(default_factory=list)

    @property
    def files_ok(self) -> bool:
        return all(f.same for f in self.files) and not self.problems

    @property
    def ok(self) -> bool:
        return self.files_ok and self.matches_package and all(h.same for h in self.hashes)


def _package_files(settings: Settings, period: Period) -> tuple[dict[str, bytes], list[str]]:
    """The folder's files, and what is wrong with them as a whole (`missing_folder`, or
    `manifest_differs`: its manifest.json is not the one the database stored)."""
    root = package_dir(settings, period.id)
    try:
        files = read_dir(root)
    except FileNotFoundError:
        return {}, ["missing_folder"]
    problems = []
    if files.get("manifest.json", b"").decode(errors="replace") != period.manifest:
        problems.append("manifest_differs")
    return files, problems


PROBLEMS = {
    "missing_folder": "the package folder is missing",
    "manifest_differs": "manifest.json differs from the manifest the database stored",
}


def _stored_manifest(period: Period) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(period.manifest or "{}")
    return manifest


def commitment(inputs_hash: str, plan_hash: str, results_hash: str) -> str:
    """PeriodAnchor's package commitment: keccak256(abi.encode(inputs, plan, results))."""
    words = b"".join(
        bytes.fromhex(h.removeprefix("0x")) for h in (inputs_hash, plan_hash, results_hash)
    )
    return "0x" + keccak(words).hex()


def package_view(
    session: Session, settings: Settings, open_reader: OpenReader, period_id: int
) -> PackageView:
    period = _closed(session, period_id)
    manifest = _stored_manifest(period)
    files, problems = _package_files(settings, period)
    recorded: dict[str, str] = manifest.get("files") or {}
    checks = []
    for path in sorted(set(recorded) | (set(files) - {"manifest.json"})):
        data = files.get(path)
        found = None if data is None else "0x" + hashlib.sha256(data).hexdigest()
        checks.append(
            FileCheck(path, None if data is None else len(data), recorded.get(path, ""), found)
        )
    hashes = {k: str(manifest.get(k, "")) for k in ("inputsHash", "planHash", "resultsHash")}
    ours = commitment(hashes["inputsHash"], hashes["planHash"], hashes["resultsHash"])
    with reading_chain():
        reader = open_reader()
        terms = reader.payout_terms_of(period.id)
        events = reader.anchored_events(period.id)
        anchored = events[0] if events else None
        chained_commitment = reader.package_commitment_of(period.id) if terms else None
        matches = terms is not None and reader.matches_package(
            period.id, hashes["inputsHash"], hashes["planHash"], hashes["resultsHash"]
        )
    compared = [
        Compared("planHash", anchored.plan_hash if anchored else None, hashes["planHash"], "hash"),
        Compared(
            "inputsHash", anchored.inputs_hash if anchored else None, hashes["inputsHash"], "hash"
        ),
        Compared(
            "resultsHash",
            anchored.results_hash if anchored else None,
            hashes["resultsHash"],
            "hash",
        ),
        Compared(
            "payoutRoot", terms.payout_root if terms else None, manifest.get("payoutRoot"), "hash"
        ),
        Compared(
            "payoutTotal", terms.total if terms else None, manifest.get("payoutTotal"), "money"
        ),
        Compared("leafCount", terms.leaf_count if terms else None, manifest.get("leafCount")),
        Compared("packageCommitment", chained_commitment, ours, "hash"),
    ]
    archive = None
    if files and not problems:
        archive = "0x" + hashlib.sha256(archive_bytes(files)).hexdigest()
    return PackageView(
        period=period,
        files=checks,
        hashes=compared,
        matches_package=matches,
        archive_sha256=archive,
        record=deployment(settings),
        problems=problems,
    )


def package_archive(session: Session, settings: Settings, period_id: int) -> bytes:
    """The package as its canonical .zip, only when every file on disk is the one the stored
    manifest names (so the archive holds exactly what the period was anchored from)."""
    period = _closed(session, period_id)
    files, problems = _package_files(settings, period)
    recorded: dict[str, str] = _stored_manifest(period).get("files") or {}
    for path, digest in sorted(recorded.items()):
        data = files.get(path)
        if data is None or "0x" + hashlib.sha256(data).hexdigest() != digest:
            problems.append(f"package file {path} is missing or differs from its manifest hash")
    extra = sorted(set(files) - set(recorded) - {"manifest.json"})
    problems.extend(f"package file {path} is not in the manifest" for path in extra)
    problems = [PROBLEMS.get(p, p) for p in problems]
    if problems:
        raise Conflict(f"period {period_id}: {problems[0]}", code="package_mismatch")
    return archive_bytes(files)


# -- reconciliation ----------------------------------------------------------------------------

_SUBJECT = re.compile(r"^(distributor|period) (\d+)(?: index (\d+))?(.*)$")


@dataclass(frozen=True)
class Subject:
    """The record a finding names, for a page: its link, what it is, its id (and a payout
    line's index), and anything more the subject says (a batch's transaction)."""

    href: str
    kind: str
    number: int
    index: int | None
    rest: str


def finding_subject(finding: Finding) -> Subject | None:
    """A distributor's page, or a period's package page; None for a subject naming neither."""
    found = _SUBJECT.match(finding.subject)
    if found is None:
        return None
    kind, number = found.group(1), int(found.group(2))
    href = f"/distributors/{number}" if kind == "distributor" else f"/audit/packages/{number}"
    index = int(found.group(3)) if found.group(3) else None
    return Subject(href, kind, number, index, found.group(4).strip())


@dataclass(frozen=True)
class ReconciliationView:
    ok: bool
    findings: int
    groups: list[tuple[str, list[tuple[Finding, Subject | None]]]]
    facts: dict[str, Any]
    #: Every paid line with its rail (`AuditReport.paid`).
    paid: list[dict[str, Any]] = field(default_factory=list)


def reconciliation_view(
    session: Session, open_reader: OpenReader, period_id: int | None = None
) -> ReconciliationView:
    if period_id is not None:
        get_period(session, period_id)  # an unknown period is a 404, not an empty report
    with reading_chain():
        report = reconcile(session, open_reader(), period_id)
    groups = [
        (check, [(f, finding_subject(f)) for f in report.findings if f.check == check])
        for check in report.checks
    ]
    return ReconciliationView(
        ok=report.ok,
        findings=len(report.findings),
        groups=groups,
        facts=report.facts,
        paid=report.paid,
    )
