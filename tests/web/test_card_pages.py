"""The profile's forms, the public card with its vCard and QR code, "Join my team" and the
admins' review page, through the test client (in Russian unless a test switches)."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

import segno
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from web_support import Browser

from backend.accounts.models import User
from backend.cards import signup
from backend.cards.models import PartnerCard, TextStatus
from backend.genealogy.models import Distributor

CHECKSUMMED = "0x52908400098527886E0F7030069857D2E4169EE7"  # EIP-55's own example


def _dina_code(api: Any) -> str:
    with Session(api.engine) as session:
        person = session.get(Distributor, api.distributor_id)
        assert person is not None
        return person.referral_code


def _card(browser: Browser, **fields: str) -> Any:
    form = {"alias": "dina", "enabled": "true", "show_email": "true", "block_ids": "1"} | fields
    return browser.post("/profile/card", form, token_from="/profile")


def _publish(browser: Browser, **fields: str) -> None:
    saved = _card(browser, **fields)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/profile?saved=card#card"


# -- profile ----------------------------------------------------------------------------------


def test_profile_shows_a_partner_their_forms_and_referral_link(browser: Browser, api: Any) -> None:
    browser.login("dina@example.com")
    page: Any = browser.get("/profile")
    assert page.status_code == 200
    for heading in ("Контакты", "Кошелёк для выплат", "Реферальная ссылка", "Визитка"):
        assert f">{heading}</h2>" in page.text
    assert f"http://testserver/r/{_dina_code(api)}" in page.text
    assert "банковским переводом или токенами на кошелёк" in page.text
    assert '<a href="/payout">Выплаты и налоговый статус</a>' in page.text
    assert "Ваша визитка пока не опубликована." in page.text  # the counts' empty state
    api.client.app.state.settings = api.settings.model_copy(
        update={"public_url": "https://office.example"}
    )
    assert f"https://office.example/r/{_dina_code(api)}" in browser.client.get("/profile").text


def test_staff_profile_has_no_partner_forms(browser: Browser) -> None:
    browser.login("finance@example.com")
    page: Any = browser.get("/profile")
    assert page.status_code == 200 and "/profile/wallet" not in page.text
    refused: Any = browser.post("/profile/card", {"alias": "fin"}, token_from="/profile")
    assert refused.status_code == 403


def test_contacts_errors_stand_next_to_their_fields(browser: Browser, api: Any) -> None:
    browser.login("dina@example.com")
    bad: Any = browser.post(
        "/profile/contacts",
        {"phone": "call me", "email": "nope", "messenger": "x"},
        token_from="/profile",
    )
    assert bad.status_code == 422
    for field in ("phone", "email", "messenger"):
        assert f'aria-describedby="{field}-error"' in bad.text or f'{field}-error"' in bad.text
        assert f'id="{field}-error"' in bad.text
    assert "Укажите номер телефона" in bad.text and 'value="call me"' in bad.text
    good: Any = browser.post(
        "/profile/contacts",
        {"phone": "+7 900 111-22-33", "email": "dina.card@example.com", "messenger": "@dina_team"},
        token_from="/profile",
    )
    assert good.status_code == 303
    page = browser.client.get(good.headers["location"]).text
    assert "Контакты сохранены." in page and 'value="@dina_team"' in page
    with Session(api.engine) as session:
        person = session.get(Distributor, api.distributor_id)
        assert person is not None and person.phone == "+7 900 111-22-33"
        login = session.exec(select(User).where(User.distributor_id == api.distributor_id)).one()
        assert login.email == "dina@example.com"  # the login stays


def test_wallet_needs_a_valid_address_and_the_password(browser: Browser, api: Any) -> None:
    browser.login("dina@example.com")
    cases = [
        ({"wallet": "0x123", "password": "password-123"}, "wallet-error", "0x и 40"),
        (
            {"wallet": CHECKSUMMED.replace("E", "e", 1), "password": "password-123"},
            "wallet-error",
            "контрольной суммой",
        ),
        ({"wallet": "0x" + "0" * 40, "password": "password-123"}, "wallet-error", "Ключа"),
        ({"wallet": CHECKSUMMED, "password": "wrong-password"}, "wallet_password-error", "Пароль"),
    ]
    for form, error_id, words in cases:
        refused: Any = browser.post("/profile/wallet", form, token_from="/profile")
        assert refused.status_code == 422, form
        assert f'id="{error_id}"' in refused.text and words in refused.text
    saved: Any = browser.post(
        "/profile/wallet",
        {"wallet": CHECKSUMMED, "password": "password-123"},
        token_from="/profile",
    )
    assert saved.status_code == 303
    assert CHECKSUMMED in browser.client.get("/profile").text
    # Another partner cannot take the same wallet.
    enrolled = api.client.post(
        "/api/distributors",
        json={
            "first_name": "Ivan",
            "last_name": "Other",
            "email": "ivan@example.com",
            "password": "ivan-password",
        },
        headers=api.as_("admin"),
    )
    assert enrolled.status_code == 201
    ivan = Browser(TestClient(api.client.app))
    ivan.login("ivan@example.com", "ivan-password")
    taken: Any = ivan.post(
        "/profile/wallet",
        {"wallet": CHECKSUMMED, "password": "ivan-password"},
        token_from="/profile",
    )
    assert taken.status_code == 422 and "другого партнёра" in taken.text


def test_card_form_errors_and_a_held_text(browser: Browser, api: Any) -> None:
    browser.login("dina@example.com")
    for alias, words in (("admin", "занято самим сайтом"), ("дина", "латинские буквы")):
        refused = _card(browser, alias=alias)
        assert refused.status_code == 422 and 'id="alias-error"' in refused.text
        assert words in refused.text
    four = _card(browser, block_ids="1")
    assert four.status_code == 303
    messenger = _card(browser, show_messenger="true")
    assert messenger.status_code == 422 and "Сначала укажите мессенджер" in messenger.text
    _publish(browser, free_text="Пассивный доход без усилий!")
    page = browser.client.get("/profile").text
    assert "Ждёт одобрения компании" in page and "пассивный доход" in page
    card: Any = browser.client.get("/p/dina")
    assert card.status_code == 200 and "Пассивный доход" not in card.text


# -- the public card --------------------------------------------------------------------------


def test_the_card_shows_chosen_contacts_blocks_and_approved_text(
    browser: Browser, api: Any
) -> None:
    browser.login("dina@example.com")
    browser.post(
        "/profile/contacts",
        {"phone": "+7 900 111-22-33", "email": "dina@example.com", "messenger": "@dina_team"},
        token_from="/profile",
    )
    _publish(browser, free_text="Отвечу на вопросы о продуктах.\nПишите!")
    visitor = Browser(TestClient(api.client.app))
    card: Any = visitor.get("/p/Dina")
    assert card.status_code == 200
    assert "<h1>Dina First</h1>" in card.text and "Независимый партнёр" in card.text
    assert 'href="mailto:dina@example.com"' in card.text
    assert "+7 900 111-22-33" not in card.text and "@dina_team" not in card.text  # not chosen
    assert "Я помогаю подобрать продукты" in card.text  # block 1, in Russian
    assert "Отвечу на вопросы о продуктах.\nПишите!" in card.text
    assert f'href="/join?ref={_dina_code(api)}"' in card.text
    alt = 'alt="QR-код с адресом этой визитки: http://testserver/p/dina"'
    assert alt in card.text
    visitor.post("/language", {"language": "en", "next": "/p/dina"}, token_from="/p/dina")
    english = visitor.client.get("/p/dina").text
    assert "I help you choose health and beauty products" in english
    assert "Join my team" in english


def test_visits_count_once_per_browser_and_never_the_owner(browser: Browser, api: Any) -> None:
    browser.login("dina@example.com")
    _publish(browser)
    for _ in range(3):
        browser.client.get("/p/dina")  # the owner
    first = Browser(TestClient(api.client.app))
    response: Any = first.get("/p/dina")
    cookie = response.headers["set-cookie"]
    assert f"lineage_sponsor={_dina_code(api)}" in cookie and "Max-Age=2592000" in cookie
    first.get("/p/dina")
    Browser(TestClient(api.client.app)).get("/p/dina")
    with Session(api.engine) as session:
        card = session.get(PartnerCard, api.distributor_id)
        assert card is not None and card.visits == 2
    home = browser.client.get("/home").text
    assert "2 посещения" in home and "/p/dina" in home


def test_vcard_download(browser: Browser, api: Any) -> None:
    browser.login("dina@example.com")
    browser.post(
        "/profile/contacts",
        {"phone": "+7 900 111-22-33", "email": "", "messenger": "@dina_team"},
        token_from="/profile",
    )
    _publish(browser, show_phone="true", show_messenger="true", show_email="")
    response: Any = Browser(TestClient(api.client.app)).get("/p/dina/vcard.vcf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/vcard; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="dina.vcf"'
    text = response.content.decode()
    assert text.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\nN:First;Dina;;;\r\nFN:Dina First\r\n")
    assert "TEL;TYPE=CELL:+7 900 111-22-33\r\n" in text and "NOTE:@dina_team\r\n" in text
    assert "EMAIL" not in text  # not chosen (and removed)
    assert "URL:http://testserver/p/dina\r\n" in text and text.endswith("END:VCARD\r\n")


def test_qr_code_is_an_svg_of_the_card_address(browser: Browser, api: Any) -> None:
    browser.login("dina@example.com")
    _publish(browser)
    response: Any = Browser(TestClient(api.client.app)).get("/p/dina/qr.svg")
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    svg = response.text
    assert svg.startswith("<svg") and "<title>http://testserver/p/dina</title>" in svg

    # The modules are those of the card's address (and not of another address).
    def modules(url: str) -> str:
        out = io.BytesIO()
        segno.make(url, error="m").save(out, kind="svg", scale=6, border=4, xmldecl=False)
        found = re.search(r'class="qrline"[^>]* d="([^"]+)"', out.getvalue().decode())
        assert found is not None
        return found.group(1)

    shown = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg)
    assert shown is not None and shown.group(1) == modules("http://testserver/p/dina")
    assert shown.group(1) != modules("http://testserver/p/dima")
    assert 'width="' in svg and "#fff" in svg  # a light background: it scans on dark themes


def test_unknown_or_unpublished_cards_are_404_pages(browser: Browser) -> None:
    for path in ("/p/nobody", "/p/nobody/vcard.vcf", "/p/nobody/qr.svg", "/r/NOPE1234"):
        response: Any = browser.get(path)
        assert response.status_code == 404 and "Страница не найдена" in response.text, path
    browser.login("dina@example.com")
    _publish(browser, enabled="")
    assert browser.get("/p/dina").status_code == 404  # type: ignore[attr-defined]


def test_referral_link_leads_to_the_card_or_the_form(browser: Browser, api: Any) -> None:
    code = _dina_code(api)
    visitor = Browser(TestClient(api.client.app))
    to_form: Any = visitor.get(f"/r/{code.lower()}")
    assert to_form.status_code == 303 and to_form.headers["location"] == f"/join?ref={code}"
    browser.login("dina@example.com")
    _publish(browser)
    to_card: Any = visitor.get(f"/r/{code}")
    assert to_card.headers["location"] == "/p/dina"


# -- join my team -----------------------------------------------------------------------------

PERSON = {
    "first_name": "Вера",
    "last_name": "Новая",
    "email": "vera@example.com",
    "phone": "",
    "password": "vera-password",
    "consent": "yes",
}


def _form_of(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="(csrf_token|form_token|ref)" value="([^"]*)"', html))
    assert set(fields) == {"csrf_token", "form_token", "ref"}, "the join form is not there"
    return fields


def _filled_form(visitor: Browser, api: Any, path: str = "") -> dict[str, str]:
    """A join form as a person sends it: issued five seconds ago (the clock goes back for the
    page, not forward for the post: a session token issued "in the future" is not valid)."""
    api.clock.advance(seconds=-5)
    try:
        if path:
            html = visitor.client.get(path).text
        else:
            html = visitor.client.get(f"/join?ref={_dina_code(api)}").text
        return _form_of(html)
    finally:
        api.clock.advance(seconds=5)


def test_join_shows_the_sponsor_from_the_cookie(browser: Browser, api: Any) -> None:
    visitor = Browser(TestClient(api.client.app))
    empty: Any = visitor.get("/join")
    assert empty.status_code == 200 and "откройте визитку или ссылку партнёра" in empty.text
    visitor.get(f"/r/{_dina_code(api)}")  # sets the 30-day cookie
    page: Any = visitor.get("/join")
    assert "Ваш спонсор: Dina First, ID 2" in unescape(page.text)
    bad: Any = visitor.get("/join?ref=NOPE1234")
    assert bad.status_code == 404 and "По этой ссылке нет партнёра" in bad.text


def test_join_enrolls_once_and_lands_in_the_new_office(browser: Browser, api: Any) -> None:
    visitor = Browser(TestClient(api.client.app))
    form = _form_of(visitor.client.get(f"/join?ref={_dina_code(api)}").text)
    too_fast: Any = visitor.client.post("/join", data=form | PERSON, follow_redirects=False)
    assert too_fast.status_code == 400 and "быстрее, чем человек" in too_fast.text
    assert _form_of(too_fast.text)["form_token"] != form["form_token"]  # a fresh one came
    form = _filled_form(visitor, api)
    joined: Any = visitor.client.post("/join", data=form | PERSON, follow_redirects=False)
    assert joined.status_code == 303 and joined.headers["location"] == "/home"
    assert "lineage_session=" in joined.headers["set-cookie"]
    office = visitor.client.get("/home").text
    assert "Мой офис" in office and "Вера Новая" in office and "Dina First (ID 2)" in office
    with Session(api.engine) as session:
        vera = session.exec(select(User).where(User.email == "vera@example.com")).one()
        person = session.get(Distributor, vera.distributor_id)
        assert person is not None and person.sponsor_id == api.distributor_id
        people = len(session.exec(select(Distributor.id)).all())
    # A script replaying the captured request (its cookie, its tokens) creates nobody.
    bot = TestClient(api.client.app)
    bot.cookies.set("lineage_browser", visitor.client.cookies["lineage_browser"])
    for email in ("vera@example.com", "vera2@example.com"):
        again = bot.post("/join", data=form | PERSON | {"email": email}, follow_redirects=False)
        assert again.status_code == 400 and "уже была отправлена" in again.text
    with Session(api.engine) as session:
        assert len(session.exec(select(Distributor.id)).all()) == people
        assert session.exec(select(User).where(User.email == "vera2@example.com")).first() is None


def test_a_replayed_form_is_refused(browser: Browser, api: Any) -> None:
    visitor = Browser(TestClient(api.client.app))
    form = _filled_form(visitor, api)
    first: Any = visitor.client.post(
        "/join", data=form | PERSON | {"password": "short"}, follow_redirects=False
    )
    assert first.status_code == 422 and 'id="password-error"' in first.text
    replayed: Any = visitor.client.post("/join", data=form | PERSON, follow_redirects=False)
    assert replayed.status_code == 400 and "уже была отправлена" in replayed.text
    with Session(api.engine) as session:
        assert session.exec(select(User).where(User.email == "vera@example.com")).first() is None


def test_join_field_errors_and_a_taken_email(browser: Browser, api: Any) -> None:
    visitor = Browser(TestClient(api.client.app))
    form = _filled_form(visitor, api)
    empty = dict.fromkeys(PERSON, "")
    errors: Any = visitor.client.post("/join", data=form | empty, follow_redirects=False)
    assert errors.status_code == 422
    for field in ("first_name", "last_name", "email", "password", "consent"):
        assert f'id="{field}-error"' in errors.text, field
    form = _filled_form(visitor, api)
    taken: Any = visitor.client.post(
        "/join", data=form | PERSON | {"email": "dina@example.com"}, follow_redirects=False
    )
    assert taken.status_code == 409 and "Учётная запись с этим e-mail уже есть" in taken.text


def test_join_is_throttled_per_address(browser: Browser, api: Any) -> None:
    with Session(api.engine) as session:
        for _ in range(api.settings.signup_max_per_address):
            signup.count_attempt(session, "testclient", settings=api.settings, now=api.clock())
    visitor = Browser(TestClient(api.client.app))
    form = _filled_form(visitor, api)
    throttled: Any = visitor.client.post("/join", data=form | PERSON, follow_redirects=False)
    assert throttled.status_code == 429 and "слишком много регистраций" in throttled.text
    with Session(api.engine) as session:
        assert session.exec(select(User).where(User.email == "vera@example.com")).first() is None


# -- the admins' page -------------------------------------------------------------------------


def test_admin_publishes_a_held_text(browser: Browser, api: Any) -> None:
    browser.login("dina@example.com")
    _publish(browser, free_text="Финансовая свобода — это про нас")
    assert browser.get("/admin/cards").status_code == 403  # type: ignore[attr-defined]
    admin = Browser(TestClient(api.client.app))
    admin.login("admin@example.com", "admin-password-1")
    page: Any = admin.get("/admin/cards")
    assert page.status_code == 200 and "Финансовая свобода — это про нас" in page.text
    assert "финансовая свобода" in page.text and "1 текст ждёт решения" in page.text
    revision = re.search(r'name="revision" value="(\d+)"', page.text)
    assert revision is not None
    done: Any = admin.post(
        f"/admin/cards/{api.distributor_id}/approval",
        {"revision": revision.group(1)},
        token_from="/admin/cards",
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/cards?done=approved"
    assert "Ожидающих текстов нет" in admin.client.get("/admin/cards").text
    assert "Финансовая свобода — это про нас" in browser.client.get("/p/dina").text
    with Session(api.engine) as session:
        card = session.get(PartnerCard, api.distributor_id)
        assert card is not None and card.text_status == TextStatus.approved


def test_admin_adds_and_retires_blocks(browser: Browser, api: Any) -> None:
    admin = browser
    admin.login("admin@example.com", "admin-password-1")
    half: Any = admin.post("/admin/card-blocks", {"text_ru": "Только"}, token_from="/admin/cards")
    assert half.status_code == 422 and 'id="block-error"' in half.text
    added: Any = admin.post(
        "/admin/card-blocks",
        {"text_ru": "Новый блок", "text_en": "A new block"},
        token_from="/admin/cards",
    )
    assert added.status_code == 303
    page = admin.client.get(added.headers["location"]).text
    assert "Новый блок" in page and "Блок добавлен" in page
    assert "снят" not in page
    retired: Any = admin.post(
        "/admin/card-blocks/5", {"active": "false"}, token_from="/admin/cards"
    )
    assert retired.status_code == 303
    assert "снят" in admin.client.get("/admin/cards").text
