"""Commission periods: the calendar row, its append-only transition log, and the stored results.

A period's results (lines, payees, clawbacks) mirror its period package's tables; they are
replaced by each compute until the period is approved and never touched afterwards.
Money columns are integer minor units (BigInteger); ids of distributors in result rows are plain
numbers, exactly as in the package (``0`` = nobody), not foreign keys.
"""

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.admin_log.models import ApprovalContext
from backend.core.model_base import IntentStatus, UTCDateTime, check_in, now_utc
from backend.core.types import MAX_ID, MAX_INT64


class PeriodStatus(StrEnum):
    open = "open"
    computed = "computed"
    approved = "approved"
    anchored = "anchored"
    paying = "paying"
    paid = "paid"


#: States in which plan, inputs and results are locked (approval onwards).
LOCKED = frozenset(
    {PeriodStatus.approved, PeriodStatus.anchored, PeriodStatus.paying, PeriodStatus.paid}
)


class Period(SQLModel, table=True):
    """One period of the plan's calendar; ``id`` is the period number (1, 2, ...)."""

    __tablename__ = "period"
    __table_args__ = (
        sa.CheckConstraint(check_in("status", PeriodStatus), name="status"),
        sa.CheckConstraint("end_day >= start_day", name="days_ordered"),
        sa.CheckConstraint("id > 0", name="id_positive"),
    )

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    start_day: int = Field(description="First day, days since 1970-01-01 (UTC).")
    end_day: int = Field(description="Last day (inclusive).")
    status: PeriodStatus = Field(default=PeriodStatus.open, sa_type=sa.String(16))
    computations: int = Field(default=0, description="How many times it was computed.")
    plan_hash: str | None = Field(default=None, max_length=66)
    inputs_hash: str | None = Field(default=None, max_length=66)
    results_hash: str | None = Field(default=None, max_length=66)
    payout_root: str | None = Field(default=None, max_length=66)
    payout_total: int | None = Field(default=None, sa_type=sa.BigInteger())
    leaf_count: int | None = Field(default=None)
    manifest: str | None = Field(default=None, sa_type=sa.Text())
    computed_by: int | None = Field(default=None, foreign_key="app_user.id")
    computed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    approved_by: int | None = Field(default=None, foreign_key="app_user.id")
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    currency: str | None = Field(
        default=None, max_length=12, description="Payout currency of the computed plan."
    )
    exponent: int | None = Field(default=None, description="Its decimals (minor units).")
    compliance: str | None = Field(
        default=None, sa_type=sa.Text(), description="Payout % of sales summary (JSON)."
    )
    anchor_tx: str | None = Field(default=None, max_length=66)
    anchor_block: int | None = Field(default=None, sa_type=sa.BigInteger())
    opened_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())


