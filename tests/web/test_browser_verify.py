"""The on-chain checks in Debian's chromium, against a real chain: a managed Ganache with the
contracts deployed, the small company's placements written by the chain writer, period 1
anchored, funded and paid, and the app served on that data folder. The browser reads the
chain's RPC itself (the URL `GET /api/chain` names): a placement that matches, a statement
line that matches and is paid, a tampered proof that does not, and a dead RPC said in words.
verify.js is also held to the ledger's test vector in the browser."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from browser_support import (
    DINA,
    ROOT,
    check,
    company_with_a_closed_period,
    log_in,
    needs_chromium,
    serve_company_on_chain,
)
from lineage_api import Api, add_user
from playwright.sync_api import Page, Route, expect
from test_api_periods import post
from test_chain_outbox import FAST, Chain, free_port
from test_period_chain import fund, get, settle
from web_support import PASSWORD

from backend.core.config import Settings
from backend.core.model_base import Role
from backend.worker.writer import ChainWriter

pytestmark = [needs_chromium, pytest.mark.chain]
VECTOR = json.loads((Path(__file__).parent / "data" / "payout_vector.json").read_text())
CAST = ROOT / "node_modules" / ".bin" / "cast"
STATEMENT = "/distributors/2/statements/1"
NEWCOMER = "newcomer@example.com"


def on_chain(api: Api, chain: Chain) -> None:
    """The closed company onto the chain: placements, then period 1 anchored, funded, paid."""
    writer = ChainWriter(api.engine, chain.gateway(), api.settings, config=FAST)
    settle(writer)
    assert post(api, "/api/periods/1/anchor").status_code == 202
    settle(writer)
    fund(api, get(api, "/api/periods/1")["payout_total"])
    settle(writer)
    assert post(api, "/api/periods/1/payouts").status_code == 202
    settle(writer)
    assert get(api, "/api/periods/1")["status"] == "paid"
    # A newcomer the writer has not placed on chain yet (no writer runs beside the server).
    body = {"first_name": "Новичок", "last_name": "Ожидает", "sponsor_id": 2}
    created = api.client.post("/api/distributors", json=body, headers=api.as_("admin"))
    assert created.status_code == 201, created.text
    add_user(api.engine, NEWCOMER, Role.distributor, created.json()["id"])


def company_on_chain(settings: Settings, chain: Chain) -> None:
    company_with_a_closed_period(settings, then=partial(on_chain, chain=chain))


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One chain for the module: started, deployed, filled in, then the app on it."""
    with serve_company_on_chain(tmp_path_factory, company_on_chain) as (url, _):
        yield url


def log_in_as_dina(page: Page, language: str) -> None:
    page.goto("/login")
    page.click(f"button[value={language}]")
    log_in(page, *DINA)
    expect(page).to_have_url("/home")


def test_verify_js_hashes_and_folds_the_ledger_vector(page: Page) -> None:
    page.goto("/login")
    got = page.evaluate(
        """async (vector) => {
          const m = await import("/static/verify.js");
          const row = vector.leaves[vector.index];
          const tampered = [...vector.proof];
          tampered[0] = tampered[0].slice(0, -1) + (tampered[0].endsWith("0") ? "1" : "0");
          return {
            ...m.rootOf(row, vector.proof),
            tampered: m.rootOf(row, tampered).root,
            selectors: Object.fromEntries(
              Object.keys(vector.selectors).map((s) => [s, m.selector(s)])),
          };
        }""",
        VECTOR,
    )
    assert got["leaf"] == VECTOR["leafHash"]
    assert got["root"] == VECTOR["root"]
    assert got["tampered"] != VECTOR["root"]
    assert got["selectors"] == VECTOR["selectors"]


def test_my_placement_matches_the_chain(page: Page) -> None:
    log_in_as_dina(page, "ru")
    page.click("text=Моё размещение")
    expect(page).to_have_url("/placement")
    status = page.locator("[data-verify-status]")
    expect(status).to_have_attribute("data-state", "match")
    expect(status).to_have_text(re.compile("^Совпадает: в блокчейне то же размещение"))
    expect(page.locator("[data-result][data-state=match]")).to_have_count(4)
    expect(page.locator("tr[data-field=sponsor] [data-chain]")).to_have_text("ID 1")
    expect(page.locator("tr[data-field=position] [data-chain]")).to_have_text("слева")
    expect(page.locator("tr[data-field=tx] [data-chain]")).to_contain_text(
        "событие Placed для ID 2"
    )
    check(page, "placement-ru")
    # Keyboard: the button is reachable and checks again.
    button = page.locator("[data-verify-run]")
    button.focus()
    page.keyboard.press("Enter")
    expect(status).to_have_attribute("data-state", "match")
    # The command on the page, run as printed, reads the same placement.
    command = shlex.split(page.locator("#cast-placement").inner_text())
    assert command[:2] == ["cast", "call"]
    out = subprocess.run([str(CAST), *command[1:]], capture_output=True, text=True, check=True)
    assert re.fullmatch(r"\(1, 1, 0, [1-9]\d* ?(\[.*\])?\)", out.stdout.strip()), out.stdout
    refused = page.goto("/distributors/1/placement")  # her sponsor's: not hers
    assert refused is not None and refused.status == 403


