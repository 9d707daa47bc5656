"""Catalog: products with prices in integer minor units, volumes in points; price lists."""

from datetime import datetime
from typing import Self

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Field, SQLModel

from backend.catalog.codes import DEFAULT_OKEI, DOMESTIC, CountryNumeric, OkeiCode, TnvedCode
from backend.core.model_base import ProductCategory, UTCDateTime, VatCategory, check_in, now_utc
from backend.core.money import InMinorUnits
from backend.core.types import MAX_ID, Currency, ShortText, Sku

MAX_MONEY = 10**12  # minor units; far above any single price, far below int64
MAX_POINTS = 10**9


class ProductBase(SQLModel):
    sku: Sku = Field(max_length=64)
    name_ru: ShortText = Field(max_length=200)
    name_en: ShortText = Field(max_length=200)
    description_ru: str = Field(default="", max_length=4000)
    description_en: str = Field(default="", max_length=4000)
    category: ProductCategory = Field(default=ProductCategory.product, sa_type=sa.String(16))
    retail_price: int = Field(ge=0, le=MAX_MONEY, sa_type=sa.BigInteger())
    wholesale_price: int = Field(ge=0, le=MAX_MONEY, sa_type=sa.BigInteger())
    currency: Currency = Field(max_length=3)
    pv: int = Field(default=0, ge=0, le=MAX_POINTS, description="Personal volume points.")
    cv: int = Field(default=0, ge=0, le=MAX_POINTS, description="Commissionable volume points.")
    vat_category: VatCategory = Field(
        default=VatCategory.standard,
        sa_type=sa.String(16),
        description="VAT treatment; the rate comes from the dated VAT table.",
    )
    okei_code: OkeiCode = Field(
        default=DEFAULT_OKEI,
        max_length=3,
        sa_column_kwargs={"server_default": DEFAULT_OKEI},
        description="Unit of measure, OKEI code (796: pcs).",
    )
    origin_country: CountryNumeric = Field(
        default=DOMESTIC,
        max_length=3,
        sa_column_kwargs={"server_default": DOMESTIC},
        description="Country of origin, ISO 3166 numeric.",
    )
    tnved_code: TnvedCode = Field(
        default=None, max_length=10, description="Product-kind code (TN VED EAEU), 10 digits."
    )
    active: bool = True


def _check_volumes(category: ProductCategory | None, cv: int | None) -> None:
    # Compensation rule: enrollment kits and fees never carry commissionable volume.
    if category in (ProductCategory.kit, ProductCategory.fee) and cv:
        raise ValueError(f"a {category.value} must carry CV 0")


class ProductCreate(ProductBase):
    @model_validator(mode="after")
    def _kits_and_fees_carry_no_cv(self) -> Self:
        _check_volumes(self.category, self.cv)
        if self.wholesale_price > self.retail_price:
            raise ValueError("wholesale_price must not exceed retail_price")
        return self


class ProductUpdate(SQLModel):
    name_ru: ShortText | None = Field(default=None, max_length=200)
    name_en: ShortText | None = Field(default=None, max_length=200)
    description_ru: str | None = Field(default=None, max_length=4000)
    description_en: str | None = Field(default=None, max_length=4000)
    category: ProductCategory | None = None
    retail_price: int | None = Field(default=None, ge=0, le=MAX_MONEY)
    wholesale_price: int | None = Field(default=None, ge=0, le=MAX_MONEY)
    pv: int | None = Field(default=None, ge=0, le=MAX_POINTS)
    cv: int | None = Field(default=None, ge=0, le=MAX_POINTS)
    vat_category: VatCategory | None = None
    okei_code: OkeiCode | None = None
    origin_country: CountryNumeric | None = None
    tnved_code: TnvedCode = Field(default=None, description="null clears it.")
    active: bool | None = None


class Product(ProductBase, table=True):
    __table_args__ = (
        sa.CheckConstraint(check_in("category", ProductCategory), name="category"),
        sa.CheckConstraint(check_in("vat_category", VatCategory), name="vat_category"),
        sa.CheckConstraint("category = 'product' OR cv = 0", name="kits_and_fees_no_cv"),
        sa.CheckConstraint(
            "retail_price >= 0 AND wholesale_price >= 0 AND pv >= 0 AND cv >= 0",
            name="nonnegative",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())
    updated_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())


class ProductPublic(ProductBase, InMinorUnits):
    """A product; its prices are minor units of `currency` (`exponent` decimals)."""

    id: int
    created_at: datetime
    updated_at: datetime


class ProductsPublic(SQLModel):
    items: list[ProductPublic]
    count: int


class PriceListBase(SQLModel):
    name: ShortText = Field(max_length=200)
    currency: Currency = Field(max_length=3)
    active: bool = True


class PriceListCreate(PriceListBase):
    pass


class PriceListUpdate(SQLModel):
    name: ShortText | None = Field(default=None, max_length=200)
    active: bool | None = None


class PriceList(PriceListBase, table=True):
    __tablename__ = "price_list"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    created_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())


class PriceListItemIn(SQLModel):
    """A product's two prices on a list, in minor units of the list's currency (whatever the
    product's own currency: the list decides). A retail customer's order pays `retail_price`,
    a distributor's own order `wholesale_price`."""

    product_id: int = Field(gt=0, le=MAX_ID)
    retail_price: int = Field(ge=0, le=MAX_MONEY, description="Minor units of the list's currency.")
    wholesale_price: int = Field(
        ge=0, le=MAX_MONEY, description="Minor units of the list's currency; <= retail_price."
    )

    @model_validator(mode="after")
    def _wholesale_within_retail(self) -> Self:
        if self.wholesale_price > self.retail_price:
            raise ValueError("wholesale_price must not exceed retail_price")
        return self


class PriceListItem(SQLModel, table=True):
    __tablename__ = "price_list_item"
    __table_args__ = (
        sa.UniqueConstraint("price_list_id", "product_id"),
        sa.CheckConstraint(
            "wholesale_price >= 0 AND wholesale_price <= retail_price", name="prices"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    price_list_id: int = Field(foreign_key="price_list.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    retail_price: int = Field(sa_type=sa.BigInteger())
    wholesale_price: int = Field(sa_type=sa.BigInteger())


class PriceListItemPublic(PriceListItemIn):
    id: int


class PriceListPublic(PriceListBase, InMinorUnits):
    """A price list; every item's prices are minor units of its `currency`."""

    id: int
    created_at: datetime
    items: list[PriceListItemPublic]


class PriceListsPublic(SQLModel):
    items: list[PriceListPublic]
    count: int
