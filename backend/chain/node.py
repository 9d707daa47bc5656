"""Probes of a node by URL alone, before (or without) a deployment: is anything answering, which
chain is it, is there code at these addresses; and the dev node's balance top-up."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from web3 import Web3

from backend.chain.chain_types import ChainUnavailable


def describe(exc: BaseException) -> str:
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
                    f"no chain node answered at {rpc_url} within {timeout:.0f} s ({describe(exc)})"
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
