"""VAT rates: dated data per country and category."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from backend.api.deps import Authorized, CurrentUser, Limit, NowDep, Offset
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES
from backend.vat import service as vat
from backend.vat.models import VatRateCreate, VatRatePublic, VatRatesPublic

router = APIRouter(tags=["vat"], dependencies=[Authorized], responses=ERROR_RESPONSES)


@router.get("/api/vat-rates", response_model=VatRatesPublic, summary="List VAT rates")
def list_vat_rates(
    session: SessionDep,
    offset: Offset = 0,
    limit: Limit = 50,
    country: Annotated[
        str | None, Query(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    ] = None,
) -> VatRatesPublic:
    items, count = vat.list_rates(session, country=country, offset=offset, limit=limit)
    return VatRatesPublic(items=[VatRatePublic.model_validate(r) for r in items], count=count)


@router.post(
    "/api/vat-rates",
    response_model=VatRatePublic,
    status_code=status.HTTP_201_CREATED,
    summary="Add a dated VAT rate (no overlap with the same country and category: 409)",
)
def add_vat_rate(
    session: SessionDep, actor: CurrentUser, now: NowDep, data: VatRateCreate
) -> VatRatePublic:
    return VatRatePublic.model_validate(vat.add_rate(session, data, actor=actor, now=now))
