"""The chain gateway: the one module in the service that builds a web3 client for an EVM node.

Everything else speaks in plain data: `PlacementRequest` in, transaction hashes, `Receipt`s and
`ChainPlacement`s out, and `ChainError` (with a decoded, human-readable reason) when the node or
a contract refuses. Transactions are signed here with a local key, so a transaction's hash is
known before it is broadcast; the caller (one writer) passes the nonce.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from requests.exceptions import RequestException
from web3 import Web3
from web3.exceptions import (
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)

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
from backend.chain.deployment import ChainStatus, Deployment

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


# EIP-7825 caps a transaction at 16,777,216 gas; the gas benchmark fits 406 placements in it.
TX_GAS_CAP = 16_000_000
PLACE_BATCH_GAS_BASE = 80_000
PLACE_BATCH_GAS_PER_ITEM = 52_000
MAX_PLACE_BATCH = 300

_PLACE_BATCH_ARGS = "(uint64,uint64,uint64,uint32)[]"
_PLACE_BATCH_SELECTOR = keccak(text=f"placeBatch({_PLACE_BATCH_ARGS})")[:4]


T = TypeVar("T")


class ChainGateway:
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
        self.rpc_url = rpc_url
        self.deployment = deployment
        self._account: LocalAccount | None = (
            Account.from_key(private_key) if private_key is not None else None
        )
        self._w3 = Web3(
            Web3.HTTPProvider(
                rpc_url,
                request_kwargs={"timeout": request_timeout},
                exception_retry_configuration=None,
            )
        )
        # A cheap probe for /health: short timeout, no retries.
        self._probe = Web3(
            Web3.HTTPProvider(
                rpc_url, request_kwargs={"timeout": 2.0}, exception_retry_configuration=None
            )
        )
        self._artifacts = artifacts
        self._registry = self._w3.eth.contract(
            address=Web3.to_checksum_address(deployment.contracts.GenealogyRegistry),
            abi=load_abi("GenealogyRegistry", artifacts),
        )
        self._chain_id: int | None = None

    # -- identity -------------------------------------------------------------------------

    @property
    def address(self) -> str:
        if self._account is None:
            raise ChainError("this gateway has no signing key (read-only)")
        return str(self._account.address)

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self._rpc(lambda: self._w3.eth.chain_id))
        return self._chain_id

    @cached_property
    def errors(self) -> ErrorDecoder:
        names = ("GenealogyRegistry", "PeriodAnchor", "PayoutVault")
        return ErrorDecoder(load_abi(name, self._artifacts) for name in names)

    def status(self, *, queued_intents: int | None = None) -> ChainStatus:
        try:
            chain_id = int(self._probe.eth.chain_id)
            latest = int(self._probe.eth.block_number)
        except Exception as exc:  # noqa: BLE001 - health reports any failure
            return ChainStatus(status="down", detail=_describe(exc), queued_intents=queued_intents)
        if chain_id != self.deployment.chainId:
            return ChainStatus(
                status="down",
                detail=f"node is chain {chain_id}, the deployment is for {self.deployment.chainId}",
                chain_id=chain_id,
                latest_block=latest,
                queued_intents=queued_intents,
            )
        return ChainStatus(
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
        if not self._rpc(lambda: self._w3.eth.get_code(self._registry.address)):
            raise ChainError(
                f"no GenealogyRegistry code at {self._registry.address} on chain {chain_id}"
            )

    # -- genealogy ------------------------------------------------------------------------

    def placement_of(self, distributor_id: int) -> ChainPlacement | None:
        raw = self._rpc(lambda: self._registry.functions.placementOf(distributor_id).call())
        return _placement(raw)

    def placements_of(self, distributor_ids: Sequence[int]) -> list[ChainPlacement | None]:
        """Many `placementOf` reads in one JSON-RPC batch (one round trip)."""
        results: list[ChainPlacement | None] = []
        for start in range(0, len(distributor_ids), 500):
            chunk = distributor_ids[start : start + 500]

            def read(chunk: Sequence[int] = chunk) -> list[Any]:
                with self._w3.batch_requests() as batch:
                    for distributor_id in chunk:
                        batch.add(self._registry.functions.placementOf(distributor_id))
                    return list(batch.execute())

            results.extend(_placement(raw) for raw in self._rpc(read))
        return results

    def child_at(self, parent_id: int, position: int) -> int:
        return int(self._rpc(lambda: self._registry.functions.childAt(parent_id, position).call()))

    def placed_events(
        self, distributor_ids: Iterable[int], *, from_block: int | None = None
    ) -> dict[int, tuple[int, str]]:
        """Block number and transaction hash of the `Placed` event of each id found."""
        wanted = set(distributor_ids)
        if not wanted:
            return {}
        start = self.deployment.deploymentBlock if from_block is None else from_block
        event = self._registry.events.Placed
        ordered = sorted(wanted)
        found: dict[int, tuple[int, str]] = {}
        for first in range(0, len(ordered), 200):
            # `id` is an indexed topic: the node filters, we do not read every placement.
            chunk = ordered[first : first + 200]
            logs = self._rpc(
                lambda chunk=chunk: event.get_logs(
                    argument_filters={"id": chunk}, from_block=start, to_block="latest"
                )
            )
            for log in logs:
                distributor_id = int(log["args"]["id"])
                if distributor_id in wanted and distributor_id not in found:
                    found[distributor_id] = (
                        int(log["blockNumber"]),
                        _hex(log["transactionHash"]),
                    )
        return found

    def simulate_place_batch(self, requests: Sequence[PlacementRequest]) -> None:
        """eth_call the batch; raises `Reverted` with the decoded custom error."""
        call = {"to": self._registry.address, "data": self._place_batch_data(requests)}
        if self._account is not None:
            call["from"] = self._account.address  # the registrar role is checked first
        self._call(call)

    def sign_call(self, to: str, data: bytes, *, gas: int, nonce: int) -> SignedTx:
        """Signs a contract call with the writer's key (the one key all chain writes use)."""
        return self._sign(
            {"to": to, "data": "0x" + data.hex(), "gas": gas}, nonce=nonce, gas_price=None
        )

    def run(self, action: Callable[[], T]) -> T:
        """Runs one node interaction with this gateway's error translation (node unreachable ->
        ChainUnavailable, contract revert -> decoded Reverted)."""
        result: T = self._rpc(action)
        return result

    def sign_place_batch(
        self, requests: Sequence[PlacementRequest], *, nonce: int, gas_price: int | None = None
    ) -> SignedTx:
        if not requests:
            raise ValueError("an empty batch")
        if len(requests) > MAX_PLACE_BATCH:
            raise ValueError(f"at most {MAX_PLACE_BATCH} placements per transaction")
        gas = min(TX_GAS_CAP, PLACE_BATCH_GAS_BASE + PLACE_BATCH_GAS_PER_ITEM * len(requests))
        return self._sign(
            {
                "to": self._registry.address,
                "data": self._place_batch_data(requests),
                "gas": gas,
            },
            nonce=nonce,
            gas_price=gas_price,
        )

    # -- period anchor and payout vault reads ----------------------------------------------

    def latest_period_id(self) -> int:
        anchor = self._contract("PeriodAnchor", self.deployment.contracts.PeriodAnchor)
        return int(self._rpc(lambda: anchor.functions.latestPeriodId().call()))

    def payout_terms_of(self, period_id: int) -> PayoutTerms | None:
        anchor = self._contract("PeriodAnchor", self.deployment.contracts.PeriodAnchor)
        try:
            raw = self._rpc(lambda: anchor.functions.payoutTermsOf(period_id).call())
        except Reverted as exc:
            if exc.error_name == "PeriodNotAnchored":
                return None
            raise
        root, total, leaf_count, anchored_at = raw
        return PayoutTerms(_hex(root), int(total), int(leaf_count), int(anchored_at))

    def paid_flags(self, period_id: int, indices: Sequence[int]) -> list[bool]:
        """Paid flags of many lines, read a 256-line `paidBitmap` word at a time (a 100,000-line
        period is 391 reads, 500 to a JSON-RPC batch), in the order of `indices`."""
        vault = self._contract("PayoutVault", self.deployment.contracts.PayoutVault)
        wanted = sorted({index >> 8 for index in indices})
        words: dict[int, int] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]

            def read(chunk: Sequence[int] = chunk) -> list[Any]:
                with self._w3.batch_requests() as batch:
                    for word in chunk:
                        batch.add(vault.functions.paidBitmap(period_id, word))
                    return list(batch.execute())

            words.update(zip(chunk, (int(value) for value in self._rpc(read)), strict=True))
        return [bool(words[index >> 8] >> (index & 0xFF) & 1) for index in indices]

    def paid_total_of(self, period_id: int) -> int:
        vault = self._contract("PayoutVault", self.deployment.contracts.PayoutVault)
        return int(self._rpc(lambda: vault.functions.paidTotalOf(period_id).call()))

    # -- transactions ---------------------------------------------------------------------

    def nonce(self, block: str = "latest") -> int:
        address = Web3.to_checksum_address(self.address)
        return int(self._rpc(lambda: self._w3.eth.get_transaction_count(address, block)))  # type: ignore[arg-type]

    def gas_price(self) -> int:
        return int(self._rpc(lambda: self._w3.eth.gas_price))

    def broadcast(self, signed: SignedTx) -> str:
        """Send a signed transaction. A node that already knows it is not an error."""
        try:
            self._rpc(lambda: self._w3.eth.send_raw_transaction(signed.raw))
        except ChainError as exc:
            text = exc.reason.lower()
            if "already known" in text or "known transaction" in text:
                return signed.tx_hash
            raise
        return signed.tx_hash

    def receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt if the transaction is mined, else None (never waits)."""
        try:
            raw = self._rpc(lambda: self._w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
        except ChainError as exc:
            if isinstance(exc.__cause__, TransactionNotFound):
                return None
            raise
        return _receipt(raw)

    def wait_receipt(self, tx_hash: str, *, timeout: float = 120.0) -> Receipt:
        # Anvil bumps the sender's nonce a moment before a large transaction can be looked up
        # by hash: waiting (not a single lookup) is the only safe way to learn the outcome.
        try:
            raw = self._rpc(
                lambda: self._w3.eth.wait_for_transaction_receipt(
                    tx_hash,  # type: ignore[arg-type]
                    timeout=timeout,
                    poll_latency=0.05,
                )
            )
        except ChainError as exc:
            if isinstance(exc.__cause__, TimeExhausted):
                raise ChainUnavailable(
                    f"transaction {tx_hash} not mined within {timeout:.0f} s"
                ) from exc
            raise
        return _receipt(raw)

    def revert_reason(self, tx_hash: str) -> str:
        """Replay a reverted transaction as a call at its block to learn why it failed."""
        tx = self._rpc(lambda: self._w3.eth.get_transaction(tx_hash))  # type: ignore[arg-type]
        call = {"from": tx["from"], "to": tx["to"], "data": _hex(tx["input"]), "gas": tx["gas"]}
        try:
            self._call(call, block=int(tx["blockNumber"]) - 1)
        except Reverted as exc:
            return exc.reason
        return "reverted (the replay did not revert: out of gas?)"

    # -- plumbing -------------------------------------------------------------------------

    def _contract(self, name: str, address: str) -> Any:
        return self.binding(name, address)

    @property
    def w3(self) -> Web3:
        """The process's client for this node (bindings read through it)."""
        return self._w3

    def binding(self, name: str, address: str) -> Any:
        """A contract binding on this gateway's client (`PayoutChain`, `AuditReader` use it:
        one client per gateway, so one per process)."""
        return self._w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=load_abi(name, self._artifacts)
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

    def _sign(self, tx: dict[str, Any], *, nonce: int, gas_price: int | None) -> SignedTx:
        if self._account is None:
            raise ChainError("this gateway has no signing key (read-only)")
        full = {
            **tx,
            "value": 0,
            "nonce": nonce,
            "chainId": self.chain_id(),
            "gasPrice": gas_price if gas_price is not None else self.gas_price(),
        }
        signed = self._account.sign_transaction(full)
        return SignedTx(tx_hash=_hex(signed.hash), nonce=nonce, raw=bytes(signed.raw_transaction))

    def _call(self, call: dict[str, Any], *, block: int | str = "latest") -> bytes:
        """A raw eth_call, so the revert payload is read the same way from every node."""
        params = {k: (hex(v) if isinstance(v, int) else v) for k, v in call.items()}
        tag = hex(block) if isinstance(block, int) else block
        response = self._rpc(
            lambda: self._w3.provider.make_request("eth_call", [params, tag])  # type: ignore[arg-type]
        )
        error = response.get("error")
        if error:
            data = _revert_data(error)
            if data is not None:
                raise self.errors.decode(data)
            raise ChainError(f"eth_call failed: {error.get('message', error)}")
        return bytes.fromhex(str(response.get("result", "0x"))[2:])

    def _rpc(self, action: Any) -> Any:
        """Run one node interaction, translating transport and contract failures."""
        try:
            return action()
        except ContractLogicError as exc:
            data = exc.data if isinstance(exc.data, str) else None
            if data and data.startswith("0x"):
                raise self.errors.decode(bytes.fromhex(data[2:])) from exc
            raise Reverted(str(exc)) from exc
        except (RequestException, ConnectionError, OSError) as exc:
            raise ChainUnavailable(
                f"chain node {self.rpc_url} unreachable: {_describe(exc)}"
            ) from exc
        except (TimeExhausted, TransactionNotFound) as exc:
            raise ChainError(str(exc)) from exc
        except Web3RPCError as exc:
            message = exc.rpc_response.get("error", {}) if exc.rpc_response else {}
            text = message.get("message") if isinstance(message, dict) else None
            raise ChainError(f"node refused: {text or exc}") from exc


