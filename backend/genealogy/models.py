"""Distributors (people, off chain), their placements (the on-chain record) and the tank."""

from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from pydantic import field_validator, model_validator
from sqlmodel import Field, SQLModel

from backend.core.errors import Invalid
from backend.core.model_base import ChainStatus, DistributorStatus, UTCDateTime, check_in, now_utc
from backend.core.types import MAX_ID, CountryCode, Email, Phone, ShortText, WalletAddress
from backend.genealogy.regions import region_code

REGION_DESCRIPTION = (
    "ISO 3166-2 subdivision of the country (RU-MOW, KZ-75; Kazakhstan's former letter codes "
    "such as KZ-ALA are taken and stored as the current code)."
)


def _region(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return region_code(value)
    except Invalid as refused:
        raise ValueError(refused.message) from None


class DistributorBase(SQLModel):
    first_name: ShortText = Field(max_length=200)
    last_name: ShortText = Field(max_length=200)
    email: Email | None = Field(default=None, max_length=254)
    phone: Phone | None = Field(default=None, max_length=40)
    country: CountryCode | None = Field(default=None, max_length=2)
    region: str | None = Field(default=None, max_length=6, description=REGION_DESCRIPTION)
    wallet: WalletAddress | None = Field(
        default=None, max_length=42, description="Payout address, EIP-55 checksummed."
    )


class DistributorCreate(DistributorBase):
    sponsor_id: int | None = Field(
        default=None, gt=0, le=MAX_ID, description="Sponsor's distributor id."
    )
    referral_code: str | None = Field(
        default=None, max_length=16, description="Sponsor's referral code (instead of the id)."
    )
    leg: int | None = Field(
        default=None, ge=0, le=255, description="Leg the sponsor chooses (outer-left/right)."
    )
    holding_tank: bool | None = Field(
        default=None, description="Put into the sponsor's holding tank instead of auto-placing."
    )
    password: str | None = Field(
        default=None, min_length=8, max_length=128, description="Creates a login (needs email)."
    )

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        return _region(value)

    @model_validator(mode="after")
    def _region_in_country(self) -> "DistributorCreate":
        if self.region is not None and self.region[:2] != self.country:
            raise ValueError(f"region {self.region} needs country {self.region[:2]}")
        return self


class DistributorUpdate(SQLModel):
    first_name: ShortText | None = Field(default=None, max_length=200)
    last_name: ShortText | None = Field(default=None, max_length=200)
    email: Email | None = Field(default=None, max_length=254)
    phone: Phone | None = Field(default=None, max_length=40)
    country: CountryCode | None = Field(default=None, max_length=2)
    region: str | None = Field(default=None, max_length=6, description=REGION_DESCRIPTION)
    wallet: WalletAddress | None = Field(default=None, max_length=42)

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        return _region(value)


class StatusChange(SQLModel):
    status: DistributorStatus
    reason: str = Field(min_length=1, max_length=500)


class Distributor(DistributorBase, table=True):
    __table_args__ = (
        sa.CheckConstraint(check_in("status", DistributorStatus), name="status"),
        # Downline reads are index-only scans of one path range: the index carries what the
        # filters need (PostgreSQL INCLUDE; SQLite ignores it and reads the rows).
        sa.Index(
            "ix_distributor_tree_path",
            "tree_path",
            postgresql_include=["id", "tree_depth", "status", "search_name"],
        ),
        # Depth-limited reads: one range per level, merged in path order.
        sa.Index(
            "ix_distributor_tree_depth_tree_path",
            "tree_depth",
            "tree_path",
            postgresql_include=["id", "status", "search_name"],
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    first_name: str = Field(max_length=200)
    last_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254, index=True)
    wallet: str | None = Field(default=None, max_length=42, unique=True)
    sponsor_id: int | None = Field(default=None, foreign_key="distributor.id", index=True)
    referral_code: str = Field(max_length=16, unique=True)
    status: DistributorStatus = Field(default=DistributorStatus.active, sa_type=sa.String(16))
    # Lower-case "first last email": what the downline search matches against.
    search_name: str = Field(max_length=700)
    # Materialised placement path: 4 big-endian bytes per ancestor id, root first, self last.
    # Byte order is tree pre-order, so a downline is one index range. Null while in the tank.
    tree_path: bytes | None = Field(default=None, sa_type=sa.LargeBinary())
    tree_depth: int | None = Field(default=None)
    enrolled_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime(), index=True)
    status_changed_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())


