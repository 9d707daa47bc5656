"""Open a read-only `AuditReader` from a deployment record, with one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from backend.audit.report import AuditInputError
from backend.chain.audit_reads import AuditReader
from backend.chain.deployment import Deployment
from backend.chain.gateway import ChainError


def load_deployment(path: Path) -> Deployment:
    if not path.is_file():
        raise AuditInputError(f"no deployment record at {path}")
    try:
        return Deployment.model_validate(json.loads(path.read_text()))
    except (ValueError, ValidationError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise AuditInputError(f"{path} is not a deployment record: {first}") from None


def open_reader(deployment: Deployment, rpc_url: str | None = None) -> AuditReader:
    """A reader on `rpc_url` (default: the record's), checked to be the record's chain."""
    url = rpc_url or deployment.rpcUrl
    try:
        reader = AuditReader(url, deployment, request_timeout=10.0)
        reader.check()
    except ChainError as exc:
        raise AuditInputError(str(exc).splitlines()[0]) from None
    return reader
