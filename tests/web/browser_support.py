"""What the browser suites share: the system Chromium, the real app served by uvicorn on a
seeded company in its own data folder, axe with screenshots, and the login form.

Each `test_browser*.py` module defines its own `base_url` fixture (module scope) with the company
its flows need, usually `serve_company(tmp_path_factory, company_with_a_closed_period)`;
the `chromium` and `page` fixtures are in `conftest.py`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.testclient import TestClient
from lineage_api import SECRET, Api, Clock, add_user, seed_rates, token_for
from playwright.sync_api import Page
from sqlalchemy import Engine
from sqlmodel import Session, select
from test_api_periods import close, make_company, post
from test_chain_outbox import Chain, free_port

from backend.accounts.models import User
from backend.bootstrap import migrate, seed
from backend.chain.deployment import Deployment
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.core.model_base import Role
from backend.dev.deploy import ensure_deployment
from backend.dev.devchain import ManagedGanache
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

needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make browser installs it)"
)


@contextmanager
def serve_company(
    tmp_path_factory: pytest.TempPathFactory,
    seed_company: Callable[[Settings], None],
    env: dict[str, str] | None = None,
    *,
    writer_key: str | None = None,
) -> Iterator[str]:
    """The real app (uvicorn, a free port) on a fresh data folder that `seed_company` filled in
    process before the server starts; yields its base URL. With `writer_key`, the chain writer
    (`lineage worker`) runs beside it on the same data folder, as `lineage run` would."""
    data = tmp_path_factory.mktemp("company")
    full_env = (
        os.environ
        | {
            "LINEAGE_DATA_DIR": str(data),
            "LINEAGE_SECRET_KEY": SECRET,
            "LINEAGE_ADMIN_EMAIL": ADMIN[0],
            "LINEAGE_ADMIN_PASSWORD": ADMIN[1],
            "LINEAGE_LOGIN_MAX_FAILURES": "50",
        }
        | (env or {})
    )
    settings = Settings(
        data_dir=data,
        admin_email=ADMIN[0],
        admin_password=ADMIN[1],  # type: ignore[arg-type]
        secret_key=SECRET,  # type: ignore[arg-type]
    )
    seed_company(settings)
    port = free_port()
    log = (data / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "serve:app", "--port", str(port)],
        cwd=Path(__file__).parent,
        env=full_env | {"PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    writer: subprocess.Popen[bytes] | None = None
    try:
        _wait_until_up(url, server, data / "server.log")
        if writer_key is not None:
            writer = subprocess.Popen(
                [str(Path(sys.executable).parent / "lineage"), "worker", "--data-dir", str(data)],
                env=full_env | {"PYTHONPATH": str(ROOT), "LINEAGE_CHAIN_KEY": writer_key},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        yield url
    finally:
        for process in (writer, server):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
        log.close()


@contextmanager
def serve_company_on_chain(
    tmp_path_factory: pytest.TempPathFactory,
    seed_company: Callable[[Settings, Chain], None],
    *,
    writer: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, Chain]]:
    """A managed Ganache with the contracts deployed, the app on a data folder whose deployment
    record names it, filled in by `seed_company(settings, chain)` first (which may run a
    `ChainWriter` in process: `test_period_chain.settle`); with `writer`, `lineage worker`
    then sends what the pages ask for, live. Yields the base URL and the chain."""
    data = tmp_path_factory.mktemp("chain")
    with ManagedGanache(data, port=free_port()) as node:
        deployment: Deployment = ensure_deployment(
            rpc_url=node.rpc_url,
            record_path=data / "deployment.json",
            deployer_key=node.writer_key(),
        )
        chain = Chain(node, deployment, node.writer_key())

        def on_chain(settings: Settings) -> None:
            record = chain.deployment.model_dump() | {"rpcUrl": chain.node.rpc_url}
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            settings.resolved_deployment_file.write_text(json.dumps(record))
            seed_company(settings, chain)

        with serve_company(
            tmp_path_factory, on_chain, env, writer_key=chain.key if writer else None
        ) as url:
            yield url, chain


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90  # a shared, loaded machine starts the app slowly
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app did not start: {log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the app did not answer /health within 90 s")


def new_company(settings: Settings, *, rates: bool = True) -> tuple[Engine, Clock]:
    """A migrated, seeded database on `settings`' data folder (with the tests' exchange rates
    unless `rates` is false) and the clock the app will run on. The caller disposes the
    engine."""
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    seed(engine, settings)
    if rates:
        seed_rates(engine)
    return engine, Clock()


@contextmanager
def admin_client(
    settings: Settings, engine: Engine, clock: Clock
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app in process on `engine` and the seeded admin's bearer headers."""
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        with Session(engine) as session:
            admin_id = session.exec(select(User.id).where(User.email == ADMIN[0])).one()
        assert admin_id is not None
        yield client, token_for(admin_id, clock)


def enroll_dina(client: TestClient, admin: dict[str, str]) -> int:
    """Enrolls Dina Первая (no sponsor given: under the company's root); her distributor id."""
    person = {"first_name": "Дина", "last_name": "Первая", "email": DINA[0]}
    enrolled = client.post("/api/distributors", json=person, headers=admin)
    assert enrolled.status_code == 201, enrolled.text
    return int(enrolled.json()["id"])


def dina_login(client: TestClient, admin: dict[str, str], dina: int) -> int:
    """Dina's distributor login (DINA's e-mail and password); its user id."""
    account = {"email": DINA[0], "password": DINA[1], "role": "distributor", "distributor_id": dina}
    created = client.post("/api/users", json=account, headers=admin)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def company_with_a_closed_period(
    settings: Settings, then: Callable[[Api], None] | None = None
) -> None:
    """Before the server starts, in process on its data folder: Dina (a login) and the periods
    tests' small company under her (`make_company`), its first period computed and approved,
    so her statement pages have lines, a held balance (distributor 5 has no wallet) and a
    proof. Staff logins: finance@, auditor@ and warehouse@example.com with PASSWORD. `then`
    carries on with the same company (e.g. puts it on a chain) before the client closes."""
    engine, clock = new_company(settings)
    with admin_client(settings, engine, clock) as (client, admin):
        headers = {"admin": admin}
        dina = enroll_dina(client, admin)
        for role in (Role.finance, Role.auditor, Role.warehouse):
            headers[role.value] = token_for(
                add_user(engine, f"{role.value}@example.com", role), clock
            )
        headers["distributor"] = token_for(dina_login(client, admin, dina), clock)
        api = make_company(Api(client, engine, clock, settings, headers, dina))
        assert post(api, "/api/periods").status_code == 201
        close(api, 1)
        if then is not None:
            then(api)
    engine.dispose()


def check(page: Page, name: str) -> None:
    """axe on the page as it is, then at each width: nothing wider than the screen (no
    sideways scrolling on a phone) and a screenshot."""
    results = Axe().run(page)
    grave = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not grave, f"{name}: {results.generate_report()}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.wait_for_timeout(50)  # a frame for scripts that follow the width (charts)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= size["width"], f"{name}: {wide} px wide at {size['width']} px"
        page.screenshot(path=SHOTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(SIZES["desktop"])


def log_in(page: Page, email: str, password: str) -> None:
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("form.stack button[type=submit]").click()
