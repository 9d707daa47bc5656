"""Skeleton: health, chain info, the error shape, OpenAPI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lineage_api import Api
from sqlalchemy import create_engine

from backend.chain.deployment import NodeStatus
from backend.main import create_app


def test_health_reports_database_and_unconfigured_chain(api: Api) -> None:
    response = api.client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["chain"]["status"] == "not configured"


def test_health_uses_the_injected_chain_status_provider(api: Api) -> None:
    app = create_app(
        api.settings,
        engine=api.engine,
        chain_status=lambda: NodeStatus(status="ok", chain_id=1337, latest_block=9),
    )
    with TestClient(app) as client:
        chain = client.get("/health").json()["chain"]
    assert chain == {
        "status": "ok",
        "detail": None,
        "chain_id": 1337,
        "latest_block": 9,
        "queued_intents": None,
    }


def test_chain_info_is_503_until_deployed(api: Api) -> None:
    response = api.client.get("/api/chain")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "chain_not_deployed"


def test_chain_info_reads_the_deployment_record(api: Api) -> None:
    record = {
        "chainId": 1337,
        "rpcUrl": "http://127.0.0.1:8545",
        "deploymentBlock": 3,
        "contracts": {
            "GenealogyRegistry": "0x" + "1" * 40,
            "PeriodAnchor": "0x" + "2" * 40,
            "PayoutVault": "0x" + "3" * 40,
            "PayoutToken": "0x" + "4" * 40,
        },
        "compiler": {"version": "0.8.28"},
    }
    path: Path = api.settings.resolved_deployment_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))
    body = api.client.get("/api/chain").json()
    assert body["chain_id"] == 1337
    assert body["rpc_url"] == "http://127.0.0.1:8545"
    assert body["deployment_block"] == 3
    assert body["contracts"]["PayoutVault"] == "0x" + "3" * 40


def test_malformed_deployment_record_is_503_with_a_message(api: Api) -> None:
    path = api.settings.resolved_deployment_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    response = api.client.get("/api/chain")
    assert response.status_code == 503
    assert "malformed" in response.json()["error"]["message"]


def test_unknown_path_and_wrong_method_use_the_error_shape(api: Api) -> None:
    missing = api.client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = api.client.delete("/health")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_validation_errors_use_the_error_shape(api: Api) -> None:
    response = api.client.post("/api/products", json={"sku": 5}, headers=api.as_("admin"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"]
    assert isinstance(error["details"], list) and error["details"]


def test_openapi_documents_every_operation(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert (
                # 202: work the chain writer finishes later (anchor, payouts)
                any(code in operation["responses"] for code in ("200", "201", "202", "204"))
            ), where
            assert (
                "Roles:" in operation.get("description", "")
                or "Public" in operation.get("description", "")
                or "logged-in" in operation.get("description", "")
            ), where
            for code in operation["responses"]:
                if code.startswith(("4", "5")) and code != "422":
                    content = operation["responses"][code].get("content", {})
                    schema = content.get("application/json", {}).get("schema", {})
                    assert schema.get("$ref", "").endswith("ErrorResponse"), (where, code)


def test_unexpected_errors_are_500_in_the_error_shape(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.catalog import service as catalog

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(catalog, "list_products", broken)
    client = TestClient(api.client.app, raise_server_exceptions=False)
    response = client.get("/api/products", headers=api.as_("admin"))
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "internal server error", "details": None}
    }


def test_no_free_database_connection_is_503_with_retry_after_not_500(api: Api) -> None:
    """Overload, not breakage: when every pooled connection stays busy for the pool's timeout,
    the request is refused with 503 and Retry-After (it used to be a 500)."""
    tight = create_engine(api.engine.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    app = create_app(api.settings, engine=tight)
    try:
        with TestClient(app) as client, tight.connect() as held:
            held.exec_driver_sql("SELECT 1")
            answer = client.post(
                "/api/auth/token", data={"username": "nobody@example.com", "password": "x"}
            )
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "5"
        assert answer.json()["error"]["code"] == "overloaded"
    finally:
        tight.dispose()
