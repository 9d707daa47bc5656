"""The pages through the test client: sessions, CSRF, role and scope refusals as pages,
languages and plural forms, empty states. (The browser suite is test_browser.py.)"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD
from web_support import Browser, csrf_of

from backend.core.model_base import Language
from backend.periods.models import PeriodStatus, StatementSummary
from backend.web.i18n import build_environments
from backend.web.policy import PAGE_POLICY


def test_anonymous_is_sent_to_login_and_root_follows_the_session(browser: Browser) -> None:
    assert browser.get("/").headers["location"] == "/login"
    home = browser.get("/profile")
    assert home.status_code == 303 and home.headers["location"] == "/login?next=/profile"
    assert browser.login("dina@example.com").headers["location"] == "/home"
    assert browser.get("/").headers["location"] == "/home"


def test_login_sets_an_httponly_lax_cookie_and_lands_on_the_office(browser: Browser) -> None:
    response: Any = browser.login("dina@example.com")
    cookie = response.headers["set-cookie"].lower()
    assert "lineage_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # the `https` setting is off in tests
    page: Any = browser.get("/home")
    assert page.status_code == 200
    assert "Мой офис" in page.text and "Dina First" in page.text
    assert "Company Root (ID 1)" in page.text  # sponsor and parent
    assert "Выписок пока нет" in page.text  # the empty state of statements


def test_wrong_password_is_shown_next_to_the_field(browser: Browser) -> None:
    response: Any = browser.login("dina@example.com", "not-the-password")
    assert response.status_code == 401
    assert 'id="password-error"' in response.text and "Неверный e-mail или пароль" in response.text
    assert 'aria-describedby="password-error"' in response.text


def test_login_throttling_applies_to_the_form(browser: Browser) -> None:
    for _ in range(5):
        assert browser.login("dina@example.com", "wrong-password").status_code == 401  # type: ignore[attr-defined]
    throttled: Any = browser.login("dina@example.com")
    assert throttled.status_code == 429 and "Слишком много" in throttled.text


def test_post_without_or_with_a_foreign_csrf_token_is_a_403_page(
    browser: Browser, api: Any
) -> None:
    bare: Any = browser.client.post(
        "/login", data={"email": "dina@example.com", "password": "password-123"}
    )
    assert bare.status_code == 403 and "<h1>Доступ запрещён</h1>" in bare.text
    other = Browser(TestClient(api.client.app))
    foreign = other.token()
    browser.token()  # this browser has its own cookie: the other's token does not fit it
    forged: Any = browser.client.post(
        "/login",
        data={"email": "dina@example.com", "password": "password-123", "csrf_token": foreign},
    )
    assert forged.status_code == 403
    assert browser.login("dina@example.com").status_code == 303  # type: ignore[attr-defined]
    ended: Any = browser.client.post("/logout", data={"csrf_token": foreign})
    assert ended.status_code == 403


def test_logout_ends_the_session(browser: Browser) -> None:
    browser.login("dina@example.com")
    out: Any = browser.post("/logout", {}, token_from="/home")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert browser.get("/home").headers["location"] == "/login?next=/home"  # type: ignore[attr-defined]


def test_password_change_keeps_this_browser_and_ends_the_others(browser: Browser, api: Any) -> None:
    other = Browser(TestClient(api.client.app))
    browser.login("dina@example.com")
    other.login("dina@example.com")
    wrong: Any = browser.post(
        "/profile/password",
        {"current_password": "nope-nope", "new_password": "brand-new-pass"},
        token_from="/profile",
    )
    assert wrong.status_code == 422 and 'id="current-error"' in wrong.text
    short: Any = browser.post(
        "/profile/password",
        {"current_password": "password-123", "new_password": "short"},
        token_from="/profile",
    )
    assert short.status_code == 422 and 'id="new-error"' in short.text
    done: Any = browser.post(
        "/profile/password",
        {"current_password": "password-123", "new_password": "brand-new-pass"},
        token_from="/profile",
    )
    assert done.headers["location"] == "/profile?changed=1"
    assert "Пароль изменён" in browser.client.get("/profile?changed=1").text
    assert other.get("/home").status_code == 303  # type: ignore[attr-defined]
    assert api.client.get("/api/users/me", headers=api.as_("distributor")).status_code == 401


def test_a_page_outside_the_role_is_a_403_page(browser: Browser) -> None:
    browser.login("dina@example.com")
    refused: Any = browser.get("/accounts")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "Доступ запрещён" in refused.text and "Traceback" not in refused.text


def test_a_distributor_cannot_open_another_persons_record(browser: Browser, api: Any) -> None:
    admin = {"first_name": "Oleg", "last_name": "Other"}
    other = api.client.post("/api/distributors", json=admin, headers=api.as_("admin")).json()
    browser.login("dina@example.com")
    assert browser.get(f"/distributors/{api.distributor_id}").status_code == 200  # type: ignore[attr-defined]
    refused: Any = browser.get(f"/distributors/{other['id']}")
    assert refused.status_code == 403 and "Oleg" not in refused.text
    assert browser.get("/distributors/999999").status_code == 404  # type: ignore[attr-defined]
    assert browser.get("/distributors/abc").status_code == 404  # type: ignore[attr-defined]


def test_unknown_url_is_a_404_page_and_the_api_keeps_json(browser: Browser) -> None:
    page: Any = browser.get("/no-such-page")
    assert page.status_code == 404 and "Страница не найдена" in page.text
    api: Any = browser.get("/api/no-such-thing")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_staff_home_shows_the_role_and_only_the_pages_it_may_open(browser: Browser) -> None:
    browser.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    home: Any = browser.get("/home")
    assert "Администратор" in home.text and 'href="/admin"' in home.text
    # Admins manage accounts in /admin/users; the read-only list stays for auditors.
    assert 'href="/accounts"' not in home.text and browser.get("/accounts").status_code == 403
    auditor = Browser(TestClient(browser.client.app))
    auditor.login("auditor@example.com")
    accounts: Any = auditor.get("/accounts")
    assert accounts.status_code == 200 and "dina@example.com" in accounts.text
    assert "5 учётных записей" in accounts.text
    finance = Browser(TestClient(browser.client.app))
    finance.login("finance@example.com")
    menu: Any = finance.get("/home")
    assert "Финансы" in menu.text and 'href="/accounts"' not in menu.text


def test_language_is_remembered_per_visitor_and_per_account(browser: Browser, api: Any) -> None:
    switched: Any = browser.post("/language", {"language": "en", "next": "/login"})
    assert switched.headers["location"] == "/login"
    assert "<h1>Log in</h1>" in browser.client.get("/login").text
    browser.login("dina@example.com")  # chose English before logging in: kept on the account
    assert "My office" in browser.client.get("/home").text
    fresh = Browser(TestClient(api.client.app))  # another browser, no language cookie
    fresh.login("dina@example.com")
    assert "My office" in fresh.client.get("/home").text
    fresh.post("/language", {"language": "ru", "next": "/home"}, token_from="/home")
    assert "Мой офис" in fresh.client.get("/home").text
    assert "Мой офис" in browser.client.get("/home").text  # the account's language


def test_every_page_route_has_a_policy_entry(api: Any) -> None:
    from backend.web.routes import router

    routes = {(m, r.path) for r in router.routes for m in getattr(r, "methods", ())}
    assert routes == set(PAGE_POLICY)


def _summary(count: int) -> dict[str, Any]:
    latest = StatementSummary(
        period_id=7,
        status=PeriodStatus.paid,
        currency="RUB",
        exponent=2,
        earned=123456750,
        payout=123400000,
        balance_out=5675,
    )
    return {"latest": latest, "statement_count": count}


def test_statement_amounts_and_russian_plural_forms() -> None:
    from types import SimpleNamespace

    environments = build_environments()
    card = SimpleNamespace(
        distributor=SimpleNamespace(
            id=2,
            first_name="Dina",
            last_name="First",
            status="active",
            enrolled_at=None,
            wallet=None,
        ),
        sponsor=None,
        placement=None,
        parent=None,
    )
    from backend.periods.dashboard import Dashboard, Estimate

    empty = Dashboard(None, None, None, Estimate("no_open_period"), [], [])
    base = {
        "card": card,
        "tree_width": 2,
        "status_names": {"active": "active", "paid": "paid"},
        "board": empty,
    }
    template = environments[Language.ru].get_template("home_distributor.html")
    for count, words in ((1, "1 выписка"), (3, "3 выписки"), (5, "5 выписок"), (21, "21 выписка")):
        html = template.render(base | _summary(count), menu=[], csrf_token="x", here="/home")
        assert words in html
    assert "1\u00a0234\u00a0567,50\u00a0₽" in html
    english = environments[Language.en].get_template("home_distributor.html")
    html = english.render(base | _summary(1), menu=[], csrf_token="x", here="/home")
    assert "1 statement so far" in html and "RUB1,234,567.50" in html


def test_csrf_token_is_on_every_post_form(browser: Browser) -> None:
    browser.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    for path in ("/home", "/profile", "/admin", "/admin/users", "/admin/settings"):
        html = browser.client.get(path).text
        assert html.count('method="post"') == html.count('name="csrf_token"') > 0
        assert csrf_of(html)


def test_every_message_of_the_pages_is_in_both_catalogues() -> None:
    """What `pybabel extract -F babel.cfg -k N_` finds in the code and templates is in each
    catalogue (else a page shows an English string to a Russian reader)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import read_po

    from backend.web.i18n import LOCALE_DIR

    root = LOCALE_DIR.parents[2]
    with (root / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            str(root), method_map, options_map, keywords=keywords
        )
    }
    for language in ("ru", "en"):
        with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle, locale=language)
        missing = sorted(m for m in found if m and m not in catalog)
        assert missing == [], f"{language}: run pybabel extract and update (babel.cfg)"


def test_the_russian_catalogue_translates_every_message() -> None:
    from babel.messages.pofile import read_po

    from backend.web.i18n import LOCALE_DIR

    with (LOCALE_DIR / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="ru")
    untranslated = [
        m.id for m in catalog if m.id and (not m.string or not all(m.string) or m.fuzzy)
    ]
    assert untranslated == []
