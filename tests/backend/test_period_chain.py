"""Periods on a real Ganache through the service: anchor, fund, pay, and resume after a crash.

The small company of the period tests (root > 2 > 3, 4; 3 > 5 > 6) is placed on chain by the
writer, closed (compute + maker-checker approval), anchored, funded and paid through the API;
the writer is driven round by round, and a "crash" is a fault hook that stops it right after a
broadcast, before the receipt is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lineage_api import Api, error_code
from sqlmodel import Session, select
from test_api_periods import WALLETS, at, buy, close, company, month_start, post
from test_chain_outbox import FAST, Chain, chain, chain_template
from typer.testing import CliRunner
from web3 import Web3

from backend.chain.gateway import SignedTx, load_abi
from backend.chain.payouts import PayoutChain
from backend.chain_jobs import ChainJob, JobKind, JobStatus
from backend.cli import _register
from backend.cli import app as cli
from backend.core.model_base import ChainStatus
from backend.genealogy.models import Placement
from backend.worker.config import WriterStopped
from backend.worker.writer import ChainWriter
from ledger.merkle import PayoutLeaf, verify_proof

pytestmark = pytest.mark.chain
__all__ = ["chain", "chain_template", "company"]  # fixtures, re-exported for pytest
runner = CliRunner()
_register()


@pytest.fixture
def on_chain(company: Api, chain: Chain) -> Iterator[tuple[Api, Chain]]:
    """The company with the node's deployment record in its data folder."""
    record = json.loads((chain.node.data_dir / "deployment.json").read_text())
    record["rpcUrl"] = chain.node.rpc_url
    company.settings.data_dir.mkdir(parents=True, exist_ok=True)
    (company.settings.data_dir / "deployment.json").write_text(json.dumps(record))
    yield company, chain


def writer(api: Api, chain: Chain, armed: list[bool] | None = None) -> ChainWriter:
    def crash(signed: SignedTx) -> None:
        if armed and armed[0]:
            armed[0] = False
            raise WriterStopped

    return ChainWriter(api.engine, chain.gateway(), api.settings, config=FAST, after_send=crash)


def settle(chain_writer: ChainWriter) -> None:
    """Rounds until a round does nothing and no placement is pending."""
    for _ in range(100):
        if chain_writer.run_once() == 0 and chain_writer.pending() == 0:
            return
    raise AssertionError("the writer did not settle")


def get(api: Api, url: str) -> Any:
    response = api.client.get(url, headers=api.as_("finance"))
    assert response.status_code == 200, response.text
    return response.json()


def fund(api: Api, amount: int) -> None:
    funded = api.client.post(
        "/api/vault/funding", json={"amount": amount}, headers=api.as_("finance")
    )
    assert funded.status_code == 202, funded.text


def assert_paid_once(api: Api, chain: Chain, period_id: int) -> None:
    period = get(api, f"/api/periods/{period_id}")
    assert period["status"] == "paid"
    reader = PayoutChain(chain.gateway())
    indices = list(range(period["leaf_count"]))
    assert all(reader.paid_flags(period_id, indices))
    assert reader.paid_total_of(period_id) == period["payout_total"]
    batches = get(api, f"/api/periods/{period_id}/batches")
    assert {b["status"] for b in batches["items"]} == {"confirmed"}
    paid = [i for b in batches["items"] for i in (b["paid"] or []) + (b["skipped"] or [])]
    assert sorted(paid) == indices  # each line once


