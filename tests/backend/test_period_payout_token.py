"""A period is computed only for a plan that pays in the deployed vault's token: a deployment
record whose token is pegged to another currency (or has other decimals) refuses the compute
with a clear 409 and writes nothing; a record that does not name its token's currency (written
before the deploy script recorded it) is not second-guessed."""

from __future__ import annotations

import json
from typing import Any

from lineage_api import Api, error_code
from test_api_periods import company, post

__all__ = ["company"]  # the fixture, re-exported for pytest

RECORD: dict[str, Any] = {
    "chainId": 1337,
    "rpcUrl": "http://127.0.0.1:1",
    "deploymentBlock": 1,
    "contracts": {
        "GenealogyRegistry": "0x" + "a1" * 20,
        "PeriodAnchor": "0x" + "a2" * 20,
        "PayoutVault": "0x" + "a3" * 20,
        "PayoutToken": "0x" + "a4" * 20,
    },
}


def _deploy(api: Api, **token: Any) -> None:
    path = api.settings.resolved_deployment_file
    path.write_text(json.dumps({**RECORD, **token}))


def test_a_plan_paying_in_another_currency_than_the_token_is_not_computed(company: Api) -> None:
    api = company
    assert post(api, "/api/periods").status_code == 201
    _deploy(api, tokenCurrency="RUB", tokenDecimals=2, tokenSymbol="RUBT")
    refused = post(api, "/api/periods/1/compute")
    assert refused.status_code == 409
    assert error_code(refused) == "payout_currency_mismatch"
    message = refused.json()["error"]["message"]
    assert "RUBT" in message and "pegged to RUB" in message and "USDT pegged to USD" in message
    read = api.client.get("/api/periods/1", headers=api.as_("auditor")).json()
    assert read["status"] == "open" and read["computations"] == 0
    assert not (api.settings.data_dir / "periods" / "1").exists()

    _deploy(api, tokenCurrency="USD", tokenDecimals=2)
    refused = post(api, "/api/periods/1/compute")
    assert error_code(refused) == "payout_currency_mismatch"
    assert "2 decimals" in refused.json()["error"]["message"]

    _deploy(api, tokenCurrency="USD", tokenDecimals=6, tokenSymbol="tUSD")
    assert post(api, "/api/periods/1/compute").status_code == 200


def test_a_record_without_the_token_currency_is_not_second_guessed(company: Api) -> None:
    api = company
    assert post(api, "/api/periods").status_code == 201
    _deploy(api)
    assert post(api, "/api/periods/1/compute").status_code == 200
