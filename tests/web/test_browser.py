"""Real flows in Debian's chromium against the real app (uvicorn on a free port, a seeded SQLite
company with a distributor login). Every page visited is checked by axe-core (no serious or
critical violation) and screenshotted at 360 px and at desktop width into
artifacts/screenshots/."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

from backend.bootstrap import migrate, seed
from backend.core.config import Settings
from backend.core.db import make_engine

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
ADMIN = ("admin@example.com", "admin-password-1")
DINA = ("dina@example.com", "dina-password-1")
SIZES = {"360": {"width": 360, "height": 780}, "desktop": {"width": 1280, "height": 860}}

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make browser installs it)"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("company")
    env = os.environ | {
        "LINEAGE_DATA_DIR": str(data),
        "LINEAGE_SECRET_KEY": "browser-test-secret-key-long-enough-for-hs256",
        "LINEAGE_ADMIN_EMAIL": ADMIN[0],
        "LINEAGE_ADMIN_PASSWORD": ADMIN[1],
        "LINEAGE_LOGIN_MAX_FAILURES": "50",
    }
    settings = Settings(
        data_dir=data,
        admin_email=ADMIN[0],
        admin_password=ADMIN[1],  # type: ignore[arg-type]
    )
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    seed(engine, settings)
    engine.dispose()
    port = _free_port()
    log = (data / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "serve:app", "--port", str(port)],
        cwd=Path(__file__).parent,
        env=env | {"PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server, data / "server.log")
        _enroll_dina(url)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app did not start: {log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the app did not answer /health within 30 s")


def _enroll_dina(url: str) -> None:
    """A distributor with a login, through the JSON API as the admin."""
    login = {"username": ADMIN[0], "password": ADMIN[1]}
    token = httpx.post(f"{url}/api/auth/token", data=login).json()["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    person = {"first_name": "Дина", "last_name": "Первая", "email": DINA[0]}
    enrolled = httpx.post(f"{url}/api/distributors", json=person, headers=admin)
    assert enrolled.status_code == 201, enrolled.text
    account = {
        "email": DINA[0],
        "password": DINA[1],
        "role": "distributor",
        "distributor_id": enrolled.json()["id"],
    }
    assert httpx.post(f"{url}/api/users", json=account, headers=admin).status_code == 201


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser, base_url: str) -> Iterator[Page]:
    context = chromium.new_context(base_url=base_url, viewport=SIZES["desktop"])
    page = context.new_page()
    yield page
    context.close()


def check(page: Page, name: str) -> None:
    """axe on the page as it is, then a screenshot at each width."""
    results = Axe().run(page)
    grave = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not grave, f"{name}: {results.generate_report()}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.screenshot(path=SHOTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(SIZES["desktop"])


def log_in(page: Page, email: str, password: str) -> None:
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("form.stack button[type=submit]").click()


def test_login_in_russian_office_and_logout(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url("/login")
    expect(page.locator("h1")).to_have_text("Вход")
    check(page, "login-ru")
    log_in(page, *DINA)
    expect(page).to_have_url("/home")
    expect(page.locator("h1")).to_have_text("Мой офис")
    expect(page.locator("main")).to_contain_text("Дина Первая")
    check(page, "office-ru")
    page.click("text=Профиль")
    expect(page.locator("h1")).to_have_text("Профиль")
    check(page, "profile-ru")
    page.click("text=Выйти")
    expect(page).to_have_url("/login")
    page.goto("/home")
    expect(page).to_have_url("/login?next=/home")


def test_login_in_english_with_a_wrong_password_first(page: Page) -> None:
    page.goto("/login")
    page.click("button[value=en]")
    expect(page.locator("h1")).to_have_text("Log in")
    log_in(page, DINA[0], "not-her-password")
    error = page.locator("#password-error")
    expect(error).to_have_text("Wrong e-mail or password.")
    expect(page.locator("#password")).to_have_attribute("aria-describedby", "password-error")
    check(page, "login-error-en")
    log_in(page, *DINA)
    expect(page.locator("h1")).to_have_text("My office")
    check(page, "office-en")


def test_keyboard_only_login(page: Page) -> None:
    page.goto("/login")
    expect(page.locator("#email")).to_be_focused()  # autofocus: the form is ready to type in
    page.keyboard.type(ADMIN[0])
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(ADMIN[1])
    page.keyboard.press("Enter")
    expect(page).to_have_url("/home")
    check(page, "staff-home")
    page.goto("/accounts")
    check(page, "accounts")


def test_a_distributor_is_refused_a_staff_page(page: Page) -> None:
    page.goto("/login")
    log_in(page, *DINA)
    expect(page).to_have_url("/home")
    response = page.goto("/accounts")
    assert response is not None and response.status == 403
    # Her language is whichever she last chose (the tests share one company).
    expect(page.locator("h1")).to_have_text(re.compile("Доступ запрещён|Access denied"))
    check(page, "forbidden")
    missing = page.goto("/nowhere")
    assert missing is not None and missing.status == 404
    check(page, "not-found")