def test_my_placement_in_english(page: Page) -> None:
    log_in_as_dina(page, "en")
    page.goto("/placement")
    status = page.locator("[data-verify-status]")
    expect(status).to_have_text(re.compile("^Match: the chain holds the same placement"))
    expect(page.locator("tr[data-field=position] [data-chain]")).to_have_text("left")
    check(page, "placement-en")


def test_a_placement_not_on_chain_yet_is_pending_not_a_mismatch(page: Page) -> None:
    page.goto("/login")
    page.click("button[value=ru]")
    log_in(page, NEWCOMER, PASSWORD)
    expect(page).to_have_url("/home")
    page.goto("/placement")
    expect(page.locator(".notice.pending")).to_contain_text("ещё не записал это размещение")
    status = page.locator("[data-verify-status]")
    expect(status).to_have_attribute("data-state", "pending")
    expect(status).to_contain_text("Пока не в блокчейне")
    expect(page.locator("tr[data-field=sponsor] [data-chain]")).to_have_text("Нет в блокчейне")
    expect(page.locator("[data-result][data-state]")).to_have_count(0)
    check(page, "placement-pending-ru")


def test_a_statement_line_is_verified_and_paid(page: Page) -> None:
    log_in_as_dina(page, "ru")
    page.goto(STATEMENT)
    service_root = page.locator("dl.chain code").nth(1).inner_text()
    page.locator("[data-verify-run]").focus()
    page.keyboard.press("Enter")
    status = page.locator("[data-verify-status]")
    expect(status).to_have_attribute("data-state", "match")
    expect(status).to_contain_text("Совпадает: корень, который ваш браузер вычислил")
    expect(status).to_contain_text("По данным блокчейна эта строка выплачена.")
    expect(page.locator("[data-out=computed]")).to_have_text(service_root)
    expect(page.locator("[data-out=anchored]")).to_have_text(service_root)
    expect(page.locator("[data-out=result]")).to_have_attribute("data-state", "match")
    expect(page.locator("[data-out=result]")).to_contain_text("Совпадает")
    expect(page.locator("[data-out=tx]")).to_contain_text("отправлена в контракт PeriodAnchor")
    check(page, "statement-verified-ru")


def test_a_tampered_proof_is_a_mismatch(page: Page) -> None:
    log_in_as_dina(page, "en")
    page.goto(STATEMENT)
    page.eval_on_selector(
        "[data-verify=payout]",
        """(widget) => {
          const proof = widget.dataset.proof.split(" ");
          proof[0] = proof[0].slice(0, -1) + (proof[0].endsWith("0") ? "1" : "0");
          widget.dataset.proof = proof.join(" ");
        }""",
    )
    page.click("text=Verify on chain")
    status = page.locator("[data-verify-status]")
    expect(status).to_have_attribute("data-state", "mismatch")
    expect(status).to_contain_text("Mismatch: the root computed from this leaf and proof")
    expect(page.locator("[data-out=result]")).to_have_attribute("data-state", "mismatch")
    expect(page.locator("[data-out=result]")).to_contain_text("Mismatch")
    computed = page.locator("[data-out=computed]").inner_text()
    assert computed != page.locator("[data-out=anchored]").inner_text()
    check(page, "statement-tampered-en")


def test_an_unreachable_rpc_is_said_in_words(page: Page) -> None:
    dead = f"http://127.0.0.1:{free_port()}"

    def dead_rpc(route: Route) -> None:
        facts = route.fetch().json()
        route.fulfill(json=facts | {"rpc_url": dead})

    page.route("**/api/chain", dead_rpc)
    log_in_as_dina(page, "ru")
    page.goto("/placement")
    status = page.locator("[data-verify-status]")
    expect(status).to_have_attribute("data-state", "error")
    expect(status).to_contain_text(
        f"Браузер не смог связаться с блокчейном по адресу {dead} (нет ответа)"
    )
    check(page, "placement-unreachable-ru")
    page.goto(STATEMENT)
    page.click("text=Проверить в блокчейне")
    expect(status).to_contain_text(dead)
    expect(status).to_have_attribute("data-state", "error")