class PeriodTransition(SQLModel, table=True):
    """Append-only: every state change of a period, with who and when (never updated)."""

    __tablename__ = "period_transition"
    __table_args__ = (
        sa.CheckConstraint(check_in("to_status", PeriodStatus), name="to_status"),
        sa.Index("ix_period_transition_period_id_id", "period_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="period.id")
    from_status: PeriodStatus | None = Field(default=None, sa_type=sa.String(16))
    to_status: PeriodStatus = Field(sa_type=sa.String(16))
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    at: datetime = Field(sa_type=UTCDateTime())
    detail: str = Field(default="", max_length=500)


class PeriodSalesSummary(SQLModel, table=True):
    """The period's counted product sales lines (the package's ``inputs/orders.tbl`` own and
    retail lines, net of returns; fees are not sales) summed per product, warehouse, currency
    and retail flag, written by each compute with its results: what the sales reports read
    instead of every line. ``charged`` is in minor units of ``currency`` (the package's ISO 4217
    numeric code), unconverted: a report sums a currency's rows and converts that sum once, as
    the engine does. ``orders`` counts each order once, in the row of its first counted line,
    so the rows' sum is the period's number of orders."""

    __tablename__ = "period_sales_summary"

    period_id: int = Field(foreign_key="period.id", primary_key=True)
    product_id: int = Field(primary_key=True)
    warehouse_id: int = Field(primary_key=True)
    currency: int = Field(primary_key=True, sa_type=sa.SmallInteger())
    retail: bool = Field(primary_key=True)
    lines: int
    orders: int
    quantity: int = Field(sa_type=sa.BigInteger())
    charged: int = Field(sa_type=sa.BigInteger())
    pv: int = Field(sa_type=sa.BigInteger())


class PeriodMemberSales(SQLModel, table=True):
    """The period's counted product sales lines (as `PeriodSalesSummary` counts them) summed
        per buyer and currency, written by each compute with its results: what a team's sales, a
        member's, a leg's and a region's read instead of every line of the package. ``charged`` and
        ``retail`` (the retail part of it) in minor units of ``currency``, unconverted: a report
        sums a currency's rows and converts that sum once, as the engine does. ``fees``: the
        buyer's fee lines (enrollment, membership: no sales) charged in that currency, which the
        compliance flags read (a row may hold fees alone); ``team_charged``: the sales of the
    buyer's placement subtree, themselves included (a row may hold it alone)."""

    __tablename__ = "period_member_sales"
    __table_args__ = (
        sa.Index(
            "ix_period_member_sales_fees",
            "period_id",
            postgresql_where=sa.text("fees > 0"),
            sqlite_where=sa.text("fees > 0"),
        ),
    )

    period_id: int = Field(foreign_key="period.id", primary_key=True)
    distributor_id: int = Field(primary_key=True)
    currency: int = Field(primary_key=True, sa_type=sa.SmallInteger())
    lines: int
    charged: int = Field(sa_type=sa.BigInteger())
    retail: int = Field(sa_type=sa.BigInteger())
    pv: int = Field(sa_type=sa.BigInteger())
    fees: int = Field(default=0, sa_type=sa.BigInteger())
    team_charged: int = Field(default=0, sa_type=sa.BigInteger())


class PeriodTeam(SQLModel, table=True):
    """Each person's placement subtree (themselves included) in a computed period, as the
    period's genealogy placed it: its PV and how many in it were active, written by the
    compute with `PeriodMemberSales` (whose ``team_charged`` holds the subtree's sales), so a
    leg's or a team's figures are its top's row. People whose subtree had neither are left
    out."""

    __tablename__ = "period_team"

    period_id: int = Field(foreign_key="period.id", primary_key=True)
    distributor_id: int = Field(primary_key=True)
    pv: int = Field(sa_type=sa.BigInteger())
    active: int


class Measure(IntEnum):
    """What a `PeriodMove` measures: a standing's GV or a payee's earnings."""

    gv = 1
    earned = 2


class PeriodMove(SQLModel, table=True):
    """Each person's change of a measure from the period before (the rows stored for it when
    this period was computed; none: 0), written by the compute for everyone whose value
    changed, those with no row in this period included (a payee who earned nothing now): the
    largest rises and falls are then the two ends of one index, not a join of two periods'
    every row. GV in points, earnings in minor units of the payout currency."""

    __tablename__ = "period_move"
    __table_args__ = (sa.Index("ix_period_move_change", "period_id", "measure", "change"),)

    period_id: int = Field(foreign_key="period.id", primary_key=True)
    measure: int = Field(primary_key=True, sa_type=sa.SmallInteger())
    distributor_id: int = Field(primary_key=True, sa_type=sa.BigInteger())
    previous: int = Field(sa_type=sa.BigInteger())
    latest: int = Field(sa_type=sa.BigInteger())
    change: int = Field(sa_type=sa.BigInteger())


class PeriodPeopleSummary(SQLModel, table=True):
    """The period's standings counted per enrollment cohort (calendar month joined, as
    ``year * 12 + month - 1``) and paid-as rank, written by each compute with its standings:
    what the people reports (active rate, retention by cohort, churn, rank advancement) read
    instead of every standing. ``was_active``: of these people, how many were active in the
    previous period; ``churned``: of those, how many are not active in this one;
    ``ranked_up``: how many achieved a highest rank above the one carried in."""

    __tablename__ = "period_people_summary"

    period_id: int = Field(foreign_key="period.id", primary_key=True)
    cohort: int = Field(primary_key=True)
    paid_rank: int = Field(primary_key=True)
    people: int
    active: int
    was_active: int
    churned: int
    ranked_up: int


class PeriodLine(SQLModel, table=True):
    """One bonus line of a period (``results/lines.tbl`` row ``line_no``)."""

    __tablename__ = "period_line"
    __table_args__ = (
        sa.UniqueConstraint("period_id", "line_no"),
        sa.Index("ix_period_line_period_id_payee", "period_id", "payee"),
        sa.Index("ix_period_line_period_id_source", "period_id", "source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="period.id")
    line_no: int
    bonus: int = Field(sa_type=sa.SmallInteger())
    source: int = Field(sa_type=sa.BigInteger())
    level: int
    currency: int = Field(
        default=0, sa_type=sa.SmallInteger(), description="ISO 4217 numeric of a money base; 0."
    )
    payee: int = Field(sa_type=sa.BigInteger())
    base: int = Field(sa_type=sa.BigInteger())
    rate: int = Field(sa_type=sa.BigInteger(), description="Parts per million.")
    gross: int = Field(sa_type=sa.BigInteger())
    amount: int = Field(sa_type=sa.BigInteger())
    breakage: int = Field(sa_type=sa.BigInteger())


class PeriodPayee(SQLModel, table=True):
    """A distributor's money in a period (``results/payees.tbl``) and their payout leaf.

    ``balance_out`` is what is held for them (no wallet, below the minimum, or negative after
    a clawback); it is the next period's ``balance_in`` and paid in that period's leaves once
    they can be paid, so the vault only ever pays anchored leaves. ``payout`` is the leaf's
    amount: the gross payout less the tax ``withheld`` (``gross`` = ``payout + withheld``).
    ``tax_status`` and ``rail`` are the period's payees input (None: the period had none).
    """

    __tablename__ = "period_payee"
    __table_args__ = (
        sa.Index("ix_period_payee_period_id_leaf_index", "period_id", "leaf_index"),
        # A period's top earners without sorting every payee.
        sa.Index("ix_period_payee_period_id_earned", "period_id", "earned"),
    )

    period_id: int = Field(primary_key=True, foreign_key="period.id")
    distributor_id: int = Field(primary_key=True, sa_type=sa.BigInteger())
    earned: int = Field(sa_type=sa.BigInteger())
    clawback: int = Field(sa_type=sa.BigInteger())
    balance_in: int = Field(sa_type=sa.BigInteger())
    payout: int = Field(sa_type=sa.BigInteger())
    balance_out: int = Field(sa_type=sa.BigInteger())
    leaf_index: int | None = Field(default=None, description="Payout leaf, if paid this period.")
    account: str | None = Field(default=None, max_length=42, description="The leaf's address.")
    has_wallet: bool = Field(default=False, description="A wallet was known at the snapshot.")
    withheld: int = Field(
        default=0, sa_type=sa.BigInteger(), sa_column_kwargs={"server_default": "0"}
    )
    tax_status: str | None = Field(default=None, max_length=16, description="TaxStatus value.")
    rail: str | None = Field(default=None, max_length=8, description="bank or token.")

    @property
    def gross(self) -> int:
        return self.payout + self.withheld


class PeriodStanding(SQLModel, table=True):
    """A distributor's figures in a period, one row of ``results/distributors.tbl`` plus what
    the dashboard shows beyond it (``ledger.standing``): written by the period's compute, and
    while the period is open by the latest preview run (`StandingRun` says which and when).
    Volumes are in the plan's point units; ``earned`` is in the payout currency's minor units;
    ranks are 0 (none) or the rung's 1-based place in the plan's ladder."""

    __tablename__ = "period_standing"
    __table_args__ = (
        sa.Index("ix_period_standing_distributor_id_period_id", "distributor_id", "period_id"),
        # A period's largest GV first (the team turnover by member) without sorting them all.
        sa.Index("ix_period_standing_period_id_gv", "period_id", "gv"),
        # The feed's rank ups, newest period first: only the few rows that ranked up.
        sa.Index(
            "ix_period_standing_ranked_up",
            "period_id",
            "distributor_id",
            postgresql_where=sa.text("achieved_rank > prior_rank"),
            sqlite_where=sa.text("achieved_rank > prior_rank"),
        ),
    )

    period_id: int = Field(primary_key=True, foreign_key="period.id")
    distributor_id: int = Field(primary_key=True, sa_type=sa.BigInteger())
    pv: int = Field(sa_type=sa.BigInteger())
    cv: int = Field(sa_type=sa.BigInteger())
    gv: int = Field(sa_type=sa.BigInteger())
    left_volume: int = Field(sa_type=sa.BigInteger())
    right_volume: int = Field(sa_type=sa.BigInteger())
    active: bool
    paid_rank: int
    achieved_rank: int
    earned: int = Field(sa_type=sa.BigInteger())
    prior_rank: int = Field(default=0, description="Highest rank carried in from before.")
    new_in_team: int = Field(default=0, description="Placed below them, joined this period.")
    top_leg: int = Field(default=0, sa_type=sa.BigInteger(), description="Largest leg's GV.")
    second_leg: int = Field(default=0, sa_type=sa.BigInteger(), description="Second largest.")
    next_gv: int = Field(
        default=0, sa_type=sa.BigInteger(), description="GV as the next rank counts it (capped)."
    )
    next_legs: int = Field(default=0, description="Legs holding the next rank's leg rank.")


class StandingKind(StrEnum):
    preview = "preview"  # an estimate of an open period, refreshed by the worker
    computed = "computed"  # the period's compute (what its package holds)


class StandingRun(SQLModel, table=True):
    """Where a period's standings came from and when they were computed; for a preview also
    the last attempt and, when it was refused (no rate yet, previous period not approved), why.
    ``ladder`` is the plan's rank ladder as run (JSON: name and rules of each rung)."""

    __tablename__ = "standing_run"
    __table_args__ = (sa.CheckConstraint(check_in("kind", StandingKind), name="kind"),)

    period_id: int = Field(primary_key=True, foreign_key="period.id")
    kind: StandingKind = Field(sa_type=sa.String(16))
    computed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    plan_hash: str | None = Field(default=None, max_length=66)
    currency: str | None = Field(default=None, max_length=12)
    exponent: int | None = None
    distributors: int = 0
    binary: bool = Field(default=False, description="Left/right legs (a binary plan).")
    ladder: str | None = Field(default=None, sa_type=sa.Text())
    attempted_at: datetime = Field(sa_type=UTCDateTime())
    refused: str | None = Field(default=None, max_length=40, description="Why the last failed.")
    refused_detail: str | None = Field(default=None, max_length=500)


class PeriodReturn(SQLModel, table=True):
    """Returned (or cancelled) quantity of an order line a period accounted for: netted out of
    the order's own period, or clawed back from the payees of a later one."""

    __tablename__ = "period_return"

    period_id: int = Field(primary_key=True, foreign_key="period.id")
    order_line_id: int = Field(primary_key=True, foreign_key="order_line.id")
    quantity: int
    source_period_id: int = Field(description="The period whose bonuses the order paid.")


class PeriodClawback(SQLModel, table=True):
    """Money taken back from one payee for one returned order line (``inputs/returns.tbl``)."""

    __tablename__ = "period_clawback"

    period_id: int = Field(primary_key=True, foreign_key="period.id")
    return_id: int = Field(primary_key=True, description="Row key in inputs/returns.tbl.")
    order_line_id: int = Field(foreign_key="order_line.id")
    payee: int = Field(sa_type=sa.BigInteger())
    amount: int = Field(sa_type=sa.BigInteger())


class ChainJobKind(StrEnum):
    """The period kinds of chain job (the queue is `backend.chain_jobs`)."""

    anchor = "anchor"
    fund = "fund"


class BatchStatus(StrEnum):
    """A payout batch as the API shows it: a queued pay job is `planned`."""

    planned = "planned"
    sent = "sent"
    confirmed = "confirmed"


# API shapes ------------------------------------------------------------------------------------


class SalesInCurrency(SQLModel):
    amount: int = Field(description="Sales as charged, minor units of this currency.")
    exponent: int
    converted: int = Field(description="The same in the payout currency's minor units.")
    rate: str | None = Field(description="The conversion and the dated rates behind it.")


class PayoutShare(SQLModel):
    """Payout as a share of sales, both in the payout currency (results/compliance.json)."""

    currency: str
    exponent: int
    sales: int = Field(description="Product sales converted to the payout currency.")
    payout: int = Field(description="Sum of the period's bonus line amounts.")
    pct: str = Field(description="payout / sales in percent, four decimals, rounded down.")
    cap_pct: str | None = Field(description="The plan's ceiling on payout % of sales.")
    within_cap: bool
    by_bonus: dict[str, str]
    sales_by_currency: dict[str, SalesInCurrency]


class PeriodPublic(SQLModel):
    id: int
    start_day: int
    end_day: int
    start_date: str
    end_date: str
    status: PeriodStatus
    computations: int
    plan_hash: str | None
    inputs_hash: str | None
    results_hash: str | None
    payout_root: str | None
    payout_total: int | None = Field(description="Minor units of `currency`.")
    currency: str | None = Field(description="Payout currency (code) of every amount here.")
    exponent: int | None = Field(description="Decimals of `currency`: amount / 10**exponent.")
    leaf_count: int | None
    computed_by: int | None
    computed_at: datetime | None
    approved_by: int | None
    approved_at: datetime | None
    anchor_tx: str | None
    anchor_block: int | None
    package: str | None = Field(description="Folder of the period package, once computed.")
    payout_share: PayoutShare | None = Field(
        default=None, description="Payout % of sales against the plan's ceiling, once computed."
    )
    approval_context: ApprovalContext | None = Field(
        default=None,
        description="Who created or last changed the maker's and checker's accounts "
        "(the admin log); on the period's detail and on its approval.",
    )


class PeriodsPublic(SQLModel):
    items: list[PeriodPublic]
    count: int


class PeriodTransitionPublic(SQLModel):
    from_status: PeriodStatus | None
    to_status: PeriodStatus
    actor_id: int | None
    at: datetime
    detail: str


class PeriodLinePublic(SQLModel):
    """One bonus line. ``gross``, ``amount`` and ``breakage`` are minor units of the period's
    payout ``currency``; ``base`` is in ``base_unit``: ``points``, or a currency code (money, in
    its minor units, ``base_exponent`` decimals), converted at ``conversion`` when it differs
    from the payout currency."""

    line_no: int
    bonus: str
    source: int
    level: int
    payee: int
    base: int
    base_unit: str = Field(description="'points' or the currency code of a money base.")
    base_exponent: int = Field(description="Decimals of a money base (0 for points).")
    rate: int = Field(description="Parts per million of the base.")
    conversion: str | None = Field(description="The period's rate, for a converted base.")
    gross: int
    amount: int
    breakage: int
    currency: str = Field(description="Payout currency of gross, amount and breakage.")
    exponent: int


class PeriodLinesPublic(SQLModel):
    items: list[PeriodLinePublic]
    count: int


class HeldReason(StrEnum):
    """Why a statement's balance was carried instead of paid."""

    no_wallet = "no_wallet"
    below_minimum = "below_minimum"
    negative = "negative"
    #: The plan's [compliance_course] was not completed by the period's end (the held amount is
    #: paid in the first period by whose end it is); ``held_course`` names the course.
    compliance_course = "compliance_course"
    #: The plan withholds tax and holds a payee whose tax status is unknown: the held amount is
    #: paid in the first period by whose end a status is recorded.
    tax_status_unknown = "tax_status_unknown"


class ClawbackPublic(SQLModel):
    return_id: int
    order_line_id: int
    amount: int


class StatementPublic(SQLModel):
    """Everything a distributor needs to check their period without trusting the service:
    recompute the leaf hash from ``leaf``, fold ``proof`` to ``payout_root``, compare with the
    root anchored by ``anchor_tx``."""

    period: PeriodPublic
    distributor_id: int
    lines: list[PeriodLinePublic]
    clawbacks: list[ClawbackPublic]
    currency: str = Field(description="Payout currency of every amount of the statement.")
    exponent: int
    earned: int
    clawback: int
    balance_in: int
    payout: int = Field(description="Paid: the leaf's amount, after the tax withheld.")
    balance_out: int
    withheld: int = Field(default=0, description="Tax withheld from the gross payout.")
    gross: int = Field(default=0, description="payout + withheld.")
    rail: str | None = Field(
        default=None, description="bank or token (None: the period had no payout rails)."
    )
    tax_status: str | None = Field(
        default=None, description="The tax status the period used (None: unknown or no rails)."
    )
    held_reason: str | None = Field(description="Why balance_out was not paid this period.")
    held: HeldReason | None = Field(
        default=None, description="The same reason as a code (None when nothing is carried)."
    )
    held_course: str | None = Field(
        default=None, description="The course not completed, when held is compliance_course."
    )
    leaf: list[int | str] | None = Field(description="[periodId, index, account, amount].")
    proof: list[str] | None
    payout_root: str | None
    anchor_tx: str | None
    anchor_block: int | None


class StatementSummary(SQLModel):
    period_id: int
    status: PeriodStatus
    start_date: str | None = Field(default=None, description="First day of the period.")
    end_date: str | None = Field(default=None, description="Last day of the period.")
    currency: str | None = Field(description="Payout currency of the amounts (None: not computed).")
    exponent: int | None
    earned: int
    payout: int
    balance_out: int


class StatementsPublic(SQLModel):
    items: list[StatementSummary]
    count: int


class ChainJobPublic(SQLModel):
    id: int
    kind: ChainJobKind
    period_id: int | None
    amount: int | None
    status: IntentStatus
    tx_hash: str | None
    block_number: int | None
    error: str | None
    created_at: datetime


class PeriodBatchPublic(SQLModel):
    period_id: int
    seq: int
    indices: list[int]
    amount: int
    status: BatchStatus
    tx_hash: str | None
    nonce: int | None
    block_number: int | None
    gas_used: int | None
    paid: list[int] | None
    failed: list[int] | None
    skipped: list[int] | None
    note: str | None


class PeriodBatchesPublic(SQLModel):
    items: list[PeriodBatchPublic]
    count: int
    lines: int = Field(description="Lines planned in all batches.")
    failed: list[int] = Field(description="Leaves whose transfer failed: claimable later.")


class ApprovalRequest(SQLModel):
    computation: int = Field(
        ge=1,
        le=2_147_483_647,
        description=(
            "The compute being approved (the period's `computations` as the approver reviewed "
            "it); refused with 409 when the period was recomputed since."
        ),
    )


class FundingRequest(SQLModel):
    amount: int = Field(
        gt=0, le=MAX_INT64, description="Token minor units to mint to the vault (int64)."
    )
    period_id: int | None = Field(
        default=None,
        gt=0,
        le=MAX_ID,
        description="The period this funding is for (shown per period in the vault); the vault "
        "is one pool either way.",
    )


class VaultPublic(SQLModel):
    vault: str
    token: str
    balance: int
    committed: int = Field(description="Lines planned or sent in batches not yet confirmed.")
    paid_totals: dict[str, Any] = Field(description="paidTotalOf per anchored period.")
