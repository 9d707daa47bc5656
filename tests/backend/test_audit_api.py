"""`GET /api/audit/reconciliation` on a real Ganache: database and chain agree, then each kind
of divergence (placement, anchor, payout) is listed by record; 503 without a chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lineage_api import Clock
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from test_audit_chain import Node, genealogy_rows, package_files, start_node, tree_of
from test_chain_outbox import admin_headers, chain_template, db, enroll

from backend.chain.deployment import Deployment
from backend.core.config import Settings
from backend.core.model_base import ChainStatus
from backend.genealogy.models import Placement
from backend.main import create_app
from backend.periods.models import Period, PeriodPayee, PeriodStatus

pytestmark = pytest.mark.chain
__all__ = ["chain_template", "db", "package_files"]  # fixtures, re-exported for pytest


def confirm_all(engine: Engine, node: Node, on_chain: set[int]) -> None:
    with Session(engine) as session:
        rows = list(session.exec(select(Placement)))
        node.place(
            sorted(
                (p.distributor_id, p.sponsor_id or 0, p.parent_id or 0, p.position)
                for p in rows
                if p.distributor_id in on_chain and p.distributor_id != 1
            )
        )
        for row in rows:
            row.chain_status = ChainStatus.confirmed
            session.add(row)
        session.commit()


def add_period(engine: Engine, files: dict[str, bytes], status: PeriodStatus) -> None:
    manifest = json.loads(files["manifest.json"])
    leaves = json.loads(files["results/leaves.json"])
    with Session(engine) as session:
        session.add(
            Period(
                id=1,
                start_day=20758,
                end_day=20787,
                status=status,
                plan_hash=manifest["planHash"],
                inputs_hash=manifest["inputsHash"],
                results_hash=manifest["resultsHash"],
                payout_root=manifest["payoutRoot"],
                payout_total=manifest["payoutTotal"],
                leaf_count=manifest["leafCount"],
            )
        )
        session.flush()
        for distributor, (_period, index, account, amount) in zip((1, 2, 7), leaves, strict=True):
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
                    has_wallet=True,
                )
            )
        session.commit()


def test_reconciliation_agrees_then_lists_each_divergence(
    chain_template: tuple[Path, Deployment],
    package_files: dict[str, bytes],
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
            ids = enroll(client, headers, 5)
            assert ids == [2, 3, 4, 5, 6]
            confirm_all(db, node, on_chain={2, 3, 4, 5})  # 6: confirmed, never sent
            manifest = json.loads(package_files["manifest.json"])
            node.anchor(manifest)
            node.fund(manifest["payoutTotal"])
            tree = tree_of(package_files)
            node.pay_batch(tree, [0, 2])
            node.claim(tree, 1)
            add_period(db, package_files, PeriodStatus.paying)

            response = client.get("/api/audit/reconciliation", headers=headers)
            assert response.status_code == 200, response.text
            body = response.json()
            assert [f["subject"] for f in body["findings"]] == ["distributor 6"]
            assert body["findings"][0]["kind"] == "missing_on_chain"

            with Session(db) as session:
                moved = session.get(Placement, 5)
                assert moved is not None and (moved.parent_id, moved.position) == (2, 1)
                moved.parent_id = 3
                period = session.get(Period, 1)
                assert period is not None
                period.payout_total = 1
                payee = session.exec(select(PeriodPayee).where(PeriodPayee.leaf_index == 1)).one()
                payee.payout += 1
                session.add_all([moved, period, payee])
                session.commit()
            body = client.get(
                "/api/audit/reconciliation", params={"period_id": 1}, headers=headers
            ).json()
    finally:
        node.stop()
    found = {(f["check"], f["kind"], f["subject"], f["field"]) for f in body["findings"]}
    assert found == {
        ("placements", "missing_on_chain", "distributor 6", ""),
        ("placements", "mismatch", "distributor 5", "parent"),
        ("anchors", "mismatch", "period 1", "payoutTotal"),
        ("payouts", "mismatch", "period 1 index 1", "amount"),
    }
    assert body["ok"] is False and body["checks"] == {"placements": 2, "anchors": 1, "payouts": 1}
    assert genealogy_rows(package_files)[0] == (1, 0, 0, 0)


def test_reconciliation_without_a_chain_is_503(
    db: Engine, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    app = create_app(settings, engine=db, clock=clock)
    with TestClient(app) as client:
        response = client.get("/api/audit/reconciliation", headers=admin_headers(db, clock))
    assert response.status_code == 503
    assert "no deployment record" in response.json()["error"]["message"]
