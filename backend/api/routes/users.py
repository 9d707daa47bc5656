"""Accounts and roles."""

from fastapi import APIRouter, status

from backend.accounts import service as users
from backend.accounts.models import PasswordChange, UserCreate, UserPublic, UsersPublic, UserUpdate
from backend.api.deps import Authorized, CurrentUser, IdPath, Limit, NowDep, Offset
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES

router = APIRouter(
    prefix="/api/users", tags=["users"], dependencies=[Authorized], responses=ERROR_RESPONSES
)


@router.get("/me", response_model=UserPublic, summary="The logged-in account")
def read_me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change my password (ends every session of the account: log in again)",
)
def change_my_password(
    session: SessionDep, user: CurrentUser, now: NowDep, data: PasswordChange
) -> None:
    users.change_password(session, user, data, now=now)


@router.get("", response_model=UsersPublic, summary="List accounts")
def list_users(session: SessionDep, offset: Offset = 0, limit: Limit = 50) -> UsersPublic:
    items, count = users.list_users(session, offset=offset, limit=limit)
    return UsersPublic(items=[UserPublic.model_validate(u) for u in items], count=count)


@router.post(
    "", response_model=UserPublic, status_code=status.HTTP_201_CREATED, summary="Create an account"
)
def create_user(
    session: SessionDep, actor: CurrentUser, now: NowDep, data: UserCreate
) -> UserPublic:
    return UserPublic.model_validate(users.create_user(session, data, actor=actor, now=now))


@router.get("/{user_id}", response_model=UserPublic, summary="One account")
def read_user(session: SessionDep, user_id: IdPath) -> UserPublic:
    return UserPublic.model_validate(users.get_user(session, user_id))


@router.patch("/{user_id}", response_model=UserPublic, summary="Change role, name, activity")
def update_user(
    session: SessionDep, user_id: IdPath, data: UserUpdate, actor: CurrentUser, now: NowDep
) -> UserPublic:
    return UserPublic.model_validate(
        users.update_user(session, user_id, data, actor=actor, now=now)
    )
