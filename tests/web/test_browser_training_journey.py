"""A new partner's first steps, end to end in Debian's chromium against the real app: a visitor
joins from Dina's public card, gets the onboarding course at sign-up, reads the lessons, fails
the quiz and then passes it, orders from the shop; finance records the payment (the JSON API, as
the bank's import would) and the first-order task completes by itself; Dina, her sponsor, sees
her on the mentor's view and opens her progress. Pages are checked by axe and screenshotted
(artifacts/screenshots/journey-*)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from browser_support import (
    DINA,
    admin_client,
    check,
    dina_login,
    enroll_dina,
    log_in,
    needs_chromium,
    new_company,
    serve_company,
)
from lineage_api import Api, add_user
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select
from test_shop_pages import stock_shop
from web_support import PASSWORD

from backend.accounts.models import User
from backend.cards import service as cards
from backend.core.config import Settings
from backend.core.model_base import Role
from backend.training.content import load_courses

pytestmark = needs_chromium

ONBOARDING = next(c for c in load_courses() if c.slug == "onboarding")
LESSONS = ("company", "plan-basics", "plan-bonuses", "check-on-chain", "income-claims")
FINANCE = "finance@example.com"
VERA = {"first_name": "Вера", "last_name": "Новая", "email": "vera@example.com"}


def company_with_a_shop_and_a_card(settings: Settings) -> None:
    """Dina (a login) with a published card, the shop of the page tests, a finance login."""
    engine, clock = new_company(settings)
    with admin_client(settings, engine, clock) as (client, admin):
        dina = enroll_dina(client, admin)
        dina_login(client, admin, dina)
        stock_shop(Api(client, engine, clock, settings, {"admin": admin}, dina))
    add_user(engine, FINANCE, Role.finance)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == DINA[0])).one()
        card = cards.CardSettings(
            alias="dina", enabled=True, show_email=True, show_phone=False,
            show_messenger=False, block_ids=[1], free_text="",
        )  # fmt: skip
        cards.update_card(session, user, card, now=clock())
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"LINEAGE_SIGNUP_MIN_FILL_SECONDS": "1"}
    with serve_company(tmp_path_factory, company_with_a_shop_and_a_card, env) as url:
        yield url


def state_of(page: Page, step_id: str) -> object:
    return page.locator(f"#step-{step_id}")


def pay_as_finance(base_url: str, order_id: int) -> None:
    token = httpx.post(
        f"{base_url}/api/auth/token", data={"username": FINANCE, "password": PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    order = httpx.get(f"{base_url}/api/orders/{order_id}", headers=headers).json()
    payment = {"amount": order["total_amount"], "currency": "RUB", "reference": "bank 1"}
    paid = httpx.post(f"{base_url}/api/orders/{order_id}/payment", json=payment, headers=headers)
    assert paid.status_code == 201, paid.text


def test_a_new_partner_trains_orders_and_her_sponsor_sees_it(
    page: Page, chromium: Browser, base_url: str
) -> None:
    # Joins from the card.
    page.goto("/p/dina")
    page.click("text=Присоединиться к моей команде")
    for field, value in VERA.items():
        page.fill(f"#{field}", value)
    page.fill("#password", "vera-pass-1")
    page.check("#consent")
    page.wait_for_timeout(1100)  # the server's minimum fill time in this suite
    page.locator("form.stack button[type=submit]").click()
    expect(page).to_have_url("/home")

    # The course was assigned at sign-up: the lessons, one after another.
    page.get_by_role("link", name="Обучение", exact=True).click()
    expect(page.locator(".course-card")).to_contain_text("Пройдено 0 из 11 обязательных шагов")
    for step_id in LESSONS:
        page.goto(f"/training/onboarding/{step_id}")
        page.get_by_role("button", name="Я прочитал(а)").click()
        expect(state_of(page, step_id)).to_have_class("step-item done")  # type: ignore[arg-type]

    # The quiz: sent blank, failed; then answered right, passed.
    page.goto("/training/onboarding/plan-quiz")
    page.get_by_role("button", name="Отправить ответы").click()
    result = page.locator("#quiz-result")
    expect(result).to_contain_text("Ваш результат: 0 %")
    check(page, "journey-quiz-failed-ru")
    quiz = ONBOARDING.step("plan-quiz").quiz
    assert quiz is not None
    for q in quiz.questions:
        fieldset = page.locator(f"#question-{q.number}")
        if q.kind in ("single", "multiple"):
            for i, option in enumerate(q.options, 1):
                if option.correct:
                    fieldset.locator(f'input[value="{i}"]').check()
        elif q.kind == "true_false":
            fieldset.locator(f'input[value="{"true" if q.answer else "false"}"]').check()
        else:
            fieldset.locator("input").fill(str(q.answer))
    page.get_by_role("button", name="Отправить ответы").click()
    expect(result).to_contain_text("Тест сдан.")

    # The first-order lesson opens the task; without an order it waits.
    page.goto("/training/onboarding/first-order")
    page.get_by_role("button", name="Я прочитал(а)").click()
    expect(state_of(page, "task-first-order")).to_have_class(re.compile(r"\bopen\b"))  # type: ignore[arg-type]

    # She orders; finance records the payment; the task completes by itself.
    page.goto("/shop")
    offer = page.locator("li.offer", has=page.get_by_role("heading", name="Чай травяной"))
    offer.get_by_role("button", name="В корзину").click()
    expect(page.locator("#cart-link")).to_contain_text("Корзина: 1 товар")
    page.goto("/shop/cart")
    page.get_by_role("button", name="Оформить заказ").click()
    expect(page).to_have_url(re.compile(r"/shop/orders/\d+\?placed=1$"))
    found = re.search(r"/shop/orders/(\d+)", page.url)
    assert found is not None
    pay_as_finance(base_url, int(found.group(1)))
    page.goto("/training/onboarding")
    expect(state_of(page, "task-first-order")).to_have_class("step-item done")  # type: ignore[arg-type]
    expect(page.locator("#course-progress")).to_contain_text("Пройдено 8 из 11")
    check(page, "journey-course-ru")

    # Dina, her sponsor, sees her on the mentor's view and opens her progress.
    context = chromium.new_context(base_url=base_url, viewport={"width": 1280, "height": 860})
    try:
        sponsor = context.new_page()
        sponsor.goto("/login")
        log_in(sponsor, *DINA)
        sponsor.goto("/training/team")
        row = sponsor.locator("table.training-team tbody tr", has_text="Вера Новая")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("8 из 11")
        expect(row.locator("td[data-label='Несданные тесты']")).to_have_text("1")
        check(sponsor, "journey-team-ru")
        row.get_by_role("link", name="Вера Новая").click()
        expect(sponsor).to_have_url(re.compile(r"/distributors/\d+/training$"))
        expect(sponsor.locator("#step-onboarding-task-first-order")).to_have_class("step done")
        check(sponsor, "journey-person-ru")
    finally:
        context.close()
