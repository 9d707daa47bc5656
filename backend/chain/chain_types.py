"""What the chain side speaks in: errors (with decoded, human-readable reasons), the plain data
the gateway takes and returns, and the contracts' ABIs. No web3 here: `backend.chain.gateway`
owns the node; this module is shared by it and by everything that handles its results.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "contracts"

_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)


class ChainError(Exception):
    """The node or a contract refused; `reason` is what to show a person."""

    def __init__(self, reason: str, *, revert_data: bytes | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.revert_data = revert_data


class ChainUnavailable(ChainError):
    """The node cannot be reached (or timed out): retry later, nothing is known to have failed."""


class Reverted(ChainError):
    """A call or transaction reverted; `error_name` and `args` are the decoded custom error."""

    def __init__(
        self,
        reason: str,
        *,
        revert_data: bytes | None = None,
        error_name: str | None = None,
        args: tuple[Any, ...] = (),
    ) -> None:
        super().__init__(reason, revert_data=revert_data)
        self.error_name = error_name
        self.args_decoded = args


@dataclass(frozen=True)
class PlacementRequest:
    id: int
    sponsor: int
    parent: int
    position: int

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.id, self.sponsor, self.parent, self.position)


@dataclass(frozen=True)
class ChainPlacement:
    sponsor: int
    parent: int
    position: int
    placed_at: int

    def matches(self, request: PlacementRequest) -> bool:
        return (self.sponsor, self.parent, self.position) == (
            request.sponsor,
            request.parent,
            request.position,
        )


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block_number: int
    succeeded: bool
    gas_used: int


@dataclass(frozen=True)
class SignedTx:
    tx_hash: str
    nonce: int
    raw: bytes


@dataclass(frozen=True)
class PayoutTerms:
    payout_root: str
    total: int
    leaf_count: int
    anchored_at: int


class ErrorDecoder:
    """Custom errors of every artifact, by selector, rendered as `Name(arg=value, ...)`."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        for abi in abis:
            for entry in abi:
                if entry.get("type") != "error":
                    continue
                types = [_abi_type(item) for item in entry["inputs"]]
                names = [item["name"] for item in entry["inputs"]]
                signature = f"{entry['name']}({','.join(types)})"
                self._errors[keccak(text=signature)[:4]] = (entry["name"], types, names)

    def decode(self, data: bytes) -> Reverted:
        if not data:
            return Reverted("reverted without a reason (out of gas or a failed require)")
        selector, body = data[:4], data[4:]
        try:
            if selector == _ERROR_STRING:
                (message,) = abi_decode(["string"], body)
                return Reverted(f"reverted: {message}", revert_data=data, error_name="Error")
            if selector == _PANIC:
                (code,) = abi_decode(["uint256"], body)
                return Reverted(f"panic 0x{code:02x}", revert_data=data, error_name="Panic")
            known = self._errors.get(selector)
            if known is not None:
                name, types, names = known
                values = tuple(abi_decode(types, body))
                shown = ", ".join(f"{n}={_show(v)}" for n, v in zip(names, values, strict=True))
                return Reverted(f"{name}({shown})", revert_data=data, error_name=name, args=values)
        except Exception:  # noqa: BLE001 - a malformed payload is reported, not raised
            pass
        return Reverted(f"reverted with unknown error data 0x{data.hex()}", revert_data=data)


def _abi_type(item: dict[str, Any]) -> str:
    kind = str(item["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(component) for component in item["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _show(value: object) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def load_abi(name: str, artifacts: Path = ARTIFACTS) -> list[dict[str, Any]]:
    path = artifacts / f"{name}.json"
    if not path.exists():
        raise ChainError(f"no compiled artifact {path}: run `make setup` (brownie compile)")
    abi: list[dict[str, Any]] = json.loads(path.read_text())["abi"]
    return abi
