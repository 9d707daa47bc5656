"""Bonus lines as columns, the one rounding, and caps.

Every line is ``(bonus, source, level, payee)`` with ``base``, ``rate``, ``gross``, ``amount``;
``breakage = gross - amount``. ``gross`` is what the rules allow for the line, rounded once:
``gross = round(base * rate * unit / 10**6)`` with the plan's mode, where ``unit`` is the
payout currency's minor units per unit of the base: per point for volume bases (the period's
point value), 1 for money in the payout currency, the period's exchange rate for money in an
order's currency (``currency`` then names it, ISO 4217 numeric; 0 otherwise). Caps and unqualified
payees only move money from ``amount`` to breakage; nothing is ever rounded twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["PPM", "LineBlock", "apply_global_cap", "apply_payee_cap", "round_amount"]

I64 = NDArray[np.int64]
PPM = 1_000_000
_INT64_SAFE = 2**62


def round_amount(
    base: I64, rate: I64, *, unit: int | Fraction, mode: Literal["half-even", "floor"]
) -> tuple[I64, int]:
    """``round(base * rate * unit / 10**6)`` per element, and the summed residual numerator.

    ``unit`` is the payout currency's minor units per unit of the base: an integer for points
    at a fixed value and for money already in the payout currency, an exact fraction when the
    base is converted at a period's exchange rate. The residual (exact minus rounded, in
    millionths of a minor unit, rounded down) is reported, never paid. Products that could pass
    int64 are done in Python integers (object arrays).
    """
    if base.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), 0
    unit = Fraction(unit)
    num, den = unit.numerator, unit.denominator
    divisor = PPM * den
    # base * rate * num / divisor = base * whole + base * part / divisor, exact in int64 while
    # the products stay below 2**62; otherwise Python integers.
    top_rate = int(np.abs(rate).max())
    top_base = int(np.abs(base).max())
    if top_rate * num < _INT64_SAFE and top_base * max(top_rate * num // divisor, divisor) < (
        _INT64_SAFE
    ):
        whole, part = np.divmod(rate * num, divisor)
        if not part.any():
            # Every rate is a whole number of minor units per unit of base: nothing to round.
            return base * whole, 0
        q_part, r = np.divmod(base * part, divisor)
        q = base * whole + q_part
    else:
        exact = base.astype(object) * rate.astype(object) * num
        q_o = exact // divisor
        q, r = q_o.astype(np.int64), (exact - q_o * divisor).astype(np.int64)
    residual = int(r.sum()) // den
    if mode == "half-even":
        up = (2 * r > divisor) | ((2 * r == divisor) & (q % 2 == 1))
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
    currency: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        if self.currency.shape[0] != self.source.shape[0]:
            self.currency = np.zeros(self.source.shape[0], dtype=np.int64)

    def __len__(self) -> int:
        return int(self.source.shape[0])

    def canonical(self) -> LineBlock:
        """Sorted by (source, level, currency, payee); a no-op when already in that order."""
        n = len(self)
        if n > 1:
            s, lv, c, p = self.source, self.level, self.currency, self.payee
            after_payee = (c[1:] > c[:-1]) | ((c[1:] == c[:-1]) & (p[1:] > p[:-1]))
            after_level = (lv[1:] > lv[:-1]) | ((lv[1:] == lv[:-1]) & after_payee)
            key_ok = np.all((s[1:] > s[:-1]) | ((s[1:] == s[:-1]) & after_level))
            if not key_ok:
                order = np.lexsort((p, c, lv, s))
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
            self.currency[idx],
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
