"""Enrollment, placement, chain intents, scope, statuses, holding tank, downline reads."""

from __future__ import annotations

from typing import Any

import pytest
from lineage_api import Api, add_user, token_for
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend import chain_jobs
from backend.chain_jobs import ChainJob, JobKind
from backend.core.model_base import Role
from backend.genealogy.models import Distributor, Placement
from backend.genealogy.onchain import confirm_placements

CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def enroll(api: Api, role: str = "admin", **fields: Any) -> Any:
    body = {"first_name": "Ann", "last_name": "Lee"} | fields
    return api.client.post("/api/distributors", json=body, headers=api.as_(role))


def test_enrollment_places_automatically_and_queues_a_chain_intent(api: Api) -> None:
    response = enroll(api, sponsor_id=api.distributor_id, email="ann@example.com")
    assert response.status_code == 201
    body = response.json()
    assert body["sponsor_id"] == api.distributor_id
    placement = body["placement"]
    # Breadth-first in a binary tree under distributor 2: its left slot.
    assert (placement["parent_id"], placement["position"]) == (api.distributor_id, 0)
    assert placement["chain_status"] == "pending"
    assert body["depth"] == 2
    with Session(api.engine) as session:
        intents = session.exec(select(ChainJob).order_by(col(ChainJob.id))).all()
    assert [i.subject_id for i in intents] == [1, api.distributor_id, body["id"]]
    assert intents[-1].payload == {
        "id": body["id"],
        "sponsor": api.distributor_id,
        "parent": api.distributor_id,
        "position": 0,
    }
    assert intents[-1].status == "queued"


def test_breadth_first_fills_level_by_level(api: Api) -> None:
    ids = [enroll(api).json()["id"] for _ in range(5)]
    with Session(api.engine) as session:
        spots = {
            p.distributor_id: (p.parent_id, p.position)
            for p in session.exec(select(Placement).where(col(Placement.distributor_id).in_(ids)))
        }
    # root 1 has distributor 2 on the left; then 1-right, then 2's children, then 3's.
    assert [spots[i] for i in ids] == [(1, 1), (2, 0), (2, 1), (ids[0], 0), (ids[0], 1)]


def test_enroll_by_referral_code_and_default_enroller(api: Api) -> None:
    code = api.client.get(
        f"/api/distributors/{api.distributor_id}", headers=api.as_("admin")
    ).json()["referral_code"]
    by_code = enroll(api, referral_code=code.lower())
    assert by_code.json()["sponsor_id"] == api.distributor_id
    assert enroll(api).json()["sponsor_id"] == 1
    assert enroll(api, referral_code="NOPE2345").status_code == 404
    both = enroll(api, referral_code=code, sponsor_id=1)
    assert both.status_code == 422


def test_distributor_enrolls_under_themself_by_default(api: Api) -> None:
    response = enroll(api, role="distributor")
    assert response.status_code == 201
    assert response.json()["sponsor_id"] == api.distributor_id


def test_distributor_cannot_enroll_outside_their_downline(api: Api) -> None:
    response = enroll(api, role="distributor", sponsor_id=1)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "out_of_scope"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (CHECKSUMMED, CHECKSUMMED),
        (CHECKSUMMED.lower(), CHECKSUMMED),
        ("0x" + CHECKSUMMED[2:].upper(), CHECKSUMMED),
    ],
)
def test_wallets_are_stored_checksummed(api: Api, given: str, stored: str) -> None:
    response = enroll(api, wallet=given)
    assert response.status_code == 201, response.text
    assert response.json()["wallet"] == stored


