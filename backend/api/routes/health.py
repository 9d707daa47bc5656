"""Service health and the chain the service writes to."""

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import text

from backend.api.deps import Authorized, Limit, NodeStatusDep, Offset, SettingsDep
from backend.chain_jobs import ChainIntentsPublic, JobStatus
from backend.chain_jobs import intents_public as chain_intents_public
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES, ErrorResponse
from backend.deployment import service as chain_facts
from backend.deployment.service import Contracts, NodeStatus

router = APIRouter(tags=["service"])


class DatabaseStatus(BaseModel):
    status: str = Field(description="`ok` or `down`.")
    backend: str
    detail: str | None = None


class Health(BaseModel):
    status: str = Field(description="`ok` when the database answers; the chain may be down.")
    database: DatabaseStatus
    chain: NodeStatus


class ChainInfo(BaseModel):
    chain_id: int
    rpc_url: str = Field(description="Public JSON-RPC endpoint clients can verify against.")
    deployment_block: int
    contracts: Contracts


@router.get("/health", response_model=Health, summary="Database and chain status")
def health(session: SessionDep, chain_status: NodeStatusDep) -> Health:
    backend = session.get_bind().dialect.name
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        database = DatabaseStatus(status="ok", backend=backend)
    except Exception as exc:  # noqa: BLE001 - health reports any failure instead of raising
        database = DatabaseStatus(status="down", backend=backend, detail=type(exc).__name__)
    try:
        chain = chain_status()
    except Exception as exc:  # noqa: BLE001
        chain = NodeStatus(status="down", detail=f"status provider failed: {type(exc).__name__}")
    return Health(
        status="ok" if database.status == "ok" else "down", database=database, chain=chain
    )


@router.get(
    "/api/chain",
    response_model=ChainInfo,
    summary="Chain id, public RPC URL, contract addresses, deployment block",
    responses={503: {"model": ErrorResponse, "description": "Contracts not deployed yet."}},
)
def chain_info(settings: SettingsDep) -> ChainInfo:
    deployment = chain_facts.deployment(settings)
    return ChainInfo(
        chain_id=deployment.chainId,
        rpc_url=deployment.rpcUrl,
        deployment_block=deployment.deploymentBlock,
        contracts=deployment.contracts,
    )


@router.get(
    "/api/chain/intents",
    response_model=ChainIntentsPublic,
    summary="The place jobs of the chain-job queue (placements on their way), oldest first",
    dependencies=[Authorized],
    responses=ERROR_RESPONSES,
)
def chain_intents(
    session: SessionDep, offset: Offset = 0, limit: Limit = 50, status: JobStatus | None = None
) -> ChainIntentsPublic:
    return chain_intents_public(session, status=status, offset=offset, limit=limit)
