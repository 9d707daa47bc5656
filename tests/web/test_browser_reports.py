"""The reports in Debian's chromium on the small company with period 1 closed: finance opens
every report from the list (its chart drawn as SVG beside the table, axe, no sideways scroll
at 360 px, screenshots); Dina, who leads everyone but the root, sees her team's reports; the
XLSX download holds the table's numbers."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from browser_support import (
    DINA,
    FINANCE,
    check,
    company_with_a_closed_period,
    log_in,
    needs_chromium,
    serve_company,
)
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from backend.reports.registry import REPORTS

pytestmark = [needs_chromium]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_a_closed_period) as url:
        yield url


def enter(page: Page, login: tuple[str, str], language: str) -> None:
    page.goto("/login")
    page.click(f"button[value={language}]")
    log_in(page, *login)
    expect(page).to_have_url("/home")


def test_finance_opens_every_report(page: Page) -> None:
    enter(page, FINANCE, "ru")
    page.click("ul.menu >> text=Отчёты")
    expect(page).to_have_url("/reports")
    check(page, "reports-ru")
    for name in REPORTS:
        page.goto(f"/reports/{name}")
        table = page.locator(f"table.report[data-report={name}]")
        expect(table).to_be_visible()
        if name != "payouts-changes" or page.locator(".report-chart").count():
            expect(page.locator(".report-chart svg")).to_be_visible()
        check(page, f"report-{name}-ru")


def test_the_sales_table_and_its_xlsx_agree(page: Page) -> None:
    enter(page, FINANCE, "en")
    page.goto("/reports/sales-periods")
    shown = page.locator("table.report td[data-key=sales]").first.inner_text()
    with page.expect_download() as download:
        page.click("text=Download XLSX")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "Sales, USDT"
    assert Decimal(str(rows[1][1])) == Decimal("0.984803")
    assert "0.984803" in shown.replace(",", "")


def test_a_leader_reads_her_team(page: Page) -> None:
    enter(page, DINA, "en")
    page.goto("/reports/structure-status")
    expect(page.locator("p.scope")).to_contain_text("Your team")
    # Dina and the four below her; the company's root is not in her team.
    expect(page.locator("table.report tbody tr").last.locator("td[data-key=people]")).to_have_text(
        "5"
    )
    check(page, "report-team-status-en")
    page.goto("/reports/structure-status?from=2030-02-01&to=2030-01-01")
    expect(page.locator("#from-error")).to_contain_text("starts after it ends")


def test_the_compliance_officer_filters_the_flags_by_rule(page: Page) -> None:
    enter(page, FINANCE, "en")
    page.goto("/reports")
    page.click("text=Compliance flags by person")
    rules = page.locator("table.report td[data-key=rule]")
    # Everyone but the root buys 200 PV: the Silver and Gold rungs' min_pv, exactly.
    expect(rules.filter(has_text="exactly on a qualification threshold")).to_have_count(5)
    page.select_option("#filter", "threshold")
    page.click("form.range button[type=submit]")
    expect(page).to_have_url(re.compile(r"filter=threshold"))
    expect(rules).to_have_count(5)
    expect(page.locator("table.report td[data-key=value]").first).to_have_text("200")
    check(page, "report-compliance-flags-threshold-en")
    with page.expect_download() as download:
        page.click("text=Download XLSX")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 6 and {row[3] for row in rows[1:]} == {
        "Volume exactly on a qualification threshold"
    }
    page.goto("/reports/compliance-flags?filter=nope")
    expect(page.locator("#filter-error")).to_be_visible()


def test_a_leader_has_no_compliance_reports(page: Page) -> None:
    enter(page, DINA, "en")
    page.goto("/reports")
    expect(page.locator("#area-structure")).to_be_visible()
    expect(page.locator("#area-compliance")).to_have_count(0)
    response = page.goto("/reports/compliance-flags")
    assert response is not None and response.status == 403
