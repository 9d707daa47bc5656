"""The people KPIs in Debian's chromium, on the small company with three months closed
(`test_reports_people.two_more_months`): finance reads the retention heat-map (ECharts, SVG)
over its table with the cohort sizes, axe, no sideways scroll at 360 px, screenshots; the
XLSX holds the table's shares; Dina, who leads everyone but the root, sees her team's cohorts."""

from __future__ import annotations

import io
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
from test_reports_people import two_more_months

from backend.core.config import Settings

pytestmark = [needs_chromium]


def three_months(settings: Settings) -> None:
    company_with_a_closed_period(settings, then=two_more_months)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, three_months) as url:
        yield url


def enter(page: Page, login: tuple[str, str], language: str) -> None:
    page.goto("/login")
    page.click(f"button[value={language}]")
    log_in(page, *login)
    expect(page).to_have_url("/home")


def cells(page: Page, key: str) -> list[str]:
    return page.locator(f"table.report td[data-key={key}]").all_inner_texts()


def test_the_retention_heat_map_and_its_table(page: Page) -> None:
    enter(page, FINANCE, "ru")
    page.goto("/reports")
    page.click("text=Удержание по когортам прихода")
    expect(page).to_have_url("/reports/people-retention")
    expect(page.locator("h1")).to_have_text("Удержание по когортам прихода")
    # The heat-map: one cell per cohort and month that has come (2 + 3 - 1 = 5 cells).
    expect(page.locator(".report-chart.heatmap svg")).to_be_visible()
    assert page.locator(".report-chart svg path[fill]").count() >= 5
    # The root, Dina and her four joined in month 1; 7 in month 2.
    assert cells(page, "size") == ["6", "1"]
    assert [c.replace("\xa0", " ") for c in cells(page, "m0")][1].startswith("100")
    expect(page.locator("p.note").first).to_contain_text("активных")
    check(page, "report-people-retention-ru")


def test_the_people_pages_and_the_xlsx_agree(page: Page) -> None:
    enter(page, FINANCE, "en")
    for name in ("people-new", "people-active", "people-churn", "people-ranks"):
        page.goto(f"/reports/{name}")
        expect(page.locator(f"table.report[data-report={name}]")).to_be_visible()
        expect(page.locator(".report-chart svg")).to_be_visible()
        check(page, f"report-{name}-en")
    page.goto("/reports/people-active")
    expect(page.locator("p.note").first).to_contain_text("Active: own volume (PV)")
    assert cells(page, "min_pv") == ["100", "100", "100"]
    page.goto("/reports/people-retention")
    with page.expect_download() as download:
        page.click("text=Download XLSX")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Joined in", "Cohort size", "+0, %", "+1, %")
    assert [r[1] for r in rows[1:]] == [6, 1]
    # Month 1's cohort of 6: 5 buyers active in month 1, 3 in month 2, 1 in month 3.
    assert [Decimal(str(v)) for v in rows[1][2:5]] == [
        Decimal("83.3333"),
        Decimal("50.0000"),
        Decimal("16.6666"),
    ]
    assert cells(page, "m0")[0] == "83.33\xa0%"  # the page rounds to two places


def test_a_leader_sees_her_teams_cohorts(page: Page) -> None:
    enter(page, DINA, "en")
    page.goto("/reports/people-retention")
    expect(page.locator("p.scope")).to_contain_text("Your team")
    # Everyone but the root: Dina and her four in month 1, 7 in month 2.
    assert cells(page, "size") == ["5", "1"]
    check(page, "report-people-retention-team-en")
