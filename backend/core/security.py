"""Password hashing (argon2id), JWT access tokens and the signing secret."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend.core.config import Settings

ALGORITHM = "HS256"
_hasher = PasswordHasher()
# Verified against when the account does not exist, so timing does not reveal which e-mails exist.
_DUMMY_HASH = _hasher.hash("lineage-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def load_or_create_secret(settings: Settings) -> str:
    """The configured secret, or one generated once into `<data_dir>/secret.key` (mode 0600)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    return _write_new_secret(path)


def _write_new_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting together must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


class TokenClaims(NamedTuple):
    user_id: int
    version: int  # the account's `token_version` when the token was issued


def create_access_token(
    *, subject: int, secret: str, minutes: int, now: datetime, version: int = 0
) -> str:
    payload = {
        "sub": str(subject),
        "ver": version,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, secret: str) -> TokenClaims | None:
    """Who the token names and under which version, if it is valid; else None. A token
    without a version (issued before versions existed) is not valid."""
    try:
        payload = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "ver"]}
        )
        version = payload["ver"]
        if not isinstance(version, int) or isinstance(version, bool):
            return None
        return TokenClaims(int(payload["sub"]), version)
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None


def utcnow() -> datetime:
    return datetime.now(UTC)
