"""All acts of a period by the worker, in Debian's chromium: finance starts the job from the
acts page, the page shows it waiting, then follows the worker's progress (htmx polling) to the
end, where every act's link is in the table and the partner with no tax status is listed as
refused; axe and the 360 px width on each state, screenshots in
artifacts/screenshots/acts-jobs-*."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from browser_support import (
    FINANCE,
    admin_client,
    check,
    enroll_dina,
    log_in,
    needs_chromium,
    new_company,
    serve_company,
)
from documents_kit import add_partner, make_period, set_company
from lineage_api import add_user
from playwright.sync_api import Page, expect

from backend.core.config import Settings
from backend.core.db import make_engine
from backend.core.model_base import Role
from backend.worker.acts import ActsJobs

pytestmark = needs_chromium
DATABASE: dict[str, str] = {}


def company_with_six_payees(settings: Settings) -> None:
    engine, clock = new_company(settings, rates=False)
    with admin_client(settings, engine, clock) as (client, admin):
        dina = enroll_dina(client, admin)
    add_user(engine, FINANCE[0], Role.finance)
    set_company(engine)
    others = [add_partner(engine, f"Anna{i}", f"Lee{i}") for i in range(5)]
    statuses: dict[int, str | None] = {dina: "individual"}
    statuses.update(dict.fromkeys(others, "self_employed"))
    statuses[others[3]] = None  # no tax status: refused, the others go on
    make_period(engine, statuses)
    DATABASE["url"] = settings.resolved_database_url
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_six_payees) as url:
        yield url


def test_finance_starts_all_acts_and_follows_the_progress(page: Page) -> None:
    page.goto("/login")
    log_in(page, *FINANCE)
    page.goto("/finance/periods/1/acts")
    page.get_by_label("Язык актов").select_option("ru")
    page.get_by_role("button", name="Выставить все акты").click()
    job = page.locator("section.acts-job")
    expect(job).to_have_attribute("data-state", "queued")
    expect(job.get_by_role("status")).to_have_text(
        "Ожидает обработчика. Выставлено 0 из 6 актов, отказано: 0."
    )
    check(page, "acts-jobs-queued-ru")

    engine = make_engine(DATABASE["url"])
    worker = threading.Thread(target=ActsJobs(engine, processes=1).run_once)
    worker.start()
    try:
        expect(page.locator("tr[data-partner] a[download]")).to_have_count(5, timeout=120_000)
    finally:
        worker.join(timeout=120)
        engine.dispose()
    job = page.locator("section.acts-job")
    expect(job).to_have_attribute("data-state", "done")
    expect(job.get_by_role("status")).to_have_text(
        "Завершено. Выставлено 5 из 6 актов, отказано: 1."
    )
    expect(job.locator("ul.failures li")).to_have_count(1)
    expect(job.locator("ul.failures li")).to_contain_text("не было налогового статуса")
    numbers = page.locator("tr[data-partner] a[download]").all_inner_texts()
    assert sorted(int(text.split("№ ")[1].split(" ")[0]) for text in numbers) == [1, 2, 3, 4, 5]
    check(page, "acts-jobs-done-ru")
