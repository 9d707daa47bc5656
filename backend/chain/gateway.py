"""The chain gateway: a deployment's contracts on the process's one web3 client.

Everything else speaks in plain data: `PlacementRequest` in, transaction hashes, `Receipt`s and
`ChainPlacement`s out, and `ChainError` (with a decoded, human-readable reason) when the node or
a contract refuses. The parts: `client` (the web3 client, error translation, signing, broadcast
and receipts), one binding per contract (`registry`, `anchor`, `vault`) and `node` (probes of a
node by URL). The gateway adds the deployment: its status, its check, and its bindings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path

from backend.chain.anchor import Anchor
from backend.chain.chain_types import (
    ARTIFACTS,
    ChainError,
    ChainPlacement,
    ChainUnavailable,
    ErrorDecoder,
    PayoutTerms,
    PlacementRequest,
    Receipt,
    Reverted,
    SignedTx,
    load_abi,
)
from backend.chain.client import ChainClient
from backend.chain.deployment import Deployment, NodeStatus
from backend.chain.node import code_at, describe, probe_chain_id, set_dev_balance, wait_for_node
from backend.chain.registry import MAX_PLACE_BATCH, TX_GAS_CAP, Registry
from backend.chain.vault import Vault

# Re-exported: callers import the chain's vocabulary from the gateway that produces it.
__all__ = [
    "ARTIFACTS",
    "MAX_PLACE_BATCH",
    "TX_GAS_CAP",
    "ChainError",
    "ChainGateway",
    "ChainPlacement",
    "ChainUnavailable",
    "ErrorDecoder",
    "PayoutTerms",
    "PlacementRequest",
    "Receipt",
    "Reverted",
    "SignedTx",
    "code_at",
    "load_abi",
    "probe_chain_id",
    "set_dev_balance",
    "wait_for_node",
]


class ChainGateway(ChainClient):
    """One node, one deployment, one signing key (or none: read-only)."""

    def __init__(
        self,
        rpc_url: str,
        deployment: Deployment,
        *,
        private_key: str | None = None,
        artifacts: Path = ARTIFACTS,
        request_timeout: float = 30.0,
    ) -> None:
        super().__init__(
            rpc_url, private_key=private_key, artifacts=artifacts, request_timeout=request_timeout
        )
        self.deployment = deployment
        self.registry = Registry(
            self,
            deployment.contracts.GenealogyRegistry,
            deployment_block=deployment.deploymentBlock,
        )
        self._registry = self.registry.contract

    # The anchor and the vault are bound at first use: a placement-only caller never needs them.
    @cached_property
    def anchor(self) -> Anchor:
        return Anchor(self, self.deployment.contracts.PeriodAnchor)

    @cached_property
    def vault(self) -> Vault:
        return Vault(self, self.deployment.contracts.PayoutVault)

    # -- the deployment's node ---------------------------------------------------------------

    def status(self, *, queued_intents: int | None = None) -> NodeStatus:
        try:
            chain_id = int(self._probe.eth.chain_id)
            latest = int(self._probe.eth.block_number)
        except Exception as exc:  # noqa: BLE001 - health reports any failure
            return NodeStatus(status="down", detail=describe(exc), queued_intents=queued_intents)
        if chain_id != self.deployment.chainId:
            return NodeStatus(
                status="down",
                detail=f"node is chain {chain_id}, the deployment is for {self.deployment.chainId}",
                chain_id=chain_id,
                latest_block=latest,
                queued_intents=queued_intents,
            )
        return NodeStatus(
            status="ok", chain_id=chain_id, latest_block=latest, queued_intents=queued_intents
        )

    def check(self) -> None:
        """Raise unless the node answers, is the deployment's chain and holds the registry."""
        chain_id = self.chain_id()
        if chain_id != self.deployment.chainId:
            raise ChainError(
                f"the node at {self.rpc_url} is chain {chain_id}; "
                f"the deployment record is for chain {self.deployment.chainId}"
            )
        if not self.run(lambda: self._w3.eth.get_code(self.registry.contract.address)):
            raise ChainError(
                f"no GenealogyRegistry code at {self.registry.address} on chain {chain_id}"
            )

    # -- the bindings' calls, kept on the gateway for its callers ------------------------------

    def placement_of(self, distributor_id: int) -> ChainPlacement | None:
        return self.registry.placement_of(distributor_id)

    def placements_of(self, distributor_ids: Sequence[int]) -> list[ChainPlacement | None]:
        return self.registry.placements_of(distributor_ids)

    def child_at(self, parent_id: int, position: int) -> int:
        return self.registry.child_at(parent_id, position)

    def placed_events(
        self, distributor_ids: Iterable[int], *, from_block: int | None = None
    ) -> dict[int, tuple[int, str]]:
        return self.registry.placed_events(distributor_ids, from_block=from_block)

    def simulate_place_batch(self, requests: Sequence[PlacementRequest]) -> None:
        self.registry.simulate_place_batch(requests)

    def sign_place_batch(
        self, requests: Sequence[PlacementRequest], *, nonce: int, gas_price: int | None = None
    ) -> SignedTx:
        return self.registry.sign_place_batch(requests, nonce=nonce, gas_price=gas_price)

    def latest_period_id(self) -> int:
        return self.anchor.latest_period_id()

    def payout_terms_of(self, period_id: int) -> PayoutTerms | None:
        return self.anchor.payout_terms_of(period_id)

    def paid_flags(self, period_id: int, indices: Sequence[int]) -> list[bool]:
        return self.vault.paid_flags(period_id, indices)

    def paid_total_of(self, period_id: int) -> int:
        return self.vault.paid_total_of(period_id)
