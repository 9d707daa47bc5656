"""Page sessions: an HttpOnly, SameSite=Lax cookie holding the API's access token, and CSRF.

The cookie carries the same signed token as the API's bearer header, with the account's token
version: a logout, a password change, a role change or a disabled account ends page sessions
exactly as it ends API tokens (`accounts.service.end_sessions`).

CSRF: every POST form carries a token derived (HMAC with the app's secret) from the session
cookie, or, before login, from a random per-browser cookie. A forged form from another site
cannot read either cookie, so it cannot produce the token; a POST without it gets a 403 page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from sqlmodel import Session

from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.model_base import Language
from backend.core.security import create_access_token, decode_access_token

SESSION_COOKIE = "lineage_session"
BROWSER_COOKIE = "lineage_browser"
LANGUAGE_COOKIE = "lineage_lang"
CSRF_FIELD = "csrf_token"
YEAR = 365 * 24 * 3600


def cookie_flags(request: Request) -> dict[str, Any]:
    """How every cookie of the pages is set and deleted: out of scripts' reach, sent on
    same-site requests and top-level links, over HTTPS only when the site is, for all paths."""
    settings: Settings = request.app.state.settings
    return {"httponly": True, "samesite": "lax", "secure": settings.https, "path": "/"}


class LoginRequired(Exception):
    """An anonymous visitor (or an ended session) asked for a page that needs a login."""


class CsrfRefused(Exception):
    """A POST form without the right CSRF token."""


def page_user(request: Request, session: Session) -> User | None:
    """The logged-in user of this request, or None (no cookie, expired, or ended session)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    claims = decode_access_token(token, request.app.state.jwt_secret)
    if claims is None:
        return None
    user = session.get(User, claims.user_id)
    if user is None or not user.is_active or user.token_version != claims.version:
        return None
    return user


def start_session(
    request: Request, response: Response, session: Session, user: User, *, now: datetime
) -> None:
    """Sets the session cookie for `user` under their current token version."""
    settings: Settings = request.app.state.settings
    session.refresh(user)  # the version may have just changed (a password change)
    assert user.id is not None
    token = create_access_token(
        subject=user.id,
        version=user.token_version,
        secret=request.app.state.jwt_secret,
        minutes=settings.access_token_minutes,
        now=now,
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.access_token_minutes * 60,
        **cookie_flags(request),
    )


def end_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, **cookie_flags(request))


def browser_id(request: Request) -> str:
    """The per-browser random value pre-login CSRF tokens are bound to (made on first visit;
    `remember_browser` sets its cookie on the response)."""
    known = request.cookies.get(BROWSER_COOKIE) or getattr(request.state, "new_browser_id", None)
    if known:
        return str(known)
    request.state.new_browser_id = secrets.token_urlsafe(24)
    return str(request.state.new_browser_id)


def remember_browser(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_browser_id", None)
    if new and not request.cookies.get(BROWSER_COOKIE):
        response.set_cookie(BROWSER_COOKIE, new, **cookie_flags(request))


def csrf_token(request: Request, *, session_token: str | None = None) -> str:
    """The token this request's forms must send back. Bound to the session cookie when there
    is one (or to `session_token`, just issued), else to the browser cookie."""
    binding = session_token or request.cookies.get(SESSION_COOKIE)
    bound = f"session:{binding}" if binding else f"browser:{browser_id(request)}"
    key = request.app.state.jwt_secret.encode()
    return hmac.new(key, f"csrf|{bound}".encode(), hashlib.sha256).hexdigest()


async def check_csrf(request: Request) -> None:
    """Dependency of every POST page: refuses a form without the right token (403 page).
    Only a cookie the browser already holds can match, never one made up for this request."""
    if not (request.cookies.get(SESSION_COOKIE) or request.cookies.get(BROWSER_COOKIE)):
        raise CsrfRefused
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token(request)):
        raise CsrfRefused


def set_language_cookie(request: Request, response: Response, language: Language) -> None:
    response.set_cookie(LANGUAGE_COOKIE, language.value, max_age=YEAR, **cookie_flags(request))
