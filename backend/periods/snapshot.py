"""The inputs of a period, read from the database as of the period's end.

- Genealogy: every distributor enrolled before the end; the placement if it was made before the
  end (a distributor still in a holding tank then is a placement root for that period).
- Orders: each order line whose order was paid inside the period (``order_id`` in the engine is
  the order line's id), net of what was returned or cancelled by the time of the snapshot; the
  quantity taken out is recorded (``period_return``), so no later period claws it back again.
- Returns: order lines of earlier, approved periods returned or cancelled since. Each payee of
  the order's own period gives back ``amount x returned CV / source's CV`` (rounded down) of what
  the order's buyer earned them there. One clawback row per (order line, payee).
- State: the previous period's ``results/state.tbl``, read from its package after checking the
  file's hash against the manifest stored at approval.
- Admin log: the head (last seq and hash) of the admin action log at the computation, so the
  anchored inputs hash commits to every admin action that preceded it.
- Training (only when the plan names a ``[compliance_course]``): the day each distributor
  completed that course, as the caller passes them (``completions``), those on or before the
  period's last day; without them such a period is refused (``training_unavailable``).
- Payees: each distributor's payout profile in force at the period's end
  (``backend.payees.service.in_force``) as tax status and rail codes (``ledger.withholding``,
  ``ledger.rails``). Written when someone has a profile or the plan withholds (then a
  distributor without one is of unknown status); otherwise left out, as before payout rails.

Rows are read in key order, so the same database gives the same inputs, byte for byte.
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from backend.admin_log import service as admin_log
from backend.catalog.models import Product
from backend.core.config import Settings
from backend.core.days import day_of, day_start
from backend.core.errors import Conflict
from backend.core.model_base import OrderStatus, ProductCategory
from backend.genealogy.models import Distributor, Placement
from backend.orders.models import Order, OrderLine
from backend.payees.service import in_force
from backend.periods.models import (
    LOCKED,
    Period,
    PeriodClawback,
    PeriodLine,
    PeriodReturn,
    PeriodSalesSummary,
)
from backend.periods.service import manifest_of, package_dir
from backend.periods.team_lines import LineFacts
from backend.training.completions import completion_days
from ledger.disclosure import IncomeYTD, empty_income_ytd
from ledger.errors import LedgerError
from ledger.inputs import (
    KIND_FEE,
    KIND_OWN,
    KIND_RETAIL,
    Genealogy,
    Orders,
    Payees,
    PeriodInputs,
    Returns,
    State,
    Training,
    empty_state,
)
from ledger.money import numeric_code
from ledger.package import INPUT_HEADERS, read_package_table, read_table
from ledger.plan import Plan
from ledger.rails import RAILS
from ledger.withholding import STATUS_CODES


@dataclass
class Snapshot:
    inputs: PeriodInputs
    returns: list[PeriodReturn] = field(default_factory=list)
    clawbacks: list[PeriodClawback] = field(default_factory=list)
    #: The counted product sales lines summed for the reports (`PeriodSalesSummary`).
    sales: list[PeriodSalesSummary] = field(default_factory=list)
    #: Each counted line's order, product and warehouse, in the order of ``inputs.orders``.
    facts: LineFacts | None = None


def course_completions(session: Session, plan: Plan) -> Mapping[int, int] | None:
    """Distributor -> the day they completed the plan's compliance course, for the snapshot
    (None when the plan names no course)."""
    if plan.compliance_course is None:
        return None
    return completion_days(session, plan.compliance_course.course)


def snapshot(
    session: Session,
    settings: Settings,
    period: Period,
    *,
    plan: Plan,
    completions: Mapping[int, int] | None = None,
) -> Snapshot:
    """The period's inputs. ``completions`` (distributor -> completion day of the plan's
    compliance course) are needed when ``plan`` names a course and ignored otherwise."""
    training = _training(plan, period, completions)
    end = day_start(period.end_day + 1)
    genealogy, known = _genealogy(session, end)
    orders, netted, sales, facts = _orders(session, period, known)
    state = _carry_in(session, settings, period)
    returns, clawed, clawbacks = _clawbacks(session, settings, period)
    inputs = PeriodInputs(
        period_id=period.id,
        start_day=period.start_day,
        end_day=period.end_day,
        genealogy=genealogy,
        orders=orders,
        returns=returns,
        state=state,
        admin_log=admin_log.head(session),
        training=_known_completions(training, known),
        payees=_payees(session, plan, end, known),
        income_ytd=_income_in(session, settings, period),
    )
    return Snapshot(
        inputs=inputs, returns=netted + clawed, clawbacks=clawbacks, sales=sales, facts=facts
    )


def _training(
    plan: Plan, period: Period, completions: Mapping[int, int] | None
) -> dict[int, int] | None:
    """The completions the period's input holds: those dated on or before its last day."""
    if plan.compliance_course is None:
        return None
    course = plan.compliance_course.course
    if completions is None:
        raise Conflict(
            f"the plan's [compliance_course] names {course!r}, but course completions are not "
            f"available to the period computation yet: period {period.id} cannot be computed "
            "with this plan until they are (or without the section)",
            code="training_unavailable",
            details={"course": course},
        )
    return {who: day for who, day in sorted(completions.items()) if day <= period.end_day}


