"""Audit: a period package against the chain, and the database against the chain."""

from backend.audit.package_audit import AuditInputError, audit_package
from backend.audit.report import AuditReport, Finding

__all__ = ["AuditInputError", "AuditReport", "Finding", "audit_package"]
