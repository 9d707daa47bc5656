"""A period paid by both rails on a real Ganache: the token line pushed by `payBatch`, the bank
lines paid by the dev bank from the payment file and attested by `attestBatch` through the one
chain-job queue; the period is paid only once both are done. The writer is killed between an
attestation's broadcast and its receipt, and a restarted one settles it without sending again:
each bank line is attested once, with the reference stored for it.

The deployment record's token names no currency here (a record written before the deploy
script recorded one is not second-guessed), so the rouble plan computes against the test
token; the currency check itself is test_period_payout_token's business.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
from bankpay_kit import NET, leaf_of, rouble_company
from lineage_api import Api, error_code
from sqlmodel import Session, select
from test_api_periods import close, post
from test_chain_outbox import Chain, chain, chain_template
from test_period_chain import fund, get, settle, writer
from typer.testing import CliRunner

from backend.audit.history import history
from backend.chain.audit_reads import AuditReader
from backend.chain.payouts import PayoutChain
from backend.chain_jobs import ChainJob, JobKind, JobStatus
from backend.cli import _register
from backend.cli import app as cli
from backend.dev.bank import execute
from backend.worker.config import WriterStopped

pytestmark = pytest.mark.chain
__all__ = ["chain", "chain_template"]  # fixtures, re-exported for pytest
runner = CliRunner()
_register()


@pytest.fixture
def rouble_chain(api: Api, chain: Chain) -> Iterator[tuple[Api, Chain]]:
    rouble_company(api)
    record = json.loads((chain.node.data_dir / "deployment.json").read_text())
    record["rpcUrl"] = chain.node.rpc_url
    for key in ("tokenCurrency", "tokenDecimals", "tokenSymbol"):
        record.pop(key, None)
    (api.settings.data_dir / "deployment.json").write_text(json.dumps(record))
    yield api, chain


def upload(api: Api, data: bytes) -> dict[str, object]:
    sent = api.client.post(
        "/api/periods/1/bank-statement",
        content=data,
        headers=api.as_("finance") | {"Content-Type": "application/octet-stream"},
    )
    assert sent.status_code == 200, sent.text
    body: dict[str, object] = sent.json()
    return body


def test_token_and_bank_lines_are_paid_once_each_through_one_queue(
    rouble_chain: tuple[Api, Chain],
) -> None:
    api, chain = rouble_chain
    settle(writer(api, chain))
    assert post(api, "/api/periods").status_code == 201
    period = close(api, 1)
    two, three, five = leaf_of(api, 1, 2), leaf_of(api, 1, 3), leaf_of(api, 1, 5)
    assert period["payout_total"] == NET[2] + NET[3] + NET[5]
    assert post(api, "/api/periods/1/anchor").status_code == 202
    settle(writer(api, chain))
    assert get(api, "/api/periods/1")["status"] == "anchored"

    # Token: only the token line is pushed, and the vault needs only its amount.
    refused = post(api, "/api/periods/1/payouts")
    assert error_code(refused) == "vault_underfunded"
    assert refused.json()["error"]["details"]["shortfall"] == NET[3]
    fund(api, NET[3])
    settle(writer(api, chain))
    planned = post(api, "/api/periods/1/payouts")
    assert planned.status_code == 202, planned.text
    assert [b["indices"] for b in planned.json()["items"]] == [[three]]
    settle(writer(api, chain))
    assert get(api, "/api/periods/1")["status"] == "paying"  # the bank lines are not attested

    # Bank: the file executed by the bank, its statement uploaded; the writer dies right
    # after broadcasting the attestation.
    statement = execute(
        api.client.get("/api/periods/1/bank-file", headers=api.as_("finance")).content
    )
    first = upload(api, statement)
    assert first["new"] is True and first["problems"] == []
    references = {p["line_index"]: p["reference"] for p in first["matched"]}  # type: ignore[attr-defined]
    assert sorted(references) == sorted([two, five])
    armed = [True]
    with pytest.raises(WriterStopped):
        settle(writer(api, chain, armed))
    with Session(api.engine) as session:
        job = session.exec(select(ChainJob).where(ChainJob.kind == JobKind.attest)).one()
        assert job.status == JobStatus.sent and job.tx_hash is not None
    assert get(api, "/api/periods/1")["status"] == "paying"
    nonce = chain.gateway().nonce()
    settle(writer(api, chain))
    assert chain.gateway().nonce() == nonce  # settled from the chain: nothing sent again
    assert get(api, "/api/periods/1")["status"] == "paid"

    # The same statement again attests nothing new.
    again = upload(api, statement)
    assert again["new"] is False
    settle(writer(api, chain))
    assert chain.gateway().nonce() == nonce

    payouts = PayoutChain(chain.gateway())
    assert all(payouts.paid_flags(1, [two, three, five]))
    assert payouts.paid_total_of(1) == period["payout_total"]
    assert payouts.vault_balance() == 0  # bank lines move no token
    lines = AuditReader.on(chain.gateway()).attested_lines(1)
    assert Counter(line.index for line in lines) == {two: 1, five: 1}
    assert {line.index: line.ref for line in lines} == references
    payments = get(api, "/api/periods/1/bank-payments")
    assert payments["summary"]["attested"] == 2 and payments["summary"]["waiting"] == 0
    [batch] = payments["batches"]
    assert batch["status"] == "confirmed" and batch["tx_hash"] == job.tx_hash

    # The package audit and the reconciliation see both rails: each line paid once, the bank
    # lines attested with the references stored for their payments; the history shows the
    # attestation beside its queued job.
    package = api.settings.data_dir / "periods" / "1"
    deployment = str(api.settings.data_dir / "deployment.json")
    audit = runner.invoke(cli, ["audit", str(package), "--deployment", deployment, "--json"])
    assert audit.exit_code == 0, audit.output
    report = json.loads(audit.output)
    assert report["facts"]["paidByRail"] == {"token": 1, "claim": 0, "bank": 2}
    reconciled = api.client.get("/api/audit/reconciliation", headers=api.as_("auditor")).json()
    assert reconciled["ok"] is True, reconciled["findings"]
    assert {p["index"]: p["ref"] for p in reconciled["paid"] if p["rail"] == "bank"} == references

    def reader() -> AuditReader:
        return AuditReader.on(chain.gateway())

    with Session(api.engine) as session:
        rows = history(session, reader, period_id=1, limit=100).rows
    [attested_row] = [row for row in rows if row.kind == "attest"]
    assert attested_row.match and attested_row.tx_hash == job.tx_hash
