"""Bonus lines as columns, the one rounding, and caps.

Every line is ``(bonus, source, level, payee)`` with ``base``, ``rate``, ``gross``, ``amount``;
``breakage = gross - amount``. ``gross`` is what the rules allow for the line, rounded once:
``gross = round(base * rate * unit / 10**6)`` with the plan's mode, where ``unit`` is the
currency's minor units per point for volume bases and 1 for money bases. Caps and unqualified
payees only move money from ``amount`` to breakage; nothing is ever rounded twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["PPM", "LineBlock", "apply_global_cap", "apply_payee_cap", "round_amount"]

I64 = NDArray[np.int64]
PPM = 1_000_000
_INT64_SAFE = 2**62


def round_amount(
    base: I64, rate: I64, *, unit: int, mode: Literal["half-even", "floor"]
) -> tuple[I64, int]:
    """``round(base * rate * unit / 10**6)`` per element, and the summed residual numerator.

    The residual (exact minus rounded, times 10**6) is exact; it is reported, never paid.
    Products that could pass int64 are done in Python integers (object arrays).
    """
    if base.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), 0
    # base * rate * unit / 10**6 = base * whole + base * part / 10**6, exact in int64 while
    # both products stay below 2**62; otherwise Python integers.
    whole, part = np.divmod(rate * unit, PPM)
    top_base = int(np.abs(base).max())
    if not part.any() and top_base * int(np.abs(whole).max()) < _INT64_SAFE:
        # Every rate is a whole number of minor units per point: exact, nothing to round.
        return base * whole, 0
    if top_base * max(int(np.abs(whole).max()), PPM) < _INT64_SAFE:
        q_part, r = np.divmod(base * part, PPM)
        q = base * whole + q_part
    else:
        num = base.astype(object) * rate.astype(object) * unit
        q_o = num // PPM
        q, r = q_o.astype(np.int64), (num - q_o * PPM).astype(np.int64)
    residual = int(r.sum())
    if mode == "half-even":
        up = (2 * r > PPM) | ((2 * r == PPM) & (q % 2 == 1))
        q = q + up
        residual -= int(up.sum()) * PPM
    return q.astype(np.int64), residual


@dataclass(eq=False)
class LineBlock:
    bonus: int
    source: I64
    level: I64
    payee: I64  # dense index, -1 when nobody could be paid (all breakage)
    base: I64
    rate: I64
    gross: I64
    amount: I64
    residual: int = 0  # rounding residual numerator (see round_amount)

    def __len__(self) -> int:
        return int(self.source.shape[0])

    def canonical(self) -> LineBlock:
        """Sorted by (source, level, payee); a no-op when already in that order."""
        n = len(self)
        if n > 1:
            key_ok = np.all(
                (self.source[1:] > self.source[:-1])
                | (
                    (self.source[1:] == self.source[:-1])
                    & (
                        (self.level[1:] > self.level[:-1])
                        | ((self.level[1:] == self.level[:-1]) & (self.payee[1:] > self.payee[:-1]))
                    )
                )
            )
            if not key_ok:
                order = np.lexsort((self.payee, self.level, self.source))
                return self.take(order)
        return self

    def take(self, idx: I64) -> LineBlock:
        return LineBlock(
            self.bonus,
            self.source[idx],
            self.level[idx],
            self.payee[idx],
            self.base[idx],
            self.rate[idx],
            self.gross[idx],
            self.amount[idx],
            self.residual,
        )


def apply_payee_cap(block: LineBlock, cap: I64, n: int) -> None:
    """Cap each payee's amount in this block at ``cap[payee]`` (in place).

    The cap is filled by the payee's lines in canonical order; what is over is breakage.
    """
    paid = block.payee >= 0
    totals = np.zeros(n, dtype=np.int64)
    np.add.at(totals, block.payee[paid], block.amount[paid])
    over = totals > cap
    if not np.any(over):
        return
    sel = np.flatnonzero(paid & over[np.maximum(block.payee, 0)])
    sel = sel[np.argsort(block.payee[sel], kind="stable")]
    who = block.payee[sel]
    amt = block.amount[sel]
    cum = np.cumsum(amt)
    first = np.ones(sel.shape[0], dtype=np.bool_)
    first[1:] = who[1:] != who[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(sel.shape[0]), 0))
    before = cum - amt - (cum[start] - amt[start])
    block.amount[sel] = np.clip(cap[who] - before, 0, amt)


def apply_global_cap(blocks: list[LineBlock], allowed: int) -> tuple[int, int]:
    """Scale every line of ``blocks`` by one factor so their total is within ``allowed``.

    Returns the factor as ``(numerator, 10**9)``: ``floor(allowed * 10**9 / total)``, and each
    amount becomes ``floor(amount * numerator / 10**9)``; the remainder is breakage.
    """
    scale = 10**9
    total = sum(int(b.amount.sum()) for b in blocks)
    if total <= allowed:
        return scale, scale
    factor = allowed * scale // total
    for b in blocks:
        q, r = np.divmod(b.amount, scale)
        b.amount[:] = q * factor + (r * factor) // scale
    return factor, scale
