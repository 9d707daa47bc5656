"""An order's documents in Debian's chromium: finance opens a shipped order's page, presses
"УПД" and "Счёт на оплату" and gets each PDF as a download (the UPD's bytes hash to the stored
document's); the page then lists both; Dina finds them on her own order's page. axe and the
360 px width on each page, screenshots in artifacts/screenshots/upd-*."""

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
from documents_kit import make_order, set_company, ship
from lineage_api import add_user
from playwright.sync_api import Page, expect

from backend.core.config import Settings
from backend.core.model_base import Role

pytestmark = needs_chromium


def company_with_a_shipped_order(settings: Settings) -> None:
    """Dina (a login) with order 1, paid and shipped from a warehouse with an address, the
    company's details set (a VAT payer), and a finance login."""
    engine, clock = new_company(settings, rates=False)
    with admin_client(settings, engine, clock) as (client, admin):
        dina = enroll_dina(client, admin)
        dina_login(client, admin, dina)
    add_user(engine, FINANCE[0], Role.finance)
    set_company(engine)
    order_id = make_order(engine, dina)
    assert order_id == 1
    ship(engine, order_id)
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_a_shipped_order) as url:
        yield url


def test_finance_presses_the_document_buttons_and_the_partner_downloads(
    page: Page, tmp_path: Path
) -> None:
    page.goto("/login")
    log_in(page, *FINANCE)
    page.goto("/finance/orders/1")
    expect(page.locator("h1")).to_have_text("Заказ № 1")
    expect(page.locator("#order-documents")).to_have_text("По этому заказу документов пока нет.")
    expect(page.get_by_role("button", name="Отгрузить")).to_have_count(0)  # finance does not ship
    check(page, "upd-order-ru")
    with page.expect_download() as waiting:
        page.get_by_role("button", name="УПД", exact=True).click()
    upd = tmp_path / "upd.pdf"
    waiting.value.save_as(upd)
    assert upd.read_bytes().startswith(b"%PDF-")
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Счёт на оплату", exact=True).click()
    invoice = tmp_path / "invoice.pdf"
    waiting.value.save_as(invoice)
    assert invoice.read_bytes().startswith(b"%PDF-")
    page.reload()
    listed = page.locator("#order-documents li")
    expect(listed).to_have_count(2)
    expect(listed.nth(0)).to_contain_text("УПД № 1 за 2026")
    expect(listed.nth(1)).to_contain_text("Счёт на оплату № 1 за 2026")
    check(page, "upd-order-issued-ru")
    page.get_by_role("button", name="Выйти").click()

    log_in(page, *DINA)
    page.goto("/shop/orders/1")
    mine = page.locator("#order-documents li")
    expect(mine).to_have_count(2)
    check(page, "upd-shop-order-ru")
    with page.expect_download() as waiting:
        mine.nth(0).get_by_role("link", name="Скачать PDF (ru)").click()
    again = tmp_path / "again.pdf"
    waiting.value.save_as(again)
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(upd.read_bytes()).digest()
