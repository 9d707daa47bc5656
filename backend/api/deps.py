"""Request dependencies: settings, clock, current user, role check, shared app services.

Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the
thread pool, and a thread hop per trivial dependency is most of a small request's cost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer

from backend.accounts.models import User
from backend.api.policy import POLICY, allowed
from backend.chain.audit_reads import AuditReader
from backend.chain.deployment import NodeStatusProvider
from backend.chain.reads import ChainReads
from backend.company import settings as company_settings
from backend.core.clients import client_address
from backend.core.config import Settings
from backend.core.db import SessionDep
from backend.core.errors import Forbidden, Unauthorized
from backend.core.security import decode_access_token
from backend.core.types import MAX_ID, UtcDatetime
from backend.genealogy.tree_cache import PlacementTreeCache
from backend.periods.vault import PayoutReads

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_settings_dep(request: Request, session: SessionDep) -> Settings:
    """The service's settings with the company settings an admin changed (one small read)."""
    return company_settings.effective(session, request.app.state.settings)


async def get_now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


async def get_trees(request: Request) -> PlacementTreeCache:
    trees: PlacementTreeCache = request.app.state.placement_trees
    return trees


async def get_node_status(request: Request) -> NodeStatusProvider:
    provider: NodeStatusProvider = request.app.state.chain_status
    return provider


async def get_payout_reads(request: Request) -> Callable[[], PayoutReads]:
    """Opens the app's vault and anchor bindings when called (built once; 503 until the
    contracts are deployed): the route validates its input before the chain is needed."""
    reads: ChainReads = request.app.state.chain_reads
    return reads.payouts


async def get_audit_reader(request: Request) -> Callable[[], AuditReader]:
    """Opens the auditor's reader when called: a route validates its input first, and only a
    valid request learns that the chain is not deployed or cannot be read."""
    reads: ChainReads = request.app.state.chain_reads
    return reads.audit


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
NowDep = Annotated[datetime, Depends(get_now)]
TreesDep = Annotated[PlacementTreeCache, Depends(get_trees)]
NodeStatusDep = Annotated[NodeStatusProvider, Depends(get_node_status)]
PayoutReadsDep = Annotated[Callable[[], PayoutReads], Depends(get_payout_reads)]
AuditReaderDep = Annotated[Callable[[], AuditReader], Depends(get_audit_reader)]
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


async def get_client_address(request: Request) -> str:
    return client_address(request, request.app.state.settings.trusted_proxies)


ClientAddressDep = Annotated[str, Depends(get_client_address)]


def get_current_user(request: Request, session: SessionDep, token: TokenDep) -> User:
    if not token:
        raise Unauthorized("not logged in")
    claims = decode_access_token(token, request.app.state.jwt_secret)
    user = session.get(User, claims.user_id) if claims is not None else None
    if user is None or claims is None:
        raise Unauthorized("invalid or expired token")
    if not user.is_active:
        raise Unauthorized("this account is disabled", code="account_disabled")
    if user.token_version != claims.version:
        raise Unauthorized(
            "this session has ended (logged out, or the account's password, role or status "
            "changed): log in again",
            code="session_ended",
        )
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def authorize(request: Request, user: CurrentUser) -> User:
    """Router-level guard: the caller's role against `POLICY` for the matched route."""
    route = request.scope.get("route")
    key = (request.method, getattr(route, "path", ""))
    rule = POLICY.get(key)
    if rule is None:
        raise Forbidden("no policy covers this endpoint", code="role_forbidden")
    if not allowed(rule, user.role):
        raise Forbidden(
            f"the {user.role} role may not call {key[0]} {key[1]}", code="role_forbidden"
        )
    return user


Authorized = Depends(authorize)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Retrying with the same key returns the first result instead of a duplicate.",
    ),
]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]

IdPath = Annotated[int, Path(gt=0, le=MAX_ID, description="Numeric id.")]
OptionalId = Annotated[int | None, Query(gt=0, le=MAX_ID, description="Filter by id.")]
OptionalTime = Annotated[
    UtcDatetime | None, Query(description="With its offset, e.g. `2026-01-31T00:00:00Z`.")
]
