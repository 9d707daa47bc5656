"""The auditor's office: the chain's history beside the database's, one transaction read from the
chain, the database-against-chain reconciliation, and the closed periods' packages with their
hashes against the anchored ones and the commands to recompute them offline.

Read-only: no page here has a form (only the layout's language and logout). Chain reads go
through the audit domain (`backend.audit.history`, `backend.audit.office`) and its reader; a
chain that cannot be read is a 503 page that says so."""

from __future__ import annotations

import json
import re
import shlex
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from backend.audit.history import history, transaction_view
from backend.audit.office import (
    closed_periods,
    package_archive,
    package_view,
    reconciliation_view,
)
from backend.core.days import date_of
from backend.core.db import SessionDep
from backend.core.errors import Conflict, NotFound, Unavailable
from backend.core.types import MAX_ID
from backend.web.deps import AuditReaderDep, SettingsDep
from backend.web.i18n import N_
from backend.web.render import PageUser, check_id, render

HISTORY_PAGE = 50
TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
TABS = [
    ("/audit/history", N_("Chain history")),
    ("/audit/reconciliation", N_("Reconciliation")),
    ("/audit/packages", N_("Packages")),
    ("/audit/documents", N_("Documents")),
]
KIND_NAMES = {
    "placement": N_("Placement"),
    "anchor": N_("Period anchored"),
    "batch": N_("Payout batch"),
    "claim": N_("Line claimed"),
    "failed": N_("Payment failed"),
    "attest": N_("Bank lines attested"),
}
RAIL_NAMES = {
    "token": N_("Token pushed"),
    "claim": N_("Token claimed"),
    "bank": N_("Bank transfer, attested"),
}
FIELD_NAMES = {
    "sponsor": N_("Sponsor"),
    "parent": N_("Parent"),
    "position": N_("Position"),
    "status": N_("Status"),
    "transaction": N_("Transaction"),
    "payoutRoot": N_("Payout root"),
    "payoutTotal": N_("Payout total"),
    "leafCount": N_("Payout lines"),
    "amount": N_("Amount"),
    "lines": N_("Line indices"),
    "sum of the lines": N_("Sum of the lines"),
    "bank lines": N_("Bank lines"),
    "rail": N_("Payout rail"),
    "ref": N_("Payment reference"),
    "refs": N_("Payment references as queued"),
    "account": N_("Wallet"),
    "planHash": N_("Plan hash"),
    "inputsHash": N_("Inputs hash"),
    "resultsHash": N_("Results hash"),
    "packageCommitment": N_("Package commitment"),
}
CHECK_NAMES = {
    "placements": N_("Placements"),
    "anchors": N_("Anchors"),
    "payouts": N_("Payouts"),
}
FINDING_KINDS = {
    "mismatch": N_("Values differ"),
    "missing_on_chain": N_("Not on chain"),
    "not_in_database": N_("Not in the database"),
    "status": N_("Status differs"),
    "placed_twice": N_("Placed twice"),
    "paid_twice": N_("Paid twice"),
    "unpaid": N_("Not paid"),
    "not_a_bank_line": N_("A token line attested"),
    "bank_line_paid_in_tokens": N_("A bank line paid in tokens"),
    "over_total": N_("Paid more than anchored"),
}
KNOWN_AS = {
    "placement": N_("Placement of distributor %(id)s"),
    "anchor": N_("Anchor of period %(id)s"),
    "job_anchor": N_("Anchor job %(id)s"),
    "job_fund": N_("Vault funding job %(id)s"),
    "job_pay": N_("Payout batch job %(id)s"),
    "job_attest": N_("Bank attestation job %(id)s"),
}
STATES = {
    "pending": N_("waiting for the chain"),
    "queued": N_("queued"),
    "sent": N_("sent"),
    "confirmed": N_("confirmed"),
    "failed": N_("failed"),
}
PROBLEM_TEXTS = {
    "missing_folder": N_("The package folder is not on this server."),
    "manifest_differs": N_(
        "The package's manifest.json on the server is not the manifest the database stored."
    ),
}
CHAIN_DOWN_TITLE = N_("The chain cannot be read")
CHAIN_DOWN_TEXT = N_(
    "The service could not read the chain node, so nothing on this page can be compared now. "
    "Try again in a minute; the database's records are unchanged."
)


def _chain_down(request: Request, refused: Unavailable) -> Response:
    return render(
        request,
        "audit_unavailable.html",
        status_code=503,
        code=503,
        title=CHAIN_DOWN_TITLE,
        text=CHAIN_DOWN_TEXT,
        reason=refused.message,
        tabs=TABS,
    )


