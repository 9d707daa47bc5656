"""Dated exchange rates: list them, enter one, import the Central Bank of Russia's daily file."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from backend.api.deps import Authorized, CurrentUser, Limit, NowDep, Offset
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES, ErrorResponse, UnsupportedMediaType
from backend.rates import service as rates
from backend.rates.models import (
    ExchangeRate,
    RateCreate,
    RatePublic,
    RatesImported,
    RatesPublic,
    RateWritten,
)

router = APIRouter(
    prefix="/api/rates", tags=["rates"], dependencies=[Authorized], responses=ERROR_RESPONSES
)

#: Content types a rate file may come as; anything else (a form, JSON) is refused with 415.
XML_TYPES = ("application/xml", "text/xml", "application/octet-stream")
CurrencyQuery = Annotated[
    str | None, Query(min_length=3, max_length=3, description="ISO 4217 code, e.g. `USD`.")
]


def _public(row: ExchangeRate) -> RatePublic:
    return RatePublic.model_validate(row)


@router.get("", response_model=RatesPublic, summary="Exchange rates")
def list_rates(
    session: SessionDep,
    offset: Offset = 0,
    limit: Limit = 50,
    base: CurrencyQuery = None,
    quote: CurrencyQuery = None,
    on: Annotated[
        dt.date | None,
        Query(description="The rates in force that day: each pair's latest on or before it."),
    ] = None,
    from_: Annotated[
        dt.date | None, Query(alias="from", description="Rates of this day or later.")
    ] = None,
    to: Annotated[dt.date | None, Query(description="Rates of this day or earlier.")] = None,
) -> RatesPublic:
    """Stored rates, newest day first; with `on`, the rates in force that day by base and
    quote. Rates are exact decimal strings (`"78.2345"`): 1 unit of base in quote units."""
    items, count = rates.list_rates(
        session, base=base, quote=quote, on=on, from_=from_, to=to, offset=offset, limit=limit
    )
    return RatesPublic(items=[_public(row) for row in items], count=count)


@router.post(
    "",
    response_model=RateWritten,
    status_code=status.HTTP_201_CREATED,
    summary="Enter one rate (200 when the same rate is stored already)",
    responses={200: {"model": RateWritten, "description": "The same rate was stored already."}},
)
def set_rate(
    session: SessionDep, actor: CurrentUser, now: NowDep, data: RateCreate, response: Response
) -> RateWritten:
    """A stored rate never changes: the same base, quote and day again with the same value is
    a no-op (200); with another value, 409 naming both values."""
    row, added = rates.set_rate(session, data, actor=actor, now=now)
    if not added:
        response.status_code = status.HTTP_200_OK
    return RateWritten(rate=_public(row), added=added)


async def xml_file(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in XML_TYPES:
        raise UnsupportedMediaType(
            f"send the XML_daily file itself as the request body (Content-Type: "
            f"application/xml), not {content_type}"
        )
    return await request.body()


@router.post(
    "/cbr",
    response_model=RatesImported,
    summary="Import the Central Bank of Russia's XML_daily file",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file exactly as cbr.ru serves it (windows-1251 is fine).",
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}} for media in XML_TYPES
            },
        }
    },
    responses={
        415: {
            "model": ErrorResponse,
            "description": "The body is not sent as application/xml (e.g. a form upload).",
        }
    },
)
def import_cbr(
    session: SessionDep,
    actor: CurrentUser,
    now: NowDep,
    content: Annotated[bytes, Depends(xml_file)],
) -> RatesImported:
    """The body is the raw `XML_daily.asp` file (`<ValCurs Date="dd.mm.yyyy">` with one
    `<Valute>` per currency). Each currency becomes a rate to RUB of the file's date:
    `Value / Nominal`, exact. All or nothing: a file that is not XML, has another root, a bad
    date or number, an unknown currency, or a rate that differs from one stored is refused and
    nothing is written. Rates already stored with the same value count as `already_present`."""
    return rates.import_cbr(session, content, actor=actor, now=now)
