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
from fastapi.testclient import TestClient
from lineage_api import SECRET, Api, Clock, add_user, seed_rates, token_for
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlmodel import Session, select
from test_api_periods import close, make_company, post

from backend.accounts.models import User
from backend.bootstrap import migrate, seed
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.core.model_base import Role
from backend.main import create_app

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
FINANCE = ("finance@example.com", "password-123")
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
        "LINEAGE_SECRET_KEY": SECRET,
        "LINEAGE_ADMIN_EMAIL": ADMIN[0],
        "LINEAGE_ADMIN_PASSWORD": ADMIN[1],
        "LINEAGE_LOGIN_MAX_FAILURES": "50",
    }
    settings = Settings(
        data_dir=data,
        admin_email=ADMIN[0],
        admin_password=ADMIN[1],  # type: ignore[arg-type]
        secret_key=SECRET,  # type: ignore[arg-type]
    )
    _company_with_a_closed_period(settings)
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


def _company_with_a_closed_period(settings: Settings) -> None:
    """Before the server starts, in process on its data folder: Dina (a login) and the periods
    tests' small company under her (`make_company`), its first period computed and approved,
    so her statement pages have lines, a held balance (distributor 5 has no wallet) and a
    proof. Staff logins: finance@, auditor@ and warehouse@example.com with PASSWORD."""
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    seed(engine, settings)
    seed_rates(engine)
    clock = Clock()
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        with Session(engine) as session:
            admin_id = session.exec(select(User.id).where(User.email == ADMIN[0])).one()
        assert admin_id is not None
        headers = {"admin": token_for(admin_id, clock)}
        person = {"first_name": "Дина", "last_name": "Первая", "email": DINA[0]}
        enrolled = client.post("/api/distributors", json=person, headers=headers["admin"])
        assert enrolled.status_code == 201, enrolled.text
        dina = enrolled.json()["id"]
        for role in (Role.finance, Role.auditor, Role.warehouse):
            headers[role.value] = token_for(
                add_user(engine, f"{role.value}@example.com", role), clock
            )
        account = {
            "email": DINA[0],
            "password": DINA[1],
            "role": "distributor",
            "distributor_id": dina,
        }
        created = client.post("/api/users", json=account, headers=headers["admin"])
        assert created.status_code == 201, created.text
        headers["distributor"] = token_for(created.json()["id"], clock)
        api = make_company(Api(client, engine, clock, settings, headers, dina))
        assert post(api, "/api/periods").status_code == 201
        close(api, 1)
    engine.dispose()


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


def test_statements_list_detail_csv_and_refusals(page: Page) -> None:
    page.goto("/login")
    log_in(page, *DINA)
    expect(page).to_have_url("/home")
    page.goto("/statements")
    expect(page.locator("h1")).to_have_text(re.compile("Мои выписки|My statements"))
    check(page, "statements")
    page.locator("main table a").first.click()
    expect(page).to_have_url(re.compile(r"/distributors/2/statements/1$"))
    expect(page.locator("h1")).to_have_text(
        re.compile("Выписка за период 1|Statement for period 1")
    )
    check(page, "statement")
    with page.expect_download() as download:
        page.locator("a[download]").click()
    path = download.value.path()
    assert download.value.suggested_filename == "statement-1-2.csv"
    text = Path(path).read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].startswith(("Строка,Бонус", "Line,Bonus"))
    refused = page.goto("/distributors/3/statements/1")
    assert refused is not None and refused.status == 403
    page.click("button.secondary")  # log out


def test_finance_reads_a_held_statement(page: Page) -> None:
    page.goto("/login")
    log_in(page, *FINANCE)
    expect(page).to_have_url("/home")
    page.goto("/distributors/5")
    page.click("a[href='/distributors/5/statements']")
    expect(page.locator("h1")).to_have_text(re.compile("Выписки: D 5|Statements of D 5"))
    page.goto("/distributors/5/statements/1")
    expect(page.locator("main")).to_contain_text(re.compile("Нет кошелька|No payout wallet"))
    check(page, "statement-held")