@pytest.mark.parametrize(
    "wallet",
    [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",  # one letter's case flipped
        "0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea",  # 19 bytes
        "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",  # no 0x
        "0xZZaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    ],
)
def test_malformed_wallets_are_refused(api: Api, wallet: str) -> None:
    response = enroll(api, wallet=wallet)
    assert response.status_code == 422
    assert "wallet" in response.json()["error"]["message"]


def test_a_wallet_belongs_to_one_distributor(api: Api) -> None:
    assert enroll(api, wallet=CHECKSUMMED).status_code == 201
    assert enroll(api, wallet=CHECKSUMMED.lower()).status_code == 409


def test_enrollment_with_password_creates_a_login(api: Api) -> None:
    response = enroll(api, email="new@example.com", password="long-enough-1")
    assert response.status_code == 201
    login = api.client.post(
        "/api/auth/token", data={"username": "new@example.com", "password": "long-enough-1"}
    )
    assert login.status_code == 200
    assert enroll(api, password="long-enough-1").status_code == 422  # no email


def test_distributor_sees_only_themself_and_their_downline(api: Api) -> None:
    mine = enroll(api, role="distributor").json()["id"]
    other = enroll(api, sponsor_id=1).json()["id"]
    headers = api.as_("distributor")
    assert api.client.get(f"/api/distributors/{mine}", headers=headers).status_code == 200
    denied = api.client.get(f"/api/distributors/{other}", headers=headers)
    assert denied.status_code == 403
    assert api.client.get("/api/distributors/1", headers=headers).status_code == 403
    listed = api.client.get("/api/distributors", headers=headers).json()
    assert [d["id"] for d in listed["items"]] == [api.distributor_id]
    downline = api.client.get(
        f"/api/distributors/{api.distributor_id}/downline", headers=headers
    ).json()
    assert [m["id"] for m in downline["items"]] == [mine]
    assert api.client.get("/api/distributors/1/downline", headers=headers).status_code == 403


def test_distributor_updates_only_their_own_contact_data(api: Api) -> None:
    child = enroll(api, role="distributor").json()["id"]
    headers = api.as_("distributor")
    own = api.client.patch(
        f"/api/distributors/{api.distributor_id}",
        json={"phone": "+7 900 000-00-00", "wallet": CHECKSUMMED.lower()},
        headers=headers,
    )
    assert own.status_code == 200
    assert own.json()["wallet"] == CHECKSUMMED
    other = api.client.patch(f"/api/distributors/{child}", json={"phone": "123"}, headers=headers)
    assert other.status_code == 403
    cleared = api.client.patch(
        f"/api/distributors/{api.distributor_id}", json={"first_name": None}, headers=headers
    )
    assert cleared.status_code == 422


def test_statuses_change_but_nobody_is_deleted(api: Api) -> None:
    url = f"/api/distributors/{api.distributor_id}/status"
    admin = api.as_("admin")
    assert (
        api.client.post(
            url, json={"status": "inactive", "reason": "no orders"}, headers=admin
        ).json()["status"]
        == "inactive"
    )
    assert (
        api.client.post(
            url, json={"status": "terminated", "reason": "policy"}, headers=admin
        ).json()["status"]
        == "terminated"
    )
    back = api.client.post(url, json={"status": "active", "reason": "oops"}, headers=admin)
    assert back.status_code == 409
    assert (
        api.client.post(
            "/api/distributors/1/status", json={"status": "inactive", "reason": "x"}, headers=admin
        ).status_code
        == 409
    )
    assert enroll(api, sponsor_id=api.distributor_id).status_code == 409
    assert (
        api.client.delete(f"/api/distributors/{api.distributor_id}", headers=admin).status_code
        == 405
    )


def test_holding_tank_manual_placement_then_expiry(api: Api) -> None:
    api.client.app.state.settings = api.settings.model_copy(update={"holding_tank_days": 3})
    held = enroll(api, role="distributor")
    assert held.status_code == 201
    held_id = held.json()["id"]
    assert held.json()["placement"] is None
    later = enroll(api, role="distributor").json()["id"]
    tank = api.client.get("/api/holding-tank", headers=api.as_("distributor")).json()
    assert [t["distributor_id"] for t in tank] == [held_id, later]
    # The sponsor can see the people in their tank.
    assert (
        api.client.get(f"/api/distributors/{held_id}", headers=api.as_("distributor")).status_code
        == 200
    )
    place = f"/api/holding-tank/{held_id}/placement"
    outside = api.client.post(
        place, json={"parent_id": 1, "position": 1}, headers=api.as_("distributor")
    )
    assert outside.status_code == 409
    manual = api.client.post(
        place, json={"parent_id": api.distributor_id, "position": 1}, headers=api.as_("distributor")
    )
    assert manual.status_code == 200, manual.text
    assert manual.json()["placement"]["strategy"] == "manual"
    assert manual.json()["placement"]["position"] == 1
    again = api.client.post(
        place, json={"parent_id": api.distributor_id, "position": 0}, headers=api.as_("distributor")
    )
    assert again.status_code == 404
    api.clock.advance(days=3)
    late = api.client.post(
        f"/api/holding-tank/{later}/placement",
        json={"parent_id": api.distributor_id, "position": 0},
        headers=api.as_("distributor"),
    )
    assert late.status_code == 409
    placed = api.client.post("/api/holding-tank/expired-placements", headers=api.as_("admin"))
    assert placed.json() == [later]
    assert api.client.get("/api/holding-tank", headers=api.as_("distributor")).json() == []


def test_outbox_service_confirms_placements(api: Api) -> None:
    child = enroll(api).json()["id"]
    with Session(api.engine) as session:
        queued = chain_jobs.queued(session, [JobKind.place], limit=10)
        assert [i.subject_id for i in queued] == [1, api.distributor_id, child]
        ids = [i.id for i in queued if i.id is not None]
        chain_jobs.mark_sent(session, ids, tx_hash="0x" + "ab" * 32, nonce=7)
        assert chain_jobs.queued(session, [JobKind.place]) == []
        assert [i.id for i in chain_jobs.sent(session, [JobKind.place])] == ids
        confirm_placements(session, ids[:2], block_number=12, tx_hash="0x" + "ab" * 32)
        chain_jobs.mark_failed(session, ids[2:], error="reverted")
        chain_jobs.requeue(session, ids[2:])
        assert [i.id for i in chain_jobs.queued(session, [JobKind.place])] == ids[2:]
    body = api.client.get(
        f"/api/distributors/{api.distributor_id}", headers=api.as_("admin")
    ).json()
    assert body["placement"]["chain_status"] == "confirmed"
    assert body["placement"]["block_number"] == 12
    assert body["placement"]["tx_hash"] == "0x" + "ab" * 32
    listed = api.client.get("/api/chain/intents?status=queued", headers=api.as_("auditor"))
    assert listed.json()["count"] == 1


def test_downline_pages_depth_and_search(api: Api) -> None:
    names = [
        "Olga Petrova",
        "Ivan Petrov",
        "Anna Smirnova",
        "Boris Orlov",
        "Vera Volkova",
        "Gleb Egorov",
        "Daria Pavlova",
    ]
    ids = []
    for name in names:
        first, last = name.split()
        ids.append(enroll(api, role="distributor", first_name=first, last_name=last).json()["id"])
    url = f"/api/distributors/{api.distributor_id}/downline"
    headers = api.as_("distributor")
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = api.client.get(url, params=params, headers=headers).json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    first_level = api.client.get(url, params={"max_depth": 1}, headers=headers).json()
    assert [m["id"] for m in first_level["items"]] == ids[:2]
    assert {m["level"] for m in first_level["items"]} == {1}
    two = api.client.get(url, params={"max_depth": 2, "limit": 2}, headers=headers).json()
    assert all(m["level"] <= 2 for m in two["items"]) and two["next_cursor"]
    found = api.client.get(url, params={"q": "PETROV"}, headers=headers).json()
    assert [m["last_name"] for m in found["items"]] == ["Petrova", "Petrov"]
    by_id = api.client.get(url, params={"q": str(ids[3])}, headers=headers).json()
    assert [m["id"] for m in by_id["items"]] == [ids[3]]
    assert api.client.get(url, params={"q": "%"}, headers=headers).json()["items"] == []
    bad = api.client.get(url, params={"cursor": "AAAA"}, headers=headers)
    assert bad.status_code == 422


def test_second_distributor_account_has_its_own_scope(api: Api) -> None:
    other = enroll(api, sponsor_id=1).json()["id"]
    headers = token_for(
        add_user(api.engine, "other@example.com", Role.distributor, other), api.clock
    )
    assert (
        api.client.get(f"/api/distributors/{api.distributor_id}", headers=headers).status_code
        == 403
    )
    with Session(api.engine) as session:
        assert session.get(Distributor, other) is not None


def test_two_workers_on_one_database_never_share_a_position(api: Api) -> None:
    from fastapi.testclient import TestClient

    from backend.main import create_app

    second = create_app(api.settings, engine=api.engine, clock=api.clock)
    with TestClient(second) as other:
        for i in range(6):
            client = api.client if i % 2 else other
            response = client.post(
                "/api/distributors",
                json={"first_name": "W", "last_name": str(i)},
                headers=api.as_("admin"),
            )
            assert response.status_code == 201, response.text
    with Session(api.engine) as session:
        spots = [(p.parent_id, p.position) for p in session.exec(select(Placement))]
    assert len(spots) == len(set(spots)) == 8


def test_concurrent_enrollments_are_serialised(api: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from backend.accounts.models import User
    from backend.genealogy import enrollment
    from backend.genealogy.models import DistributorCreate

    trees = api.client.app.state.placement_trees

    def enroll_one(i: int) -> int:
        with Session(api.engine, expire_on_commit=False) as session:
            admin = session.exec(select(User).where(User.role == Role.admin)).one()
            made = enrollment.enroll(
                session,
                DistributorCreate(first_name="T", last_name=str(i)),
                actor=admin,
                settings=api.settings,
                trees=trees,
                now=api.clock(),
            )
            assert made.id is not None
            return made.id

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(enroll_one, range(16)))
    assert len(set(ids)) == 16
    with Session(api.engine) as session:
        rows = list(session.exec(select(Placement)))
        spots = [(p.parent_id, p.position) for p in rows]
        assert len(spots) == len(set(spots)) == 18
        paths = {d.id: d.tree_path for d in session.exec(select(Distributor))}
    for placement in rows:
        if placement.parent_id is not None:
            child, parent = paths[placement.distributor_id], paths[placement.parent_id]
            assert child is not None and parent is not None
            assert child[:-4] == parent


def test_status_changes_are_kept_as_history(api: Api) -> None:
    url = f"/api/distributors/{api.distributor_id}"
    admin = api.as_("admin")
    api.client.post(
        f"{url}/status", json={"status": "inactive", "reason": "no orders"}, headers=admin
    )
    api.clock.advance(days=30)
    api.client.post(f"{url}/status", json={"status": "active", "reason": "ordered"}, headers=admin)
    same = api.client.post(f"{url}/status", json={"status": "active", "reason": "x"}, headers=admin)
    assert same.status_code == 409
    history = api.client.get(f"{url}/status-history", headers=api.as_("distributor")).json()
    assert [(h["old_status"], h["new_status"], h["reason"]) for h in history] == [
        ("active", "inactive", "no orders"),
        ("inactive", "active", "ordered"),
    ]
    assert history[1]["at"] > history[0]["at"]


def test_batch_enrollment_is_all_or_nothing(api: Api) -> None:
    people = [{"first_name": "B", "last_name": str(i)} for i in range(5)]
    made = api.client.post("/api/distributors/batch", json=people, headers=api.as_("admin"))
    assert made.status_code == 201
    spots = [(d["placement"]["parent_id"], d["placement"]["position"]) for d in made.json()]
    assert len(set(spots)) == 5
    with Session(api.engine) as session:
        before = session.exec(select(func.count()).select_from(Distributor)).one()
    bad = people[:2] + [{"first_name": "C", "last_name": "D", "sponsor_id": 999}]
    refused = api.client.post("/api/distributors/batch", json=bad, headers=api.as_("admin"))
    assert refused.status_code == 404
    assert refused.json()["error"]["details"]["index"] == 2
    assert refused.json()["error"]["message"].startswith("item 2:")
    with Session(api.engine) as session:
        assert session.exec(select(func.count()).select_from(Distributor)).one() == before
        assert session.exec(select(func.count()).select_from(ChainJob)).one() == before
    # The tree cache was reset by the failure and still places correctly afterwards.
    after = enroll(api)
    assert after.status_code == 201
    assert (
        api.client.post("/api/distributors/batch", json=[], headers=api.as_("admin")).status_code
        == 422
    )
    too_many = [{"first_name": "X", "last_name": "Y"}] * 501
    assert (
        api.client.post(
            "/api/distributors/batch", json=too_many, headers=api.as_("admin")
        ).status_code
        == 422
    )


def test_a_refused_placement_keeps_the_tree_cache(api: Api) -> None:
    trees = api.client.app.state.placement_trees
    assert enroll(api).status_code == 201
    cached = trees._tree
    refused = enroll(api, leg=7)  # a binary tree has legs 0 and 1
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "placement_refused"
    # Nothing reached the tree, so it still equals the database: no rebuild from every row.
    assert trees._tree is cached
    placed = enroll(api, sponsor_id=api.distributor_id)
    assert placed.status_code == 201
    assert (placed.json()["placement"]["parent_id"], placed.json()["placement"]["position"]) == (
        api.distributor_id,
        0,
    )


def test_single_and_batch_enrollments_run_side_by_side(api: Api) -> None:
    """Both take the placement lock before their first write, so neither waits on the other
    while holding what the other needs (on SQLite that used to end in "database is locked")."""
    from concurrent.futures import ThreadPoolExecutor

    from backend.accounts.models import User
    from backend.genealogy import enrollment
    from backend.genealogy.models import DistributorCreate

    trees = api.client.app.state.placement_trees

    def work(i: int) -> int:
        with Session(api.engine, expire_on_commit=False) as session:
            admin = session.exec(select(User).where(User.role == Role.admin)).one()
            people = [DistributorCreate(first_name="S", last_name=f"{i}-{n}") for n in range(3)]
            common = {"actor": admin, "settings": api.settings, "trees": trees, "now": api.clock()}
            if i % 2:
                return len(enrollment.enroll_many(session, people, **common))
            enrollment.enroll(session, people[0], **common)
            return 1

    with ThreadPoolExecutor(max_workers=4) as pool:
        placed = sum(pool.map(work, range(16)))
    with Session(api.engine) as session:
        spots = [(p.parent_id, p.position) for p in session.exec(select(Placement))]
    assert len(spots) == len(set(spots)) == 2 + placed == 2 + 8 * 3 + 8
