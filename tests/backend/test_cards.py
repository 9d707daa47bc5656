"""Partners' public cards: alias rules, the earnings-claim check, the review of held texts,
the public sign-up (one person per form, under the right sponsor), its form token and its
throttle, and the vCard format."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from lineage_api import SECRET, Api
from sqlmodel import Session, col, func, select

from backend.accounts.models import User
from backend.admin_log.models import AdminAction, AdminLogEntry
from backend.cards import service as cards
from backend.cards import signup
from backend.cards.claims import PHRASES, find_claims
from backend.cards.models import PartnerCard, TextStatus
from backend.cards.vcard import VCardPerson, escape, fold, vcard
from backend.core.errors import Conflict, Invalid, TooManyRequests
from backend.core.model_base import Role
from backend.genealogy.models import Distributor, Placement

# -- alias ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [("anna", "anna"), ("Anna-Smirnova", "anna-smirnova"), ("  team7 ", "team7"), ("a1b", "a1b")],
)
def test_alias_is_kept_lower_case(given: str, stored: str) -> None:
    assert cards.check_alias(given) == stored


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("an", "alias_length"),
        ("a" * 33, "alias_length"),
        ("анна", "alias_charset"),
        ("7anna", "alias_charset"),
        ("anna--team", "alias_charset"),
        ("anna-", "alias_charset"),
        ("anna_team", "alias_charset"),
        ("anna.team", "alias_charset"),
        ("admin", "alias_reserved"),
        ("login", "alias_reserved"),
        ("static", "alias_reserved"),
        ("lineage-official", "alias_reserved"),
        ("support-desk", "alias_reserved"),
    ],
)
def test_alias_rules_refuse_with_a_reason(given: str, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        cards.check_alias(given)
    assert refused.value.code == code and refused.value.details == {"field": "alias"}


# -- the earnings-claim check ------------------------------------------------------------------


def test_the_phrase_list_has_at_least_15_phrases_per_language() -> None:
    english = [p for p in PHRASES if p.label.isascii()]
    russian = [p for p in PHRASES if not p.label.isascii()]
    assert len(english) >= 15 and len(russian) >= 15


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Financial freedom in 6 months!", "financial freedom"),
        ("FINANCIAL-FREEDOM", "financial freedom"),
        ("Build a passive income stream", "passive income"),
        ("Passive income, guaranteed.", "passive income"),
        ("This will replace your whole income", "replace your income"),
        ("Your income is guaranteed", "income guaranteed"),
        ("Quit your job and join us", "quit your job"),
        ("Make money while you sleep", "money while you sleep"),
        ("Get rich quick", "get rich"),
        ("Финансовая свобода уже через полгода", "финансовая свобода"),
        ("ФИНАНСОВУЮ   СВОБОДУ!!!", "финансовая свобода"),
        ("Пассивный доход каждый месяц", "пассивный доход"),
        ("пассивного ежемесячного дохода", "пассивный доход"),
        ("Заработок без вложений", "заработок без вложений"),
        ("зарабатывайте без всяких вложений", "заработок без вложений"),
        ("Гарантированный доход от 100 000 ₽", "гарантированный доход"),
        ("Уволься с работы уже завтра", "бросить работу"),
        ("Хочешь разбогатеть?", "разбогатеть"),
        # Look-alike Latin letters, invisible characters and ё do not hide a claim.
        ("пассивный дoхoд", "пассивный доход"),
        ("финансовая\u200b свобода", "финансовая свобода"),
        ("лёгкие деньги", "лёгкие деньги"),
    ],
)
def test_earnings_claims_are_found_in_any_form(text: str, label: str) -> None:
    assert label in find_claims(text)


@pytest.mark.parametrize(
    "text",
    [
        "I help you choose vitamins and skin care that fit your goals.",
        "Free shipping on your first order; money-back guarantee on returns.",
        "Build your dream career in nutrition advice.",
        "Our income statement is published every year.",
        "Помогу подобрать витамины и уход за кожей.",
        "Свобода выбора и финансовая грамотность для всей семьи.",
        "Доход компании снизился, а цены остались прежними.",
        "Работаю без выходных, отвечаю быстро.",
    ],
)
def test_ordinary_texts_pass(text: str) -> None:
    assert find_claims(text) == []


# -- the partner's card and the review of held texts -------------------------------------------


def _dina(api: Api, session: Session) -> User:
    return session.exec(select(User).where(User.email == "dina@example.com")).one()


def _settings(**changes: Any) -> cards.CardSettings:
    values: dict[str, Any] = {
        "alias": "dina",
        "enabled": True,
        "show_email": True,
        "show_phone": False,
        "show_messenger": False,
        "block_ids": [1, 2],
        "free_text": "",
    }
    return cards.CardSettings(**(values | changes))


def test_a_clean_text_is_published_at_once_and_a_claim_waits(api: Api) -> None:
    with api.session() as session:
        dina = _dina(api, session)
        card = cards.update_card(session, dina, _settings(free_text="Hello!"), now=api.clock())
        assert card.text_status == TextStatus.approved and card.published_text == "Hello!"
        text = "Финансовая свобода за год"
        card = cards.update_card(session, dina, _settings(free_text=text), now=api.clock())
        assert card.text_status == TextStatus.pending
        assert card.text_hits == ["финансовая свобода"]
        assert card.published_text == "Hello!"  # the approved text stays until a decision
        shown = cards.public_card(session, "DINA")
        assert shown.card.published_text == "Hello!" and [b.id for b in shown.blocks] == [1, 2]


def test_approval_needs_the_revision_read_and_is_logged(api: Api) -> None:
    with api.session() as session:
        dina = _dina(api, session)
        card = cards.update_card(
            session, dina, _settings(free_text="Passive income for life"), now=api.clock()
        )
        revision = card.text_revision
    pending = api.client.get("/api/card-texts/pending", headers=api.as_("admin")).json()
    assert pending["count"] == 1 and pending["items"][0]["hits"] == ["passive income"]
    path = f"/api/card-texts/{api.distributor_id}/approval"
    stale = api.client.post(path, json={"revision": revision - 1}, headers=api.as_("admin"))
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "text_changed"
    refused = api.client.post(path, json={"revision": revision}, headers=api.as_("distributor"))
    assert refused.status_code == 403
    approved = api.client.post(path, json={"revision": revision}, headers=api.as_("admin"))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = api.client.post(path, json={"revision": revision}, headers=api.as_("admin"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "text_not_pending"
    with api.session() as session:
        assert cards.public_card(session, "dina").card.published_text == "Passive income for life"
        entry = session.exec(
            select(AdminLogEntry).where(AdminLogEntry.action == AdminAction.card_text_approved)
        ).one()
        assert entry.target == f"distributor:{api.distributor_id}"
        assert json.loads(entry.payload) == {"revision": revision, "hits": ["passive income"]}


def test_a_rejected_text_never_reaches_the_card(api: Api) -> None:
    with api.session() as session:
        dina = _dina(api, session)
        text = "Заработок без вложений"
        revision = cards.update_card(
            session, dina, _settings(free_text=text), now=api.clock()
        ).text_revision
    path = f"/api/card-texts/{api.distributor_id}/rejection"
    rejected = api.client.post(path, json={"revision": revision}, headers=api.as_("admin"))
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    with api.session() as session:
        assert cards.public_card(session, "dina").card.published_text is None
        logged = session.exec(
            select(func.count())
            .select_from(AdminLogEntry)
            .where(AdminLogEntry.action == AdminAction.card_text_rejected)
        ).one()
        assert logged == 1
    assert api.client.get("/api/card-texts/pending", headers=api.as_("admin")).json()["count"] == 0


def test_an_alias_belongs_to_one_partner(api: Api) -> None:
    with api.session() as session:
        cards.update_card(session, _dina(api, session), _settings(), now=api.clock())
        root_user = User(
            email="root@example.com", role=Role.distributor, hashed_password="", distributor_id=1
        )
        with pytest.raises(Invalid) as refused:
            cards.update_card(session, root_user, _settings(), now=api.clock())
        assert refused.value.code == "alias_taken"


def test_a_disabled_card_or_a_retired_block_is_not_shown(api: Api) -> None:
    with api.session() as session:
        cards.update_card(session, _dina(api, session), _settings(enabled=False), now=api.clock())
        with pytest.raises(Exception, match="no card"):
            cards.public_card(session, "dina")
    # (The seeded blocks stay as they are: PostgreSQL tests share them.)
    block = {"text_ru": "Временный", "text_en": "For a while"}
    made = api.client.post("/api/card-blocks", json=block, headers=api.as_("admin")).json()
    with api.session() as session:
        chosen = _settings(block_ids=[made["id"], 1])
        cards.update_card(session, _dina(api, session), chosen, now=api.clock())
        assert [b.id for b in cards.public_card(session, "dina").blocks] == [made["id"], 1]
    retired = api.client.patch(
        f"/api/card-blocks/{made['id']}", json={"active": False}, headers=api.as_("admin")
    )
    assert retired.status_code == 200 and retired.json()["active"] is False
    with api.session() as session:
        assert [b.id for b in cards.public_card(session, "dina").blocks] == [1]
        with pytest.raises(Invalid) as refused:
            cards.update_card(session, _dina(api, session), chosen, now=api.clock())
        assert refused.value.code == "unknown_block"
        logged = session.exec(
            select(AdminLogEntry).where(AdminLogEntry.action == AdminAction.card_block_changed)
        ).one()
        assert json.loads(logged.payload) == {"changes": {"active": [True, False]}}


def test_admins_add_blocks_in_both_languages(api: Api) -> None:
    block = {"text_ru": "Новый блок", "text_en": "A new block"}
    made = api.client.post("/api/card-blocks", json=block, headers=api.as_("admin"))
    assert made.status_code == 201 and made.json()["id"] == 5
    half = api.client.post("/api/card-blocks", json={"text_ru": "Только"}, headers=api.as_("admin"))
    assert half.status_code == 422
    offered = api.client.get("/api/card-blocks?active=true", headers=api.as_("distributor"))
    assert [b["id"] for b in offered.json()] == [1, 2, 3, 4, 5]


# -- the sign-up -----------------------------------------------------------------------------

PERSON = signup.Signup("Вера", "Новая", "vera@example.com", "+7 900 000-00-00", "vera-password")


def _count(session: Session, model: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_join_creates_one_distributor_and_login_under_the_sponsor(api: Api) -> None:
    trees = api.client.app.state.placement_trees  # type: ignore[attr-defined]
    with api.session() as session:
        people, accounts = _count(session, Distributor), _count(session, User)
        user = signup.join(
            session,
            PERSON,
            sponsor_id=api.distributor_id,
            settings=api.settings,
            trees=trees,
            now=api.clock(),
        )
        assert _count(session, Distributor) == people + 1
        assert _count(session, User) == accounts + 1
        assert user.role == Role.distributor and user.email == "vera@example.com"
        person = session.get(Distributor, user.distributor_id)
        assert person is not None and person.sponsor_id == api.distributor_id
        assert person.phone == "+7 900 000-00-00"
        placement = session.get(Placement, user.distributor_id)
        assert placement is not None and placement.sponsor_id == api.distributor_id
        assert cards.card_counts(session, api.distributor_id).signups == 1
        with pytest.raises(Invalid) as taken:
            signup.join(
                session,
                PERSON,
                sponsor_id=api.distributor_id,
                settings=api.settings,
                trees=trees,
                now=api.clock(),
            )
        assert taken.value.code == "email_taken"
        assert _count(session, Distributor) == people + 1


def test_a_form_token_works_once(api: Api) -> None:
    token = signup.issue_token(SECRET, api.distributor_id, now=api.clock())
    later = api.clock() + timedelta(seconds=10)
    with api.session() as session:
        assert (
            signup.redeem_token(session, SECRET, token, settings=api.settings, now=later)
            == api.distributor_id
        )
        with pytest.raises(signup.SignupRefused) as replayed:
            signup.redeem_token(session, SECRET, token, settings=api.settings, now=later)
        assert replayed.value.code == "form_used"


@pytest.mark.parametrize(
    ("seconds", "code"), [(0, "form_too_fast"), (1, "form_too_fast"), (3 * 3600, "form_expired")]
)
def test_a_form_sent_too_soon_or_too_late_is_refused(api: Api, seconds: int, code: str) -> None:
    token = signup.issue_token(SECRET, api.distributor_id, now=api.clock())
    with api.session() as session, pytest.raises(signup.SignupRefused) as refused:
        signup.redeem_token(
            session,
            SECRET,
            token,
            settings=api.settings,
            now=api.clock() + timedelta(seconds=seconds),
        )
    assert refused.value.code == code


def test_a_forged_token_is_refused(api: Api) -> None:
    token = signup.issue_token("another-secret", api.distributor_id, now=api.clock())
    nonce, _sponsor, issued, signature = signup.issue_token(
        SECRET, api.distributor_id, now=api.clock()
    ).split(".")
    other_sponsor = f"{nonce}.1.{issued}.{signature}"  # the signature covers the sponsor
    later = api.clock() + timedelta(seconds=10)
    with api.session() as session:
        for bad in (token, other_sponsor, "garbage", "a.b.c.d"):
            with pytest.raises(signup.SignupRefused) as refused:
                signup.redeem_token(session, SECRET, bad, settings=api.settings, now=later)
            assert refused.value.code == "form_invalid"


def test_sign_ups_are_throttled_per_address(api: Api) -> None:
    limit = api.settings.signup_max_per_address
    with api.session() as session:
        for _ in range(limit):
            signup.count_attempt(session, "203.0.113.9", settings=api.settings, now=api.clock())
        with pytest.raises(TooManyRequests) as throttled:
            signup.count_attempt(session, "203.0.113.9", settings=api.settings, now=api.clock())
        assert 0 < throttled.value.retry_after_seconds <= api.settings.signup_window_seconds
        # Another address is not affected; the window's end frees the first one.
        signup.count_attempt(session, "198.51.100.7", settings=api.settings, now=api.clock())
        after = api.clock() + timedelta(seconds=api.settings.signup_window_seconds + 1)
        signup.count_attempt(session, "203.0.113.9", settings=api.settings, now=after)


def test_a_terminated_sponsor_takes_nobody(api: Api) -> None:
    status = {"status": "terminated", "reason": "left"}
    path = f"/api/distributors/{api.distributor_id}/status"
    assert api.client.post(path, json=status, headers=api.as_("admin")).status_code == 200
    with api.session() as session:
        with pytest.raises(Exception, match="no partner"):
            signup.sponsor_by_id(session, api.distributor_id)
        assert session.exec(select(User).where(col(User.email) == PERSON.email)).first() is None


def test_signups_count_without_a_card(api: Api) -> None:
    with api.session() as session:
        cards.count_signup(session, api.distributor_id, now=api.clock())
        cards.count_signup(session, api.distributor_id, now=api.clock())
        card = session.get(PartnerCard, api.distributor_id)
        assert card is not None and card.signups == 2 and card.alias is None
        counts = cards.card_counts(session, api.distributor_id)
        assert counts.has_card is False and counts.signups == 2


def test_decide_on_a_partner_without_card_is_not_found(api: Api) -> None:
    response = api.client.post(
        "/api/card-texts/1/approval", json={"revision": 0}, headers=api.as_("admin")
    )
    assert response.status_code == 404
    with api.session() as session, pytest.raises(Conflict):
        dina = _dina(api, session)
        cards.update_card(session, dina, _settings(free_text="Hi"), now=api.clock())
        cards.decide(
            session, api.distributor_id, revision=1, approve=True, actor=dina, now=api.clock()
        )


# -- vCard -----------------------------------------------------------------------------------


def test_vcard_escapes_text_and_folds_long_lines_on_character_boundaries() -> None:
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    text = vcard(
        VCardPerson(
            first_name="Анна, Мария",
            last_name="Смирнова;Иванова",
            url="https://office.example/p/anna",
            email="anna@example.com",
            phone="+7 900 123-45-67",
            note="Telegram: @anna_team\nпосле 18:00 " + "очень " * 10,
        )
    )
    assert text.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n") and text.endswith("END:VCARD\r\n")
    assert "N:Смирнова\\;Иванова;Анна\\, Мария;;;\r\n" in text
    assert "TEL;TYPE=CELL:+7 900 123-45-67\r\n" in text
    assert "EMAIL;TYPE=INTERNET:anna@example.com\r\n" in text
    assert "URL:https://office.example/p/anna\r\n" in text
    physical = text.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in physical)
    note = "".join(line[1:] if line.startswith(" ") else "\n" + line for line in physical)
    assert "NOTE:Telegram: @anna_team\\nпосле 18:00 " + "очень " * 10 in note  # unfolded whole
    assert "\n" not in text.replace("\r\n", "")


def test_fold_keeps_a_short_line_and_splits_a_long_one() -> None:
    assert fold("FN:Anna") == "FN:Anna"
    folded = fold("NOTE:" + "я" * 60)
    first, second = folded.split("\r\n")
    assert len(first.encode()) <= 75 and second.startswith(" ")
    assert first + second[1:] == "NOTE:" + "я" * 60
