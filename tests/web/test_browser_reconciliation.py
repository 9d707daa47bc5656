"""The reconciliation statement in Debian's chromium: finance opens the statements tab, asks
for a reversed range and reads the refusal beside the last day, puts it right, issues Dina's
statement and downloads its PDF; Dina finds it under "My documents" with the same SHA-256;
axe and the 360 px width on each page, screenshots in artifacts/screenshots/reconciliation-*."""

from __future__ import annotations

import hashlib
import subprocess
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
from documents_kit import set_company
from lineage_api import add_user
from playwright.sync_api import Page, expect
from reconciliation_kit import make_settlements

from backend.core.config import Settings
from backend.core.model_base import Role

pytestmark = needs_chromium


def company_with_settlements(settings: Settings) -> None:
    """Dina (a login) with the hand-checked settlements of `reconciliation_kit`, the company's
    details set, and a finance login."""
    engine, clock = new_company(settings, rates=False)
    with admin_client(settings, engine, clock) as (client, admin):
        dina = enroll_dina(client, admin)
        dina_login(client, admin, dina)
    add_user(engine, FINANCE[0], Role.finance)
    set_company(engine)
    make_settlements(engine, dina)
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_settlements) as url:
        yield url


def test_finance_issues_a_statement_and_the_partner_downloads_it(
    page: Page, tmp_path: Path
) -> None:
    page.goto("/login")
    log_in(page, *FINANCE)
    page.goto("/finance/periods")
    page.get_by_role("navigation", name="Разделы").get_by_role("link", name="Акты сверки").click()
    expect(page.locator("h1")).to_have_text("Акты сверки")
    check(page, "reconciliation-form-ru")
    page.get_by_label("ID партнёра").fill("2")
    page.get_by_label("Первый день").fill("2026-05-31")
    page.get_by_label("Последний день (включительно)").fill("2026-03-01")
    page.get_by_role("button", name="Выставить акт сверки").click()
    error = page.locator("#to-error")
    expect(error).to_have_text("Последний день раньше первого.")
    expect(page.get_by_label("Последний день (включительно)")).to_have_attribute(
        "aria-invalid", "true"
    )
    check(page, "reconciliation-refused-ru")
    page.get_by_label("Первый день").fill("2026-03-01")
    page.get_by_label("Последний день (включительно)").fill("2026-05-31")
    page.get_by_role("button", name="Выставить акт сверки").click()
    notice = page.locator("#issued")
    expect(notice).to_contain_text("Акт сверки № 1")
    expect(notice).to_contain_text("RUB, 2026-03-01 – 2026-05-31")
    check(page, "reconciliation-issued-ru")
    with page.expect_download() as waiting:
        notice.get_by_role("link", name="Скачать PDF (ru)").click()
    issued = tmp_path / "issued.pdf"
    waiting.value.save_as(issued)
    text = subprocess.run(
        ["pdftotext", "-layout", str(issued), "-"], capture_output=True, check=True, text=True
    ).stdout
    squashed = " ".join(text.split())
    assert "Акт сверки взаимных расчётов № 1" in squashed
    assert "задолженность ООО «Линия» перед Дина Первая составляет 1 800,00 RUB" in squashed
    page.get_by_role("button", name="Выйти").click()

    log_in(page, *DINA)
    menu = page.get_by_role("navigation", name="Главное меню")
    menu.get_by_role("link", name="Мои документы").click()
    row = page.locator("tr[data-document]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Акт сверки")
    check(page, "reconciliation-mine-ru")
    listed = row.locator("[data-pdf-sha256]").inner_text().strip()
    with page.expect_download() as waiting:
        row.get_by_role("link", name="Скачать PDF (ru)").click()
    saved = tmp_path / "mine.pdf"
    waiting.value.save_as(saved)
    pdf = saved.read_bytes()
    assert (
        hashlib.sha256(pdf).hexdigest() == listed == hashlib.sha256(issued.read_bytes()).hexdigest()
    )
