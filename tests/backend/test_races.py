"""Real concurrent requests against the app (issue 9, findings 2, 3 and 10): each test fires
requests from many threads at once (a barrier starts them together, each thread its own
TestClient on the running app) and checks that state transitions happen once and stock neither
goes negative nor appears from nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from lineage_api import SECRET, Api
from sqlalchemy import func
from sqlmodel import Session, col, select
from test_api_periods import company, post, today  # noqa: F401  (company is a fixture)

from backend.accounts.models import User
from backend.admin_log.models import AdminAction, AdminLogEntry
from backend.cards import service as cards
from backend.cards import signup
from backend.cards.models import PartnerCard
from backend.chain_jobs import ChainJob, JobKind
from backend.core.model_base import IntentStatus
from backend.periods.models import Period, PeriodTransition
from backend.stock.models import StockMovement

Request = Callable[[TestClient, int], httpx.Response]


def race(api: Api, count: int, request: Request) -> list[httpx.Response]:
    """`count` requests at once; none may answer 500."""
    barrier = threading.Barrier(count)
    app = api.client.app

    def one(index: int) -> httpx.Response:
        client = TestClient(app, raise_server_exceptions=False)
        barrier.wait()
        return request(client, index)

    # Switch threads far more often than the default 5 ms, so that a read-then-write window
    # left open by a service is interleaved within a few rounds rather than once in a while.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            answers = list(pool.map(one, range(count)))
    finally:
        sys.setswitchinterval(interval)
    assert all(a.status_code < 500 for a in answers), [a.text for a in answers if a.is_error]
    return answers


def codes(answers: list[httpx.Response]) -> Counter[int]:
    return Counter(a.status_code for a in answers)


@pytest.fixture
def stocked(api: Api) -> Api:
    admin = api.as_("admin")
    product = {
        "sku": "TEA", "name_ru": "Чай", "name_en": "Tea", "retail_price": 1000,
        "wholesale_price": 800, "currency": "RUB", "pv": 10, "cv": 8,
    }  # fmt: skip
    assert api.client.post("/api/products", json=product, headers=admin).status_code == 201
    for code in ("MSK", "SPB"):
        body = {"code": code, "name": code}
        assert api.client.post("/api/warehouses", json=body, headers=admin).status_code == 201
    return api


def receive(api: Api, quantity: int, warehouse_id: int = 1) -> None:
    received = api.client.post(
        f"/api/warehouses/{warehouse_id}/receipts",
        json={"product_id": 1, "quantity": quantity},
        headers=api.as_("warehouse"),
    )
    assert received.status_code == 201, received.text


def levels(api: Api, warehouse_id: int) -> tuple[int, int]:
    """(on_hand, reserved) straight from the journal."""
    with Session(api.engine) as session:
        on_hand, reserved = session.exec(
            select(
                func.coalesce(func.sum(StockMovement.on_hand_delta), 0),
                func.coalesce(func.sum(StockMovement.reserved_delta), 0),
            ).where(StockMovement.warehouse_id == warehouse_id)
        ).one()
    return int(on_hand), int(reserved)


def test_thirty_concurrent_transfers_from_ten_on_hand_move_exactly_ten(stocked: Api) -> None:
    api = stocked
    for round_no in range(1, 3):
        receive(api, 10)
        body = {"product_id": 1, "quantity": 1, "to_warehouse_id": 2}
        answers = race(
            api,
            30,
            lambda client, _i, body=body: client.post(
                "/api/warehouses/1/transfers", json=body, headers=api.as_("warehouse")
            ),
        )
        assert codes(answers) == {201: 10, 409: 20}
        assert levels(api, 1) == (0, 0)
        assert levels(api, 2) == (10 * round_no, 0)


def test_concurrent_reservations_never_hold_more_than_on_hand(stocked: Api) -> None:
    api = stocked
    for round_no in range(1, 5):
        receive(api, 10)
        body = {"product_id": 1, "quantity": 1}
        answers = race(
            api,
            25,
            lambda client, _i, body=body: client.post(
                "/api/warehouses/1/reservations", json=body, headers=api.as_("warehouse")
            ),
        )
        assert codes(answers) == {201: 10, 409: 15}
        assert levels(api, 1) == (10 * round_no, 10 * round_no)


def place_paid_order(api: Api, quantity: int = 2) -> int:
    body = {"distributor_id": api.distributor_id, "warehouse_id": 1,
            "lines": [{"product_id": 1, "quantity": quantity}]}  # fmt: skip
    placed = api.client.post("/api/orders", json=body, headers=api.as_("admin"))
    assert placed.status_code == 201, placed.text
    order = placed.json()
    payment = {"amount": order["total_amount"], "currency": "RUB", "reference": "r"}
    paid = api.client.post(
        f"/api/orders/{order['id']}/payment", json=payment, headers=api.as_("finance")
    )
    assert paid.status_code == 201, paid.text
    return int(order["id"])


def test_a_paid_order_ships_or_cancels_once_and_returns_once(stocked: Api) -> None:
    api = stocked
    receive(api, 100)
    for _ in range(5):
        order_id = place_paid_order(api)
        before = levels(api, 1)

        def ship_or_cancel(client: TestClient, i: int, order_id: int = order_id) -> Any:
            if i % 2:
                return client.post(f"/api/orders/{order_id}/shipment", headers=api.as_("warehouse"))
            return client.post(
                f"/api/orders/{order_id}/cancellation",
                json={"reason": "changed mind"},
                headers=api.as_("admin"),
            )

        answers = race(api, 10, ship_or_cancel)
        assert codes(answers) == {200: 1, 409: 9}, [a.text for a in answers]
        status = api.client.get(f"/api/orders/{order_id}", headers=api.as_("admin")).json()
        if status["status"] == "shipped":
            assert levels(api, 1) == (before[0] - 2, before[1] - 2)
            returned = race(
                api,
                8,
                lambda client, _i, order_id=order_id: client.post(
                    f"/api/orders/{order_id}/return",
                    json={"reason": "broken"},
                    headers=api.as_("warehouse"),
                ),
            )
            assert codes(returned) == {200: 1, 409: 7}
            assert levels(api, 1) == (before[0], before[1] - 2)
        else:
            assert status["status"] == "cancelled"
            assert levels(api, 1) == (before[0], before[1] - 2)


def test_shipped_order_accepts_returns_up_to_what_was_shipped(stocked: Api) -> None:
    api = stocked
    receive(api, 100)
    for _ in range(3):
        order_id = place_paid_order(api, quantity=3)
        shipped = api.client.post(f"/api/orders/{order_id}/shipment", headers=api.as_("warehouse"))
        assert shipped.status_code == 200, shipped.text
        line_id = shipped.json()["lines"][0]["id"]
        before = levels(api, 1)
        answers = race(
            api,
            8,
            lambda client, _i, order_id=order_id, line_id=line_id: client.post(
                f"/api/orders/{order_id}/return",
                json={"reason": "broken", "lines": [{"line_id": line_id, "quantity": 1}]},
                headers=api.as_("warehouse"),
            ),
        )
        assert codes(answers) == {200: 3, 409: 5}
        assert levels(api, 1) == (before[0] + 3, before[1])


def test_concurrent_payment_replays_with_one_key_get_the_first_answer(stocked: Api) -> None:
    api = stocked
    receive(api, 100)
    for round_no in range(8):
        body = {"distributor_id": api.distributor_id, "warehouse_id": 1,
                "lines": [{"product_id": 1, "quantity": 1}]}  # fmt: skip
        placed = api.client.post("/api/orders", json=body, headers=api.as_("admin"))
        assert placed.status_code == 201, placed.text
        order = placed.json()
        payment = {"amount": order["total_amount"], "currency": "RUB", "reference": "r"}
        headers = api.as_("finance") | {"Idempotency-Key": f"pay-{round_no}"}
        answers = race(
            api,
            10,
            lambda client, _i, order=order, payment=payment, headers=headers: client.post(
                f"/api/orders/{order['id']}/payment", json=payment, headers=headers
            ),
        )
        assert codes(answers) == {201: 1, 200: 9}, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1


# -- periods ---------------------------------------------------------------------------------


def compute(api: Api, period: int, role: str = "finance") -> int:
    computed = post(api, f"/api/periods/{period}/compute", role)
    assert computed.status_code == 200, computed.text
    return int(computed.json()["computations"])


def test_an_approval_racing_a_recompute_never_approves_its_own_or_another_compute(
    company: Api,  # noqa: F811
) -> None:
    """finance computes; finance2 recomputes and approves the compute it saw, both at once.
    Either the approval lands first (finance2 approves finance's compute, and the recompute is
    refused) or the recompute does (the approval is refused as stale or as finance2's own)."""
    api = company
    today(api)
    period, outcomes = 1, Counter[str]()
    assert post(api, "/api/periods").status_code == 201
    for _ in range(6):
        seen = compute(api, period)

        def recompute_or_approve(
            client: TestClient, i: int, seen: int = seen, period: int = period
        ) -> Any:
            url = f"/api/periods/{period}"
            if i == 0:
                return client.post(f"{url}/compute", headers=api.as_("finance2"))
            time.sleep(0.004 * i)  # the finding: approvals sent 13-25 ms into a recompute
            return client.post(
                f"{url}/approval", json={"computation": seen}, headers=api.as_("finance2")
            )

        answers = race(api, 5, recompute_or_approve)
        with Session(api.engine) as session:
            row = session.get(Period, period)
            assert row is not None
            approvals = session.exec(
                select(PeriodTransition).where(
                    PeriodTransition.period_id == period, PeriodTransition.to_status == "approved"
                )
            ).all()
        assert sum(a.status_code == 200 for a in answers[1:]) <= 1
        if row.status == "approved":
            outcomes["approved"] += 1
            assert row.computed_by != row.approved_by, "maker-checker bypassed"
            assert row.computations == seen, "approved a compute the approver never saw"
            assert len(approvals) == 1 and f"compute #{seen} " in approvals[0].detail
            assert answers[0].status_code == 409
            period += 1
            if period > 3:
                break
            assert post(api, "/api/periods").status_code == 201
        else:
            outcomes["refused"] += 1
            assert row.status == "computed" and not approvals
            assert answers[0].status_code == 200
            assert {a.status_code for a in answers[1:]} <= {403, 409}
    assert sum(outcomes.values()) >= 3


def test_a_stale_approval_is_refused(company: Api) -> None:  # noqa: F811
    api = company
    today(api)
    assert post(api, "/api/periods").status_code == 201
    first = compute(api, 1)
    assert compute(api, 1) == first + 1
    url = "/api/periods/1/approval"
    stale = api.client.post(url, json={"computation": first}, headers=api.as_("finance2"))
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_computation"
    assert "compute #2" in stale.json()["error"]["message"]
    missing = api.client.post(url, headers=api.as_("finance2"))
    assert missing.status_code == 422
    approved = api.client.post(url, json={"computation": first + 1}, headers=api.as_("finance2"))
    assert approved.status_code == 200, approved.text


def test_concurrent_anchor_requests_queue_one_job(company: Api) -> None:  # noqa: F811
    """Ten anchor requests at once queue one job; a failed job may be replaced, once."""
    api = company
    today(api)
    for period in (1, 2):
        assert post(api, "/api/periods").status_code == 201
        seen = compute(api, period)
        approved = api.client.post(
            f"/api/periods/{period}/approval",
            json={"computation": seen},
            headers=api.as_("finance2"),
        )
        assert approved.status_code == 200, approved.text
        for round_no in range(4):
            answers = race(
                api,
                10,
                lambda client, _i, period=period: client.post(
                    f"/api/periods/{period}/anchor", headers=api.as_("finance")
                ),
            )
            assert codes(answers) == {202: 10}, [a.text for a in answers]
            assert len({a.json()["id"] for a in answers}) == 1
            with Session(api.engine) as session:
                live = session.exec(
                    select(ChainJob).where(
                        ChainJob.kind == JobKind.anchor,
                        ChainJob.subject_id == period,
                        ChainJob.status != IntentStatus.failed,
                    )
                ).all()
                assert len(live) == 1
                if round_no < 3:  # the last one stays, so the next period may anchor
                    live[0].status = IntentStatus.failed  # as the writer marks a failed send
                    session.add(live[0])
                    session.commit()


def test_orders_naming_the_same_products_in_opposite_order_never_deadlock(stocked: Api) -> None:
    """Each order locks its products' stock rows; orders listing them as [tea, coffee] and as
    [coffee, tea] at once used to deadlock on PostgreSQL (one aborted with a 500). Rows are now
    locked in product order, whatever the order of the lines; cancelling them all at once too."""
    api = stocked
    admin = api.as_("admin")
    coffee = {
        "sku": "COFFEE", "name_ru": "Кофе", "name_en": "Coffee", "retail_price": 2000,
        "wholesale_price": 1600, "currency": "RUB", "pv": 20, "cv": 16,
    }  # fmt: skip
    assert api.client.post("/api/products", json=coffee, headers=admin).status_code == 201
    for product_id in (1, 2):
        body = {"product_id": product_id, "quantity": 1000}
        receipt = api.client.post(
            "/api/warehouses/1/receipts", json=body, headers=api.as_("warehouse")
        )
        assert receipt.status_code == 201, receipt.text

    def order(client: TestClient, i: int) -> httpx.Response:
        products = (1, 2) if i % 2 else (2, 1)
        body = {"distributor_id": api.distributor_id, "warehouse_id": 1,
                "lines": [{"product_id": p, "quantity": 1} for p in products]}  # fmt: skip
        return client.post("/api/orders", json=body, headers=admin)

    placed: list[int] = []
    for _round in range(3):
        answers = race(api, 16, order)
        assert codes(answers) == {201: 16}
        placed += [int(a.json()["id"]) for a in answers]
    assert levels(api, 1) == (2000, 2 * len(placed))
    cancelled = race(
        api,
        len(placed),
        lambda client, i: client.post(
            f"/api/orders/{placed[i]}/cancellation", json={"reason": "duplicate"}, headers=admin
        ),
    )
    assert codes(cancelled) == {200: len(placed)}
    assert levels(api, 1) == (2000, 0)


def test_a_signup_form_token_is_used_once_under_concurrent_posts(api: Api) -> None:
    """Eight sends of one "Join my team" form at once (a double-click, a replay): exactly one
    is let through; the others are told the form was sent already."""
    token = signup.issue_token(SECRET, api.distributor_id, now=api.clock())
    later = api.clock() + timedelta(seconds=30)
    barrier = threading.Barrier(8)

    def redeem(_index: int) -> int | str:
        with Session(api.engine) as session:
            barrier.wait()
            try:
                return signup.redeem_token(session, SECRET, token, settings=api.settings, now=later)
            except signup.SignupRefused as refused:
                return refused.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = Counter(pool.map(redeem, range(8)))
    assert outcomes == {api.distributor_id: 1, "form_used": 7}


def test_concurrent_decisions_on_one_card_text_make_one_decision(api: Api) -> None:
    """Two admins approve and reject the same held text at once: one decision is taken and
    logged; the others are refused (409), so the card never flips between them."""
    with Session(api.engine) as session:
        dina = session.exec(select(User).where(User.distributor_id == api.distributor_id)).one()
        settings = cards.CardSettings(
            alias="dina", enabled=True, show_email=True, show_phone=False,
            show_messenger=False, block_ids=[], free_text="Пассивный доход навсегда",
        )  # fmt: skip
        revision = cards.update_card(session, dina, settings, now=api.clock()).text_revision
    base = f"/api/card-texts/{api.distributor_id}"
    answers = race(
        api,
        10,
        lambda client, index: client.post(
            f"{base}/{'approval' if index % 2 else 'rejection'}",
            json={"revision": revision},
            headers=api.as_("admin"),
        ),
    )
    assert codes(answers) == {200: 1, 409: 9}
    with Session(api.engine) as session:
        decisions = session.exec(
            select(func.count())
            .select_from(AdminLogEntry)
            .where(
                col(AdminLogEntry.action).in_(
                    [AdminAction.card_text_approved, AdminAction.card_text_rejected]
                )
            )
        ).one()
        assert decisions == 1
    winner = next(a for a in answers if a.status_code == 200).json()["status"]
    with Session(api.engine) as session:
        card = session.exec(
            select(PartnerCard).where(PartnerCard.distributor_id == api.distributor_id)
        ).one()
        assert card.text_status == winner
