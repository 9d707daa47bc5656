"""Page sessions: an HttpOnly, SameSite=Lax cookie holding the API's access token, and CSRF.

The cookie carries the same signed token as the API's bearer header, with the account's token
version: a logout, a password change, a role change or a disabled account ends page sessions
exactly as it ends API tokens (`accounts.service.end_sessions`).

CSRF: every POST form carries a token derived (HMAC with the app's secret) from the session
cookie, or, before login, from a random per-browser cookie. A forged form from another site
cannot read either cookie, so it cannot produce the token; a POST without it gets a 403 page.

"See as": an admin opens a partner's office read-only. A cookie names the partner, signed and
bound to the admin's session cookie (another session, or a forged value, is ignored); while it
holds, pages are rendered for the partner's account and every page POST except ending it is
refused (`ReadOnlyView`). The API never reads these cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from sqlmodel import Session

from backend.accounts import service as accounts
from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.errors import NotFound
from backend.core.model_base import Language, Role
from backend.core.security import create_access_token, decode_access_token

SESSION_COOKIE = "lineage_session"
BROWSER_COOKIE = "lineage_browser"
LANGUAGE_COOKIE = "lineage_lang"
SEE_AS_COOKIE = "lineage_see_as"
SEE_AS_END = "/admin/see-as/end"  # the one page POST a read-only view lets through
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


class ReadOnlyView(Exception):
    """A page POST while an admin sees a partner's office ("see as" is read-only)."""


@dataclass(frozen=True)
class SeeingAs:
    """An admin viewing a partner's office: `user` is the account pages are rendered for."""

    admin: User
    user: User
    distributor_id: int
    name: str


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


def _see_as_signature(request: Request, distributor_id: int) -> str:
    binding = request.cookies.get(SESSION_COOKIE, "")
    key = request.app.state.jwt_secret.encode()
    message = f"see-as|{binding}|{distributor_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def start_see_as(request: Request, response: Response, distributor_id: int) -> None:
    """The admin's browser sees the partner's office from the next page on."""
    value = f"{distributor_id}.{_see_as_signature(request, distributor_id)}"
    response.set_cookie(SEE_AS_COOKIE, value, **cookie_flags(request))


def end_see_as(request: Request, response: Response) -> None:
    response.delete_cookie(SEE_AS_COOKIE, **cookie_flags(request))


def seen_distributor(request: Request) -> int | None:
    """The partner this browser's session is viewing as, if its cookie is genuine."""
    value = request.cookies.get(SEE_AS_COOKIE)
    if not value or "." not in value:
        return None
    number, signature = value.split(".", 1)
    if not number.isdigit() or len(number) > 18:
        return None
    expected = _see_as_signature(request, int(number))
    return int(number) if hmac.compare_digest(signature, expected) else None


def seeing_as(request: Request, session: Session, user: User | None) -> SeeingAs | None:
    """The read-only view an active admin has open, or None."""
    if user is None or user.role != Role.admin:
        return None
    distributor_id = seen_distributor(request)
    if distributor_id is None:
        return None
    try:
        seen, name = accounts.seen_as(session, distributor_id, language=Language(user.language))
    except NotFound:
        return None
    return SeeingAs(admin=user, user=seen, distributor_id=distributor_id, name=name)
