"""The placement check: the service's record of where a distributor sits, beside what the
genealogy contract says, read by the reader's own browser from the chain's public RPC
(`static/verify.js`), and the `cast call` command that reads the same without either of us.

The page itself never touches the chain (`pages-not-chain`): it renders the record and the
deployment's addresses; the comparison happens in the browser."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.core.db import SessionDep
from backend.core.errors import NotFound, Unavailable
from backend.deployment.service import Deployment, deployment
from backend.genealogy.cards import card_of
from backend.web.deps import SettingsDep
from backend.web.render import PageUser, check_id, render

# `placementOf(uint64)` returns `Placement {uint64 sponsor; uint64 parent; uint32 position;
# uint64 placedAt}` (contracts/interfaces/IGenealogyRegistry.sol): one static tuple.
PLACEMENT_OF = "placementOf(uint64)((uint64,uint64,uint32,uint64))"
PAYOUT_TERMS_OF = "payoutTermsOf(uint64)((bytes32,uint128,uint32,uint64))"
IS_PAID = "isPaid(uint64,uint32)(bool)"


@dataclass(frozen=True)
class ChainCommands:
    """`cast call` commands a sceptic can paste into a shell (Foundry's `cast`)."""

    rpc_url: str
    placement: str | None = None
    payout_terms: str | None = None
    is_paid: str | None = None


def cast_call(address: str, signature: str, *args: int, rpc_url: str) -> str:
    words = ["cast", "call", address, signature, *map(str, args), "--rpc-url", rpc_url]
    return shlex.join(words)


def _deployment(settings: SettingsDep) -> Deployment | None:
    try:
        return deployment(settings)
    except Unavailable:
        return None  # not deployed yet: the page says so instead of a command


def placement_commands(settings: SettingsDep, distributor_id: int) -> ChainCommands | None:
    record = _deployment(settings)
    if record is None:
        return None
    registry = record.contracts.GenealogyRegistry
    command = cast_call(registry, PLACEMENT_OF, distributor_id, rpc_url=record.rpcUrl)
    return ChainCommands(rpc_url=record.rpcUrl, placement=command)


def payout_commands(settings: SettingsDep, period_id: int, index: int) -> ChainCommands | None:
    record = _deployment(settings)
    if record is None:
        return None
    contracts, url = record.contracts, record.rpcUrl
    return ChainCommands(
        rpc_url=url,
        payout_terms=cast_call(contracts.PeriodAnchor, PAYOUT_TERMS_OF, period_id, rpc_url=url),
        is_paid=cast_call(contracts.PayoutVault, IS_PAID, period_id, index, rpc_url=url),
    )


def my_placement(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageUser
) -> Response:
    if user.distributor_id is None:
        raise NotFound("this account has no distributor")
    return _placement(request, session, settings, user, user.distributor_id)


def placement_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    distributor_id: int,
) -> Response:
    check_id(distributor_id)
    return _placement(request, session, settings, user, distributor_id)


def _placement(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    distributor_id: int,
) -> Response:
    card = card_of(session, user, distributor_id)  # a distributor: themself and their downline
    return render(
        request,
        "placement.html",
        card=card,
        own=user.distributor_id == distributor_id,
        commands=placement_commands(settings, distributor_id),
        tree_width=settings.tree_width,
    )


def add_verify_pages(router: APIRouter) -> None:
    """Onto the pages' router (its guard and policy apply)."""
    router.add_api_route("/placement", my_placement, methods=["GET"])
    router.add_api_route(
        "/distributors/{distributor_id}/placement", placement_page, methods=["GET"]
    )
