"""The one web3 client of a process for one node, with one signing key (or none: read-only).

It translates every node failure into the chain's error family (node unreachable ->
`ChainUnavailable`, contract revert -> a decoded `Reverted`) and owns the transactions: signed
here with a local key, so a transaction's hash is known before it is broadcast; the caller (one
writer) passes the nonce. The contract bindings (`registry`, `anchor`, `vault`) read through it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from eth_account import Account
from eth_account.signers.local import LocalAccount
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
    ChainUnavailable,
    ErrorDecoder,
    Receipt,
    Reverted,
    SignedTx,
    load_abi,
)
from backend.chain.node import describe

T = TypeVar("T")


class ChainClient:
    """One node, one signing key (or none: read-only)."""

    def __init__(
        self,
        rpc_url: str,
        *,
        private_key: str | None = None,
        artifacts: Path = ARTIFACTS,
        request_timeout: float = 30.0,
    ) -> None:
        self.rpc_url = rpc_url
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
        self._chain_id: int | None = None

    # -- identity -------------------------------------------------------------------------

    @property
    def address(self) -> str:
        if self._account is None:
            raise ChainError("this gateway has no signing key (read-only)")
        return str(self._account.address)

    @property
    def sender(self) -> str | None:
        """The signing key's address, or None for a read-only client."""
        return None if self._account is None else str(self._account.address)

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self._rpc(lambda: self._w3.eth.chain_id))
        return self._chain_id

    @cached_property
    def errors(self) -> ErrorDecoder:
        names = ("GenealogyRegistry", "PeriodAnchor", "PayoutVault")
        return ErrorDecoder(load_abi(name, self._artifacts) for name in names)

    @property
    def w3(self) -> Web3:
        """The process's client for this node (bindings read through it)."""
        return self._w3

    def binding(self, name: str, address: str) -> Any:
        """A contract binding on this client (`PayoutChain`, `AuditReader` use it: one client
        per gateway, so one per process)."""
        return self._w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=load_abi(name, self._artifacts)
        )

    def run(self, action: Callable[[], T]) -> T:
        """Runs one node interaction with this gateway's error translation (node unreachable ->
        ChainUnavailable, contract revert -> decoded Reverted)."""
        result: T = self._rpc(action)
        return result

    # -- transactions ---------------------------------------------------------------------

    def sign_call(self, to: str, data: bytes, *, gas: int, nonce: int) -> SignedTx:
        """Signs a contract call with the writer's key (the one key all chain writes use)."""
        return self.sign(
            {"to": to, "data": "0x" + data.hex(), "gas": gas}, nonce=nonce, gas_price=None
        )

    def sign(self, tx: dict[str, Any], *, nonce: int, gas_price: int | None) -> SignedTx:
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
        return SignedTx(
            tx_hash=hex_str(signed.hash), nonce=nonce, raw=bytes(signed.raw_transaction)
        )

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
        call = {"from": tx["from"], "to": tx["to"], "data": hex_str(tx["input"]), "gas": tx["gas"]}
        try:
            self.call(call, block=int(tx["blockNumber"]) - 1)
        except Reverted as exc:
            return exc.reason
        return "reverted (the replay did not revert: out of gas?)"

    # -- plumbing -------------------------------------------------------------------------

    def call(self, call: dict[str, Any], *, block: int | str = "latest") -> bytes:
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
                f"chain node {self.rpc_url} unreachable: {describe(exc)}"
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


def _receipt(raw: Any) -> Receipt:
    return Receipt(
        tx_hash=hex_str(raw["transactionHash"]),
        block_number=int(raw["blockNumber"]),
        succeeded=int(raw["status"]) == 1,
        gas_used=int(raw["gasUsed"]),
    )


def hex_str(value: Any) -> str:
    """A hash or byte string as 0x-prefixed hex, whatever form web3 returned it in."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text if text.startswith("0x") else "0x" + text
