"""Periods: calendar, compute (repeatable, deterministic), maker-checker approval, statements,
carry-in and clawbacks, and the refusals, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lineage_api import Api, add_user, error_code, token_for
from sqlalchemy import update
from sqlmodel import col, select

from backend.core.model_base import Role
from backend.genealogy.models import Distributor, Placement
from backend.packages import read_package
from backend.periods.models import PeriodClawback, PeriodLine, PeriodPayee
from ledger.merkle import PayoutLeaf, verify_proof
from ledger.package import verify_package

PLAN = Path(__file__).resolve().parents[2] / "ledger" / "plans" / "binary_hybrid.toml"
WALLETS = {n: "0x" + f"{n:02x}" * 20 for n in range(2, 8)}


def month_start(months_back: int) -> date:
    today = datetime.now(UTC).date()
    index = today.year * 12 + today.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def company(api: Api) -> Api:
    """Root 1 > 2 (Dina) > 3, 4; 3 > 5 (no wallet) > 6. Everyone buys 2 x 100 PV in period 1,
    which is the month three months back (so periods 1 and 2 have ended)."""
    return make_company(api)


def make_company(api: Api) -> Api:
    """The `company` fixture's work, for callers outside a test (the browser suite's server)."""
    start = month_start(3)
    api.settings.data_dir.mkdir(parents=True, exist_ok=True)
    plan = PLAN.read_text().replace(
        "[rounding]", f'[calendar]\nperiod = "monthly"\nstart = {start.isoformat()}\n\n[rounding]'
    )
    (api.settings.data_dir / "plan.toml").write_text(plan)
    with api.session() as session:
        session.execute(update(Distributor).values(enrolled_at=at(start, 0)))
        session.execute(update(Placement).values(placed_at=at(start, 0)))
        session.commit()
    api.headers["finance2"] = token_for(
        add_user(api.engine, "f2@example.com", Role.finance), api.clock
    )
    api.clock.now = at(start + timedelta(days=2))
    admin = api.as_("admin")
    patched = api.client.patch("/api/distributors/2", json={"wallet": WALLETS[2]}, headers=admin)
    assert patched.status_code == 200, patched.text
    for sponsor, wallet in ((2, 3), (2, 4), (3, 5), (5, 6)):
        body: dict[str, Any] = {
            "first_name": "D",
            "last_name": str(wallet),
            "sponsor_id": sponsor,
        }
        if wallet != 5:
            body["wallet"] = WALLETS[wallet]
        created = api.client.post("/api/distributors", json=body, headers=admin)
        assert created.status_code == 201, created.text
    product = {
        "sku": "TEA", "name_ru": "Чай", "name_en": "Tea", "retail_price": 1000,
        "wholesale_price": 800, "currency": "RUB", "pv": 100, "cv": 100,
    }  # fmt: skip
    assert api.client.post("/api/products", json=product, headers=admin).status_code == 201
    api.client.post("/api/warehouses", json={"code": "MSK", "name": "Moscow"}, headers=admin)
    receipt = {"product_id": 1, "quantity": 100}
    assert api.client.post("/api/warehouses/1/receipts", json=receipt, headers=admin).is_success
    for buyer in (2, 3, 4, 5, 6):
        buy(api, buyer)
    return api


def buy(api: Api, buyer: int, quantity: int = 2) -> int:
    body = {
        "distributor_id": buyer,
        "warehouse_id": 1,
        "lines": [{"product_id": 1, "quantity": quantity}],
    }
    placed = api.client.post("/api/orders", json=body, headers=api.as_("admin"))
    assert placed.status_code == 201, placed.text
    order = placed.json()
    payment = {"amount": order["total_amount"], "currency": "RUB", "reference": f"b{order['id']}"}
    paid = api.client.post(
        f"/api/orders/{order['id']}/payment", json=payment, headers=api.as_("finance")
    )
    assert paid.status_code == 201, paid.text
    return int(order["id"])


def post(api: Api, url: str, role: str = "finance") -> Any:
    return api.client.post(url, headers=api.as_(role))


def approve(api: Api, period: int, role: str = "finance2", computation: int | None = None) -> Any:
    """Approve the compute named (default: the period's latest, as a reviewer would)."""
    if computation is None:
        read = api.client.get(f"/api/periods/{period}", headers=api.as_("auditor"))
        computation = max(read.json()["computations"], 1) if read.status_code == 200 else 1
    body = {"computation": computation}
    return api.client.post(f"/api/periods/{period}/approval", json=body, headers=api.as_(role))


def today(api: Api) -> None:
    """Back to the real present: periods are approved after they end."""
    api.clock.now = datetime.now(UTC).replace(microsecond=0)


def close(api: Api, period: int) -> dict[str, Any]:
    today(api)
    computed = post(api, f"/api/periods/{period}/compute")
    assert computed.status_code == 200, computed.text
    approved = approve(api, period)
    assert approved.status_code == 200, approved.text
    return dict(approved.json())


def test_open_compute_recompute_and_approve(company: Api) -> None:
    api = company
    opened = post(api, "/api/periods")
    assert opened.status_code == 201, opened.text
    assert opened.json()["status"] == "open"
    assert opened.json()["start_date"] == month_start(3).isoformat()
    first = post(api, "/api/periods/1/compute").json()
    assert first["status"] == "computed" and first["leaf_count"] > 0
    package = read_package(Path(first["package"]))
    assert verify_package(package) == []
    manifest = json.loads(package["manifest.json"])
    assert manifest["payoutRoot"] == first["payout_root"]
    assert manifest["payoutTotal"] == first["payout_total"]
    again = post(api, "/api/periods/1/compute").json()
    hashes = ("plan_hash", "inputs_hash", "results_hash", "payout_root", "payout_total")
    assert [again[h] for h in hashes] == [first[h] for h in hashes]
    assert again["computations"] == 2
    with api.session() as session:
        lines = session.exec(select(PeriodLine).where(PeriodLine.period_id == 1)).all()
        payees = session.exec(select(PeriodPayee).where(PeriodPayee.period_id == 1)).all()
    assert sum(p.earned for p in payees) == sum(line.amount for line in lines if line.payee)
    assert sum(p.payout for p in payees) == first["payout_total"]

    today(api)
    own = approve(api, 1, "finance")
    assert own.status_code == 403 and error_code(own) == "same_user"
    approved = approve(api, 1)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert error_code(post(api, "/api/periods/1/compute")) == "period_locked"
    assert error_code(approve(api, 1)) == "period_state"
    log = api.client.get("/api/periods/1/transitions", headers=api.as_("auditor")).json()
    assert [(t["from_status"], t["to_status"]) for t in log] == [
        (None, "open"),
        ("open", "computed"),
        ("computed", "computed"),
        ("computed", "approved"),
    ]
    assert log[-1]["actor_id"] != log[-2]["actor_id"]


def test_refusals_leave_nothing_half_written(company: Api) -> None:
    api = company
    today(api)
    assert post(api, "/api/periods/9/compute").status_code == 404
    assert approve(api, 9).status_code == 404
    missing = api.client.get("/api/periods/9/statements/2", headers=api.as_("finance"))
    assert missing.status_code == 404
    for _ in range(3):  # periods 1..3 have started; 4 is this month, 5 has not begun
        assert post(api, "/api/periods").status_code == 201
    assert post(api, "/api/periods").status_code == 201
    refused = post(api, "/api/periods")
    assert refused.status_code == 409 and error_code(refused) == "period_not_started"
    assert error_code(approve(api, 1)) == "period_state"
    early = post(api, "/api/periods/2/compute")
    assert early.status_code == 409 and error_code(early) == "previous_not_approved"
    period = api.client.get("/api/periods/2", headers=api.as_("finance")).json()
    assert period["status"] == "open" and period["package"] is None
    assert not (api.settings.data_dir / "periods" / "2").exists()
    post(api, "/api/periods/1/compute")
    current = post(api, "/api/periods/4/compute")
    assert current.status_code == 409  # period 3 is not approved
    assert api.client.get("/api/periods/4", headers=api.as_("admin")).json()["status"] == "open"
    assert post(api, "/api/periods/1/compute", "admin").status_code == 403
    assert approve(api, 1, "admin").status_code == 403


def test_approval_refuses_a_package_changed_on_disk(company: Api) -> None:
    api = company
    post(api, "/api/periods")
    computed = post(api, "/api/periods/1/compute").json()
    lines = Path(computed["package"]) / "results" / "lines.tbl"
    lines.write_bytes(lines.read_bytes() + b"\0")
    unfinished = approve(api, 1)
    assert unfinished.status_code == 409 and error_code(unfinished) == "period_not_ended"
    today(api)
    refused = approve(api, 1)
    assert refused.status_code == 409 and error_code(refused) == "package_mismatch"
    assert api.client.get("/api/periods/1", headers=api.as_("admin")).json()["status"] == "computed"


def test_statements_prove_the_leaf_and_stay_private(company: Api) -> None:
    api = company
    post(api, "/api/periods")
    post(api, "/api/periods/1/compute")
    mine = "/api/periods/1/statements/2"
    preview = api.client.get(mine, headers=api.as_("distributor"))
    assert preview.status_code == 409  # not published before approval
    period = close(api, 1)
    statement = api.client.get(mine, headers=api.as_("distributor"))
    assert statement.status_code == 200, statement.text
    body = statement.json()
    assert body["earned"] == sum(line["amount"] for line in body["lines"]) > 0
    assert {line["bonus"] for line in body["lines"]} >= {"fast_start"}
    period_id, index, account, amount = body["leaf"]
    leaf = PayoutLeaf(period_id=period_id, index=index, account=account, amount=amount)
    assert amount == body["payout"]
    assert body["payout_root"] == period["payout_root"]
    proof = [bytes.fromhex(node[2:]) for node in body["proof"]]
    assert verify_proof(bytes.fromhex(body["payout_root"][2:]), leaf, proof)
    other = api.client.get("/api/periods/1/statements/3", headers=api.as_("distributor"))
    assert other.status_code == 403 and error_code(other) == "out_of_scope"
    others = api.client.get("/api/distributors/3/statements", headers=api.as_("distributor"))
    assert others.status_code == 403
    listing = api.client.get("/api/distributors/2/statements", headers=api.as_("distributor"))
    assert [(s["period_id"], s["payout"]) for s in listing.json()["items"]] == [(1, amount)]
    held = api.client.get("/api/periods/1/statements/5", headers=api.as_("auditor")).json()
    assert held["payout"] == 0 and held["leaf"] is None
    assert held["balance_out"] == held["earned"] > 0
    assert "wallet" in held["held_reason"]


def test_a_statement_refuses_a_stored_leaf_changed_after_its_tree_was_built(
    company: Api,
) -> None:
    """The payout tree is kept per process once built; each statement still folds the reader's
    stored leaf to the anchored root, so an edited payout row is refused, never shown as proved."""
    api = company
    post(api, "/api/periods")
    close(api, 1)
    mine = "/api/periods/1/statements/2"
    first = api.client.get(mine, headers=api.as_("distributor"))
    assert first.status_code == 200 and first.json()["proof"]
    with api.session() as session:
        payee = session.get(PeriodPayee, (1, 2))
        assert payee is not None
        payee.payout += 1
        session.add(payee)
        session.commit()
    tampered = api.client.get(mine, headers=api.as_("distributor"))
    assert tampered.status_code == 409 and error_code(tampered) == "results_tampered"


def test_second_period_carries_balances_and_claws_back_returns(company: Api) -> None:
    api = company
    post(api, "/api/periods")
    close(api, 1)
    with api.session() as session:
        held = session.get(PeriodPayee, (1, 5))
        earned_by_2 = session.exec(
            select(PeriodLine).where(PeriodLine.period_id == 1, PeriodLine.source == 4)
        ).all()
    assert held is not None and held.balance_out > 0
    assert any(line.payee == 2 and line.amount > 0 for line in earned_by_2)
    api.clock.now = at(month_start(2) + timedelta(days=3))
    assert post(api, "/api/periods").status_code == 201
    # Distributor 4's period-1 order comes back; distributor 5 registers a wallet.
    first_order_of_4 = 3
    assert api.client.post(
        f"/api/orders/{first_order_of_4}/shipment", headers=api.as_("warehouse")
    ).is_success
    returned = api.client.post(
        f"/api/orders/{first_order_of_4}/return",
        json={"reason": "changed mind"},
        headers=api.as_("warehouse"),
    )
    assert returned.status_code == 200, returned.text
    wallet = api.client.patch(
        "/api/distributors/5", json={"wallet": WALLETS[5]}, headers=api.as_("admin")
    )
    assert wallet.status_code == 200, wallet.text
    for buyer in (2, 3, 5):
        buy(api, buyer)
    second = close(api, 2)
    package = read_package(Path(second["package"]))
    first = read_package(api.settings.data_dir / "periods" / "1")
    assert package["inputs/state.tbl"] == first["results/state.tbl"]
    assert verify_package(package) == []
    with api.session() as session:
        paid_5 = session.get(PeriodPayee, (2, 5))
        clawbacks = session.exec(select(PeriodClawback).where(PeriodClawback.period_id == 2)).all()
    assert paid_5 is not None and paid_5.balance_in == held.balance_out
    assert paid_5.leaf_index is not None and paid_5.payout >= held.balance_out
    assert {c.payee for c in clawbacks} >= {2}
    statement = api.client.get("/api/periods/2/statements/2", headers=api.as_("distributor"))
    assert statement.json()["clawback"] == sum(c.amount for c in clawbacks if c.payee == 2) > 0
    # Computing period 3 must not claw the same return again.
    post(api, "/api/periods")
    third = post(api, "/api/periods/3/compute")
    assert third.status_code == 200, third.text
    with api.session() as session:
        again = session.exec(select(PeriodClawback).where(col(PeriodClawback.period_id) == 3)).all()
    assert again == []


def _name_a_course(api: Api) -> None:
    plan = api.settings.data_dir / "plan.toml"
    plan.write_text(plan.read_text() + '\n[compliance_course]\ncourse = "onboarding"\n')


def test_a_plan_naming_a_course_reads_who_completed_it_from_training(company: Api) -> None:
    """Nobody in the small company has completed the onboarding course: the period computes,
    its input names no completion, and every payee's money is held for the course."""
    api = company
    _name_a_course(api)
    post(api, "/api/periods")
    computed = post(api, "/api/periods/1/compute")
    assert computed.status_code == 200, computed.text
    package = read_package(Path(computed.json()["package"]))
    assert "inputs/training.tbl" in package
    report = json.loads(package["results/compliance.json"])["compliance_course"]
    assert report["course"] == "onboarding" and report["completed"] == 0
    assert report["held"] >= 1 and report["held_amount"] > 0
    assert json.loads(computed.text)["leaf_count"] == 0


def test_a_distributor_without_the_course_is_held_with_the_reason(
    company: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Completions passed to the snapshot: 3 completed the course in the period, 2 only the
    day after it ended, so 2's money is carried, and the statement says why."""
    from backend.periods import compute
    from backend.periods.review import progress
    from ledger.package import read_table

    api = company
    _name_a_course(api)
    post(api, "/api/periods")
    end_day = api.client.get("/api/periods/1", headers=api.as_("finance")).json()["end_date"]
    last = (date.fromisoformat(end_day) - date(1970, 1, 1)).days
    given = {3: last - 5, 2: last + 1}
    monkeypatch.setattr(compute, "course_completions", lambda session, plan: given)
    computed = post(api, "/api/periods/1/compute")
    assert computed.status_code == 200, computed.text
    package = read_package(Path(computed.json()["package"]))
    assert verify_package(package) == []
    table = read_table(
        package["inputs/training.tbl"],
        file="training.tbl",
        columns=("distributor", "completed_day"),
    )
    assert table["distributor"].tolist() == [3]  # 2's completion lies after the period
    report = json.loads(package["results/compliance.json"])["compliance_course"]
    assert report["course"] == "onboarding" and report["held"] >= 1
    close(api, 1)
    held = api.client.get("/api/periods/1/statements/2", headers=api.as_("distributor")).json()
    assert held["payout"] == 0 and held["leaf"] is None
    assert held["balance_out"] == held["earned"] > 0
    assert held["held"] == "compliance_course" and held["held_course"] == "onboarding"
    assert held["held_reason"].startswith("compliance course not completed: onboarding")
    no_wallet = api.client.get("/api/periods/1/statements/5", headers=api.as_("auditor")).json()
    assert no_wallet["held"] == "no_wallet"  # a wallet first: the course would not pay 5 yet
    with api.session() as session:
        lines = progress(session, api.settings, 1).held
    assert [(h.distributor_id, h.reason, h.course) for h in lines if h.distributor_id == 2] == [
        (2, "compliance_course", "onboarding")
    ]
    assert report["held_amount"] == sum(h.amount for h in lines if h.reason == "compliance_course")