def _known_completions(training: dict[int, int] | None, known: set[int]) -> Training | None:
    if training is None:
        return None
    rows = [(who, day) for who, day in training.items() if who in known]
    return Training.from_columns(
        distributor=[who for who, _ in rows], completed_day=[day for _, day in rows]
    )


def _payees(session: Session, plan: Plan, end: datetime, known: set[int]) -> Payees | None:
    """The profiles in force at the period's last instant, of the distributors it knows."""
    profiles = in_force(session, end - timedelta(microseconds=1))
    rows = sorted((who, p) for who, p in profiles.items() if who in known)
    if not rows and plan.withholding is None:
        return None
    return Payees.from_columns(
        id=[who for who, _ in rows],
        tax_status=[STATUS_CODES[p.tax_status] for _, p in rows],
        rail=[RAILS[p.rail] for _, p in rows],
    )


def _genealogy(session: Session, end: datetime) -> tuple[Genealogy, set[int]]:
    query = (
        sa.select(
            col(Distributor.id),
            col(Distributor.sponsor_id),
            col(Distributor.enrolled_at),
            col(Distributor.wallet),
            col(Placement.parent_id),
            col(Placement.position),
            col(Placement.placed_at),
        )
        .join(Placement, col(Placement.distributor_id) == col(Distributor.id), isouter=True)
        .where(col(Distributor.enrolled_at) < end)
        .order_by(col(Distributor.id))
    )
    ids, enroller, parent, position, joined, has_wallet = [], [], [], [], [], []
    wallets = bytearray()
    for did, sponsor, enrolled_at, wallet, parent_id, pos, placed_at in session.execute(query):
        placed = placed_at is not None and placed_at < end
        ids.append(did)
        enroller.append(sponsor or 0)
        parent.append((parent_id or 0) if placed else 0)
        position.append(pos if placed and pos is not None else 0)
        joined.append(day_of(enrolled_at))
        has_wallet.append(wallet is not None)
        wallets += bytes.fromhex(wallet[2:]) if wallet is not None else bytes(20)
    genealogy = Genealogy.from_columns(
        id=ids,
        enroller=enroller,  # the ledger input calls the sponsor "enroller"
        parent=parent,
        position=position,
        joined_day=joined,
        wallet=np.frombuffer(bytes(wallets), dtype=np.uint8).reshape(len(ids), 20),
        has_wallet=has_wallet,
    )
    return genealogy, set(ids)


def _taken_back(status: OrderStatus, quantity: int, returned: int) -> int:
    """Quantity no longer sold: all of a cancelled order, the returned part of any other."""
    return quantity if status == OrderStatus.cancelled else returned


