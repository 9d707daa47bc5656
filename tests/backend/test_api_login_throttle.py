"""The login throttle under real concurrent requests, per account and per client address, and
forwarded headers believed only from configured proxies."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from ipaddress import ip_network
from typing import Any

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api, error_code
from sqlmodel import Session, select
from starlette.requests import Request

from backend.accounts.models import User
from backend.api.deps import client_address
from backend.cli.run import SERVER_OPTIONS
from backend.main import create_app

# The production cost (tens of ms a check): the window in which a burst of guesses used to
# overtake the failure count is as wide as it is in service.
PRODUCTION_HASHER = PasswordHasher()
ROUNDS = 3
BURST = 12


def slow_hash_for(api: Api, email: str, password: str) -> None:
    with Session(api.engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        user.hashed_password = PRODUCTION_HASHER.hash(password)
        session.add(user)
        session.commit()


def burst(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls at the same moment, one thread each, released by a barrier."""
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        gate.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def attempt(client: TestClient, email: str, password: str, **kwargs: Any) -> Any:
    return lambda: client.post(
        "/api/auth/token", data={"username": email, "password": password}, **kwargs
    )


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def test_a_burst_of_wrong_guesses_is_cut_at_the_limit_and_the_right_one_after_it_refused(
    api: Api,
) -> None:
    slow_hash_for(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    for round_no in range(ROUNDS):
        responses = burst([attempt(api.client, ADMIN_EMAIL, f"guess-{n}") for n in range(BURST)])
        counts = statuses(responses)
        assert counts == {401: 5, 429: BURST - 5}, (round_no, counts)
        for refused in (r for r in responses if r.status_code == 429):
            assert error_code(refused) == "too_many_requests"
            retry_after = int(refused.headers["Retry-After"])
            assert 0 < retry_after <= api.settings.login_window_seconds
            assert refused.json()["error"]["details"]["retry_after_seconds"] == retry_after
        # Inside the window even the right password is not evaluated.
        assert attempt(api.client, ADMIN_EMAIL, ADMIN_PASSWORD)().status_code == 429
        api.clock.advance(seconds=api.settings.login_window_seconds + 1)
    assert attempt(api.client, ADMIN_EMAIL, ADMIN_PASSWORD)().status_code == 200


def test_the_right_password_inside_a_burst_gets_no_extra_guesses_evaluated(api: Api) -> None:
    slow_hash_for(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    for round_no in range(ROUNDS):
        calls = [attempt(api.client, ADMIN_EMAIL, f"guess-{n}") for n in range(BURST - 1)]
        calls.insert(round_no * 4 + 3, attempt(api.client, ADMIN_EMAIL, ADMIN_PASSWORD))
        counts = statuses(burst(calls))
        # At most 5 wrong guesses are ever checked in a window; the right password is
        # accepted only if it came within the limit, and then returns its attempt.
        assert counts[401] <= 5 and counts[200] <= 1, (round_no, counts)
        assert counts[401] + counts[200] + counts[429] == BURST, (round_no, counts)
        assert counts[429] >= BURST - 6, (round_no, counts)
        api.clock.advance(seconds=api.settings.login_window_seconds + 1)


def test_one_address_guessing_many_accounts_is_cut_at_its_own_limit(api: Api) -> None:
    limit = api.settings.login_max_failures_per_address
    responses = burst(
        [attempt(api.client, f"nobody-{n}@example.com", "guess-1") for n in range(limit + 10)]
    )
    counts = statuses(responses)
    assert counts == {401: limit, 429: 10}, counts
    limited = next(r for r in responses if r.status_code == 429)
    assert limited.json()["error"]["details"]["limited"] == "address"
    # The same accounts from another address are not affected by this one's guesses.
    elsewhere = TestClient(api.client.app, client=("192.0.2.7", 40000))
    assert attempt(elsewhere, ADMIN_EMAIL, ADMIN_PASSWORD)().status_code == 200


def test_a_right_password_does_not_use_up_an_attempt(api: Api) -> None:
    for _ in range(10):
        assert attempt(api.client, ADMIN_EMAIL, ADMIN_PASSWORD)().status_code == 200
    for _ in range(4):
        assert attempt(api.client, ADMIN_EMAIL, "wrong-guess")().status_code == 401
    assert attempt(api.client, ADMIN_EMAIL, ADMIN_PASSWORD)().status_code == 200


def test_forwarded_headers_from_an_untrusted_peer_do_not_reset_the_throttle(api: Api) -> None:
    local = TestClient(api.client.app, client=("127.0.0.1", 40000))
    for n in range(5):
        spoofed = {"X-Forwarded-For": f"203.0.113.{n}"}
        assert attempt(local, ADMIN_EMAIL, "wrong", headers=spoofed)().status_code == 401
    fresh = {"X-Forwarded-For": "198.51.100.1"}
    assert attempt(local, ADMIN_EMAIL, ADMIN_PASSWORD, headers=fresh)().status_code == 429


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The app on a real uvicorn with `lineage run`'s server options, on a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **SERVER_OPTIONS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_a_local_peer_cannot_pick_its_address_through_the_real_server(api: Api) -> None:
    """uvicorn's default believes X-Forwarded-For from 127.0.0.1; the service turns that off."""
    app = create_app(api.settings, engine=api.engine, clock=api.clock)
    limit = api.settings.login_max_failures_per_address
    with served(app) as base, httpx.Client(base_url=base) as http:
        codes = Counter(
            http.post(
                "/api/auth/token",
                data={"username": f"nobody-{n}@example.com", "password": "guess"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(limit + 3)
        )
    assert codes == {401: limit, 429: 3}, codes


def request_from(peer: str, forwarded: list[str]) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


TRUSTED = (ip_network("10.0.0.0/8"), ip_network("127.0.0.1/32"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("127.0.0.1", ["6.6.6.6"], (), "127.0.0.1"),  # nothing configured: the peer
        ("198.51.100.9", ["6.6.6.6"], TRUSTED, "198.51.100.9"),  # not a proxy of ours
        ("127.0.0.1", ["6.6.6.6"], TRUSTED, "6.6.6.6"),
        # A client-written entry at the left does not win over what our proxies saw.
        ("127.0.0.1", ["1.1.1.1, 6.6.6.6, 10.0.0.5"], TRUSTED, "6.6.6.6"),
        ("10.1.2.3", ["1.1.1.1", "6.6.6.6"], TRUSTED, "6.6.6.6"),
        ("127.0.0.1", [], TRUSTED, "127.0.0.1"),
        ("127.0.0.1", ["10.0.0.5"], TRUSTED, "10.0.0.5"),  # only proxies: the farthest one
    ],
)
def test_client_address_believes_only_trusted_proxies(
    peer: str, forwarded: list[str], trusted: Any, expected: str
) -> None:
    assert client_address(request_from(peer, forwarded), trusted) == expected


def test_a_burst_of_right_logins_from_one_address_recovers_when_it_has_passed(api: Api) -> None:
    """An office behind one address: more simultaneous right logins than the address's limit.
    Those over it are refused while the others are in flight, but a refusal checked no password
    and is not counted: once the burst has passed, the next right login is accepted at once
    (it used to stay refused for the whole window, each refusal counting as a failure)."""
    people = api.settings.login_max_failures_per_address + 10
    emails = [f"office-{n}@example.com" for n in range(people)]
    with Session(api.engine) as session:
        for email in emails:
            session.add(
                User(
                    email=email,
                    role="auditor",
                    hashed_password=PRODUCTION_HASHER.hash("office-pass-1"),
                )
            )
        session.commit()
    for round_no in range(2):
        counts = statuses(burst([attempt(api.client, email, "office-pass-1") for email in emails]))
        assert counts[200] >= 1 and counts[200] + counts[429] == people, (round_no, counts)
        assert attempt(api.client, emails[0], "office-pass-1")().status_code == 200, round_no
