"""The admin action log: read it page by page, and check its hash chain."""

from typing import Annotated

from fastapi import APIRouter, Query

from backend.admin_log import service as admin_log
from backend.admin_log.models import AdminLogPublic, AdminLogVerification
from backend.api.deps import Authorized, Limit, Offset, SettingsDep
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES

router = APIRouter(
    prefix="/api/admin-log", tags=["audit"], dependencies=[Authorized], responses=ERROR_RESPONSES
)


@router.get("", response_model=AdminLogPublic, summary="Admin actions, oldest first")
def list_entries(
    session: SessionDep,
    offset: Offset = 0,
    limit: Limit = 50,
    target: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Only this target, e.g. `user:5`."),
    ] = None,
) -> AdminLogPublic:
    return admin_log.page(session, target=target, offset=offset, limit=limit)


@router.get(
    "/verify",
    response_model=AdminLogVerification,
    summary="Recompute the log's hash chain and check the heads approved periods commit to",
)
def verify(session: SessionDep, settings: SettingsDep) -> AdminLogVerification:
    return admin_log.verify(session, settings)
