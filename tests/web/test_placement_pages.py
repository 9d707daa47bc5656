"""The placement check page and the statement's "Verify on chain" widget through the test client
(the browser suite `test_browser_verify.py` runs the checks themselves against a chain): the
service's record in the widget's data, the exact `cast call` commands from the deployment
record, both languages, refusals and the states without a chain."""

from __future__ import annotations

import html
import json
import re
import shlex
from typing import Any

from fastapi.testclient import TestClient
from lineage_api import Api, add_user
from test_api_periods import close, company, post, today
from web_support import Browser

from backend.core.model_base import ChainStatus, Role
from backend.genealogy.models import Placement

__all__ = ["company"]  # the fixture, re-exported for pytest

REGISTRY = "0x" + "ab" * 20
ANCHOR = "0x" + "cd" * 20
VAULT = "0x" + "ef" * 20
RPC = "http://127.0.0.1:8545"


def deploy_record(api: Api) -> None:
    """A deployment record in the data folder, as `lineage run` writes it."""
    record = {
        "chainId": 1337,
        "rpcUrl": RPC,
        "deploymentBlock": 1,
        "contracts": {
            "GenealogyRegistry": REGISTRY,
            "PeriodAnchor": ANCHOR,
            "PayoutVault": VAULT,
            "PayoutToken": "0x" + "12" * 20,
        },
    }
    api.settings.data_dir.mkdir(parents=True, exist_ok=True)
    api.settings.resolved_deployment_file.write_text(json.dumps(record))


def widget(text: str, kind: str) -> dict[str, str]:
    """The data attributes of the page's `data-verify="<kind>"` element."""
    found = re.search(rf'<[a-z]+ [^>]*data-verify="{kind}"[^>]*>', text, re.S)
    assert found, f"no {kind} widget on the page"
    return {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', found[0])}


def code(text: str, element_id: str) -> str:
    found = re.search(rf'<code id="{element_id}">([^<]*)</code>', text)
    assert found, f"no #{element_id} on the page"
    return html.unescape(found[1])


def dina(api: Api) -> Browser:
    today(api)  # the company was made on a clock months back; logins live in the present
    browser = Browser(TestClient(api.client.app))
    browser.login("dina@example.com")
    return browser


def test_my_placement_shows_the_record_and_the_exact_cast_call(company: Api) -> None:
    deploy_record(company)
    page: Any = dina(company).get("/placement")
    assert page.status_code == 200, page.text
    text = page.text
    assert "<h1>Проверить моё размещение</h1>" in text
    assert '<a href="/placement" aria-current="page">Моё размещение</a>' in text  # the menu
    assert '<script type="module" src="/static/verify.js"></script>' in text
    data = widget(text, "placement")
    # Dina (2) was enrolled by the root and sits under it, on the left.
    assert (data["id"], data["sponsor"], data["parent"], data["position"]) == ("2", "1", "1", "0")
    assert data["status"] == "pending" and data["tx"] == ""  # no chain writer in this test
    assert "ещё не записал это размещение" in text  # says it is pending, in words
    assert "{url}" in data["msg-unreachable"] and "Браузер не смог" in data["msg-unreachable"]
    command = code(text, "cast-placement")
    assert shlex.split(command) == [
        "cast", "call", REGISTRY, "placementOf(uint64)((uint64,uint64,uint32,uint64))",
        "2", "--rpc-url", RPC,
    ]  # fmt: skip


def test_the_placement_page_in_english(company: Api) -> None:
    deploy_record(company)
    browser = dina(company)
    browser.post("/language", {"language": "en", "next": "/placement"}, token_from="/placement")
    page: Any = browser.get("/placement")
    assert "<h1>Verify my placement</h1>" in page.text
    assert "On chain, read by your browser" in page.text and "Copy the command" in page.text
    data = widget(page.text, "placement")
    assert data["word-left"] == "left" and data["msg-match"] == "Match"


def test_without_a_deployment_the_page_says_there_is_no_chain(company: Api) -> None:
    page: Any = dina(company).get("/placement")
    assert page.status_code == 200
    assert "Контракты ещё не развёрнуты" in page.text and "cast-placement" not in page.text


def test_another_persons_placement_is_refused(company: Api) -> None:
    api = company
    deploy_record(api)
    # Root 1 is Dina's upline: not hers to see.
    refused: Any = dina(api).get("/distributors/1/placement")
    assert refused.status_code == 403 and "Доступ запрещён" in refused.text
    assert "cast-placement" not in refused.text
    # Distributor 3, Dina's downline, may not look up at Dina either.
    add_user(api.engine, "d3@example.com", Role.distributor, 3)
    three = Browser(TestClient(api.client.app))
    three.login("d3@example.com")
    assert three.get("/distributors/2/placement").status_code == 403  # type: ignore[attr-defined]
    assert three.get("/placement").status_code == 200  # type: ignore[attr-defined]
    # Dina sees her downline's, staff anyone's; staff have no placement of their own.
    down: Any = dina(api).get("/distributors/5/placement")
    assert down.status_code == 200 and widget(down.text, "placement")["id"] == "5"
    staff = Browser(TestClient(api.client.app))
    staff.login("finance@example.com")
    assert staff.get("/distributors/2/placement").status_code == 200  # type: ignore[attr-defined]
    assert staff.get("/placement").status_code == 403  # type: ignore[attr-defined]
    assert staff.get("/distributors/999/placement").status_code == 404  # type: ignore[attr-defined]
    assert staff.get("/distributors/0/placement").status_code == 404  # type: ignore[attr-defined]


def test_a_confirmed_placement_names_its_transaction(company: Api) -> None:
    api = company
    deploy_record(api)
    tx = "0x" + "9a" * 32
    with api.session() as session:
        placement = session.get(Placement, 2)
        assert placement is not None
        placement.chain_status = ChainStatus.confirmed
        placement.tx_hash, placement.block_number = tx, 42
        session.add(placement)
        session.commit()
    page: Any = dina(api).get("/placement")
    data = widget(page.text, "placement")
    assert data["status"] == "confirmed" and data["tx"] == tx
    assert tx in page.text and "блок 42" in page.text
    assert "ещё не записал" not in page.text


def test_the_statement_carries_the_line_for_the_browser_check(company: Api) -> None:
    api = company
    deploy_record(api)
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    body = api.client.get("/api/periods/1/statements/2", headers=api.as_("auditor")).json()
    page: Any = dina(api).get("/distributors/2/statements/1")
    assert page.status_code == 200
    text = page.text
    data = widget(text, "payout")
    period, index, account, amount = body["leaf"]
    assert [data["period"], data["index"], data["account"], data["amount"]] == [
        str(period),
        str(index),
        account,
        str(amount),
    ]
    assert data["proof"].split() == body["proof"]
    assert "Проверить в блокчейне" in text and "data-verify-run" in text
    assert 'role="status" aria-live="polite"' in text
    assert shlex.split(code(text, "cast-terms")) == [
        "cast", "call", ANCHOR, "payoutTermsOf(uint64)((bytes32,uint128,uint32,uint64))",
        "1", "--rpc-url", RPC,
    ]  # fmt: skip
    assert shlex.split(code(text, "cast-paid")) == [
        "cast", "call", VAULT, "isPaid(uint64,uint32)(bool)", "1", str(index), "--rpc-url", RPC,
    ]  # fmt: skip
    # Nothing paid, no leaf: no check to offer.
    staff = Browser(TestClient(api.client.app))
    staff.login("finance@example.com")
    held: Any = staff.get("/distributors/5/statements/1")
    assert 'data-verify="payout"' not in held.text and "cast-terms" not in held.text
