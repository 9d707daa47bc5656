"""Period inputs: plain frozen columns (numpy), and their validation into dense indices.

Distributors are numeric ids >= 1; ``0`` in an enroller or parent column means "none" (a root).
Days are integer days since 1970-01-01. Volumes are integer points. An order line's prices are
integer minor units of its ``currency`` (ISO 4217 numeric code; 0 = the payout currency); other
amounts (returns, balances) are minor units of the payout currency. ``rates`` are the dated
exchange rates the period converts with (``ledger.money``). Wallets are 20 raw bytes per row
(``has_wallet`` False when the distributor has not registered one). ``payees`` (optional) gives
a distributor's tax status and payout rail (``ledger.withholding``, ``ledger.rails``). The row
order of any input never matters: the engine sorts by id (and orders by order id) before doing
anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ledger.disclosure import IncomeYTD
from ledger.errors import InputError, NegativeVolumeError, UnknownReferenceError
from ledger.money import ISO_CURRENCIES, Rate
from ledger.rails import BANK, TOKEN
from ledger.withholding import TAX_COMPANY, TAX_UNKNOWN

__all__ = [
    "ADMIN_LOG_GENESIS",
    "KIND_FEE",
    "KIND_OWN",
    "KIND_RETAIL",
    "AdminLogHead",
    "Genealogy",
    "Orders",
    "Payees",
    "PeriodInputs",
    "Returns",
    "State",
    "YTD",
    "Training",
    "empty_returns",
    "empty_state",
]

I64 = NDArray[np.int64]

#: Order line kinds: the distributor's own purchase, a sale to a retail customer, a fee
#: (enrollment, activation, membership), which by the hard compliance rule carries no volume.
KIND_OWN, KIND_RETAIL, KIND_FEE = 0, 1, 2


_ISO_NUMERIC = np.asarray(sorted(n for n, _ in ISO_CURRENCIES.values()), dtype=np.int64)


def _i64(values: object) -> I64:
    return np.ascontiguousarray(np.asarray(values, dtype=np.int64).reshape(-1))


@dataclass(frozen=True, eq=False)
class Genealogy:
    """The genealogy as of period end: one row per distributor."""

    id: I64
    enroller: I64
    parent: I64
    position: I64
    joined_day: I64
    wallet: NDArray[np.uint8]  # shape (n, 20)
    has_wallet: NDArray[np.bool_]

    @classmethod
    def from_columns(
        cls,
        *,
        id: object,  # noqa: A002 - the column's name in the input format
        enroller: object,
        parent: object,
        position: object,
        joined_day: object,
        wallet: NDArray[np.uint8] | None = None,
        has_wallet: object | None = None,
    ) -> Genealogy:
        ids = _i64(id)
        n = ids.shape[0]
        w = np.zeros((n, 20), dtype=np.uint8) if wallet is None else np.asarray(wallet, np.uint8)
        hw = (
            np.zeros(n, dtype=np.bool_)
            if has_wallet is None
            else np.asarray(has_wallet, dtype=np.bool_).reshape(-1)
        )
        return cls(ids, _i64(enroller), _i64(parent), _i64(position), _i64(joined_day), w, hw)


@dataclass(frozen=True, eq=False)
class Orders:
    """Order lines counted in the period."""

    order_id: I64
    distributor: I64
    kind: I64
    day: I64
    pv: I64
    cv: I64
    retail_price: I64
    wholesale_price: I64
    currency: I64  # ISO 4217 numeric code of the prices; 0 = the payout currency

    @classmethod
    def from_columns(cls, **columns: object) -> Orders:
        """The columns by name; ``currency`` may be left out (every price in payout currency)."""
        if "currency" not in columns:
            columns = {**columns, "currency": np.zeros(_i64(columns["order_id"]).shape[0])}
        return cls(**{name: _i64(columns[name]) for name in cls.__dataclass_fields__})


@dataclass(frozen=True, eq=False)
class Returns:
    """Clawbacks: money to take back from a payee for returned orders of earlier periods."""

    return_id: I64
    distributor: I64
    amount: I64

    @classmethod
    def from_columns(cls, **columns: object) -> Returns:
        return cls(**{name: _i64(columns[name]) for name in cls.__dataclass_fields__})


@dataclass(frozen=True, eq=False)
class State:
    """Carry-in state per distributor (rows only for those with something to carry).

    ``balance`` may be negative (a clawback larger than a period's earnings). The year-to-date
    columns (``ytd_*``, None when the state has none: read as 0) carry a payee's taxed income
    and the tax withheld from it in calendar year ``ytd_year`` (docs/compensation.md#withholding).
    """

    id: I64
    carry_left: I64
    carry_right: I64
    balance: I64
    achieved_rank: I64
    matrix_done: I64
    ytd_year: I64 | None = None
    ytd_income: I64 | None = None
    ytd_withheld: I64 | None = None

    @classmethod
    def from_columns(cls, **columns: object) -> State:
        return cls(
            **{
                name: _i64(columns[name])
                for name in cls.__dataclass_fields__
                if name in columns or not name.startswith("ytd_")
            }
        )

    @property
    def has_ytd(self) -> bool:
        return self.ytd_year is not None


#: The year-to-date columns of a state (all three or none).
YTD = ("ytd_year", "ytd_income", "ytd_withheld")


@dataclass(frozen=True, eq=False)
class Payees:
    """Each distributor's tax status (``ledger.withholding`` codes, 0 unknown) and payout rail
    (``ledger.rails``: 0 token, 1 bank); a distributor without a row is unknown and token."""

    id: I64
    tax_status: I64
    rail: I64

    @classmethod
    def from_columns(cls, **columns: object) -> Payees:
        return cls(**{name: _i64(columns[name]) for name in cls.__dataclass_fields__})


@dataclass(frozen=True, eq=False)
class Training:
    """Completions of the plan's compliance course (``[compliance_course] course``): the day each
    distributor completed it (rows only for those who have). Read only when the plan names a
    course; a distributor completed it by the period's end when ``completed_day <= end_day``."""

    distributor: I64
    completed_day: I64

    @classmethod
    def from_columns(cls, **columns: object) -> Training:
        return cls(**{name: _i64(columns[name]) for name in cls.__dataclass_fields__})


def empty_returns() -> Returns:
    z = np.zeros(0, dtype=np.int64)
    return Returns(z, z, z)


def empty_state() -> State:
    z = np.zeros(0, dtype=np.int64)
    return State(z, z, z, z, z, z)


#: The ``prev_hash`` of an admin log's first entry, and the head hash of an empty log.
ADMIN_LOG_GENESIS = "0x" + "00" * 32


@dataclass(frozen=True)
class AdminLogHead:
    """The company's admin action log as the period was computed: the number and hash of its
    last entry (``seq`` 0 and :data:`ADMIN_LOG_GENESIS` while the log is empty).

    The engine never reads it. It is an input so that the package's ``inputsHash``, which is
    anchored on chain, commits to every account, role, password, price and stock change made
    before the computation: a later rewrite of that history no longer matches the anchor.
    """

    seq: int
    hash: str  # "0x" + 64 lower-case hex digits


@dataclass(frozen=True, eq=False)
class PeriodInputs:
    """Everything a period run reads besides the plan (``admin_log`` is carried, not read)."""

    period_id: int
    start_day: int
    end_day: int
    genealogy: Genealogy
    orders: Orders
    returns: Returns = field(default_factory=empty_returns)
    state: State = field(default_factory=empty_state)
    admin_log: AdminLogHead | None = None
    rates: tuple[Rate, ...] = ()
    #: Completions of the plan's compliance course; None when the input has no such file.
    training: Training | None = None
    #: Tax status and payout rail per distributor; None when the input has no such file.
    payees: Payees | None = None
    #: Year-to-date earnings, own purchases and active periods carried in (the income
    #: disclosure's, ``ledger.disclosure``); None when the input has no such file (read as none).
    income_ytd: IncomeYTD | None = None


@dataclass(frozen=True, eq=False)
class Dense:
    """Validated inputs re-indexed: distributor i is the i-th smallest id."""

    ids: I64
    enroller: I64  # dense index or -1
    parent: I64
    position: I64
    joined_day: I64
    wallet: NDArray[np.uint8]
    has_wallet: NDArray[np.bool_]
    order_owner: I64  # dense index per order line (orders sorted by order id)
    orders: Orders  # sorted by order id
    return_owner: I64
    returns: Returns
    carry_left: I64
    carry_right: I64
    balance: I64
    achieved_rank: I64
    matrix_done: I64
    #: Who completed the plan's compliance course by the period's last day (None: no course).
    trained: NDArray[np.bool_] | None = None
    #: Tax status and rail per distributor (None: no payees input).
    tax_status: I64 | None = None
    rail: I64 | None = None
    #: Year-to-date figures carried in (zeros when the state has none).
    ytd_year: I64 | None = None
    ytd_income: I64 | None = None
    ytd_withheld: I64 | None = None


def _lookup(ids: I64, wanted: I64, *, file: str, column: str, allow_zero: bool) -> I64:
    """Dense index of each wanted id (ids sorted, unique), -1 for 0 when ``allow_zero``."""
    n = ids.shape[0]
    if n and int(ids[-1]) <= 4 * n + 1024:
        # Ids are compact (the usual case): a direct map beats a binary search per row.
        table = np.full(int(ids[-1]) + 1, -1, dtype=np.int64)
        table[ids] = np.arange(n, dtype=np.int64)
        if wanted.shape[0] == 0 or (int(wanted.min()) >= 0 and int(wanted.max()) <= int(ids[-1])):
            pos_c = table[wanted]
        else:
            in_range = (wanted >= 0) & (wanted <= int(ids[-1]))
            pos_c = np.where(in_range, table[np.where(in_range, wanted, 0)], -1)
        found = pos_c >= 0
        if bool(found.all()):
            return pos_c
    else:
        pos = np.searchsorted(ids, wanted)
        pos_c = np.minimum(pos, max(n - 1, 0))
        found = ids[pos_c] == wanted if n else np.zeros(wanted.shape, dtype=np.bool_)
    ok = found | (wanted == 0) if allow_zero else found
    if not np.all(ok):
        bad = int(wanted[np.flatnonzero(~ok)[0]])
        raise UnknownReferenceError(
            file=file, record=f"{column} {bad}", reason="is not a distributor in distributors.csv"
        )
    return np.where(found, pos_c, -1).astype(np.int64)


def _non_negative(file: str, key: I64, **columns: I64) -> None:
    for name, values in columns.items():
        if values.shape[0] and int(values.min()) < 0:
            row = int(np.flatnonzero(values < 0)[0])
            raise NegativeVolumeError(
                file=file, record=f"row with key {int(key[row])}", reason=f"negative {name}"
            )


def _take(values: NDArray[Any], order: I64 | None) -> NDArray[Any]:
    return values if order is None else values[order]


def _unique_sorted(values: I64, *, file: str, column: str) -> I64 | None:
    """The permutation sorting ``values`` (None when already strictly increasing)."""
    if values.shape[0] < 2 or bool(np.all(values[1:] > values[:-1])):
        return None
    order = np.argsort(values, kind="stable")
    s = _take(values, order)
    dup = np.flatnonzero(s[1:] == s[:-1])
    if dup.shape[0]:
        raise InputError(file=file, record=f"{column} {int(s[dup[0]])}", reason="appears twice")
    return order


def _trained(inputs: PeriodInputs, ids: I64, course: str) -> NDArray[np.bool_]:
    """Who completed ``course`` by the period's last day, from the training input."""
    t = inputs.training
    if t is None:
        raise InputError(
            file="training.csv",
            record="missing",
            reason=f"the plan's [compliance_course] names {course!r}: the period needs the "
            "day each distributor completed it (distributor,completed_day)",
        )
    if t.completed_day.shape[0] != t.distributor.shape[0]:
        raise InputError(
            file="training.csv", record="completed_day", reason="column length differs"
        )
    order = _unique_sorted(t.distributor, file="training.csv", column="distributor")
    who = _take(t.distributor, order)
    day = _take(t.completed_day, order)
    _non_negative("training.csv", who, completed_day=day)
    owner = _lookup(ids, who, file="training.csv", column="distributor", allow_zero=False)
    trained = np.zeros(ids.shape[0], dtype=np.bool_)
    trained[owner[day <= inputs.end_day]] = True
    return trained


def _payees(inputs: PeriodInputs, ids: I64) -> tuple[I64, I64] | None:
    """Tax status and rail per distributor (dense), from the payees input (None: absent)."""
    p = inputs.payees
    if p is None:
        return None
    for name in ("tax_status", "rail"):
        if getattr(p, name).shape[0] != p.id.shape[0]:
            raise InputError(file="payees.csv", record=name, reason="column length differs")
    order = _unique_sorted(p.id, file="payees.csv", column="id")
    who, status, rail = (_take(getattr(p, f), order) for f in ("id", "tax_status", "rail"))
    for name, values, low, high, meaning in (
        ("tax_status", status, TAX_UNKNOWN, TAX_COMPANY, "0 (unknown) to 4 (company)"),
        ("rail", rail, TOKEN, BANK, "0 (token) or 1 (bank)"),
    ):
        bad = (values < low) | (values > high)
        if np.any(bad):
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                file="payees.csv",
                record=f"id {int(who[row])}",
                reason=f"{name} {int(values[row])} is not a code: {meaning}",
            )
    owner = _lookup(ids, who, file="payees.csv", column="id", allow_zero=False)
    dense_status = np.zeros(ids.shape[0], dtype=np.int64)
    dense_rail = np.full(ids.shape[0], TOKEN, dtype=np.int64)
    dense_status[owner] = status
    dense_rail[owner] = rail
    return dense_status, dense_rail


def densify(inputs: PeriodInputs, *, width: int, course: str | None = None) -> Dense:
    """Validate the inputs and map every id to a dense index (sorted by id). With ``course``
    (the plan's compliance course) the training input is needed and read; without, ignored."""
    g = inputs.genealogy
    n = g.id.shape[0]
    for name in ("enroller", "parent", "position", "joined_day", "has_wallet"):
        if getattr(g, name).shape[0] != n:
            raise InputError(file="distributors.csv", record=name, reason="column length differs")
    order = _unique_sorted(g.id, file="distributors.csv", column="id")
    ids = _take(g.id, order)
    if n and int(ids[0]) < 1:
        raise InputError(file="distributors.csv", record=f"id {int(ids[0])}", reason="ids are >= 1")
    enroller = _lookup(
        ids, _take(g.enroller, order), file="distributors.csv", column="enroller", allow_zero=True
    )
    parent = _lookup(
        ids, _take(g.parent, order), file="distributors.csv", column="parent", allow_zero=True
    )
    position = _take(g.position, order)
    _non_negative("distributors.csv", ids, position=position)
    if width > 0 and n and int(position.max()) >= width:
        row = int(np.flatnonzero(position >= width)[0])
        raise InputError(
            file="distributors.csv",
            record=f"id {int(ids[row])}",
            reason=f"position {int(position[row])} is beyond the tree's width {width}",
        )
    slot = parent * max(width, 1) + position
    placed = parent >= 0
    if width > 0:
        taken = np.sort(slot[placed])
        clash = np.flatnonzero(taken[1:] == taken[:-1])
        if clash.shape[0]:
            v = int(taken[clash[0]])
            raise InputError(
                file="distributors.csv",
                record=f"parent {int(ids[v // width])} position {v % width}",
                reason="is held by two distributors",
            )

    o = inputs.orders
    for name in Orders.__dataclass_fields__:
        if getattr(o, name).shape[0] != o.order_id.shape[0]:
            raise InputError(file="orders.csv", record=name, reason="column length differs")
    o_order = _unique_sorted(o.order_id, file="orders.csv", column="order_id")
    orders = Orders(*(_take(getattr(o, f), o_order) for f in Orders.__dataclass_fields__))
    _non_negative(
        "orders.csv",
        orders.order_id,
        pv=orders.pv,
        cv=orders.cv,
        retail_price=orders.retail_price,
        wholesale_price=orders.wholesale_price,
    )
    bad_kind = (orders.kind < KIND_OWN) | (orders.kind > KIND_FEE)
    if np.any(bad_kind):
        row = int(np.flatnonzero(bad_kind)[0])
        raise InputError(
            file="orders.csv",
            record=f"order_id {int(orders.order_id[row])}",
            reason="kind must be 0 (own), 1 (retail) or 2 (fee)",
        )
    fee_volume = (orders.kind == KIND_FEE) & ((orders.pv != 0) | (orders.cv != 0))
    if np.any(fee_volume):
        row = int(np.flatnonzero(fee_volume)[0])
        raise InputError(
            file="orders.csv",
            record=f"order_id {int(orders.order_id[row])}",
            reason="a fee line must carry zero PV and CV (compliance hard rule)",
        )
    outside = (orders.day < inputs.start_day) | (orders.day > inputs.end_day)
    if np.any(outside):
        row = int(np.flatnonzero(outside)[0])
        raise InputError(
            file="orders.csv",
            record=f"order_id {int(orders.order_id[row])}",
            reason=f"day {int(orders.day[row])} is outside the period "
            f"{inputs.start_day}..{inputs.end_day}",
        )
    known = np.isin(orders.currency, _ISO_NUMERIC) | (orders.currency == 0)
    if not np.all(known):
        row = int(np.flatnonzero(~known)[0])
        raise InputError(
            file="orders.csv",
            record=f"order_id {int(orders.order_id[row])}",
            reason=f"currency {int(orders.currency[row])} is not an ISO 4217 numeric code",
        )
    order_owner = _lookup(
        ids, orders.distributor, file="orders.csv", column="distributor", allow_zero=False
    )

    r = inputs.returns
    r_order = _unique_sorted(r.return_id, file="returns.csv", column="return_id")
    returns = Returns(*(_take(getattr(r, f), r_order) for f in Returns.__dataclass_fields__))
    _non_negative("returns.csv", returns.return_id, amount=returns.amount)
    return_owner = _lookup(
        ids, returns.distributor, file="returns.csv", column="distributor", allow_zero=False
    )

    s = inputs.state
    s_order = _unique_sorted(s.id, file="state.csv", column="id")
    fields = [f for f in State.__dataclass_fields__ if getattr(s, f) is not None]
    for name in fields:
        if getattr(s, name).shape[0] != s.id.shape[0]:
            raise InputError(file="state.csv", record=name, reason="column length differs")
    state = State(**{f: _take(getattr(s, f), s_order) for f in fields})
    _non_negative(
        "state.csv",
        state.id,
        carry_left=state.carry_left,
        carry_right=state.carry_right,
        achieved_rank=state.achieved_rank,
        matrix_done=state.matrix_done,
        **{f: getattr(state, f) for f in YTD if getattr(state, f) is not None},
    )
    s_idx = _lookup(ids, state.id, file="state.csv", column="id", allow_zero=False)

    def spread(col: I64 | None) -> I64:
        out = np.zeros(n, dtype=np.int64)
        if col is not None:
            out[s_idx] = col
        return out

    payees = _payees(inputs, ids)

    return Dense(
        ids=ids,
        enroller=enroller,
        parent=parent,
        position=position,
        joined_day=_take(g.joined_day, order),
        wallet=_take(g.wallet, order),
        has_wallet=_take(g.has_wallet, order),
        order_owner=order_owner,
        orders=orders,
        return_owner=return_owner,
        returns=returns,
        carry_left=spread(state.carry_left),
        carry_right=spread(state.carry_right),
        balance=spread(state.balance),
        achieved_rank=spread(state.achieved_rank),
        matrix_done=spread(state.matrix_done),
        trained=None if course is None else _trained(inputs, ids, course),
        tax_status=None if payees is None else payees[0],
        rail=None if payees is None else payees[1],
        ytd_year=spread(state.ytd_year),
        ytd_income=spread(state.ytd_income),
        ytd_withheld=spread(state.ytd_withheld),
    )
