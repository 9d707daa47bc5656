"""The payee rule, once: who is paid, and who has a payee row.

Semantics: docs/compensation.md#payouts-and-balances.


- **Paid**: a distributor is paid their ``net = balance_in + earned - clawback`` (the *gross*
  payout) when it is positive, at least the plan's ``[payout] minimum``, they can be paid (a
  wallet, or the bank rail), when the plan names a ``[compliance_course]`` they completed it by
  the period's last day and, when the plan's ``[withholding]`` holds an unknown tax status, their
  tax status is known; otherwise they are paid 0 and ``net`` is carried (``balance_out``). Tax
  withheld from the gross (``ledger/engine/_withhold.py``) leaves the ``payout``, the leaf's
  amount. The payout leaves are the distributors with a payout, in id order; a leaf's index is its
  position in that list.
- **Held for the course**: paid 0 only because the course is not completed (they would be paid
  otherwise); the compliance report counts them and their ``net``, and a statement says why.
- **Held for the tax status**: paid 0 only because their tax status is unknown (course completed
  or none asked); counted and explained the same way.
- **Payee row**: a distributor has a row in ``results/payees.tbl`` (and in every copy of it, such
  as the backend's payee table) when any of ``earned``, ``clawback``, ``balance_in``, ``payout``,
  ``balance_out`` is non-zero; nobody else has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from ledger.engine import PeriodResult

__all__ = ["PayeeRows", "held_for_course", "held_for_tax_status", "payee_rows", "payouts"]

I64 = NDArray[np.int64]


def _payable(net: I64, *, minimum: int, has_wallet: NDArray[np.bool_]) -> NDArray[np.bool_]:
    return (net > 0) & (net >= minimum) & has_wallet


def payouts(
    net: I64,
    *,
    minimum: int,
    has_wallet: NDArray[np.bool_],
    trained: NDArray[np.bool_] | None = None,
    status_known: NDArray[np.bool_] | None = None,
) -> I64:
    """Each distributor's gross payout: ``net`` when payable (see above), else 0. ``has_wallet``:
    who can be paid (a wallet or the bank rail); ``trained``: who completed the plan's compliance
    course by the period's end (None: the plan names none); ``status_known``: who has a tax
    status (None: an unknown one does not hold the money)."""
    payable = _payable(net, minimum=minimum, has_wallet=has_wallet)
    if trained is not None:
        payable &= trained
    if status_known is not None:
        payable &= status_known
    return np.where(payable, net, 0)


def held_for_course(
    net: I64,
    *,
    minimum: int,
    has_wallet: NDArray[np.bool_],
    trained: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """Who is paid nothing only because the compliance course is not completed (see above)."""
    return _payable(net, minimum=minimum, has_wallet=has_wallet) & ~trained


def held_for_tax_status(
    net: I64,
    *,
    minimum: int,
    has_wallet: NDArray[np.bool_],
    trained: NDArray[np.bool_] | None,
    status_known: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """Who is paid nothing only because their tax status is unknown (see above)."""
    held = _payable(net, minimum=minimum, has_wallet=has_wallet) & ~status_known
    return held if trained is None else held & trained


@dataclass(frozen=True, eq=False)
class PayeeRows:
    """The payee rows of a period result, in id order."""

    index: I64  # each row's distributor as a dense index into the result's per-distributor arrays
    leaf_index: I64  # each row's payout leaf, -1 when the row is paid nothing this period


def payee_rows(result: PeriodResult) -> PayeeRows:
    """Who has a payee row, and their payout leaf (see above)."""
    leaf_index = np.full(result.ids.shape[0], -1, dtype=np.int64)
    leaf_index[result.payees] = np.arange(result.payees.shape[0])
    index = np.flatnonzero(
        (result.earned != 0)
        | (result.clawback != 0)
        | (result.balance_in != 0)
        | (result.payout != 0)
        | (result.balance_out != 0)
    )
    return PayeeRows(index=index, leaf_index=leaf_index[index])
