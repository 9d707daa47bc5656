"""Audit: a period package against the chain, and the database against the chain."""

from backend.audit.package_audit import audit_package
from backend.audit.report import AuditInputError, AuditReport, Finding

__all__ = ["AuditInputError", "AuditReport", "Finding", "audit_package"]