def _common() -> dict[str, Any]:
    return {
        "tabs": TABS,
        "tabs_label": N_("Audit"),
        "field_names": FIELD_NAMES,
        "rail_names": RAIL_NAMES,
        "date_of": date_of,
    }


OptionalId = Annotated[int | None, Query(gt=0, le=MAX_ID)]


def history_page(
    request: Request,
    session: SessionDep,
    open_reader: AuditReaderDep,
    user: PageUser,
    period: OptionalId = None,
    person: OptionalId = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    try:
        found = history(
            session,
            open_reader,
            period_id=period,
            person=person,
            offset=(page - 1) * HISTORY_PAGE,
            limit=HISTORY_PAGE,
        )
    except Unavailable as refused:
        return _chain_down(request, refused)
    pages = max(1, -(-found.total // HISTORY_PAGE))
    query = "&".join(
        f"{name}={value}" for name, value in (("period", period), ("person", person)) if value
    )
    return render(
        request,
        "audit_history.html",
        found=found,
        period=period,
        person=person,
        page=page,
        pages=pages,
        query=query,
        kind_names=KIND_NAMES,
        **_common(),
    )


def tx_page(
    request: Request, session: SessionDep, open_reader: AuditReaderDep, user: PageUser, tx_hash: str
) -> Response:
    if not TX_HASH.match(tx_hash):
        raise NotFound(f"{tx_hash} is not a transaction hash")
    try:
        view = transaction_view(session, open_reader, tx_hash)
    except Unavailable as refused:
        return _chain_down(request, refused)
    if view is None:
        raise NotFound(f"the chain has no transaction {tx_hash}")
    return render(
        request, "audit_tx.html", view=view, known_as=KNOWN_AS, states=STATES, **_common()
    )


def reconciliation_page(
    request: Request,
    session: SessionDep,
    open_reader: AuditReaderDep,
    user: PageUser,
    period: OptionalId = None,
) -> Response:
    try:
        report = reconciliation_view(session, open_reader, period)
    except Unavailable as refused:
        return _chain_down(request, refused)
    return render(
        request,
        "audit_reconciliation.html",
        report=report,
        period=period,
        check_names=CHECK_NAMES,
        kind_names=FINDING_KINDS,
        **_common(),
    )


def packages_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageUser
) -> Response:
    return render(
        request, "audit_packages.html", periods=closed_periods(session, settings), **_common()
    )


def offline_commands(view_period: int, record: dict[str, object]) -> str:
    """What an auditor runs beside the downloaded archive: the deployment record, a
    recomputation of every hash, and the package against the chain."""
    archive = f"period-{view_period}.zip"
    return "\n".join(
        [
            "cat > deployment.json <<'EOF'",
            json.dumps(record, sort_keys=True),
            "EOF",
            shlex.join(["lineage", "period", "verify", archive]),
            shlex.join(["lineage", "audit", archive, "--deployment", "deployment.json"]),
        ]
    )


def package_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    open_reader: AuditReaderDep,
    user: PageUser,
    period_id: int,
) -> Response:
    check_id(period_id, "period")
    try:
        view = package_view(session, settings, open_reader, period_id)
    except Unavailable as refused:
        return _chain_down(request, refused)
    record = view.record.model_dump(exclude={"compiler"})
    return render(
        request,
        "audit_package.html",
        view=view,
        commands=offline_commands(period_id, record),
        problem_texts=PROBLEM_TEXTS,
        **_common(),
    )


def package_zip(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageUser, period_id: int
) -> Response:
    check_id(period_id, "period")
    try:
        data = package_archive(session, settings, period_id)
    except Conflict as refused:
        return render(
            request,
            "audit_unavailable.html",
            status_code=409,
            code=409,
            title=N_("The package differs from its manifest"),
            text=N_(
                "A file of this period's package on the server is not the one its manifest "
                "names, so it is not the package the period was anchored from. Nothing is "
                "downloaded; the package's page lists each file."
            ),
            reason=refused.message,
            **_common(),
        )
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="period-{period_id}.zip"'},
    )


def add_audit_pages(router: APIRouter) -> None:
    """Onto the pages' router (its guard and policy apply); the archive before the package's
    page, whose `{period_id}` would otherwise take `1.zip`."""
    router.add_api_route("/audit/history", history_page, methods=["GET"])
    router.add_api_route("/audit/tx/{tx_hash}", tx_page, methods=["GET"])
    router.add_api_route("/audit/reconciliation", reconciliation_page, methods=["GET"])
    router.add_api_route("/audit/packages", packages_page, methods=["GET"])
    router.add_api_route("/audit/packages/{period_id}.zip", package_zip, methods=["GET"])
    router.add_api_route("/audit/packages/{period_id}", package_page, methods=["GET"])
