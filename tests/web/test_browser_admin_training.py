"""The admin's training office in Debian's chromium against the real app: the courses list,
the onboarding course's editor (a cycle refused at course.toml, then a lesson edited and
published as version 2), an assignment, and the report "Does training pay off?", in Russian
and in English. Every page visited is checked by axe and screenshotted at 360 px and desktop
width (artifacts/screenshots/admin-training-*)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import ADMIN, check, company_with_a_closed_period, log_in, needs_chromium
from browser_support import serve_company as serve
from playwright.sync_api import Page, expect

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory, company_with_a_closed_period) as url:
        yield url


def log_in_admin(page: Page) -> None:
    page.goto("/login")
    log_in(page, *ADMIN)
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")


def test_the_admin_edits_a_lesson_publishes_and_reads_the_report(page: Page) -> None:
    log_in_admin(page)
    page.goto("/admin/plan")
    page.get_by_role("navigation", name="Разделы").get_by_role("link", name="Обучение").click()
    expect(page.locator("h1")).to_have_text("Обучение")
    row = page.locator("#course-onboarding")
    expect(row).to_contain_text("Первые шаги партнёра")
    check(page, "admin-training-ru")
    row.get_by_role("link", name="Первые шаги партнёра").click()
    expect(page.locator("#current-version")).to_have_text("1")

    # A cycle: refused next to course.toml, in words, with its steps named.
    toml = page.locator("#file-course-toml")
    text = toml.input_value()
    toml.fill(text.replace('id = "company"\n', 'id = "company"\nafter = ["plan-basics"]\n', 1))
    page.get_by_role("button", name="Опубликовать").click()
    error = page.locator("#file-course-toml-error")
    expect(error).to_contain_text("Предварительные условия образуют цикл")
    expect(error).to_contain_text("company -> plan-basics -> company")
    expect(page.locator("#current-version")).to_have_text("1")
    check(page, "admin-training-refused-ru")

    # Back to the texts as they are, one lesson edited: version 2.
    page.goto("/admin/training/onboarding")
    page.locator("summary", has_text="Компания и её продукты").click()
    lesson = page.locator("#file-steps-company-en-md")
    lesson.fill(lesson.input_value() + "\nOne more paragraph.\n")
    page.get_by_role("button", name="Опубликовать").click()
    expect(page.get_by_role("status")).to_have_text("Новая версия опубликована.")
    expect(page.locator("#current-version")).to_have_text("2")
    expect(page.locator("#versions tbody tr")).to_have_count(2)

    page.fill("#assign-distributor_id", "abc")
    page.get_by_role("button", name="Назначить").click()
    expect(page.locator("#assign-distributor_id-error")).to_have_text(
        "Введите ID партнёра (целое число)."
    )
    check(page, "admin-training-course-ru")

    page.get_by_role("link", name="Окупается ли обучение? Отчёт").click()
    expect(page.locator("h1")).to_have_text("Окупается ли обучение?")
    expect(page.locator("#report")).to_be_visible()
    expect(page.locator("#small-groups")).to_contain_text("Малые группы — не тенденция")
    check(page, "admin-training-report-ru")

    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Does training pay off?")
    expect(page.locator("#report")).to_contain_text("not completed")
    expect(page.locator("#report thead")).to_contain_text("Active in the period")
    check(page, "admin-training-report-en")
    page.goto("/admin/training/onboarding")
    expect(page.locator("h2#editor-h")).to_have_text("Edit and publish")
    check(page, "admin-training-course-en")
