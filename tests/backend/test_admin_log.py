"""The admin action log (issue 9, finding 8): one admin can no longer close a period alone and
unrecorded. Accounts, roles, passwords, prices and stock adjustments are logged in a hash chain
that verification checks, concurrent appends never fork it, each period's inputs commit to its
head, and an account created or changed in the last 24 hours cannot approve a period; on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import test_api_periods
from lineage_api import Api, add_user, error_code, token_for
from sqlalchemy import text
from sqlmodel import col, select
from test_api_periods import approve, close, post, today

from backend.admin_log import service as admin_log
from backend.admin_log.models import AdminLogEntry, AdminLogVerification
from backend.core.model_base import Role
from backend.packages import read_package
from ledger.inputs import ADMIN_LOG_GENESIS
from ledger.package import verify_package

#: Root 1 > 2 > 3, 4; 3 > 5 > 6, products and paid orders in period 1 (three months back).
company = test_api_periods.company


def finance_account(api: Api, email: str) -> tuple[int, dict[str, str]]:
    """A finance account made the way an admin makes one: through the API (and so logged)."""
    body = {"email": email, "role": "finance", "password": "finance-pass-1"}
    made = api.client.post("/api/users", json=body, headers=api.as_("admin"))
    assert made.status_code == 201, made.text
    user_id = int(made.json()["id"])
    return user_id, token_for(user_id, api.clock)


def admin_id(api: Api) -> int:
    return int(api.client.get("/api/users/me", headers=api.as_("admin")).json()["id"])


def log(api: Api, role: str = "auditor", **params: Any) -> dict[str, Any]:
    page = api.client.get("/api/admin-log", params=params, headers=api.as_(role))
    assert page.status_code == 200, page.text
    return dict(page.json())


def verification(api: Api) -> dict[str, Any]:
    checked = api.client.get("/api/admin-log/verify", headers=api.as_("auditor"))
    assert checked.status_code == 200, checked.text
    return dict(checked.json())


def test_one_admin_with_two_fresh_finance_accounts_cannot_close_a_period(company: Api) -> None:
    api = company
    today(api)
    made_at = api.clock()
    maker, api.headers["maker"] = finance_account(api, "maker@example.com")
    checker, api.headers["checker"] = finance_account(api, "checker@example.com")
    assert post(api, "/api/periods", "maker").status_code == 201
    assert post(api, "/api/periods/1/compute", "maker").status_code == 200

    api.clock.advance(hours=23, minutes=59)
    refused = approve(api, 1, "checker")
    assert refused.status_code == 409 and error_code(refused) == "account_recently_changed"
    message = refused.json()["error"]["message"]
    assert f"the approving account (user {checker}) was created by user {admin_id(api)}" in message
    assert made_at.isoformat() in message
    assert refused.json()["error"]["details"]["allowed_from"] == (
        (made_at + timedelta(hours=24)).isoformat()
    )
    assert api.client.get("/api/periods/1", headers=api.as_("admin")).json()["status"] == (
        "computed"
    )

    api.clock.advance(minutes=1, seconds=1)
    approved = approve(api, 1, "checker")
    assert approved.status_code == 200, approved.text
    context = approved.json()["approval_context"]
    admin = admin_id(api)
    for part, user_id in (("computed_by", maker), ("approved_by", checker)):
        account = context[part]
        assert (account["user_id"], account["created_by"]) == (user_id, admin)
        assert [c["action"] for c in account["changes"]] == ["account_created"]
    shown = api.client.get("/api/periods/1", headers=api.as_("auditor")).json()
    assert shown["approval_context"] == context


def test_a_recent_reset_or_promotion_of_either_account_blocks_the_approval(company: Api) -> None:
    api = company
    post(api, "/api/periods")
    post(api, "/api/periods/1/compute")  # maker: `finance`, an account older than the log
    today(api)
    checker = int(api.client.get("/api/users/me", headers=api.as_("finance2")).json()["id"])
    reset = api.client.patch(
        f"/api/users/{checker}", json={"password": "new-password-9"}, headers=api.as_("admin")
    )
    assert reset.status_code == 200, reset.text
    # the reset ended its session: a fresh token carries the new version
    api.headers["finance2"] = token_for(checker, api.clock, version=1)
    refused = approve(api, 1, "finance2")
    assert error_code(refused) == "account_recently_changed"
    assert "had its password reset by an admin" in refused.json()["error"]["message"]

    api.clock.advance(hours=25)
    maker = int(api.client.get("/api/users/me", headers=api.as_("finance")).json()["id"])
    for role in ("auditor", "finance"):  # a demotion and a promotion back: both logged
        changed = api.client.patch(
            f"/api/users/{maker}", json={"role": role}, headers=api.as_("admin")
        )
        assert changed.status_code == 200, changed.text
    refused = approve(api, 1, "finance2")
    details = refused.json()["error"]["details"]
    assert (details["part"], details["user_id"], details["action"]) == (
        "computing",
        maker,
        "role_changed",
    )

    api.clock.advance(hours=24, seconds=1)
    approved = approve(api, 1, "finance2")
    assert approved.status_code == 200, approved.text
    context = approved.json()["approval_context"]
    assert context["computed_by"]["created_by"] is None  # made outside the API
    assert context["computed_by"]["last_role_change"]["by"] == admin_id(api)
    assert context["approved_by"]["last_password_change"]["action"] == "password_reset"


def test_account_price_and_stock_changes_are_logged_without_secrets(company: Api) -> None:
    api = company
    today(api)  # tokens are checked against the real clock
    admin = api.as_("admin")
    user_id, headers = finance_account(api, "new@example.com")
    mine = {"current_password": "finance-pass-1", "new_password": "finance-pass-2"}
    assert api.client.post("/api/users/me/password", json=mine, headers=headers).is_success
    off = api.client.patch(f"/api/users/{user_id}", json={"is_active": False}, headers=admin)
    assert off.is_success
    for change in ({"retail_price": 1200}, {"name_en": "Green tea"}):
        assert api.client.patch("/api/products/1", json=change, headers=admin).is_success
    made = api.client.post("/api/price-lists", json={"name": "P", "currency": "RUB"}, headers=admin)
    items = f"/api/price-lists/{made.json()['id']}/items"
    assert api.client.put(
        items, json={"product_id": 1, "retail_price": 900, "wholesale_price": 900}, headers=admin
    ).is_success
    assert api.client.delete(f"{items}/1", headers=admin).status_code == 204
    adjustment = {"product_id": 1, "delta": -2, "reason": "broken"}
    adjusted = api.client.post("/api/warehouses/1/adjustments", json=adjustment, headers=admin)
    assert adjusted.is_success

    entries = log(api)["items"]
    assert [(e["action"], e["target"]) for e in entries] == [
        ("product_created", "product:1"),  # by the company fixture
        ("account_created", f"user:{user_id}"),
        ("password_changed", f"user:{user_id}"),
        ("account_deactivated", f"user:{user_id}"),
        ("price_changed", "product:1"),  # the rename is not a price change
        ("price_changed", "price_list:1/product:1"),
        ("price_removed", "price_list:1/product:1"),
        ("stock_adjusted", "warehouse:1/product:1"),
    ]
    assert entries[2]["actor_id"] == user_id and entries[3]["actor_id"] == admin_id(api)
    assert entries[4]["payload"] == {"changes": {"retail_price": [1000, 1200]}}
    assert entries[7]["payload"]["delta"] == -2
    assert not any("password" in key for e in entries for key in e["payload"])
    assert "$argon2" not in json.dumps([e["payload"] for e in entries])
    assert log(api, target=f"user:{user_id}")["count"] == 3
    assert api.client.get("/api/admin-log", headers=api.as_("finance")).status_code == 403
    assert verification(api)["ok"] is True


def test_verification_names_the_first_tampered_or_missing_entry(company: Api) -> None:
    api = company
    for n in range(4):
        finance_account(api, f"extra{n}@example.com")
    clean = verification(api)
    assert (clean["ok"], clean["entries"], clean["head_seq"]) == (True, 5, 5)
    assert clean["head_hash"] == log(api)["head_hash"]

    with api.engine.begin() as connection:
        connection.execute(
            text("UPDATE admin_log SET payload = :p WHERE seq = 3"),
            {"p": json.dumps({"email": "someone-else@example.com", "role": "finance"})},
        )
    tampered = verification(api)
    assert (tampered["ok"], tampered["first_broken_seq"], tampered["entries"]) == (False, 3, 2)
    assert "was changed" in tampered["problem"]

    with api.engine.begin() as connection:
        connection.execute(text("DELETE FROM admin_log WHERE seq = 3"))
    gap = verification(api)
    assert (gap["ok"], gap["first_broken_seq"]) == (False, 4)
    assert "missing" in gap["problem"]


def test_concurrent_admin_actions_never_fork_the_chain(api: Api) -> None:
    """Eight admins' requests at once, ten rounds: every one answers and lands in one chain.
    Without the append's lock, on PostgreSQL and SQLite alike, two appends read the same head
    and one fails on the unique seq (a 500)."""
    users = [add_user(api.engine, f"u{n}@example.com", Role.warehouse) for n in range(8)]
    start = threading.Barrier(len(users))

    def reset(user_id: int, round_no: int) -> int:
        start.wait()
        body = {"password": f"password-{round_no}-{user_id}"}
        return api.client.patch(
            f"/api/users/{user_id}", json=body, headers=api.as_("admin")
        ).status_code

    rounds = 10
    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        for round_no in range(rounds):
            codes = list(pool.map(reset, users, [round_no] * len(users)))
            assert codes == [200] * len(users), f"round {round_no}: {codes}"
    checked = verification(api)
    assert (checked["ok"], checked["entries"]) == (True, rounds * len(users))
    with api.session() as session:  # the same, read back three entries at a time
        assert admin_log.verify(session, batch=3) == AdminLogVerification.model_validate(checked)


def test_period_inputs_commit_to_the_admin_log_head(company: Api) -> None:
    api = company
    post(api, "/api/periods")
    first = post(api, "/api/periods/1/compute").json()
    package = read_package(Path(first["package"]))
    head = log(api)
    assert json.loads(package["inputs/admin_log.json"]) == {
        "seq": head["head_seq"],
        "hash": head["head_hash"],
    }
    assert head["head_seq"] == 1

    changed = api.client.patch(
        "/api/products/1", json={"wholesale_price": 700}, headers=api.as_("admin")
    )
    assert changed.status_code == 200
    second = post(api, "/api/periods/1/compute").json()
    assert second["inputs_hash"] != first["inputs_hash"]
    assert second["results_hash"] == first["results_hash"]  # paid before the change
    package = read_package(Path(second["package"]))
    assert json.loads(package["inputs/admin_log.json"])["seq"] == 2
    assert verify_package(package) == []


def rechain(api: Api) -> None:
    """What someone with write access to the database would do: recompute every hash."""
    with api.session() as session:
        rows = list(session.exec(select(AdminLogEntry).order_by(col(AdminLogEntry.seq))))
        chained, prev = [], ADMIN_LOG_GENESIS
        for row in rows:
            entry = admin_log.canonical_entry(
                seq=row.seq,
                at=row.at,
                actor_id=row.actor_id,
                action=str(row.action),
                target=row.target,
                payload=json.loads(row.payload),
            )
            chained.append({"s": row.seq, "p": prev, "h": admin_log.chain_hash(prev, entry)})
            prev = chained[-1]["h"]
        update = text("UPDATE admin_log SET prev_hash = :p, hash = :h WHERE seq = :s")
        for link in chained:  # placeholders first: prev_hash and hash are unique
            session.execute(
                update,
                {"s": link["s"], "p": f"0x{link['s']:064x}", "h": f"0x{-link['s'] % 2**256:064x}"},
            )
        for link in chained:
            session.execute(update, link)
        session.commit()


def test_a_rechained_or_truncated_log_no_longer_matches_an_approved_period(company: Api) -> None:
    api = company
    today(api)
    finance_account(api, "before@example.com")  # entry 2, before the computation
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    finance_account(api, "after@example.com")  # entry 3
    assert verification(api)["periods_checked"] == 1 and verification(api)["ok"]

    with api.engine.begin() as connection:  # hide who was created before the approval
        connection.execute(
            text("UPDATE admin_log SET payload = :p WHERE seq = 2"),
            {"p": json.dumps({"email": "nobody@example.com", "role": "auditor"})},
        )
    rechain(api)
    rewritten = verification(api)
    assert (rewritten["ok"], rewritten["entries"]) == (False, 3)  # the chain itself holds
    assert (rewritten["first_broken_period"], rewritten["first_broken_seq"]) == (1, 2)
    assert "was rewritten" in rewritten["problem"]

    with api.engine.begin() as connection:
        connection.execute(text("DELETE FROM admin_log WHERE seq >= 2"))
    truncated = verification(api)
    assert (truncated["ok"], truncated["entries"], truncated["first_broken_period"]) == (
        False,
        1,
        1,
    )
    assert "entries were removed" in truncated["problem"]
