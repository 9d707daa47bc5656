"""Accounts: login with throttling, and account administration."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from backend.core.config import Settings
from backend.core.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized
from backend.core.security import hash_password, verify_password
from backend.models import Distributor, LoginFailure, Role, User
from backend.models.user import PasswordChange, UserCreate, UserUpdate
from backend.services import admin_log


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    client_ip: str,
    settings: Settings,
    now: datetime,
) -> User:
    """The active user with these credentials; failures are counted per (e-mail, address) and
    a burst of them answers 429 until the window has passed, right password or not."""
    email = email.strip().lower()
    window_start = now - timedelta(seconds=settings.login_window_seconds)
    failures = session.exec(
        select(func.count())
        .select_from(LoginFailure)
        .where(
            LoginFailure.email == email,
            LoginFailure.client_ip == client_ip,
            col(LoginFailure.at) > window_start,
        )
    ).one()
    if failures >= settings.login_max_failures:
        raise TooManyRequests(
            f"too many failed logins; try again in {settings.login_window_seconds // 60} minutes",
            details={"retry_after_seconds": settings.login_window_seconds},
        )
    user = session.exec(select(User).where(User.email == email)).first()
    if not verify_password(password, user.hashed_password if user else None) or user is None:
        session.add(LoginFailure(email=email[:254], client_ip=client_ip[:64], at=now))
        # Old failures only matter inside the window; prune them as we go.
        session.execute(delete(LoginFailure).where(col(LoginFailure.at) <= window_start))
        session.commit()
        raise Unauthorized("wrong email or password")
    if not user.is_active:
        raise Unauthorized("this account is disabled")
    return user


def create_user(
    session: Session, data: UserCreate, *, actor: User | None = None, now: datetime | None = None
) -> User:
    _check_link(session, data.role, data.distributor_id)
    if session.exec(select(User.id).where(User.email == data.email)).first() is not None:
        raise Conflict(f"an account for {data.email} exists")
    user = User.model_validate(data, update={"hashed_password": hash_password(data.password)})
    session.add(user)
    session.flush()
    admin_log.account_created(session, user, actor=actor, now=now)
    session.commit()
    return user


def update_user(
    session: Session, user_id: int, data: UserUpdate, *, actor: User, now: datetime | None = None
) -> User:
    user = get_user(session, user_id)
    changes = data.model_dump(exclude_unset=True)
    if "role" in changes and changes["role"] is None:
        raise Invalid("role cannot be removed")
    if "is_active" in changes and changes["is_active"] is None:
        raise Invalid("is_active must be true or false")
    if user.id == actor.id and (
        changes.get("role", Role.admin) != Role.admin or changes.get("is_active") is False
    ):
        raise Conflict("an admin cannot demote or disable themself")
    if "role" in changes:
        _check_link(session, changes["role"], user.distributor_id)
    password = changes.pop("password", None)
    admin_log.account_updated(
        session, user, changes, password_reset=password is not None, actor=actor, now=now
    )
    if password is not None:
        user.hashed_password = hash_password(password)
    user.sqlmodel_update(changes)
    session.add(user)
    session.commit()
    return user


def change_password(
    session: Session, user: User, data: PasswordChange, *, now: datetime | None = None
) -> None:
    if not verify_password(data.current_password, user.hashed_password):
        raise Invalid("the current password is wrong")
    user.hashed_password = hash_password(data.new_password)
    admin_log.password_changed(session, user, now=now)
    session.add(user)
    session.commit()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def list_users(session: Session, *, offset: int, limit: int) -> tuple[list[User], int]:
    total = session.exec(select(func.count()).select_from(User)).one()
    users = session.exec(select(User).order_by(col(User.id)).offset(offset).limit(limit)).all()
    return list(users), total


def _check_link(session: Session, role: Role, distributor_id: int | None) -> None:
    if role == Role.distributor and distributor_id is None:
        raise Invalid("a distributor account needs distributor_id")
    if role != Role.distributor and distributor_id is not None:
        raise Invalid("only distributor accounts are linked to a distributor")
    if distributor_id is not None:
        if session.get(Distributor, distributor_id) is None:
            raise NotFound(f"distributor {distributor_id} not found")
        taken = session.exec(select(User.id).where(User.distributor_id == distributor_id)).first()
        if taken is not None:
            raise Conflict(f"distributor {distributor_id} already has an account")
