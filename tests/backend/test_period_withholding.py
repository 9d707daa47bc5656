"""A period with payout rails and withholding, on SQLite and PostgreSQL: the snapshot reads the
payee profiles in force at the period's end, bank lines are paid without a wallet under their
pseudo-address, an individual's tax is withheld, statements show gross, withheld and net, and a
payee of unknown tax status is held and told why.

The company is test_api_periods' (root 1 > 2 > 3, 4; 3 > 5 (no wallet) > 6; each of 2..6 buys
200 PV) under a rouble plan: 1 point = 1.00 RUB and a one-level 10 % unilevel on the enroller
tree, so each sponsor earns 20.00 RUB per person they enrolled.
"""

from __future__ import annotations

import json
from pathlib import Path

from httpx import Response
from lineage_api import Api
from test_api_periods import WALLETS, at, close, make_company, month_start, post

from backend.payees.models import PayeeProfile
from ledger.package import read_package_table, verify_package
from ledger.rails import bank_account

RUB = 100  # kopecks


def _plan(api: Api) -> None:
    start = month_start(3)
    (api.settings.data_dir / "plan.toml").write_text(
        f"""
[plan]
name = "Roubles, taxed"

[currency]
code = "RUB"
decimals = 2
minor_per_point = 100

[calendar]
period = "monthly"
start = {start.isoformat()}

[unilevel]
tree = "enroller"
pct = [10]

[withholding]
scale = "ru-ndfl"
unknown_status = "hold"
"""
    )
    profiles = {
        2: ("individual", "bank"),  # 2 enrolled 3 and 4: 40.00 gross
        3: ("self_employed", "token"),  # 3 enrolled 5: 20.00, to the wallet
        5: ("self_employed", "bank"),  # 5 enrolled 6: 20.00, no wallet needed
    }  # 1 enrolled 2 and has a wallet but no profile: held for an unknown tax status
    wallet = {"wallet": "0x" + "01" * 20}
    patched = api.client.patch("/api/distributors/1", json=wallet, headers=api.as_("admin"))
    assert patched.status_code == 200, patched.text
    with api.session() as session:
        for who, (status, rail) in profiles.items():
            session.add(
                PayeeProfile(
                    distributor_id=who,
                    tax_status=status,
                    rail=rail,
                    inn="500100732259",
                    effective_at=at(start),
                )
            )
        session.commit()


def _statement(api: Api, who: int) -> dict[str, object]:
    found = api.client.get(f"/api/periods/1/statements/{who}", headers=api.as_("auditor"))
    assert found.status_code == 200, found.text
    body: dict[str, object] = found.json()
    return body


def rouble_company(api: Api) -> Response:
    """test_api_periods' company under the rouble plan with profiles; period 1 computed."""
    make_company(api)
    _plan(api)
    assert post(api, "/api/periods").status_code == 201
    computed = post(api, "/api/periods/1/compute")
    assert computed.status_code == 200, computed.text
    return computed


def test_a_period_pays_by_bank_and_token_and_withholds_from_an_individual(api: Api) -> None:
    computed = rouble_company(api)
    package = Path(computed.json()["package"])
    files = {str(p.relative_to(package)): p.read_bytes() for p in package.rglob("*") if p.is_file()}
    assert verify_package(files) == []
    inputs = read_package_table(files["inputs/payees.tbl"], file="inputs/payees.tbl")
    assert inputs["id"].tolist() == [2, 3, 5]
    assert inputs["tax_status"].tolist() == [1, 2, 2] and inputs["rail"].tolist() == [1, 0, 1]

    # 2: 40.00 gross; 13 % = 5.20, withheld in whole roubles: 5.00; 35.00 paid by bank.
    dina = _statement(api, 2)
    assert (dina["gross"], dina["withheld"], dina["payout"]) == (40 * RUB, 5 * RUB, 35 * RUB)
    assert (dina["rail"], dina["tax_status"]) == ("bank", "individual")
    assert dina["leaf"] == [1, dina["leaf"][1], "0x" + bank_account(1, 2).hex(), 35 * RUB]  # type: ignore[index]
    # 3: self-employed, paid gross to the wallet.
    three = _statement(api, 3)
    assert (three["gross"], three["withheld"], three["payout"]) == (20 * RUB, 0, 20 * RUB)
    assert three["leaf"][2] == WALLETS[3] and three["rail"] == "token"  # type: ignore[index]
    # 5: no wallet, but the bank rail: paid, under its pseudo-address.
    five = _statement(api, 5)
    assert five["payout"] == 20 * RUB and five["held"] is None
    assert five["leaf"][2] == "0x" + bank_account(1, 5).hex()  # type: ignore[index]
    # 1: no tax status: held, and the statement says so.
    root = _statement(api, 1)
    assert (root["payout"], root["balance_out"]) == (0, 20 * RUB)
    assert root["held"] == "tax_status_unknown"
    assert "no tax status recorded" in str(root["held_reason"])

    totals = json.loads(files["results/totals.json"])
    assert (totals["gross"], totals["withheld"]) == (80 * RUB, 5 * RUB)
    assert totals["payout"] == 75 * RUB == computed.json()["payout_total"]
    assert totals["rails"]["bank"] == {"leaves": 2, "payout": 55 * RUB}
    approved = close(api, 1)
    assert approved["payout_total"] == 75 * RUB
