"""Accounts: who may log in, with which role, and (for distributors) as whom."""

from datetime import datetime

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from backend.core.model_base import Language, Role, UTCDateTime, check_in, now_utc
from backend.core.types import MAX_ID, Email


class UserBase(SQLModel):
    email: Email = Field(max_length=254, description="Login name, stored lower-case.")
    full_name: str | None = Field(default=None, max_length=200)
    role: Role = Field(sa_type=sa.String(20))
    is_active: bool = True


class UserCreate(UserBase):
    password: str = Field(min_length=8, max_length=128)
    distributor_id: int | None = Field(
        default=None,
        gt=0,
        le=MAX_ID,
        description="Required for (and only for) the distributor role.",
    )


class UserUpdate(SQLModel):
    full_name: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=128)


class User(UserBase, table=True):
    __tablename__ = "app_user"
    __table_args__ = (
        sa.CheckConstraint(check_in("role", Role), name="role"),
        sa.CheckConstraint(check_in("language", Language), name="language"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    hashed_password: str = Field(max_length=200)
    distributor_id: int | None = Field(default=None, foreign_key="distributor.id", unique=True)
    created_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())
    # Every token carries the version it was issued under; bumping it (logout, a password,
    # role or activity change, the linked distributor's termination) ends every session at once.
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The language of the web pages, chosen by the person (Russian until they switch).
    language: Language = Field(
        default=Language.ru, sa_type=sa.String(5), sa_column_kwargs={"server_default": "ru"}
    )


class UserPublic(UserBase):
    id: int
    distributor_id: int | None
    created_at: datetime


class UsersPublic(SQLModel):
    items: list[UserPublic]
    count: int


class Token(SQLModel):
    access_token: str
    token_type: str = "bearer"


class LoginThrottle(SQLModel, table=True):
    """Login attempts per key (`account:<e-mail>` or `address:<client address>`) in a fixed
    window. An attempt is counted before its password is checked, in one atomic upsert, so a
    burst of simultaneous guesses cannot all be evaluated; a right password is not counted."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=330)
    attempts: int
    window_start: datetime = Field(sa_type=UTCDateTime(), index=True)


class PasswordChange(SQLModel):
    current_password: str = Field(max_length=128)
    new_password: str = Field(min_length=8, max_length=128)

    @field_validator("new_password")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("password must not be blank")
        return value
