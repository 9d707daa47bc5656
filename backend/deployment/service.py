"""What the API shows of the chain: its deployment record and status.

The types are the chain's own (`backend.chain.deployment`, plain data, no web3); routes reach
them through here, so no route imports `backend.chain`.
"""

from __future__ import annotations

from backend.chain.deployment import (
    Contracts,
    Deployment,
    NodeStatus,
    NodeStatusProvider,
    not_configured,
    read_deployment,
)
from backend.core.config import Settings

__all__ = [
    "NodeStatus",
    "NodeStatusProvider",
    "Contracts",
    "Deployment",
    "deployment",
    "not_configured",
]


def deployment(settings: Settings) -> Deployment:
    """The data folder's deployment record (503 `chain_not_deployed` until there is one)."""
    return read_deployment(settings.resolved_deployment_file)