def test_two_periods_anchored_funded_and_paid_once(on_chain: tuple[Api, Chain]) -> None:
    api, chain = on_chain
    chain_writer = writer(api, chain)
    settle(chain_writer)
    with Session(api.engine) as session:
        statuses = {p.chain_status for p in session.exec(select(Placement))}
    assert statuses == {ChainStatus.confirmed}

    assert post(api, "/api/periods").status_code == 201
    approved = close(api, 1)
    assert error_code(post(api, "/api/periods/1/payouts")) == "period_state"
    anchored = post(api, "/api/periods/1/anchor")
    assert anchored.status_code == 202, anchored.text
    assert post(api, "/api/periods/1/anchor").json()["id"] == anchored.json()["id"]
    settle(chain_writer)
    period = get(api, "/api/periods/1")
    assert period["status"] == "anchored" and period["anchor_block"] > 0
    with Session(api.engine) as session:
        anchor_job = session.exec(select(ChainJob).where(ChainJob.kind == JobKind.anchor)).one()
        assert anchor_job.gas_used is not None and 80_000 < anchor_job.gas_used < 200_000
    terms = chain.gateway().payout_terms_of(1)
    assert terms is not None and terms.payout_root == approved["payout_root"]
    manifest = json.loads((Path(period["package"]) / "manifest.json").read_text())
    assert manifest["chain"]["anchorTx"] == period["anchor_tx"]
    assert manifest["chain"]["chainId"] == 1337
    log = get(api, "/api/periods/1/transitions")
    assert log[-1]["from_status"] == "approved" and log[-1]["to_status"] == "anchored"

    total = period["payout_total"]
    refused = post(api, "/api/periods/1/payouts")
    assert refused.status_code == 409 and error_code(refused) == "vault_underfunded"
    assert refused.json()["error"]["details"]["shortfall"] == total
    fund(api, total - 1)
    settle(chain_writer)
    short = post(api, "/api/periods/1/payouts")
    assert short.json()["error"]["details"]["shortfall"] == 1
    unknown = api.client.post(
        "/api/vault/funding", json={"amount": 1, "period_id": 99}, headers=api.as_("finance")
    )
    assert unknown.status_code == 404
    named = api.client.post(
        "/api/vault/funding", json={"amount": 1, "period_id": 1}, headers=api.as_("finance")
    )
    assert named.status_code == 202 and named.json()["period_id"] == 1
    settle(chain_writer)
    assert get(api, "/api/vault")["balance"] == total
    planned = post(api, "/api/periods/1/payouts")
    assert planned.status_code == 202, planned.text
    assert get(api, "/api/periods/1")["status"] == "paying"
    settle(chain_writer)
    assert_paid_once(api, chain, 1)
    assert get(api, "/api/vault")["balance"] == 0

    statement = api.client.get("/api/periods/1/statements/2", headers=api.as_("distributor"))
    body = statement.json()
    assert body["anchor_tx"] == period["anchor_tx"]
    period_id, index, account, amount = body["leaf"]
    leaf = PayoutLeaf(period_id=period_id, index=index, account=account, amount=amount)
    proof = [bytes.fromhex(node[2:]) for node in body["proof"]]
    assert verify_proof(bytes.fromhex(terms.payout_root[2:]), leaf, proof)
    assert PayoutChain(chain.gateway()).balance_of(WALLETS[2]) == amount

    # Period 2: distributor 5 adds a wallet and is paid their held balance.
    api.clock.now = at(month_start(2) + timedelta(days=3))
    assert post(api, "/api/periods").status_code == 201
    wallet = api.client.patch(
        "/api/distributors/5", json={"wallet": WALLETS[5]}, headers=api.as_("admin")
    )
    assert wallet.status_code == 200, wallet.text
    for buyer in (2, 3, 5):
        buy(api, buyer)
    second = close(api, 2)
    assert post(api, "/api/periods/2/anchor").status_code == 202
    fund(api, second["payout_total"])
    settle(chain_writer)
    assert post(api, "/api/periods/2/payouts").status_code == 202
    settle(chain_writer)
    assert_paid_once(api, chain, 2)
    held = api.client.get("/api/periods/2/statements/5", headers=api.as_("auditor")).json()
    assert held["payout"] > 0
    assert PayoutChain(chain.gateway()).balance_of(WALLETS[5]) == held["payout"]

    # What the service did passes the audits: database against chain, each package alone.
    reconciled = api.client.get("/api/audit/reconciliation", headers=api.as_("auditor"))
    assert reconciled.status_code == 200 and reconciled.json()["ok"], reconciled.text
    for number in (1, 2):
        package = api.settings.data_dir / "periods" / str(number)
        deployment = str(api.settings.data_dir / "deployment.json")
        audit = runner.invoke(cli, ["audit", str(package), "--deployment", deployment])
        assert audit.exit_code == 0, audit.output


