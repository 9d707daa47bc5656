"""The payout profile over the API (GET/PUT /api/distributors/{id}/payee) on SQLite and
PostgreSQL: recording and the history, field errors (422, 409) that write nothing, who may read
and write, the training fact of a bank profile, and 20 concurrent PUTs for one distributor."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from lineage_api import Api
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.payees.models import PayeeProfile
from backend.payees.service import in_force
from backend.training.models import Task, TrainingFact

PERSON_INN = "500100732259"
SBER = {"bik": "044525225", "corr_account": "30101810400000000225", "bank_name": "ПАО Сбербанк"}
ACCOUNT = "40817810000000001234"  # valid with Sberbank's BIK
BANK = {"tax_status": "individual", "rail": "bank", "bank_account": ACCOUNT} | SBER
WALLET = "0x52908400098527886E0F7030069857D2E4169EE7"


def url(distributor_id: int) -> str:
    return f"/api/distributors/{distributor_id}/payee"


def rows(api: Api) -> int:
    with api.session() as session:
        return session.exec(select(func.count()).select_from(PayeeProfile)).one()


def fields_of(response: Any) -> dict[str, str]:
    return {f["field"]: f["code"] for f in response.json()["error"]["details"]["fields"]}


def test_a_distributor_records_a_bank_profile_and_keeps_the_history(api: Api) -> None:
    me = api.as_("distributor")
    empty = api.client.get(url(api.distributor_id), headers=me)
    assert empty.status_code == 200, empty.text
    assert empty.json() == {"distributor_id": api.distributor_id, "current": None, "history": []}

    spaced = " ".join(ACCOUNT[i : i + 4] for i in range(0, 20, 4))
    spaced_bank = BANK | {"bank_account": spaced}
    first = api.client.put(url(api.distributor_id), json=spaced_bank, headers=me)
    assert first.status_code == 200, first.text
    assert first.json()["current"]["bank_account"] == ACCOUNT  # stored as digits
    api.clock.advance(days=1)
    company = BANK | {"tax_status": "self_employed", "inn": PERSON_INN}
    second = api.client.put(url(api.distributor_id), json=company, headers=me)
    assert second.status_code == 200, second.text

    body = api.client.get(url(api.distributor_id), headers=me).json()
    assert body["current"]["tax_status"] == "self_employed"
    assert [h["tax_status"] for h in body["history"]] == ["self_employed", "individual"]
    assert body["history"][0]["effective_at"] > body["history"][1]["effective_at"]
    with api.session() as session:
        fact = session.get(TrainingFact, (api.distributor_id, Task.payout_set_up.value))
        assert fact is not None
        # In force at a moment between the two: the first (in_force's meaning is unchanged).
        between = api.clock() - timedelta(hours=1)
        assert in_force(session, between)[api.distributor_id].tax_status == "individual"
        assert in_force(session, api.clock())[api.distributor_id].tax_status == "self_employed"


def test_bad_details_are_refused_field_by_field_and_write_nothing(api: Api) -> None:
    me = api.as_("distributor")
    bad = BANK | {
        "tax_status": "company",
        "inn": PERSON_INN,
        "bik": "123456789",
        "corr_account": "30101810400000000226",
    }
    refused = api.client.put(url(api.distributor_id), json=bad, headers=me)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "payee_invalid"
    assert fields_of(refused) == {"inn": "inn_length_company", "bik": "bik_format"}
    assert "inn: a company's INN has 10 digits, not 12" in refused.json()["error"]["message"]

    wrong_key = api.client.put(
        url(api.distributor_id), json=BANK | {"bank_account": ACCOUNT[:-1] + "9"}, headers=me
    )
    assert fields_of(wrong_key) == {"bank_account": "account_checksum"}
    unknown = api.client.put(url(api.distributor_id), json=BANK | {"rail": "cash"}, headers=me)
    assert unknown.status_code == 422
    assert rows(api) == 0
    with api.session() as session:
        assert session.get(TrainingFact, (api.distributor_id, Task.payout_set_up.value)) is None


def test_the_token_rail_needs_the_registered_wallet(api: Api) -> None:
    me = api.as_("distributor")
    token = {"tax_status": "individual", "rail": "token"}
    refused = api.client.put(url(api.distributor_id), json=token, headers=me)
    assert refused.status_code == 409, refused.text
    assert fields_of(refused) == {"rail": "wallet_missing"}
    assert rows(api) == 0
    patched = api.client.patch(
        f"/api/distributors/{api.distributor_id}", json={"wallet": WALLET}, headers=me
    )
    assert patched.status_code == 200, patched.text
    accepted = api.client.put(url(api.distributor_id), json=token, headers=me)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["current"]["rail"] == "token"


def test_who_may_read_and_write(api: Api) -> None:
    other = api.client.post(
        "/api/distributors",
        json={"first_name": "Oleg", "last_name": "Downline", "sponsor_id": api.distributor_id},
        headers=api.as_("admin"),
    )
    assert other.status_code == 201, other.text
    downline = other.json()["id"]
    me = api.as_("distributor")
    # Their own downline's bank details are not a distributor's to see or change.
    assert api.client.get(url(downline), headers=me).status_code == 403
    assert api.client.put(url(downline), json=BANK, headers=me).status_code == 403
    by_finance = api.client.put(url(downline), json=BANK, headers=api.as_("finance"))
    assert by_finance.status_code == 200, by_finance.text
    with api.session() as session:
        recorded_by = session.exec(
            select(col(PayeeProfile.created_by)).where(PayeeProfile.distributor_id == downline)
        ).one()
        finance = session.exec(select(User.id).where(User.email == "finance@example.com")).one()
    assert recorded_by == finance
    assert api.client.put(url(downline), json=BANK, headers=api.as_("admin")).status_code == 200
    auditor = api.client.get(url(downline), headers=api.as_("auditor"))
    assert auditor.status_code == 200 and len(auditor.json()["history"]) == 2
    assert api.client.put(url(downline), json=BANK, headers=api.as_("auditor")).status_code == 403
    assert api.client.get(url(downline), headers=api.as_("warehouse")).status_code == 403
    assert api.client.get(url(downline)).status_code == 401
    missing = api.client.put(url(99_999), json=BANK, headers=api.as_("admin"))
    assert missing.status_code == 404
    assert rows(api) == 2


def test_twenty_concurrent_puts_keep_every_row_and_the_last_is_current(api: Api) -> None:
    count = 20
    barrier = threading.Barrier(count)
    app = api.client.app
    me = api.as_("distributor")

    def one(index: int) -> httpx.Response:
        client = TestClient(app, raise_server_exceptions=False)
        body = BANK | {"bank_name": f"Bank {index}"}
        barrier.wait()
        return client.put(url(api.distributor_id), json=body, headers=me)

    with ThreadPoolExecutor(max_workers=count) as pool:
        answers = list(pool.map(one, range(count)))
    assert [a.status_code for a in answers] == [200] * count, [a.text for a in answers]

    with Session(api.engine) as session:
        stored = list(
            session.exec(
                select(PayeeProfile)
                .where(PayeeProfile.distributor_id == api.distributor_id)
                .order_by(col(PayeeProfile.id))
            )
        )
        assert sorted(r.bank_name or "" for r in stored) == sorted(f"Bank {i}" for i in range(20))
        times = [r.effective_at for r in stored]
        assert times == sorted(times)
        assert in_force(session, api.clock())[api.distributor_id].id == stored[-1].id
    body = api.client.get(url(api.distributor_id), headers=me).json()
    assert body["current"]["id"] == stored[-1].id
    assert [h["id"] for h in body["history"]] == [r.id for r in reversed(stored)]
