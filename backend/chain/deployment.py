"""The deployment record (`deployment.json`: chain id, RPC URL, contract addresses) and the
chain's status as /health shows it: plain data, no web3.

The one writer (`backend.worker`) plugs its own `NodeStatusProvider` into `create_app`; until
something does, the default answers "not configured".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field, ValidationError

from backend.core.errors import Unavailable

# The chain id of the managed local Ganache (`backend.dev.devchain`), whose token the service
# may mint: on any other chain the vault is funded by a token transfer.
LOCAL_CHAIN_ID = 1337


class NodeStatus(BaseModel):
    """Whether the node answers, and what it says (`GET /health`). Not to be confused with a
    placement's state on chain (`ChainStatus`: pending or confirmed)."""

    status: str = Field(description="`ok`, `down` or `not configured`.")
    detail: str | None = None
    chain_id: int | None = None
    latest_block: int | None = None
    queued_intents: int | None = None


class NodeStatusProvider(Protocol):
    def __call__(self) -> NodeStatus: ...


def not_configured() -> NodeStatus:
    return NodeStatus(status="not configured", detail="no chain gateway is attached")


class Contracts(BaseModel):
    GenealogyRegistry: str
    PeriodAnchor: str
    PayoutVault: str
    PayoutToken: str


class Deployment(BaseModel):
    chainId: int
    rpcUrl: str
    deploymentBlock: int
    contracts: Contracts
    compiler: dict[str, Any] = Field(default_factory=dict)
    #: The ISO currency the payout token is pegged to 1:1 (`USD`, `RUB`); None in a record
    #: written before the deploy script recorded it.
    tokenCurrency: str | None = None
    tokenDecimals: int | None = None
    tokenSymbol: str | None = None


@dataclass(frozen=True)
class PayoutCurrency:
    """A plan's payout currency as the chain side needs it: its code (`USDT`), the ISO currency
    it is pegged to (`USD`; None when the code is one) and its decimals."""

    code: str
    peg: str | None
    decimals: int

    @property
    def iso(self) -> str:
        return self.peg or self.code


def payout_currency_mismatch(deployment: Deployment, payout: PayoutCurrency) -> str | None:
    """Why the deployed payout token cannot pay a plan paying in `payout`, or None when it can
    (or the record does not say what the token is)."""
    plan_code, plan_decimals, wanted = payout.code, payout.decimals, payout.iso
    token = deployment.tokenSymbol or "the payout token"
    if deployment.tokenCurrency is not None and deployment.tokenCurrency != wanted:
        return (
            f"the deployed {token} ({deployment.contracts.PayoutToken}) is pegged to "
            f"{deployment.tokenCurrency}, but the plan pays in {plan_code} pegged to {wanted}: "
            "deploy a vault with a token of the plan's currency, or change the plan's [currency]"
        )
    if deployment.tokenDecimals is not None and deployment.tokenDecimals != plan_decimals:
        return (
            f"the deployed {token} ({deployment.contracts.PayoutToken}) has "
            f"{deployment.tokenDecimals} decimals, but the plan's {plan_code} has {plan_decimals}: "
            "the amounts would be off by a power of ten; make the plan's [currency] decimals "
            "the token's"
        )
    return None


def read_deployment(path: Path) -> Deployment:
    if not path.exists():
        raise Unavailable(
            f"no deployment record at {path}: the contracts are not deployed yet",
            code="chain_not_deployed",
        )
    try:
        return Deployment.model_validate(json.loads(path.read_text()))
    except (ValueError, ValidationError) as exc:
        raise Unavailable(
            f"the deployment record at {path} is malformed: {exc}", code="chain_record_invalid"
        ) from exc
