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
from backend.documents.invoice import invoice_fields, issue_invoice
from backend.documents.models import DocumentKind
from backend.documents.offer import issue_offer
from backend.documents.store import (
    KINDS,
    canonical,
    company_for,
    correct,
    flat,
    get,
    listing,
    rerender,
    sha256,
)

__all__ = [
    "CLOSED",
    "KINDS",
    "AgreementState",
    "DocumentKind",
    "PayeeActs",
    "accept",
    "acceptance_needed",
    "acceptances",
    "agreement_text",
    "act_fields",
    "canonical",
    "company_for",
    "correct",
    "flat",
    "get",
    "invoice_fields",
    "issue_act",
    "issue_invoice",
    "issue_offer",
    "listing",
    "period_acts",
    "rerender",
    "sha256",
    "state",
]
