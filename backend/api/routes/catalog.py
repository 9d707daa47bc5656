"""Products and price lists."""

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlmodel import Session

from backend.api.deps import Authorized, CurrentUser, IdPath, Limit, NowDep, Offset
from backend.catalog import service as catalog
from backend.catalog.models import (
    PriceList,
    PriceListCreate,
    PriceListItemIn,
    PriceListItemPublic,
    PriceListPublic,
    PriceListsPublic,
    PriceListUpdate,
    ProductCreate,
    ProductPublic,
    ProductsPublic,
    ProductUpdate,
)
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES
from backend.core.model_base import ProductCategory

router = APIRouter(tags=["catalog"], dependencies=[Authorized], responses=ERROR_RESPONSES)


@router.get("/api/products", response_model=ProductsPublic, summary="List products")
def list_products(
    session: SessionDep,
    offset: Offset = 0,
    limit: Limit = 50,
    active: bool | None = None,
    category: ProductCategory | None = None,
    q: Annotated[str | None, Query(max_length=100, description="SKU or name contains")] = None,
) -> ProductsPublic:
    items, count = catalog.list_products(
        session, active=active, category=category, q=q, offset=offset, limit=limit
    )
    return ProductsPublic(items=[ProductPublic.model_validate(p) for p in items], count=count)


@router.post(
    "/api/products",
    response_model=ProductPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Add a product (kits and fees must carry CV 0)",
)
def create_product(
    session: SessionDep, actor: CurrentUser, now: NowDep, data: ProductCreate
) -> ProductPublic:
    return ProductPublic.model_validate(catalog.create_product(session, data, actor=actor, now=now))


@router.get("/api/products/{product_id}", response_model=ProductPublic, summary="One product")
def read_product(session: SessionDep, product_id: IdPath) -> ProductPublic:
    return ProductPublic.model_validate(catalog.get_product(session, product_id))


@router.patch(
    "/api/products/{product_id}", response_model=ProductPublic, summary="Change a product"
)
def update_product(
    session: SessionDep, actor: CurrentUser, now: NowDep, product_id: IdPath, data: ProductUpdate
) -> ProductPublic:
    return ProductPublic.model_validate(
        catalog.update_product(session, product_id, data, actor=actor, now=now)
    )


def _price_list_public(session: Session, price_list: PriceList) -> PriceListPublic:
    assert price_list.id is not None
    items = [
        PriceListItemPublic.model_validate(item)
        for item in catalog.price_list_items(session, price_list.id)
    ]
    return PriceListPublic.model_validate(price_list, update={"items": items})


@router.get("/api/price-lists", response_model=PriceListsPublic, summary="List price lists")
def list_price_lists(
    session: SessionDep, offset: Offset = 0, limit: Limit = 50
) -> PriceListsPublic:
    items, count = catalog.list_price_lists(session, offset=offset, limit=limit)
    return PriceListsPublic(items=[_price_list_public(session, p) for p in items], count=count)


@router.post(
    "/api/price-lists",
    response_model=PriceListPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Add a price list",
)
def create_price_list(session: SessionDep, data: PriceListCreate) -> PriceListPublic:
    return _price_list_public(session, catalog.create_price_list(session, data))


@router.get(
    "/api/price-lists/{price_list_id}",
    response_model=PriceListPublic,
    summary="One price list with its prices",
)
def read_price_list(session: SessionDep, price_list_id: IdPath) -> PriceListPublic:
    return _price_list_public(session, catalog.get_price_list(session, price_list_id))


@router.patch(
    "/api/price-lists/{price_list_id}",
    response_model=PriceListPublic,
    summary="Rename or (de)activate a price list",
)
def update_price_list(
    session: SessionDep, price_list_id: IdPath, data: PriceListUpdate
) -> PriceListPublic:
    return _price_list_public(session, catalog.update_price_list(session, price_list_id, data))


@router.put(
    "/api/price-lists/{price_list_id}/items",
    response_model=PriceListItemPublic,
    summary="Set a product's price on the list",
)
def set_price(
    session: SessionDep,
    actor: CurrentUser,
    now: NowDep,
    price_list_id: IdPath,
    data: PriceListItemIn,
) -> PriceListItemPublic:
    return PriceListItemPublic.model_validate(
        catalog.set_price(session, price_list_id, data, actor=actor, now=now)
    )


@router.delete(
    "/api/price-lists/{price_list_id}/items/{product_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take a product off the list",
)
def remove_price(
    session: SessionDep, actor: CurrentUser, now: NowDep, price_list_id: IdPath, product_id: IdPath
) -> None:
    catalog.remove_price(session, price_list_id, product_id, actor=actor, now=now)
