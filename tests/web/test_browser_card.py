"""The partner's public card in Debian's chromium: a visitor opens Dina's card, downloads her
vCard, joins her team (the sponsor shown on the form from the card's cookie), and lands in
their own new office; the same card in English; Dina's profile and the admins' review page.
Every page is checked by axe and screenshotted at 360 px and desktop width."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    ADMIN,
    DINA,
    admin_client,
    check,
    log_in,
    needs_chromium,
    new_company,
    serve_company,
)
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.cards import service as cards
from backend.core.config import Settings

pytestmark = needs_chromium

VISITOR = {"first": "Вера", "last": "Новая", "email": "vera@example.com", "password": "vera-pass-1"}


def company_with_a_card(settings: Settings) -> None:
    """Dina (a login, phone and messenger) with a published card: two company blocks and an
    approved text of her own; Oleg, whose text promises income, waits for the admin."""
    engine, clock = new_company(settings, rates=False)
    with admin_client(settings, engine, clock) as (client, headers):
        people = (
            ("Дина", "Первая", DINA[0], DINA[1], "+7 900 123-45-67"),
            ("Олег", "Второй", "oleg@example.com", "oleg-password-1", None),
        )
        for first, last, email, password, phone in people:
            person = {"first_name": first, "last_name": last, "email": email, "phone": phone}
            enrolled = client.post(
                "/api/distributors", json=person | {"password": password}, headers=headers
            )
            assert enrolled.status_code == 201, enrolled.text
    with Session(engine) as session:
        dina = session.exec(select(User).where(User.email == DINA[0])).one()
        oleg = session.exec(select(User).where(User.email == "oleg@example.com")).one()
        cards.set_messenger(session, dina, "@dina_team", now=clock())
        mine = cards.CardSettings(
            alias="dina",
            enabled=True,
            show_email=True,
            show_phone=True,
            show_messenger=True,
            block_ids=[1, 2],
            free_text="Отвечу на вопросы о продуктах с 10 до 19.\nПишите в Telegram.",
        )
        cards.update_card(session, dina, mine, now=clock())
        his = cards.CardSettings(
            alias="oleg",
            enabled=True,
            show_email=False,
            show_phone=False,
            show_messenger=False,
            block_ids=[3],
            free_text="Финансовая свобода и пассивный доход уже через год!",
        )
        cards.update_card(session, oleg, his, now=clock())
    engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"LINEAGE_SIGNUP_MIN_FILL_SECONDS": "1"}
    with serve_company(tmp_path_factory, company_with_a_card, env) as url:
        yield url


def test_a_visitor_joins_from_the_card_and_lands_in_their_office(page: Page) -> None:
    page.goto("/p/dina")
    expect(page.locator("h1")).to_have_text("Дина Первая")
    expect(page.locator("main")).to_contain_text("Я помогаю подобрать продукты")
    expect(page.locator(".free-text")).to_contain_text("Отвечу на вопросы о продуктах")
    qr = page.locator(".qr img")
    expect(qr).to_have_attribute("alt", f"QR-код с адресом этой визитки: {page.url}")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    check(page, "card-public-ru")
    with page.expect_download() as download:
        page.click("text=Сохранить контакт (vCard)")
    assert download.value.suggested_filename == "dina.vcf"
    vcard = Path(download.value.path()).read_text(encoding="utf-8")
    assert "FN:Дина Первая" in vcard and "TEL;TYPE=CELL:+7 900 123-45-67" in vcard

    page.click("text=Присоединиться к моей команде")
    expect(page.locator("#sponsor")).to_have_text("Ваш спонсор: Дина Первая, ID 2")
    # The cookie the card set is what a later visit without the link shows.
    page.goto("/join")
    expect(page.locator("#sponsor")).to_have_text("Ваш спонсор: Дина Первая, ID 2")
    check(page, "card-join-ru")
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("#first_name-error")).to_be_visible()
    expect(page.locator("#consent-error")).to_be_visible()
    check(page, "card-join-errors-ru")

    # Keyboard only, as a person types it.
    page.locator("#first_name").focus()
    page.keyboard.type(VISITOR["first"])
    for field in ("last", "email"):
        page.keyboard.press("Tab")
        page.keyboard.type(VISITOR[field])
    page.keyboard.press("Tab")  # the phone is optional
    page.keyboard.press("Tab")
    page.keyboard.type(VISITOR["password"])
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.locator("#consent")).to_be_checked()
    page.wait_for_timeout(1100)  # the server's minimum fill time in this suite
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url("/home")
    expect(page.locator("h1")).to_have_text("Мой офис")
    expect(page.locator("main")).to_contain_text("Вера Новая")
    expect(page.locator("main")).to_contain_text("Дина Первая (ID 2)")
    check(page, "card-new-office-ru")


def test_the_card_and_the_form_in_english(page: Page) -> None:
    page.goto("/p/dina")
    page.click("button[value=en]")
    expect(page.locator("h1")).to_have_text("Дина Первая")
    expect(page.locator("main")).to_contain_text("I help you choose health and beauty products")
    check(page, "card-public-en")
    page.click("text=Join my team")
    expect(page.locator("#sponsor")).to_have_text("Your sponsor: Дина Первая, ID 2")
    check(page, "card-join-en")
    page.goto("/p/nobody")
    expect(page.locator("h1")).to_have_text("Page not found")


def test_a_held_text_stays_off_the_card_until_the_admin_publishes_it(page: Page) -> None:
    page.goto("/p/oleg")
    expect(page.locator("h1")).to_have_text("Олег Второй")
    expect(page.locator("main")).not_to_contain_text("Финансовая свобода")
    page.goto("/login")
    log_in(page, *ADMIN)
    page.goto("/admin/cards")
    expect(page.locator("main")).to_contain_text("финансовая свобода, пассивный доход")
    check(page, "card-admin-ru")
    page.locator(".review button", has_text="Опубликовать").click()
    expect(page.locator(".notice")).to_have_text("Текст опубликован на визитке.")
    page.goto("/p/oleg")
    expect(page.locator(".free-text")).to_contain_text("Финансовая свобода")


def test_the_partners_profile(page: Page) -> None:
    page.goto("/login")
    log_in(page, *DINA)
    page.goto("/profile")
    expect(page.locator("#referral-link")).to_contain_text("/r/")
    expect(page.locator("#alias")).to_have_value("dina")
    check(page, "card-profile-ru")
    page.fill("#alias", "admin")
    page.locator("form[action='/profile/card'] button[type=submit]").click()
    expect(page.locator("#alias-error")).to_have_text(
        "Это имя занято самим сайтом. Выберите другое."
    )
    check(page, "card-profile-errors-ru")
    page.click("button[value=en]")
    expect(page.locator("h1")).to_have_text("Profile")
    check(page, "card-profile-en")
