"""Issuing, listing and reading partner documents: the one import for callers (the API, the
pages, the CLI and the benches). The store (`store`) numbers, freezes, renders and reads
documents of every kind; each kind's module gathers its data and registers what it needs.
"""

from backend.documents.acts import CLOSED, PayeeActs, act_fields, issue_act, period_acts
from backend.documents.agreement import (
    AgreementState,
    accept,
    acceptance_needed,
    acceptances,
    agreement_text,
    state,
)
from backend.documents.bulk import failures_of, latest_jobs, request_job
from backend.documents.invoice import invoice_fields, issue_invoice
from backend.documents.models import DocumentKind
from backend.documents.offer import issue_offer
from backend.documents.reconciliation import (
    MAX_DAYS,
    check_range,
    issue_reconciliation,
    reconciliation_fields,
)
from backend.documents.reconciliation import issued as issued_reconciliations
from backend.documents.store import (
    KINDS,
    canonical,
    company_for,
    correct,
    flat,
    get,
    listing,
    of_order,
    rerender,
    sha256,
)
from backend.documents.upd import issue_upd, upd_fields

__all__ = [
    "CLOSED",
    "KINDS",
    "MAX_DAYS",
    "AgreementState",
    "DocumentKind",
    "PayeeActs",
    "accept",
    "acceptance_needed",
    "acceptances",
    "agreement_text",
    "act_fields",
    "canonical",
    "check_range",
    "company_for",
    "correct",
    "failures_of",
    "flat",
    "get",
    "invoice_fields",
    "issue_act",
    "issue_invoice",
    "issue_reconciliation",
    "issued_reconciliations",
    "issue_offer",
    "listing",
    "of_order",
    "period_acts",
    "reconciliation_fields",
    "latest_jobs",
    "request_job",
    "rerender",
    "sha256",
    "state",
    "upd_fields",
    "issue_upd",
]
