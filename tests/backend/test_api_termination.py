"""Termination closes the distributor's login and their writes; their data stays for audit."""

from __future__ import annotations

from lineage_api import SECRET, Api, error_code
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.core import security
from backend.genealogy.models import Distributor

WALLET = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def terminate(api: Api, distributor_id: int) -> None:
    response = api.client.post(
        f"/api/distributors/{distributor_id}/status",
        json={"status": "terminated", "reason": "breach of the code of conduct"},
        headers=api.as_("admin"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "terminated"


def dina_logs_in(api: Api) -> dict[str, str] | int:
    response = api.client.post(
        "/api/auth/token", data={"username": "dina@example.com", "password": "password-123"}
    )
    if response.status_code != 200:
        return response.status_code
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def with_downline(api: Api) -> int:
    child = api.client.post(
        "/api/distributors",
        json={
            "first_name": "Kid",
            "last_name": "Downline",
            "email": "kid@example.com",
            "phone": "+79990001122",
            "sponsor_id": api.distributor_id,
        },
        headers=api.as_("admin"),
    )
    assert child.status_code == 201
    return int(child.json()["id"])


def test_termination_ends_the_login_and_every_token(api: Api) -> None:
    with_downline(api)
    logged_in = dina_logs_in(api)
    assert isinstance(logged_in, dict)
    terminate(api, api.distributor_id)
    me = f"/api/distributors/{api.distributor_id}"
    for headers in (logged_in, api.as_("distributor")):
        for method, url, body in (
            ("GET", "/api/users/me", None),
            ("GET", f"{me}/downline", None),
            ("PATCH", me, {"wallet": WALLET}),
        ):
            response = api.client.request(method, url, json=body, headers=headers)
            assert response.status_code == 401, (method, url)
            assert error_code(response) == "session_ended"
    refused = api.client.post(
        "/api/auth/token", data={"username": "dina@example.com", "password": "password-123"}
    )
    assert refused.status_code == 401
    assert error_code(refused) == "distributor_terminated"
    assert "terminated" in refused.json()["error"]["message"]
    with Session(api.engine) as session:
        dina = session.get(Distributor, api.distributor_id)
        assert dina is not None and dina.wallet is None


def test_a_token_that_slipped_through_still_cannot_read_or_write(api: Api) -> None:
    """A token issued while the termination was being written carries the new version; the
    services still refuse the terminated distributor everything that is theirs."""
    with_downline(api)
    terminate(api, api.distributor_id)
    with Session(api.engine) as session:
        account = session.exec(select(User).where(User.email == "dina@example.com")).one()
        assert account.id is not None and account.token_version == 1
        token = security.create_access_token(
            subject=account.id, version=1, secret=SECRET, minutes=60, now=api.clock()
        )
    headers = {"Authorization": f"Bearer {token}"}
    me = f"/api/distributors/{api.distributor_id}"
    for method, url, body in (
        ("GET", f"{me}/downline", None),
        ("GET", me, None),
        ("GET", "/api/distributors", None),
        ("PATCH", me, {"wallet": WALLET}),
        ("POST", "/api/distributors", {"first_name": "New", "last_name": "Recruit"}),
        ("POST", "/api/customers", {"first_name": "Rita", "last_name": "Retail"}),
        ("GET", "/api/orders", None),
    ):
        response = api.client.request(method, url, json=body, headers=headers)
        assert response.status_code == 403, (method, url, response.text)
        assert error_code(response) == "distributor_terminated"
    with Session(api.engine) as session:
        dina = session.get(Distributor, api.distributor_id)
        assert dina is not None and dina.wallet is None


def test_the_terminated_record_stays_readable_for_admin_and_auditor(api: Api) -> None:
    child_id = with_downline(api)
    terminate(api, api.distributor_id)
    me = f"/api/distributors/{api.distributor_id}"
    for role in ("admin", "auditor"):
        record = api.client.get(me, headers=api.as_(role))
        assert record.status_code == 200 and record.json()["status"] == "terminated"
        downline = api.client.get(f"{me}/downline", headers=api.as_(role))
        assert downline.status_code == 200
        assert child_id in [member["id"] for member in downline.json()["items"]]
        history = api.client.get(f"{me}/status-history", headers=api.as_(role)).json()
        assert history[-1]["new_status"] == "terminated"


def test_an_admin_cannot_open_a_login_for_a_terminated_distributor(api: Api) -> None:
    loner = api.client.post(
        "/api/distributors",
        json={"first_name": "No", "last_name": "Login"},
        headers=api.as_("admin"),
    )
    loner_id = loner.json()["id"]
    terminate(api, loner_id)
    account = {
        "email": "loner@example.com",
        "role": "distributor",
        "password": "long-enough-1",
        "distributor_id": loner_id,
    }
    refused = api.client.post("/api/users", json=account, headers=api.as_("admin"))
    assert refused.status_code == 409
    assert "terminated" in refused.json()["error"]["message"]


def test_an_admin_password_reset_does_not_reopen_a_terminated_login(api: Api) -> None:
    terminate(api, api.distributor_id)
    with Session(api.engine) as session:
        account_id = session.exec(select(User.id).where(User.email == "dina@example.com")).one()
    reset = api.client.patch(
        f"/api/users/{account_id}", json={"password": "password-123"}, headers=api.as_("admin")
    )
    assert reset.status_code == 200
    assert dina_logs_in(api) == 401


def test_other_status_changes_keep_the_login(api: Api) -> None:
    logged_in = dina_logs_in(api)
    assert isinstance(logged_in, dict)
    paused = api.client.post(
        f"/api/distributors/{api.distributor_id}/status",
        json={"status": "inactive", "reason": "no orders this quarter"},
        headers=api.as_("admin"),
    )
    assert paused.status_code == 200
    assert api.client.get("/api/users/me", headers=logged_in).status_code == 200
