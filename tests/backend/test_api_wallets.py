"""Payout wallets nobody can spend from are refused with a 422 wherever a wallet is set."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lineage_api import Api
from sqlalchemy import func
from sqlmodel import Session, select

from backend.genealogy.models import Distributor

CONTRACTS = {
    "GenealogyRegistry": "0x" + "a1" * 20,
    "PeriodAnchor": "0x" + "a2" * 20,
    "PayoutVault": "0x" + "a3" * 20,
    "PayoutToken": "0x" + "a4" * 20,
}
UNSPENDABLE = [
    "0x" + "00" * 20,  # zero
    "0x0000000000000000000000000000000000000001",  # ecrecover
    "0x000000000000000000000000000000000000000a",  # point evaluation
    "0x0000000000000000000000000000000000000100",  # P256VERIFY
    "0x000000000000000000000000000000000000dEaD",
    "0x000000000000000000000000000000000000dead",
    "0xdEAD000000000000000042069420694206942069",
    "0x" + "ff" * 20,
    "0x" + "ee" * 20,
]
GOOD = "0x52908400098527886E0F7030069857D2E4169EE7"


@pytest.fixture
def deployed(api: Api) -> dict[str, str]:
    """A deployment record such as `lineage run` writes, so the service knows its contracts."""
    record = api.settings.resolved_deployment_file
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(
        json.dumps(
            {"chainId": 1337, "rpcUrl": "http://127.0.0.1:1", "deploymentBlock": 1}
            | {"contracts": CONTRACTS}
        )
    )
    return CONTRACTS


def _distributors(api: Api) -> int:
    with Session(api.engine) as session:
        return session.exec(select(func.count()).select_from(Distributor)).one()


def _refused(response: Any, wallet: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert "payout sent there is lost" in error["message"], error
    assert wallet.lower()[2:] in error["message"].lower()


@pytest.mark.parametrize("wallet", UNSPENDABLE)
def test_unspendable_addresses_are_refused_everywhere(api: Api, wallet: str) -> None:
    admin = api.as_("admin")
    before = _distributors(api)
    person = {"first_name": "Ann", "last_name": "Lee", "wallet": wallet}
    _refused(api.client.post("/api/distributors", json=person, headers=admin), wallet)
    batch = [{"first_name": "Bo", "last_name": "Ok", "wallet": GOOD}, person]
    response = api.client.post("/api/distributors/batch", json=batch, headers=admin)
    _refused(response, wallet)
    assert response.json()["error"]["details"][0]["loc"][:2] == ["body", 1]
    own = api.client.patch(
        f"/api/distributors/{api.distributor_id}",
        json={"wallet": wallet},
        headers=api.as_("distributor"),
    )
    _refused(own, wallet)
    assert _distributors(api) == before


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_the_services_own_contracts_are_refused(
    api: Api, deployed: dict[str, str], name: str
) -> None:
    admin = api.as_("admin")
    before = _distributors(api)
    for wallet in (deployed[name], deployed[name].upper().replace("0X", "0x")):
        person = {"first_name": "Ann", "last_name": "Lee", "wallet": wallet}
        response = api.client.post("/api/distributors", json=person, headers=admin)
        _refused(response, wallet)
        assert response.json()["error"]["code"] == "wallet_not_payable"
        assert response.json()["error"]["details"]["contract"] == name
        batch = [{"first_name": "Bo", "last_name": "Ok"}, person]
        response = api.client.post("/api/distributors/batch", json=batch, headers=admin)
        _refused(response, wallet)
        assert response.json()["error"]["message"].startswith("item 1: ")
        patched = api.client.patch(
            f"/api/distributors/{api.distributor_id}", json={"wallet": wallet}, headers=admin
        )
        _refused(patched, wallet)
    assert _distributors(api) == before
    with Session(api.engine) as session:
        assert session.get(Distributor, api.distributor_id).wallet is None  # type: ignore[union-attr]


def test_an_ordinary_wallet_is_still_accepted(api: Api, deployed: dict[str, str]) -> None:
    response = api.client.post(
        "/api/distributors",
        json={"first_name": "Ann", "last_name": "Lee", "wallet": GOOD.lower()},
        headers=api.as_("admin"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["wallet"] == GOOD
