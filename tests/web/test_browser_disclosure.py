"""The income disclosure statement's public page in Debian's chromium, as a visitor (no login):
the small company with period 1 closed, so this year's statement is the provisional
year-to-date one. The chart is drawn as SVG over the table, axe finds nothing serious, nothing
is wider than a 360 px phone (screenshots), and the PDF link gives the same statement."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from browser_support import check, company_with_a_closed_period, needs_chromium, serve_company
from playwright.sync_api import Page, expect

pytestmark = [needs_chromium]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_a_closed_period) as url:
        yield url


def _year(base_url: str) -> int:
    """The year of period 1 (three months back): the statement a visitor can open."""
    for back in (0, 1):
        year = datetime.now(UTC).year - back
        if httpx.get(f"{base_url}/disclosure/{year}.json", timeout=60).status_code == 200:
            return year
    raise AssertionError("no year has a statement")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_visitor_reads_the_statement(page: Page, base_url: str, language: str) -> None:
    year = _year(base_url)
    page.goto("/")
    page.context.add_cookies([{"name": "lineage_lang", "value": language, "url": base_url}])
    page.goto(f"/disclosure/{year}")
    data = httpx.get(f"{base_url}/disclosure/{year}.json", timeout=60).content
    s = json.loads(data)
    expect(page.locator("h1")).to_contain_text(str(year))
    expect(page.locator(".report-chart svg")).to_be_visible()
    expect(page.locator("[data-key=earnings-count]")).to_have_text(str(s["earnings"]["count"]))
    expect(page.locator("[data-key=earnings-zero]")).to_have_text(str(s["earnings"]["zero"]))
    expect(page.locator("[data-key=sha256]")).to_have_text("0x" + hashlib.sha256(data).hexdigest())
    expect(page.locator(".provisional")).to_be_visible()
    check(page, f"disclosure-{language}")
    with page.expect_download() as download:
        page.click(f"a[href='/disclosure/{year}.pdf']")
    assert download.value.suggested_filename == f"disclosure-{year}-{language}.pdf"