def test_crashes_after_send_resume_without_paying_twice(on_chain: tuple[Api, Chain]) -> None:
    api, chain = on_chain
    armed = [False]
    settle(writer(api, chain))
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    api.clock.now = at(month_start(2) + timedelta(days=3))
    post(api, "/api/periods")
    close(api, 2)
    out_of_order = post(api, "/api/periods/2/anchor")
    assert out_of_order.status_code == 409 and error_code(out_of_order) == "anchor_order"

    # Anchor: the writer dies after broadcasting; a new one finds it anchored, sends nothing.
    assert post(api, "/api/periods/1/anchor").status_code == 202
    armed[0] = True
    with pytest.raises(WriterStopped):
        settle(writer(api, chain, armed))
    nonce = chain.gateway().nonce()
    settle(writer(api, chain))
    assert get(api, "/api/periods/1")["status"] == "anchored"
    assert chain.gateway().nonce() == nonce

    total = get(api, "/api/periods/1")["payout_total"]
    fund(api, total * 2)
    settle(writer(api, chain))
    assert post(api, "/api/periods/1/payouts").status_code == 202
    armed[0] = True
    with pytest.raises(WriterStopped):
        settle(writer(api, chain, armed))
    with Session(api.engine) as session:
        sent = session.exec(
            select(ChainJob).where(ChainJob.kind == JobKind.pay, ChainJob.subject_id == 1)
        ).one()
        assert sent.status == JobStatus.sent and sent.tx_hash is not None
        # As if the hash were lost: only `isPaid` can tell, and it says everything is paid.
        sent.tx_hash = "0x" + "00" * 32
        session.add(sent)
        session.commit()
    nonce = chain.gateway().nonce()
    settle(writer(api, chain))
    assert chain.gateway().nonce() == nonce  # nothing sent again
    assert_paid_once(api, chain, 1)
    assert get(api, "/api/vault")["balance"] == total


def test_a_blocked_recipient_is_reported_and_stays_claimable(on_chain: tuple[Api, Chain]) -> None:
    api, chain = on_chain
    chain_writer = writer(api, chain)
    settle(chain_writer)
    assert post(api, "/api/periods").status_code == 201
    period = close(api, 1)
    blocked = api.client.get("/api/periods/1/statements/3", headers=api.as_("auditor")).json()
    assert blocked["leaf"] is not None
    w3 = Web3(Web3.HTTPProvider(chain.node.rpc_url))
    token = w3.eth.contract(
        address=Web3.to_checksum_address(chain.deployment.contracts.PayoutToken),
        abi=load_abi("BlacklistableTestUSD"),
    )
    sender = Web3.to_checksum_address(chain.gateway().address)
    tx = token.functions.setBlocked(Web3.to_checksum_address(WALLETS[3]), True).transact(
        {"from": sender}
    )
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    chain_writer = writer(api, chain)  # the test used the writer's key: a fresh nonce
    post(api, "/api/periods/1/anchor")
    fund(api, period["payout_total"])
    settle(chain_writer)
    assert post(api, "/api/periods/1/payouts").status_code == 202
    settle(chain_writer)
    assert get(api, "/api/periods/1")["status"] == "paid"
    batches = get(api, "/api/periods/1/batches")
    index = blocked["leaf"][1]
    assert batches["failed"] == [index]
    reader = PayoutChain(chain.gateway())
    assert reader.paid_flags(1, [index]) == [False]  # claimable later
    assert reader.paid_total_of(1) == period["payout_total"] - blocked["payout"]
    assert get(api, "/api/vault")["balance"] == blocked["payout"]
