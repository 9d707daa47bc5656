"""The four staff offices keep to their own people: each office's pages are for its role alone
(the policy table), and every other role that asks for one gets the 403 page, not the page
(real requests, one logged-in browser per role)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD
from web_support import Browser

from backend.core.model_base import Role
from backend.web.policy import PAGE_POLICY

OFFICES = {
    "/finance": Role.finance,
    "/audit": Role.auditor,
    "/warehouse": Role.warehouse,
    "/admin": Role.admin,
}
LOGINS = {
    Role.admin: (ADMIN_EMAIL, ADMIN_PASSWORD),
    Role.finance: ("finance@example.com", "password-123"),
    Role.auditor: ("auditor@example.com", "password-123"),
    Role.warehouse: ("warehouse@example.com", "password-123"),
    Role.distributor: ("dina@example.com", "password-123"),
}


def office_of(path: str) -> Role | None:
    for prefix, role in OFFICES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return role
    return None


def office_pages() -> list[tuple[str, str, Role]]:
    return [
        (method, path, role)
        for (method, path) in PAGE_POLICY
        if (role := office_of(path)) is not None
    ]


def test_every_office_page_is_for_its_role_alone() -> None:
    pages = office_pages()
    for office in OFFICES.values():
        assert any(role == office for _, _, role in pages), f"no pages for {office}"
    wrong = {
        (method, path): PAGE_POLICY[(method, path)]
        for method, path, role in pages
        if PAGE_POLICY[(method, path)] != frozenset({role})
    }
    assert not wrong


@pytest.mark.parametrize("role", list(LOGINS))
def test_other_roles_get_the_403_page_for_every_office_url(api: Any, role: Role) -> None:
    browser = Browser(TestClient(api.client.app))
    email, password = LOGINS[role]
    assert browser.login(email, password).status_code == 303  # type: ignore[attr-defined]
    asked = 0
    for method, path, office in office_pages():
        if office == role or method != "GET":
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        answer: Any = browser.get(url)
        assert answer.status_code == 403, (role, url, answer.status_code)
        assert "<h1>Доступ запрещён</h1>" in answer.text
        asked += 1
    assert asked > 0
    # A form of another office is refused too, before it can change anything.
    for method, path, office in office_pages():
        if office != role and method == "POST":
            answer = browser.post(re.sub(r"\{[^}]+\}", "1", path), {}, token_from="/home")
            assert answer.status_code == 403, (role, path)  # type: ignore[attr-defined]
