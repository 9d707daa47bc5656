"""The request dependencies the pages share with nobody: settings, clock, client address.

The API has its own (`backend.api.deps`); the two entry points do not import each other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from backend.audit.history import OpenReader
from backend.company import settings as company_settings
from backend.core.clients import client_address
from backend.core.config import Settings
from backend.core.db import SessionDep
from backend.genealogy.tree_cache import PlacementTreeCache


def get_settings(request: Request, session: SessionDep) -> Settings:
    """The service's settings with the company settings an admin changed, as the API's."""
    return company_settings.effective(session, request.app.state.settings)


async def get_now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


async def get_client_address(request: Request) -> str:
    return client_address(request, request.app.state.settings.trusted_proxies)


async def get_trees(request: Request) -> PlacementTreeCache:
    trees: PlacementTreeCache = request.app.state.placement_trees
    return trees


async def get_audit_reader(request: Request) -> OpenReader:
    """Opens the auditor's chain reader when called (as the API's `AuditReaderDep`): a page
    checks its input first, and only then learns whether the chain can be read."""
    open_reader: OpenReader = request.app.state.chain_reads.audit
    return open_reader


SettingsDep = Annotated[Settings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]
ClientAddressDep = Annotated[str, Depends(get_client_address)]
TreesDep = Annotated[PlacementTreeCache, Depends(get_trees)]
AuditReaderDep = Annotated[OpenReader, Depends(get_audit_reader)]
