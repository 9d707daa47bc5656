"""The read-only chain bindings the API uses, built once per app (never per request).

`lineage run` hands in the process's gateway; an app without one (tests, a bare `create_app`)
opens a read-only gateway from the deployment record at first use, since the record may be
written after the app starts (a first deploy), and keeps it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from backend.chain.audit_reads import AuditReader
from backend.chain.deployment import Deployment, read_deployment
from backend.chain.gateway import ChainGateway
from backend.chain.payouts import PayoutChain


class ChainReads:
    def __init__(self, record_path: Path, gateway: ChainGateway | None = None) -> None:
        self.record_path = record_path
        self._gateway = gateway
        self._payouts: PayoutChain | None = None
        self._audit: AuditReader | None = None
        self._lock = threading.Lock()

    def deployment(self) -> Deployment:
        if self._gateway is not None:
            return self._gateway.deployment
        return read_deployment(self.record_path)  # 503 `chain_not_deployed` until deployed

    def gateway(self) -> ChainGateway:
        with self._lock:
            if self._gateway is None:
                deployment = read_deployment(self.record_path)
                self._gateway = ChainGateway(deployment.rpcUrl, deployment, request_timeout=10.0)
            return self._gateway

    def payouts(self) -> PayoutChain:
        gateway = self.gateway()
        with self._lock:
            if self._payouts is None:
                self._payouts = PayoutChain(gateway)
            return self._payouts

    def audit(self) -> AuditReader:
        """The auditor's reader, checked once to be the record's chain (raises `ChainError`)."""
        gateway = self.gateway()
        with self._lock:
            if self._audit is None:
                reader = AuditReader.on(gateway)
                reader.check()
                self._audit = reader
            return self._audit
