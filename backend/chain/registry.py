"""The `GenealogyRegistry` binding: placement reads, the `Placed` event scan, and the signed
`placeBatch` the writer sends (encoded here, signed by the client's key)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from backend.chain.chain_types import ChainPlacement, PlacementRequest, SignedTx
from backend.chain.client import ChainClient, hex_str

# EIP-7825 caps a transaction at 16,777,216 gas; the gas benchmark fits 406 placements in it.
TX_GAS_CAP = 16_000_000
PLACE_BATCH_GAS_BASE = 80_000
PLACE_BATCH_GAS_PER_ITEM = 52_000
MAX_PLACE_BATCH = 300

_PLACE_BATCH_ARGS = "(uint64,uint64,uint64,uint32)[]"
_PLACE_BATCH_SELECTOR = keccak(text=f"placeBatch({_PLACE_BATCH_ARGS})")[:4]


class Registry:
    """The registry at `address` on `client`; `deployment_block` bounds the event scans."""

    def __init__(self, client: ChainClient, address: str, *, deployment_block: int) -> None:
        self._client = client
        self._deployment_block = deployment_block
        self.contract = client.binding("GenealogyRegistry", address)

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def placement_of(self, distributor_id: int) -> ChainPlacement | None:
        raw = self._client.run(lambda: self.contract.functions.placementOf(distributor_id).call())
        return _placement(raw)

    def placements_of(self, distributor_ids: Sequence[int]) -> list[ChainPlacement | None]:
        """Many `placementOf` reads in one JSON-RPC batch (one round trip)."""
        results: list[ChainPlacement | None] = []
        for start in range(0, len(distributor_ids), 500):
            chunk = distributor_ids[start : start + 500]

            def read(chunk: Sequence[int] = chunk) -> list[Any]:
                with self._client.w3.batch_requests() as batch:
                    for distributor_id in chunk:
                        batch.add(self.contract.functions.placementOf(distributor_id))
                    return list(batch.execute())

            results.extend(_placement(raw) for raw in self._client.run(read))
        return results

    def child_at(self, parent_id: int, position: int) -> int:
        return int(
            self._client.run(lambda: self.contract.functions.childAt(parent_id, position).call())
        )

    def placed_events(
        self, distributor_ids: Iterable[int], *, from_block: int | None = None
    ) -> dict[int, tuple[int, str]]:
        """Block number and transaction hash of the `Placed` event of each id found."""
        wanted = set(distributor_ids)
        if not wanted:
            return {}
        start = self._deployment_block if from_block is None else from_block
        event = self.contract.events.Placed
        ordered = sorted(wanted)
        found: dict[int, tuple[int, str]] = {}
        for first in range(0, len(ordered), 200):
            # `id` is an indexed topic: the node filters, we do not read every placement.
            chunk = ordered[first : first + 200]

            def read(chunk: list[int] = chunk) -> Any:
                return event.get_logs(
                    argument_filters={"id": chunk}, from_block=start, to_block="latest"
                )

            logs = self._client.run(read)
            for log in logs:
                distributor_id = int(log["args"]["id"])
                if distributor_id in wanted and distributor_id not in found:
                    found[distributor_id] = (
                        int(log["blockNumber"]),
                        hex_str(log["transactionHash"]),
                    )
        return found

    def simulate_place_batch(self, requests: Sequence[PlacementRequest]) -> None:
        """eth_call the batch; raises `Reverted` with the decoded custom error."""
        call = {"to": self.address, "data": self._place_batch_data(requests)}
        if self._client.sender is not None:
            call["from"] = self._client.sender  # the registrar role is checked first
        self._client.call(call)

    def sign_place_batch(
        self, requests: Sequence[PlacementRequest], *, nonce: int, gas_price: int | None = None
    ) -> SignedTx:
        if not requests:
            raise ValueError("an empty batch")
        if len(requests) > MAX_PLACE_BATCH:
            raise ValueError(f"at most {MAX_PLACE_BATCH} placements per transaction")
        gas = min(TX_GAS_CAP, PLACE_BATCH_GAS_BASE + PLACE_BATCH_GAS_PER_ITEM * len(requests))
        return self._client.sign(
            {"to": self.address, "data": self._place_batch_data(requests), "gas": gas},
            nonce=nonce,
            gas_price=gas_price,
        )

    def _place_batch_data(self, requests: Sequence[PlacementRequest]) -> str:
        # eth_abi directly: web3's encode_abi re-validates every argument against the ABI,
        # ~0.5 s for a batch of 300.
        for request in requests:
            if not (
                0 <= request.id < 2**64
                and 0 <= request.sponsor < 2**64
                and 0 <= request.parent < 2**64
                and 0 <= request.position < 2**32
            ):
                raise ValueError(f"placement request out of range: {request}")
        body = abi_encode([_PLACE_BATCH_ARGS], [[r.as_tuple() for r in requests]])
        return "0x" + (_PLACE_BATCH_SELECTOR + body).hex()


def _placement(raw: Sequence[Any]) -> ChainPlacement | None:
    sponsor, parent, position, placed_at = (int(value) for value in raw)
    if placed_at == 0:
        return None
    return ChainPlacement(sponsor=sponsor, parent=parent, position=position, placed_at=placed_at)
