"""Helpers of the web tests (imported by name: tests/web is on sys.path)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

PASSWORD = "password-123"  # every account `add_user` makes
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


class Browser:
    """A cookie jar on the app: what one person's browser sends."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, path: str) -> object:
        return self.client.get(path, follow_redirects=False)

    def token(self, path: str = "/login") -> str:
        return csrf_of(self.client.get(path).text)

    def post(self, path: str, data: dict[str, str], *, token_from: str = "/login") -> object:
        form = {"csrf_token": self.token(token_from)} | data
        return self.client.post(path, data=form, follow_redirects=False)

    def login(self, email: str, password: str = PASSWORD) -> object:
        return self.post("/login", {"email": email, "password": password})
