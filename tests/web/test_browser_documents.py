"""The partner documents in Debian's chromium: finance opens the anchored period's acts page
from the period's page and issues Dina's act; Dina finds it under "My documents" and downloads
a PDF whose bytes hash to the SHA-256 listed beside it; axe and the 360 px width on each page,
screenshots in artifacts/screenshots/documents-*."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    DINA,
    FINANCE,
    admin_client,
    check,
    dina_login,
    enroll_dina,
    log_in,
    needs_chromium,
    new_company,
    serve_company,
)
from documents_kit import make_period, set_company
from lineage_api import add_user
from playwright.sync_api import Page, expect

from backend.core.config import Settings
from backend.core.model_base import Role

pytestmark = needs_chromium


def company_with_an_anchored_period(settings: Settings) -> None:
    """Dina (a login) with a statement in period 1, anchored (as rows: no chain needed), the
    company's details set, and a finance login."""
    engine, clock = new_company(settings, rates=False)
    with admin_client(settings, engine, clock) as (client, admin):
        dina = enroll_dina(client, admin)
        dina_login(client, admin, dina)
    add_user(engine, FINANCE[0], Role.finance)
    set_company(engine)
    make_period(engine, {dina: "individual"})
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_an_anchored_period) as url:
        yield url


def test_finance_issues_an_act_and_the_partner_downloads_it(page: Page, tmp_path: Path) -> None:
    page.goto("/login")
    log_in(page, *FINANCE)
    page.goto("/finance/periods/1")
    page.get_by_role("link", name="Документы").click()
    expect(page.locator("h1")).to_have_text("Акты об оказании услуг, период 1")
    check(page, "documents-acts-ru")
    page.get_by_role("button", name="Выставить акт: Дина Первая").click()
    issued = page.locator("tr[data-partner] a[download]")
    expect(issued).to_contain_text("№ 1 за ")
    check(page, "documents-acts-issued-ru")
    page.get_by_role("button", name="Выйти").click()

    log_in(page, *DINA)
    menu = page.get_by_role("navigation", name="Главное меню")
    menu.get_by_role("link", name="Мои документы").click()
    expect(page.locator("h1")).to_have_text("Мои документы")
    row = page.locator("tr[data-document]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Акт об оказании услуг")
    check(page, "documents-mine-ru")
    listed = row.locator("[data-pdf-sha256]").inner_text().strip()
    with page.expect_download() as waiting:
        row.get_by_role("link", name="Скачать PDF (ru)").click()
    saved = tmp_path / "act.pdf"
    waiting.value.save_as(saved)
    pdf = saved.read_bytes()
    assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == listed
