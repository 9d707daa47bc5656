"""Products and price lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.admin_log import service as admin_log
from backend.catalog.models import (
    PriceList,
    PriceListCreate,
    PriceListItem,
    PriceListItemIn,
    PriceListUpdate,
    Product,
    ProductCreate,
    ProductUpdate,
)
from backend.core.errors import Conflict, Invalid, NotFound
from backend.core.model_base import ProductCategory, now_utc

#: What an update may clear (a product-kind code is optional).
NULLABLE = ("tnved_code",)


def create_product(
    session: Session,
    data: ProductCreate,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> Product:
    if session.exec(select(Product.id).where(Product.sku == data.sku)).first() is not None:
        raise Conflict(f"SKU {data.sku} exists")
    product = Product.model_validate(data)
    session.add(product)
    session.flush()
    admin_log.product_created(session, product, actor=actor, now=now)
    session.commit()
    return product


def update_product(
    session: Session,
    product_id: int,
    data: ProductUpdate,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> Product:
    product = get_product(session, product_id)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None and field not in NULLABLE:
            raise Invalid(f"{field} cannot be null")
    merged = {
        field: changes.get(field, getattr(product, field))
        for field in ("category", "cv", "retail_price", "wholesale_price")
    }
    if merged["category"] != ProductCategory.product and merged["cv"]:
        raise Invalid(f"a {merged['category']} must carry CV 0")
    if merged["wholesale_price"] > merged["retail_price"]:
        raise Invalid("wholesale_price must not exceed retail_price")
    admin_log.product_repriced(session, product, changes, actor=actor, now=now)
    product.sqlmodel_update(changes)
    product.updated_at = now_utc()
    session.add(product)
    session.commit()
    return product


def get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"product {product_id} not found")
    return product


def list_products(
    session: Session,
    *,
    active: bool | None,
    category: ProductCategory | None,
    q: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Product], int]:
    query = select(Product)
    if active is not None:
        query = query.where(Product.active == active)
    if category is not None:
        query = query.where(Product.category == category)
    if q:
        needle = q.lower()
        query = query.where(
            func.lower(Product.sku).contains(needle, autoescape=True)
            | func.lower(Product.name_en).contains(needle, autoescape=True)
            | func.lower(Product.name_ru).contains(needle, autoescape=True)
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(query.order_by(col(Product.id)).offset(offset).limit(limit)).all()
    return list(items), total


def listed_products(
    session: Session,
    *,
    price_list_id: int | None,
    category: ProductCategory | None,
    q: str | None,
    offset: int,
    limit: int,
) -> tuple[list[tuple[Product, int, int]], int]:
    """The products for sale (active) with their (retail, wholesale) unit prices: those of the
    price list when one is given (only the products on it), else the products' own; filtered
    by category and by a piece of the SKU or either name, in product id order."""
    if price_list_id is None:
        query = select(Product, Product.retail_price, Product.wholesale_price)
    else:
        query = (
            select(Product, PriceListItem.retail_price, PriceListItem.wholesale_price)
            .join(PriceListItem, col(PriceListItem.product_id) == Product.id)
            .where(PriceListItem.price_list_id == price_list_id)
        )
    query = query.where(Product.active == True)  # noqa: E712
    if category is not None:
        query = query.where(Product.category == category)
    if q:
        query = query.where(_matches(q))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Product.id)).offset(offset).limit(limit)).all()
    return [(product, retail, wholesale) for product, retail, wholesale in rows], total


def _matches(q: str) -> ColumnElement[bool]:
    """A piece of the SKU or either name, whatever its case. SQLite's lower() folds only ASCII
    (and PostgreSQL's follows the database's locale), so a Cyrillic word is also looked for as
    typed, lower case, capitalised and upper case: "крем" finds "Крем для рук"."""
    needles = {q.lower(), q, q.capitalize(), q.upper()}
    columns = (Product.sku, Product.name_en, Product.name_ru)
    return or_(
        *(func.lower(column).contains(q.lower(), autoescape=True) for column in columns),
        *(
            col(column).contains(needle, autoescape=True)
            for column in columns
            for needle in needles
        ),
    )


def create_price_list(session: Session, data: PriceListCreate) -> PriceList:
    if session.exec(select(PriceList.id).where(PriceList.name == data.name)).first() is not None:
        raise Conflict(f"a price list named {data.name!r} exists", code="price_list_name_taken")
    price_list = PriceList.model_validate(data)
    session.add(price_list)
    session.commit()
    return price_list


def update_price_list(session: Session, price_list_id: int, data: PriceListUpdate) -> PriceList:
    price_list = get_price_list(session, price_list_id)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None:
            raise Invalid(f"{field} cannot be null")
    name = changes.get("name")
    taken = select(PriceList.id).where(PriceList.name == name, PriceList.id != price_list_id)
    if name is not None and session.exec(taken).first() is not None:
        raise Conflict(f"a price list named {name!r} exists", code="price_list_name_taken")
    price_list.sqlmodel_update(changes)
    session.add(price_list)
    session.commit()
    return price_list


def set_price(
    session: Session,
    price_list_id: int,
    data: PriceListItemIn,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> PriceListItem:
    get_price_list(session, price_list_id)
    # The list decides the currency: a product priced in RUB may be sold at a KZT list's prices.
    get_product(session, data.product_id)
    item = session.exec(
        select(PriceListItem).where(
            PriceListItem.price_list_id == price_list_id,
            PriceListItem.product_id == data.product_id,
        )
    ).first()
    old = _prices(item) if item is not None else None
    if item is None:
        item = PriceListItem(
            price_list_id=price_list_id,
            product_id=data.product_id,
            retail_price=data.retail_price,
            wholesale_price=data.wholesale_price,
        )
    else:
        item.retail_price = data.retail_price
        item.wholesale_price = data.wholesale_price
    session.add(item)
    admin_log.list_price_set(
        session, price_list_id, data.product_id, old, _prices(item), actor=actor, now=now
    )
    session.commit()
    return item


def _prices(item: PriceListItem) -> dict[str, int]:
    return {"retail_price": item.retail_price, "wholesale_price": item.wholesale_price}


def remove_price(
    session: Session,
    price_list_id: int,
    product_id: int,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> None:
    item = session.exec(
        select(PriceListItem).where(
            PriceListItem.price_list_id == price_list_id,
            PriceListItem.product_id == product_id,
        )
    ).first()
    if item is None:
        raise NotFound(f"product {product_id} is not on price list {price_list_id}")
    session.delete(item)
    admin_log.list_price_set(
        session, price_list_id, product_id, _prices(item), None, actor=actor, now=now
    )
    session.commit()


def get_price_list(session: Session, price_list_id: int) -> PriceList:
    price_list = session.get(PriceList, price_list_id)
    if price_list is None:
        raise NotFound(f"price list {price_list_id} not found")
    return price_list


def price_list_items(session: Session, price_list_id: int) -> list[PriceListItem]:
    return list(
        session.exec(
            select(PriceListItem)
            .where(PriceListItem.price_list_id == price_list_id)
            .order_by(col(PriceListItem.product_id))
        )
    )


def list_price_lists(session: Session, *, offset: int, limit: int) -> tuple[list[PriceList], int]:
    total = session.exec(select(func.count()).select_from(PriceList)).one()
    items = session.exec(select(PriceList).order_by(col(PriceList.id)).offset(offset).limit(limit))
    return list(items), total


def active_list_in(session: Session, currency: str) -> PriceList | None:
    """The active price list in ``currency`` (the oldest when there are several), if any."""
    return session.exec(
        select(PriceList)
        .where(PriceList.currency == currency, PriceList.active == True)  # noqa: E712
        .order_by(col(PriceList.id))
    ).first()
