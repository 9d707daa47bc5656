"""Issuing, listing and reading partner documents: the one import for callers (the API, the
pages, the CLI and the benches). The store (`store`) numbers, freezes, renders and reads
documents of every kind; each kind's module gathers its data and registers what it needs.
"""

from backend.documents.acts import CLOSED, PayeeActs, act_fields, issue_act, period_acts
from backend.documents.invoice import invoice_fields, issue_invoice
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
    "PayeeActs",
    "act_fields",
    "canonical",
    "company_for",
    "correct",
    "flat",
    "get",
    "invoice_fields",
    "issue_act",
    "issue_invoice",
    "listing",
    "of_order",
    "period_acts",
    "rerender",
    "sha256",
    "upd_fields",
    "issue_upd",
]
