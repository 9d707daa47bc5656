"""Fixtures of the web tests: the backend's (a fresh database on SQLite and on PostgreSQL, the
seeded `api` with one account per role) plus a page client that logs in through the form."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, sync_playwright
from web_support import Browser

BACKEND_TESTS = Path(__file__).parents[1] / "backend"
sys.path.insert(0, str(BACKEND_TESTS))

_spec = importlib.util.spec_from_file_location("backend_fixtures", BACKEND_TESTS / "conftest.py")
assert _spec is not None and _spec.loader is not None
backend_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(backend_fixtures)

# The backend's fixtures and names, here too: pytest imports both conftest files under the one
# name `conftest`, and the backend's tests import names from it (`from conftest import ...`).
globals().update({k: v for k, v in vars(backend_fixtures).items() if not k.startswith("__")})


# The pages' test-client tests run on SQLite: the services they call are tested on both
# databases in tests/backend, and the pages add no queries of their own (they call the
# services). LINEAGE_TEST_PAGES_POSTGRES=1 (`make test-pages-postgres`) runs them on PostgreSQL
# too; CI's 30 minutes do not hold both.
PAGE_DATABASES = ["sqlite"] + (
    [pytest.param("postgres", marks=pytest.mark.postgres)]
    if os.environ.get("LINEAGE_TEST_PAGES_POSTGRES")
    else []
)


@pytest.fixture(params=PAGE_DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from backend_fixtures.open_engine(request, tmp_path)


@pytest.fixture
def browser(api: object) -> Browser:
    return Browser(TestClient(api.client.app))  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    """Debian's chromium, once per test run (each browser module serves its own company)."""
    from browser_support import CHROMIUM, FLAGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Chromium, base_url: str) -> Iterator[Page]:
    """A fresh browser context on the module's server (`base_url`), at desktop width."""
    from browser_support import SIZES

    context = chromium.new_context(base_url=base_url, viewport=SIZES["desktop"])
    page = context.new_page()
    yield page
    context.close()
