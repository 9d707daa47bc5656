"""Team turnover, legs, sales by region and the sales plan in Debian's chromium, on the small
company with two periods closed (period 2: Dina buys 1, 3 buys 6 and 5 buys 2 x Tea) and
regions stated before period 2 closed (period 1's sales are "not stated"): the admin sets a
plan (a wrong amount is refused beside its field), finance reads the plan against actual, the
turnover and a person's legs, Dina her own team only; axe and screenshots on each page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from browser_support import (
    ADMIN,
    DINA,
    FINANCE,
    check,
    company_with_a_closed_period,
    log_in,
    needs_chromium,
    serve_company,
)
from lineage_api import Api
from playwright.sync_api import Page, expect
from test_api_periods import at, buy, close, month_start, post

from backend.core.config import Settings

pytestmark = [needs_chromium]


def second_period(api: Api) -> None:
    api.clock.now = at(month_start(2) + timedelta(days=3))
    assert post(api, "/api/periods").status_code == 201
    for buyer, quantity in ((2, 1), (3, 6), (5, 2)):
        buy(api, buyer, quantity)
    for person, region in ((2, "RU-MOW"), (3, "RU-SPE"), (4, "KZ-ALA")):
        body = {"country": region[:2], "region": region}
        patched = api.client.patch(
            f"/api/distributors/{person}", json=body, headers=api.as_("admin")
        )
        assert patched.status_code == 200, patched.text
    close(api, 2)


def seed(settings: Settings) -> None:
    company_with_a_closed_period(settings, second_period)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, seed) as url:
        yield url


def enter(page: Page, login: tuple[str, str], language: str) -> None:
    page.goto("/login")
    page.click(f"button[value={language}]")
    log_in(page, *login)
    expect(page).to_have_url("/home")


def test_the_admin_sets_a_plan_and_finance_reads_it(page: Page) -> None:
    enter(page, ADMIN, "en")
    page.goto("/admin/sales-plan")
    page.select_option("#period", "1")
    page.fill("#sales", "1,2,3")
    page.fill("#new_distributors", "four")
    page.fill("#active", "4")
    page.click("text=Save the plan")
    expect(page.locator("#sales-error")).to_contain_text("Enter an amount")
    expect(page.locator("#new_distributors-error")).to_contain_text("whole number of people")
    expect(page.locator("#active-error")).to_have_count(0)
    check(page, "admin-sales-plan-errors-en")
    page.fill("#sales", "1")
    page.fill("#new_distributors", "4")
    page.click("text=Save the plan")
    expect(page.locator("p.notice")).to_contain_text("The plan is saved")
    check(page, "admin-sales-plan-en")
    page.context.clear_cookies()
    enter(page, FINANCE, "ru")
    page.goto("/reports/sales-plan")
    first = page.locator("table.report tbody tr").first
    expect(first.locator("td[data-key=sales_pct]")).to_have_text("98,48\u00a0%")
    expect(first.locator("td[data-key=joined_pct]")).to_have_text("150,00\u00a0%")
    expect(page.locator(".report-chart svg")).to_be_visible()
    check(page, "report-sales-plan-ru")


def test_finance_reads_turnover_legs_and_regions(page: Page) -> None:
    enter(page, FINANCE, "en")
    page.goto("/reports/turnover-periods")
    rows = page.locator("table.report tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.last.locator("td[data-key=pv_change]")).to_have_text("-10.00\u00a0%")
    expect(page.locator(".report-chart svg")).to_be_visible()
    check(page, "report-turnover-periods-en")
    page.goto("/reports/turnover-movers")
    expect(page.locator("table.report tbody tr").first.locator("td[data-key=id]")).to_have_text("3")
    check(page, "report-turnover-movers-en")
    page.goto("/reports/structure-legs?person=abc")
    expect(page.locator("#person-error")).to_contain_text("whole number")
    page.fill("#person", "2")
    page.click("form.range button[type=submit]")
    expect(page.locator("p.scope")).to_contain_text("Person 2")
    legs = page.locator("table.report tbody tr")
    expect(legs).to_have_count(2)
    expect(legs.first.locator("td[data-key=people]")).to_have_text("3")
    check(page, "report-structure-legs-en")
    page.goto("/reports/sales-regions")
    expect(page.locator("table.report")).to_contain_text("RU-SPE")  # 3's 6 Tea in period 2
    expect(page.locator("table.report")).to_contain_text("not stated")
    check(page, "report-sales-regions-en")


def test_a_leader_reads_her_own_team_only(page: Page) -> None:
    enter(page, DINA, "ru")
    page.goto("/reports/turnover-members")
    expect(page.locator("p.scope")).to_contain_text("Ваша команда")
    ids = page.locator("table.report td[data-key=id]").all_inner_texts()
    assert sorted(ids) == ["2", "3", "4", "5", "6"]  # never the root
    check(page, "report-turnover-members-team-ru")
    page.goto("/reports/turnover-members?person=1")
    expect(page.locator("#person-error")).to_be_visible()
    check(page, "report-turnover-members-refused-ru")
