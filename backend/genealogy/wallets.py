"""Payout wallets the project's own contracts would swallow.

The request models already refuse addresses nobody holds a key for (zero, precompiles, burn
sinks: `backend.core.types`); this adds the addresses only the deployment record knows:
the registry, the anchor, the vault and the token. A payout to the vault would sit in it as
unaccounted balance; one to the token or another contract would be stuck for good.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from backend.chain.deployment import read_deployment
from backend.core.config import Settings
from backend.core.errors import Invalid


def check_payable(wallet: str | None, settings: Settings) -> None:
    """Refuse (422) a wallet that is one of the deployment's contracts."""
    if wallet is None:
        return
    contract = own_contracts(settings).get(wallet.lower())
    if contract is not None:
        raise Invalid(
            f"{wallet} is this service's {contract} contract, not a wallet: a payout sent "
            "there is lost; give a wallet its owner controls",
            code="wallet_not_payable",
            details={"wallet": wallet, "contract": contract},
        )


def own_contracts(settings: Settings) -> dict[str, str]:
    """Lower-case address -> contract name; empty before the contracts are deployed."""
    path = settings.resolved_deployment_file
    try:
        stat = path.stat()
    except OSError:
        return {}
    return _contracts_of(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _contracts_of(path: Path, _mtime_ns: int, _size: int) -> dict[str, str]:
    # Keyed on the file's mtime and size: read once per deployment, not once per enrollment.
    contracts = read_deployment(path).contracts
    return {address.lower(): name for name, address in contracts.model_dump().items()}
