"""The reconciliation API, the auditor's pages and the chain history with both rails, on a real
Ganache: a period whose token line was pushed and whose two bank lines were attested agrees
with the database line by line, each paid line named with its rail (and a bank line's
reference); a database row that gives a line another rail, or an attested line another
amount, is named.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bankfile_kit import bank_statement
from fastapi.testclient import TestClient
from lineage_api import Clock, add_user
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from test_audit_api import confirm_all
from test_audit_chain import start_node, tree_of
from test_audit_rails import BANK_LINES, SALT, TOKEN_LINE, attest, payments, rail_files
from test_chain_outbox import admin_headers, chain_template, db, enroll

from backend.audit.history import history
from backend.audit.reconcile import reconcile
from backend.bank_payouts.models import BankPayment, BankStatementUpload, Outcome
from backend.bankfiles.matching import payment_reference
from backend.bankfiles.statement import parse_statement
from backend.chain.audit_reads import AuditReader
from backend.chain.deployment import Deployment
from backend.core.config import Settings
from backend.core.model_base import Role
from backend.main import create_app
from backend.periods.models import Period, PeriodPayee, PeriodStatus

pytestmark = pytest.mark.chain
__all__ = ["chain_template", "db", "rail_files"]  # fixtures, re-exported for pytest

CSRF = 'name="csrf_token" value="'


def add_period(engine: Engine, files: dict[str, bytes]) -> None:
    manifest = json.loads(files["manifest.json"])
    leaves = json.loads(files["results/leaves.json"])
    with Session(engine) as session:
        session.add(
            Period(
                id=1,
                start_day=20758,
                end_day=20787,
                status=PeriodStatus.paid,
                plan_hash=manifest["planHash"],
                inputs_hash=manifest["inputsHash"],
                results_hash=manifest["resultsHash"],
                payout_root=manifest["payoutRoot"],
                payout_total=manifest["payoutTotal"],
                leaf_count=manifest["leafCount"],
            )
        )
        session.flush()
        rails = ("token", "bank", "bank")
        for distributor, rail, (_period, index, account, amount) in zip(
            (1, 2, 7), rails, leaves, strict=True
        ):
            session.add(
                PeriodPayee(
                    period_id=1,
                    distributor_id=distributor,
                    earned=amount,
                    clawback=0,
                    balance_in=0,
                    payout=amount,
                    balance_out=0,
                    leaf_index=index,
                    account=account,
                    has_wallet=rail == "token",
                    rail=rail,
                )
            )
        session.commit()


def store_payments(engine: Engine, statement: bytes) -> None:
    """The matched payments as the bank flow stores them (`backend.bank_payouts`), with the
    reference each line was attested with."""
    with Session(engine) as session:
        upload = BankStatementUpload(
            period_id=1, sha256="00" * 32, size=len(statement), documents=2, matched=2,
            problems=0, unrelated=0,
        )  # fmt: skip
        session.add(upload)
        session.flush()
        assert upload.id is not None
        for document in parse_statement(statement).documents:
            index = int(document.number) - 200
            session.add(
                BankPayment(
                    upload_id=upload.id,
                    period_id=1,
                    outcome=Outcome.matched,
                    line_index=index,
                    document_number=document.number,
                    amount=document.amount,
                    reference="0x" + payment_reference(SALT, document).hex(),
                )
            )
        session.commit()


def log_in(client: TestClient, email: str) -> None:
    page = client.get("/login").text
    token = page.split(CSRF, 1)[1].split('"', 1)[0]
    done = client.post(
        "/login",
        data={"email": email, "password": "password-123", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def test_both_rails_reconcile_line_by_line(
    chain_template: tuple[Path, Deployment],
    rail_files: dict[str, bytes],
    db: Engine,
    settings: Settings,
    clock: Clock,
    tmp_path: Path,
) -> None:
    node = start_node(chain_template, tmp_path / "chain")
    try:
        app = create_app(
            settings.model_copy(update={"deployment_file": node.record}), engine=db, clock=clock
        )
        with TestClient(app) as client:
            headers = admin_headers(db, clock)
            enroll(client, headers, 7)
            confirm_all(db, node, on_chain=set(range(2, 9)))
            node.anchor(json.loads(rail_files["manifest.json"]))
            tree = tree_of(rail_files)
            node.fund(tree.leaf(TOKEN_LINE).amount)
            node.pay_batch(tree, [TOKEN_LINE])
            statement = bank_statement(payments(rail_files))
            attest(node, tree, statement)
            add_period(db, rail_files)
            store_payments(db, statement)

            body = client.get(
                "/api/audit/reconciliation", params={"period_id": 1}, headers=headers
            ).json()
            assert body["ok"] is True, body["findings"]
            assert body["facts"]["paidLines"]["1"] == {
                "leaves": 3,
                "paid": 3,
                "byRail": {"token": 1, "claim": 0, "bank": 2},
            }
            paid = {line["index"]: line for line in body["paid"]}
            assert {i: (p["rail"], p["distributor_id"]) for i, p in paid.items()} == {
                0: ("token", 1),
                1: ("bank", 2),
                2: ("bank", 7),
            }
            assert paid[0]["ref"] is None and paid[1]["ref"].startswith("0x")
            assert paid[1]["tx_hash"] == paid[2]["tx_hash"] != paid[0]["tx_hash"]
            assert paid[2]["amount"] == tree.leaf(2).amount

            add_user(db, "auditor@example.com", Role.auditor)
            log_in(client, "auditor@example.com")
            page = client.get("/audit/reconciliation?period=1").text
            assert page.count('data-rail="bank"') == 2 and page.count('data-rail="token"') == 1
            assert paid[1]["ref"] in page and "Банковский перевод" in page
            shown = client.get("/audit/history?period=1").text
            assert shown.count('data-kind="attest"') == 1 and paid[2]["ref"] in shown

            def reader() -> AuditReader:
                return AuditReader(node.ganache.rpc_url, node.deployment)

            with Session(db) as session:
                rows = history(session, reader, period_id=1, limit=100).rows
                [row] = [r for r in rows if r.kind == "attest"]
                # Attested by hand here, not by a queued job: no job to compare with.
                assert not row.in_database and row.lines == 2
                assert all(c.same for c in row.compared if c.name != "refs")
                assert [(i, d) for i, d, _ref in row.attested] == [(1, 2), (2, 7)]
                mine = history(session, reader, person=7, limit=100).rows
                assert [(r.kind, r.distributor_id) for r in mine if r.period_id] == [("attest", 7)]

                retyped = session.exec(select(PeriodPayee).where(PeriodPayee.leaf_index == 1)).one()
                retyped.rail = "token"
                more = session.exec(select(PeriodPayee).where(PeriodPayee.leaf_index == 2)).one()
                more.payout += 1
                other = session.exec(select(BankPayment).where(BankPayment.line_index == 2)).one()
                other.reference = "0x" + "77" * 32
                session.add_all([retyped, more, other])
                session.commit()
                report = reconcile(session, reader(), 1)
    finally:
        node.stop()
    found = {(f.check, f.kind, f.subject.split(" 0x")[0], f.field) for f in report.findings}
    assert found == {
        ("payouts", "mismatch", "period 1 index 1", "rail"),
        ("payouts", "mismatch", "period 1 batch", "amount"),
        ("payouts", "mismatch", "period 1 index 2", "ref"),
    }
    documents = parse_statement(statement).documents
    assert {d.number for d in documents} == {str(200 + i) for i in BANK_LINES}