def _orders(
    session: Session, period: Period, known: set[int]
) -> tuple[Orders, list[PeriodReturn], list[PeriodSalesSummary], LineFacts]:
    query = (
        sa.select(
            col(OrderLine.id),
            col(OrderLine.quantity),
            col(OrderLine.returned_quantity),
            col(OrderLine.amount),
            col(OrderLine.pv),
            col(OrderLine.cv),
            col(Order.distributor_id),
            col(Order.customer_id),
            col(Order.status),
            col(Order.paid_at),
            col(Order.currency),
            col(Product.category),
            col(OrderLine.retail_unit),
            col(OrderLine.wholesale_unit),
            col(OrderLine.order_id),
            col(OrderLine.product_id),
            col(Order.warehouse_id),
        )
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .join(Product, col(Product.id) == col(OrderLine.product_id))
        .where(col(Order.paid_at) >= day_start(period.start_day))
        .where(col(Order.paid_at) < day_start(period.end_day + 1))
        .order_by(col(OrderLine.id))
    )
    columns: dict[str, list[int]] = {name: [] for name in INPUT_HEADERS["orders"]}
    netted: list[PeriodReturn] = []
    sales: dict[tuple[int, int, int, bool], list[int]] = {}
    counted: set[int] = set()
    facts = (array("q"), array("q"), array("q"))  # order, product, warehouse of each line
    for row in session.execute(query):
        (line_id, qty, returned, amount, pv, cv, buyer, customer, status, paid_at) = row[:10]
        currency, category, unit_retail, unit_wholesale, order, product, warehouse = row[10:]
        assert line_id is not None and paid_at is not None
        taken = _taken_back(status, qty, returned)
        if taken:
            netted.append(
                PeriodReturn(
                    period_id=period.id,
                    order_line_id=line_id,
                    quantity=taken,
                    source_period_id=period.id,
                )
            )
        kept = qty - taken
        if kept <= 0 or buyer not in known:
            continue
        retail = customer is not None
        columns["order_id"].append(line_id)
        columns["distributor"].append(buyer)
        columns["kind"].append(
            KIND_FEE if category == ProductCategory.fee else (KIND_RETAIL if retail else KIND_OWN)
        )
        columns["day"].append(day_of(paid_at))
        columns["pv"].append(pv * kept // qty)
        columns["cv"].append(cv * kept // qty)
        # The line's stored unit prices (its price source when placed), not today's catalog.
        columns["retail_price"].append(unit_retail * kept)
        columns["wholesale_price"].append(unit_wholesale * kept)
        columns["currency"].append(numeric_code(currency))
        for kept_in, value in zip(facts, (order, product, warehouse), strict=True):
            kept_in.append(value)
        if category != ProductCategory.fee:
            _add_sale(sales, counted, columns, order, product, warehouse, kept)
    found = LineFacts(*(np.frombuffer(values, dtype=np.int64) for values in facts))
    return Orders.from_columns(**columns), netted, _sales_rows(period.id, sales), found


def _add_sale(
    sales: dict[tuple[int, int, int, bool], list[int]],
    counted: set[int],
    columns: dict[str, list[int]],
    order: int,
    product: int,
    warehouse: int,
    kept: int,
) -> None:
    """The line just appended to ``columns`` added to its summary sums (lines, orders,
    quantity, charged, pv); lines come in id order, so an order is counted in the row of its
    first counted line."""
    retail = columns["kind"][-1] == KIND_RETAIL
    key = (product, warehouse, columns["currency"][-1], retail)
    sums = sales.setdefault(key, [0, 0, 0, 0, 0])
    sums[0] += 1
    if order not in counted:
        counted.add(order)
        sums[1] += 1
    sums[2] += kept
    sums[3] += columns["retail_price" if retail else "wholesale_price"][-1]
    sums[4] += columns["pv"][-1]


def _sales_rows(
    period_id: int, sales: dict[tuple[int, int, int, bool], list[int]]
) -> list[PeriodSalesSummary]:
    return [
        PeriodSalesSummary(
            period_id=period_id,
            product_id=product,
            warehouse_id=warehouse,
            currency=currency,
            retail=retail,
            lines=lines,
            orders=orders,
            quantity=quantity,
            charged=charged,
            pv=pv,
        )
        for (product, warehouse, currency, retail), (
            lines,
            orders,
            quantity,
            charged,
            pv,
        ) in sorted(sales.items())
    ]


def _package_table(
    settings: Settings, period: Period, name: str, columns: tuple[str, ...] | None = None
) -> dict[str, np.ndarray]:
    """A results table of a locked period's package, checked against its stored manifest
    (``columns`` None: in whichever of the table's column lists it was written)."""
    manifest = manifest_of(period)
    path = package_dir(settings, period.id) / name
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise Conflict(f"period {period.id}: cannot read {path}: {exc.strerror}") from None
    files = manifest.get("files")
    expected = files.get(name) if isinstance(files, dict) else None
    if expected != "0x" + hashlib.sha256(data).hexdigest():
        raise Conflict(
            f"period {period.id}: {name} differs from the approved manifest",
            code="package_tampered",
        )
    try:
        table = (
            read_package_table(data, file=name)
            if columns is None
            else read_table(data, file=name, columns=columns)
        )
        return {k: np.asarray(v) for k, v in table.items()}
    except LedgerError as exc:
        raise Conflict(str(exc), code="package_tampered") from None


def _carry_in(session: Session, settings: Settings, period: Period) -> State:
    if period.id == 1:
        return empty_state()
    previous = session.get(Period, period.id - 1)
    if previous is None or previous.status not in LOCKED:
        raise Conflict(
            f"period {period.id - 1} must be approved before period {period.id} is computed "
            "(its carry-out is this period's carry-in)",
            code="previous_not_approved",
        )
    cols = _package_table(settings, previous, "results/state.tbl")
    return State.from_columns(**cols)


def _income_in(session: Session, settings: Settings, period: Period) -> IncomeYTD:
    """The previous period's year-to-date income carry-out (``ledger.disclosure``); none before
    period 1 or after a package written before the income disclosure (format 2)."""
    previous = session.get(Period, period.id - 1) if period.id > 1 else None
    if previous is None or previous.status not in LOCKED:
        return empty_income_ytd()
    files = manifest_of(previous).get("files")
    if not isinstance(files, dict) or "results/income_ytd.tbl" not in files:
        return empty_income_ytd()
    return IncomeYTD.from_columns(**_package_table(settings, previous, "results/income_ytd.tbl"))


def _locked_periods(session: Session, before: int) -> list[Period]:
    query = (
        select(Period)
        .where(col(Period.id) < before)
        .where(col(Period.status).in_([s.value for s in LOCKED]))
        .order_by(col(Period.start_day))
    )
    return list(session.exec(query))


def _clawbacks(
    session: Session, settings: Settings, period: Period
) -> tuple[Returns, list[PeriodReturn], list[PeriodClawback]]:
    locked = _locked_periods(session, period.id)
    empty = Returns.from_columns(return_id=[], distributor=[], amount=[])
    if not locked:
        return empty, [], []
    starts = [p.start_day for p in locked]
    accounted: dict[int, int] = defaultdict(int)
    query_accounted = (
        select(PeriodReturn.order_line_id, func.sum(PeriodReturn.quantity))
        .join(Period, col(Period.id) == col(PeriodReturn.period_id))
        .where(col(Period.status).in_([s.value for s in LOCKED]))
        .group_by(col(PeriodReturn.order_line_id))
    )
    for line_id, quantity in session.exec(query_accounted):
        accounted[line_id] = int(quantity)
    query = (
        sa.select(
            col(OrderLine.id),
            col(OrderLine.quantity),
            col(OrderLine.returned_quantity),
            col(OrderLine.cv),
            col(Order.distributor_id),
            col(Order.status),
            col(Order.paid_at),
        )
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(col(OrderLine.clawback).is_(True))
        .where(col(Order.paid_at) >= day_start(locked[0].start_day))
        .where(col(Order.paid_at) < day_start(period.start_day))
        .order_by(col(OrderLine.id))
    )
    source_cv: dict[int, dict[int, int]] = {}
    returns: list[PeriodReturn] = []
    owed: list[tuple[int, int, int]] = []  # (order line, payee, amount)
    for line_id, qty, returned, cv, buyer, status, paid_at in session.execute(query):
        assert line_id is not None and paid_at is not None
        slot = bisect_right(starts, day_of(paid_at)) - 1
        if slot < 0 or day_of(paid_at) > locked[slot].end_day:
            continue  # paid in a period that is not approved yet: it nets there instead
        source = locked[slot]
        fresh = _taken_back(status, qty, returned) - accounted.get(line_id, 0)
        if fresh <= 0:
            continue
        returns.append(
            PeriodReturn(
                period_id=period.id,
                order_line_id=line_id,
                quantity=fresh,
                source_period_id=source.id,
            )
        )
        if source.id not in source_cv:
            table = _package_table(
                settings,
                source,
                "results/distributors.tbl",
                (
                    "id", "pv", "cv", "retail_pv", "gv", "left_volume", "right_volume",
                    "active", "paid_rank", "achieved_rank", "threshold", "earned",
                ),
            )  # fmt: skip
            source_cv[source.id] = dict(
                zip(table["id"].tolist(), table["cv"].tolist(), strict=True)
            )
        buyer_cv = source_cv[source.id].get(buyer, 0)
        returned_cv = cv * fresh // qty
        if buyer_cv <= 0 or returned_cv <= 0:
            continue
        earned = (
            select(PeriodLine.payee, func.sum(PeriodLine.amount))
            .where(PeriodLine.period_id == source.id)
            .where(PeriodLine.source == buyer)
            .where(col(PeriodLine.payee) != 0)
            .group_by(col(PeriodLine.payee))
            .order_by(col(PeriodLine.payee))
        )
        for payee, total in session.exec(earned):
            amount = int(total) * returned_cv // buyer_cv
            if amount > 0:
                owed.append((line_id, payee, amount))
    clawbacks = [
        PeriodClawback(
            period_id=period.id, return_id=number, order_line_id=line, payee=payee, amount=amount
        )
        for number, (line, payee, amount) in enumerate(sorted(owed), start=1)
    ]
    if not clawbacks:
        return empty, returns, []
    ledger_returns = Returns.from_columns(
        return_id=[c.return_id for c in clawbacks],
        distributor=[c.payee for c in clawbacks],
        amount=[c.amount for c in clawbacks],
    )
    return ledger_returns, returns, clawbacks
