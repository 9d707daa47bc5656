"""The year's income disclosure anchored on a real Ganache: the small company of the period
tests with its calendar starting on 1 December of last year, so period 1 is the year's last
period. It is placed, closed and anchored through the service; the statement's file is one of
the results whose hash the chain holds, and the public page names the anchoring transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date

import pytest
import test_api_periods
from lineage_api import Api
from test_api_periods import close, make_company, post
from test_chain_outbox import Chain, chain, chain_template
from test_disclosure import LAST_YEAR
from test_period_chain import settle, writer

from backend.chain.audit_reads import AuditReader
from backend.packages import read_dir
from ledger.package import verify_package

pytestmark = pytest.mark.chain
__all__ = ["chain", "chain_template"]  # fixtures, re-exported for pytest


@pytest.fixture
def year_end_on_chain(
    api: Api, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Api, Chain]]:
    monkeypatch.setattr(test_api_periods, "month_start", lambda _: date(LAST_YEAR, 12, 1))
    make_company(api)
    record = json.loads((chain.node.data_dir / "deployment.json").read_text())
    record["rpcUrl"] = chain.node.rpc_url
    (api.settings.data_dir / "deployment.json").write_text(json.dumps(record))
    yield api, chain


def test_the_statement_is_anchored_with_the_years_last_period(
    year_end_on_chain: tuple[Api, Chain],
) -> None:
    api, chain = year_end_on_chain
    chain_writer = writer(api, chain)
    settle(chain_writer)
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    assert post(api, "/api/periods/1/anchor").status_code == 202
    settle(chain_writer)
    package = api.settings.data_dir / "periods" / "1"
    files = read_dir(package)
    manifest = json.loads(files["manifest.json"])
    statement = files["results/disclosure.json"]
    sha = "0x" + hashlib.sha256(statement).hexdigest()
    assert manifest["files"]["results/disclosure.json"] == sha
    # The chain holds the package's results hash, which lists the statement's own hash.
    (anchor,) = AuditReader(chain.node.rpc_url, chain.deployment).anchored_events(1)
    assert anchor.results_hash == manifest["resultsHash"]
    listing = "".join(
        f"{path} {digest[2:]}\n"
        for path, digest in sorted(manifest["files"].items())
        if path.startswith("results/")
    )
    assert "0x" + hashlib.sha256(listing.encode()).hexdigest() == anchor.results_hash
    assert verify_package(files) == []
    page = api.client.get(f"/disclosure/{LAST_YEAR}")
    assert page.status_code == 200
    assert sha in page.text and anchor.tx_hash in page.text