class StatusChangeRecord(SQLModel, table=True):
    """Append-only history of status changes, so a period can be computed "as of" its end."""

    __tablename__ = "distributor_status_change"
    __table_args__ = (
        sa.CheckConstraint(check_in("old_status", DistributorStatus), name="old_status"),
        sa.CheckConstraint(check_in("new_status", DistributorStatus), name="new_status"),
        sa.Index("ix_distributor_status_change_distributor_id_at", "distributor_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    distributor_id: int = Field(foreign_key="distributor.id")
    old_status: DistributorStatus = Field(sa_type=sa.String(16))
    new_status: DistributorStatus = Field(sa_type=sa.String(16))
    reason: str = Field(max_length=500)
    changed_by: int | None = Field(default=None, foreign_key="app_user.id")
    at: datetime = Field(sa_type=UTCDateTime())


class StatusChangePublic(SQLModel):
    old_status: DistributorStatus
    new_status: DistributorStatus
    reason: str
    changed_by: int | None
    at: datetime


class PlacementBase(SQLModel):
    parent_id: int | None
    position: int
    strategy: str
    chain_status: ChainStatus
    block_number: int | None
    tx_hash: str | None


class Placement(PlacementBase, table=True):
    """Where a distributor sits, written once; the chain copy is tracked by `chain_status`."""

    __table_args__ = (
        sa.UniqueConstraint("parent_id", "position"),
        sa.CheckConstraint(check_in("chain_status", ChainStatus), name="chain_status"),
        sa.CheckConstraint("position >= 0", name="position_nonnegative"),
    )

    distributor_id: int = Field(primary_key=True, foreign_key="distributor.id")
    sponsor_id: int | None = Field(default=None, foreign_key="distributor.id")
    parent_id: int | None = Field(default=None, foreign_key="distributor.id", index=True)
    position: int
    strategy: str = Field(max_length=20)
    chain_status: ChainStatus = Field(default=ChainStatus.pending, sa_type=sa.String(16))
    block_number: int | None = Field(default=None, sa_type=sa.BigInteger())
    tx_hash: str | None = Field(default=None, max_length=66)
    placed_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    # Order in which placements were written (1 = the root): lets a worker's in-memory tree
    # catch up with exactly the rows other workers added since it last looked.
    seq: int = Field(unique=True)


class GenealogyState(SQLModel, table=True):
    """One row: how many placements exist. Placing locks it (SELECT ... FOR UPDATE), which
    serialises placements across workers, and bumps it, which numbers them (`Placement.seq`)."""

    __tablename__ = "genealogy_state"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(default=1, primary_key=True)
    placement_seq: int = 0


class PlacementPublic(PlacementBase):
    distributor_id: int
    sponsor_id: int | None
    placed_at: datetime
    confirmed_at: datetime | None


class HoldingTankEntry(SQLModel, table=True):
    """An enrolled but not yet placed distributor, waiting for the sponsor's manual choice."""

    __tablename__ = "holding_tank_entry"

    distributor_id: int = Field(primary_key=True, foreign_key="distributor.id")
    sponsor_id: int = Field(foreign_key="distributor.id", index=True)
    entered_at: datetime = Field(sa_type=UTCDateTime())
    expires_at: datetime = Field(sa_type=UTCDateTime(), index=True)
    placed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())


class EnrollmentRequest(SQLModel, table=True):
    """An enrollment (single or batch) sent with an `Idempotency-Key`: a retry with the same
    key answers with these distributors instead of enrolling them a second time. Written in the
    enrollment's own transaction, before its first distributor, so a twin request waits on the
    unique key and then finds this row."""

    __tablename__ = "enrollment_request"
    __table_args__ = (sa.UniqueConstraint("created_by", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    created_by: int = Field(foreign_key="app_user.id")
    idempotency_key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    distributor_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON())
    created_at: datetime = Field(sa_type=UTCDateTime())


class DistributorPublic(DistributorBase):
    id: int
    sponsor_id: int | None
    referral_code: str
    status: DistributorStatus
    enrolled_at: datetime
    status_changed_at: datetime
    depth: int | None = Field(description="Levels below the root; null while in the tank.")
    placement: PlacementPublic | None


class DistributorsPublic(SQLModel):
    items: list[DistributorPublic]
    count: int


class HoldingTankPublic(SQLModel):
    distributor_id: int
    sponsor_id: int
    first_name: str
    last_name: str
    entered_at: datetime
    expires_at: datetime


class ManualPlacement(SQLModel):
    parent_id: int = Field(gt=0, le=MAX_ID)
    position: int = Field(ge=0, le=1_000_000)


class DownlineMember(SQLModel):
    id: int
    first_name: str
    last_name: str
    status: DistributorStatus
    sponsor_id: int | None
    parent_id: int | None
    position: int
    level: int = Field(description="Levels below the distributor whose downline this is.")
    chain_status: ChainStatus


class DownlinePage(SQLModel):
    root_id: int
    items: list[DownlineMember]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


DownlineOrder = Literal["tree", "level"]
