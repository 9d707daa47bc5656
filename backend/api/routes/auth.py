"""OAuth2 password flow: e-mail + password for a bearer JWT; logout."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from backend.accounts import service as users
from backend.accounts.models import Token
from backend.api.deps import Authorized, ClientAddressDep, CurrentUser, NowDep, SettingsDep
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES, ErrorResponse
from backend.core.security import create_access_token

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/token",
    response_model=Token,
    summary="Log in (OAuth2 password flow; `username` is the e-mail)",
    responses={
        401: ERROR_RESPONSES[401],
        422: ERROR_RESPONSES[422],
        429: {
            "model": ErrorResponse,
            "description": "Too many failed logins for the account or the client address; "
            "the Retry-After header says for how many seconds.",
        },
    },
)
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    client_address: ClientAddressDep,
    now: NowDep,
) -> Token:
    user = users.authenticate(
        session,
        email=form.username,
        password=form.password,
        client_address=client_address,
        settings=settings,
        now=now,
    )
    assert user.id is not None
    token = create_access_token(
        subject=user.id,
        version=user.token_version,
        secret=request.app.state.jwt_secret,
        minutes=settings.access_token_minutes,
        now=now,
    )
    return Token(access_token=token)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out: every token of this account stops working (all devices)",
    dependencies=[Authorized],
    responses={401: ERROR_RESPONSES[401]},
)
def logout(session: SessionDep, user: CurrentUser) -> None:
    users.log_out(session, user)
