"""Each staff role in Debian's chromium: their home lists their own office (and only it), and
every page of the other offices, typed into the address bar, is the 403 page in words. The
homes are checked by axe and screenshotted (artifacts/screenshots/offices-home-*)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser_support import (
    ADMIN,
    DINA,
    check,
    company_with_a_closed_period,
    log_in,
    needs_chromium,
    serve_company,
)
from playwright.sync_api import Page, expect
from test_office_policy import office_pages
from web_support import PASSWORD

from backend.core.model_base import Role

pytestmark = needs_chromium
LOGINS = {
    Role.admin: ADMIN,
    Role.finance: ("finance@example.com", PASSWORD),
    Role.auditor: ("auditor@example.com", PASSWORD),
    Role.warehouse: ("warehouse@example.com", PASSWORD),
    Role.distributor: DINA,
}
# What each role's menu leads to, and an office it never sees.
OWN = {
    Role.admin: "Администрирование",
    Role.finance: "Периоды",
    Role.auditor: "Сверка",
    Role.warehouse: "Остатки",
    Role.distributor: "Мои выписки",
}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_company(tmp_path_factory, company_with_a_closed_period) as url:
        yield url


@pytest.mark.parametrize("role", list(LOGINS), ids=lambda r: r.value)
def test_each_role_sees_its_office_and_is_refused_the_others(page: Page, role: Role) -> None:
    page.goto("/login")
    log_in(page, *LOGINS[role])
    expect(page).to_have_url("/home")
    menu = page.get_by_role("navigation", name="Главное меню")
    expect(menu.get_by_role("link", name=OWN[role], exact=True)).to_be_visible()
    for other, label in OWN.items():
        if other != role:
            expect(menu.get_by_role("link", name=label, exact=True)).to_have_count(0)
    check(page, f"offices-home-{role.value}")
    refused = 0
    for method, path, office in office_pages():
        if office == role or method != "GET" or "{" in path:
            continue
        response = page.goto(path)
        assert response is not None and response.status == 403, (role, path)
        expect(page.locator("h1")).to_have_text("Доступ запрещён")
        refused += 1
    assert refused >= 8
    # The pages of its own office open (the landing pages, no ids); this company has no
    # chain, so the audit pages that read it say so (503) instead.
    for method, path, office in office_pages():
        if office == role and method == "GET" and "{" not in path and not path.endswith(".csv"):
            response = page.goto(path)
            reads_chain = path in ("/audit/history", "/audit/reconciliation")
            assert response is not None, path
            assert response.status == (503 if reads_chain else 200), (role, path)
            expect(page.locator("h1")).not_to_have_text(re.compile("Доступ запрещён"))