def _revert_data(error: dict[str, Any]) -> bytes | None:
    """Revert bytes from a JSON-RPC error: geth/anvil put hex in `data`, ganache an object."""
    data = error.get("data")
    if isinstance(data, dict):
        data = data.get("result") or data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    message = str(error.get("message", ""))
    if "revert" in message.lower():
        return b""
    return None


def _placement(raw: Sequence[Any]) -> ChainPlacement | None:
    sponsor, parent, position, placed_at = (int(value) for value in raw)
    if placed_at == 0:
        return None
    return ChainPlacement(sponsor=sponsor, parent=parent, position=position, placed_at=placed_at)


def _receipt(raw: Any) -> Receipt:
    return Receipt(
        tx_hash=_hex(raw["transactionHash"]),
        block_number=int(raw["blockNumber"]),
        succeeded=int(raw["status"]) == 1,
        gas_used=int(raw["gasUsed"]),
    )


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text if text.startswith("0x") else "0x" + text


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    if len(text) > 300:
        text = text[:300] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def wait_for_node(
    rpc_url: str, *, timeout: float, alive: Callable[[], int | None] | None = None
) -> int:
    """Chain id of the node at `rpc_url`, polling until it answers or `timeout` passes;
    `alive` (a `Popen.poll`) stops the wait early when the node's process has exited."""
    probe = Web3(
        Web3.HTTPProvider(
            rpc_url, request_kwargs={"timeout": 2.0}, exception_retry_configuration=None
        )
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            return int(probe.eth.chain_id)
        except Exception as exc:  # noqa: BLE001 - anything means "not yet"
            if alive is not None and (code := alive()) is not None:
                raise ChainUnavailable(f"the chain node exited with code {code}") from exc
            if time.monotonic() >= deadline:
                raise ChainUnavailable(
                    f"no chain node answered at {rpc_url} within {timeout:.0f} s ({_describe(exc)})"
                ) from exc
            time.sleep(0.1)


def probe_chain_id(rpc_url: str) -> int | None:
    """Chain id of whatever answers at `rpc_url`, or None (no waiting)."""
    probe = Web3(
        Web3.HTTPProvider(
            rpc_url, request_kwargs={"timeout": 2.0}, exception_retry_configuration=None
        )
    )
    try:
        return int(probe.eth.chain_id)
    except Exception:  # noqa: BLE001
        return None


def set_dev_balance(rpc_url: str, address: str, wei: int) -> None:
    """Give `address` ether on a dev node (Ganache's `evm_setAccountBalance`) if it has none."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10.0}))
    if w3.eth.get_balance(address) == 0:  # type: ignore[arg-type]
        w3.provider.make_request("evm_setAccountBalance", [address, hex(wei)])  # type: ignore[arg-type]


def code_at(rpc_url: str, addresses: Iterable[str]) -> dict[str, bool]:
    probe = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10.0}))
    return {
        address: len(probe.eth.get_code(Web3.to_checksum_address(address))) > 0
        for address in addresses
    }
