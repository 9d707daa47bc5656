"""OAuth2 password flow: e-mail + password for a bearer JWT."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from backend.api.deps import NowDep, SettingsDep
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES, ErrorResponse
from backend.core.security import create_access_token
from backend.models.user import Token
from backend.services import users

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/token",
    response_model=Token,
    summary="Log in (OAuth2 password flow; `username` is the e-mail)",
    responses={
        401: ERROR_RESPONSES[401],
        422: ERROR_RESPONSES[422],
        429: {"model": ErrorResponse, "description": "Too many failed logins."},
    },
)
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Token:
    client_ip = request.client.host if request.client else "unknown"
    user = users.authenticate(
        session,
        email=form.username,
        password=form.password,
        client_ip=client_ip,
        settings=settings,
        now=now,
    )
    assert user.id is not None
    token = create_access_token(
        subject=user.id,
        secret=request.app.state.jwt_secret,
        minutes=settings.access_token_minutes,
        now=now,
    )
    return Token(access_token=token)
