"""Enrollment with an Idempotency-Key: a retry, sequential or concurrent, returns the first
result and writes no second distributor, login or chain placement intent."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import httpx
from lineage_api import Api, error_code
from sqlalchemy import func
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.chain_jobs import ChainJob
from backend.genealogy.models import Distributor, EnrollmentRequest

ROUNDS = 3
TWINS = 8


def counts(api: Api) -> tuple[int, int, int]:
    with Session(api.engine) as session:
        return (
            session.exec(select(func.count()).select_from(Distributor)).one(),
            session.exec(select(func.count()).select_from(ChainJob)).one(),
            session.exec(select(func.count()).select_from(User)).one(),
        )


def enroll(api: Api, body: Any, key: str | None, role: str = "admin", batch: bool = False) -> Any:
    headers = api.as_(role) | ({"Idempotency-Key": key} if key is not None else {})
    url = "/api/distributors/batch" if batch else "/api/distributors"
    return api.client.post(url, json=body, headers=headers)


def together(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        gate.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def person(n: int, **extra: Any) -> dict[str, Any]:
    return {"first_name": "Ivy", "last_name": f"Retry-{n}"} | extra


def test_a_retry_with_the_same_key_returns_the_first_enrollment(api: Api) -> None:
    body = person(1, email="ivy@example.com", password="ivy-password-1")
    before = counts(api)
    first = enroll(api, body, "signup-1")
    assert first.status_code == 201
    again = enroll(api, body, "signup-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    # One distributor, one login, one chain placement intent.
    assert counts(api) == (before[0] + 1, before[1] + 1, before[2] + 1)
    # Without a key (or with another one) it is a new enrollment, as before.
    assert enroll(api, person(1), None).status_code == 201
    assert enroll(api, person(1), "signup-2").status_code == 201
    assert counts(api)[0] == before[0] + 3


def test_the_same_key_for_a_different_enrollment_is_refused(api: Api) -> None:
    assert enroll(api, person(1), "k").status_code == 201
    before = counts(api)
    for body, batch in ((person(2), False), ([person(1)], True)):
        refused = enroll(api, body, "k", batch=batch)
        assert refused.status_code == 409
        assert error_code(refused) == "idempotency_key_reused"
    assert counts(api) == before


def test_keys_belong_to_the_account_that_sent_them(api: Api) -> None:
    mine = enroll(api, person(1), "shared-key")
    theirs = enroll(api, person(1), "shared-key", role="distributor")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_a_failed_enrollment_does_not_use_up_its_key(api: Api) -> None:
    before = counts(api)
    assert enroll(api, person(1, sponsor_id=424242), "k").status_code == 404
    assert enroll(api, person(1), "k").status_code == 201
    assert counts(api)[0] == before[0] + 1
    with Session(api.engine) as session:
        assert session.exec(select(func.count()).select_from(EnrollmentRequest)).one() == 1


def test_concurrent_retries_enroll_once(api: Api) -> None:
    for round_no in range(ROUNDS):
        before = counts(api)
        # With a login, a twin also meets the first one's e-mail; without, nothing else stops it.
        login = {"email": f"twin{round_no}@example.com", "password": "twin-password-1"}
        body = person(round_no, **(login if round_no == 0 else {}))
        key = f"twins-{round_no}"
        responses = together([partial(enroll, api, body, key) for _ in range(TWINS)])
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 1, 200: TWINS - 1}, (round_no, statuses)
        assert len({r.json()["id"] for r in responses}) == 1
        logins = 1 if round_no == 0 else 0
        assert counts(api) == (before[0] + 1, before[1] + 1, before[2] + logins), round_no


def test_a_batch_retry_returns_the_first_batch(api: Api) -> None:
    people = [person(n) for n in range(3)]
    before = counts(api)
    first = enroll(api, people, "import-1", batch=True)
    assert first.status_code == 201
    again = enroll(api, people, "import-1", batch=True)
    assert again.status_code == 200
    assert [d["id"] for d in again.json()] == [d["id"] for d in first.json()]
    assert again.json() == first.json()
    assert counts(api)[:2] == (before[0] + 3, before[1] + 3)
    changed = enroll(api, [*people, person(9)], "import-1", batch=True)
    assert changed.status_code == 409
    assert enroll(api, person(0), "import-1").status_code == 409


def test_concurrent_batch_retries_enroll_once(api: Api) -> None:
    for round_no in range(ROUNDS):
        people = [person(10 * round_no + n) for n in range(3)]
        before = counts(api)
        key = f"import-twins-{round_no}"
        responses = together(
            [partial(enroll, api, people, key, batch=True) for _ in range(TWINS // 2)]
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 1, 200: TWINS // 2 - 1}, (round_no, statuses)
        assert len({tuple(d["id"] for d in r.json()) for r in responses}) == 1
        assert counts(api)[:2] == (before[0] + 3, before[1] + 3), round_no
