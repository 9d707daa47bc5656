"""The auditor's office in Debian's chromium against a real chain: a managed Ganache with the
contracts deployed, the small company placed on chain, period 1 anchored, funded and paid by
an in-process chain writer, then the app served on that data folder. The auditor follows the
history to transaction pages, downloads the package (the bytes of the canonical archive of the
files the period was anchored from, whose hashes the chain confirms, and which the printed
commands recompute and audit offline), sees a clean reconciliation, and then, after this test
changes database rows behind the service's back, sees the records named."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from browser_support import (
    check,
    company_with_a_closed_period,
    log_in,
    needs_chromium,
    serve_company_on_chain,
)
from lineage_api import Api
from playwright.sync_api import Page, expect
from test_api_periods import post
from test_chain_outbox import FAST, Chain
from test_period_chain import fund, get, settle
from web_support import PASSWORD

from backend.chain.audit_reads import AuditReader
from backend.core.config import Settings
from backend.packages import archive_bytes, read_dir
from backend.worker.writer import ChainWriter

pytestmark = [needs_chromium, pytest.mark.chain]
AUDITOR = "auditor@example.com"
COMPANY: dict[str, object] = {}


def on_chain(api: Api, chain: Chain) -> None:
    """Placements, then period 1 anchored, funded and paid, all confirmed."""
    writer = ChainWriter(api.engine, chain.gateway(), api.settings, config=FAST)
    settle(writer)
    assert post(api, "/api/periods/1/anchor").status_code == 202
    settle(writer)
    fund(api, get(api, "/api/periods/1")["payout_total"])
    settle(writer)
    assert post(api, "/api/periods/1/payouts").status_code == 202
    settle(writer)
    assert get(api, "/api/periods/1")["status"] == "paid"


def company_on_chain(settings: Settings, chain: Chain) -> None:
    COMPANY["settings"], COMPANY["chain"] = settings, chain
    company_with_a_closed_period(settings, then=partial(on_chain, chain=chain))


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company_on_chain(tmp_path_factory, company_on_chain) as (url, _):
        yield url


def settings() -> Settings:
    found = COMPANY["settings"]
    assert isinstance(found, Settings)
    return found


def log_in_as_auditor(page: Page, language: str) -> None:
    page.goto("/login")
    page.click(f"button[value={language}]")
    log_in(page, AUDITOR, PASSWORD)
    expect(page).to_have_url("/home")


def test_history_rows_link_to_transaction_pages(page: Page) -> None:
    log_in_as_auditor(page, "ru")
    page.click("nav >> text=История в блокчейне")
    expect(page).to_have_url("/audit/history")
    rows = page.locator("table.history tbody tr")
    for kind in ("placement", "anchor", "batch"):
        expect(page.locator(f"tr[data-kind={kind}]").first).to_be_visible()
    expect(page.locator("[data-mark=differs], [data-mark=missing]")).to_have_count(0)
    assert rows.count() >= 7  # six placements (the root's too), the anchor, a batch
    check(page, "audit-history-ru")
    anchor_tx = page.locator("tr[data-kind=anchor] a[href^='/audit/tx/']").first
    tx_hash = anchor_tx.get_attribute("href")
    assert tx_hash is not None
    anchor_tx.click()
    expect(page).to_have_url(tx_hash)
    expect(page.locator("[data-status='1']")).to_contain_text("Выполнена")
    event = page.locator("li[data-event=PeriodAnchored]")
    expect(event).to_contain_text("PeriodAnchor.PeriodAnchored")
    expect(event).to_contain_text("payoutRoot")
    expect(page.locator("main")).to_contain_text("Закрепление периода 1")
    check(page, "audit-tx-ru")
    # One person: their placement and the batch that paid their line, nothing else.
    page.goto("/audit/history?person=2")
    kinds = page.locator("table.history tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.kind)"
    )
    assert sorted(kinds) == ["batch", "placement"]
    missing = page.goto("/audit/tx/0x" + "ab" * 32)
    assert missing is not None and missing.status == 404


def test_the_package_downloads_byte_identical_and_matches_the_chain(
    page: Page, tmp_path: Path
) -> None:
    log_in_as_auditor(page, "ru")
    page.goto("/audit/packages")
    expect(page.locator("tr[data-period='1']")).to_be_visible()
    check(page, "audit-packages-ru")
    page.click("tr[data-period='1'] >> text=Период 1")
    expect(page).to_have_url("/audit/packages/1")
    expect(page.locator(".verdict[data-state=match]")).to_be_visible()
    expect(page.locator("table.hashes [data-mark=match]")).to_have_count(8)
    expect(page.locator("[data-mark=differs]")).to_have_count(0)
    check(page, "audit-package-ru")
    with page.expect_download() as info:
        page.click("text=Скачать пакет (.zip)")
    download = info.value
    assert download.suggested_filename == "period-1.zip"
    saved = tmp_path / "period-1.zip"
    download.save_as(saved)
    data = saved.read_bytes()
    folder = settings().data_dir / "periods" / "1"
    files = read_dir(folder)
    digest = hashlib.sha256(data).hexdigest()
    assert digest == hashlib.sha256(archive_bytes(files)).hexdigest()
    assert page.locator("#archive-sha256").inner_text() == "0x" + digest
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = {i.filename: archive.read(i) for i in archive.infolist()}
    assert unpacked == files
    manifest = json.loads(unpacked["manifest.json"])
    chain = COMPANY["chain"]
    assert isinstance(chain, Chain)
    reader = AuditReader(chain.node.rpc_url, chain.deployment)
    assert reader.matches_package(
        1, manifest["inputsHash"], manifest["planHash"], manifest["resultsHash"]
    )
    terms = reader.payout_terms_of(1)
    assert terms is not None and terms.payout_root == manifest["payoutRoot"]
    # The printed commands, run as printed beside the download, recompute and audit it.
    commands = page.locator("#offline-commands").inner_text()
    assert "lineage period verify period-1.zip" in commands
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    ran = subprocess.run(
        ["bash", "-euc", commands], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "ok: the package matches the chain" in ran.stdout


def test_reconciliation_is_clean_then_names_the_tampered_records(page: Page) -> None:
    """Runs last: it changes the module's database."""
    log_in_as_auditor(page, "en")
    page.click("nav >> text=Reconciliation")
    expect(page).to_have_url("/audit/reconciliation")
    verdict = page.locator(".verdict")
    expect(verdict).to_have_attribute("data-state", "match")
    expect(verdict).to_contain_text("Everything agrees")
    check(page, "audit-reconciliation-en")
    database = settings().resolved_database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        parent = db.execute("SELECT parent_id FROM placement WHERE distributor_id = 4").fetchone()
        db.execute("UPDATE placement SET parent_id = 3 WHERE distributor_id = 4")
        db.execute(
            "UPDATE period_payee SET payout = payout + 1 WHERE period_id = 1 AND distributor_id = 2"
        )
    assert parent == (2,)
    page.reload()
    expect(verdict).to_have_attribute("data-state", "differs")
    finding = page.locator("[data-check=placements] tr[data-subject='distributor 4']")
    expect(finding).to_contain_text("parent")
    expect(finding.locator("a")).to_have_attribute("href", "/distributors/4")
    expect(finding.locator("a")).to_have_text("Distributor 4")
    expect(finding).to_contain_text("Values differ")
    expect(finding).to_contain_text("2")
    expect(finding).to_contain_text("3")
    check(page, "audit-reconciliation-tampered-en")
    # The history marks both: the placement's parent and the batch's sum of its lines.
    page.goto("/audit/history?person=4")
    expect(
        page.locator("tr[data-kind=placement] [data-field=parent] [data-mark=differs]")
    ).to_be_visible()
    page.goto("/audit/history?person=2")
    batch = page.locator("tr[data-kind=batch]")
    expect(batch.locator("[data-field='sum of the lines'] [data-mark=differs]")).to_be_visible()
    expect(batch.locator("[data-mark=differs]").last).to_be_visible()
    check(page, "audit-history-tampered-en")
