"""Stair-step breakaway with generation overrides.

Semantics: docs/compensation.md#stair-step-breakaway-and-generation-overrides (example 4).

- *Breakaway*: paid-as rank >= ``breakaway_rank``. A breakaway distributor and their group leave
  their upline's group. Group volume ``GGV(v)`` = PV of v's subtree minus the subtrees of the
  first breakaway distributors strictly below v.
- *Step* of v: ``basis = "group-volume"``: the highest step with ``min_gv <= GGV(v)``;
  ``basis = "rank"``: the highest step whose rank v holds. A breakaway distributor is no
  exception: their step comes from their rank, or from their GGV (which already excludes the
  groups that broke away below them), so a breakaway rank below the top step is paid its own
  percentage. A payee who fails ``payee_active`` earns at step 0 (0 %) this period.
- *Differential*: on each source's CV, the source earns its own percentage (level = its step), then
  walking up, each upline above the highest percentage so far earns the difference (level =
  the step it earns at). Whatever is below the top percentage when the root is reached is
  breakage (payee -1). Base = CV (points), rate = the difference. The walk ends at the first
  breakaway distributor (the source itself included): their group has left the upline's, so
  what is still below the top percentage there is breakage, and the upline earns generation
  overrides on that group instead.
- *Generation overrides* (bonus ``generation``): on each breakaway distributor's group CV, the
  k-th breakaway upline (k = 1..len(generation_pct)) earns ``generation_pct[k]``; an inactive
  one (with ``payee_active``) leaves its share as breakage.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ledger._tree import Forest
from ledger.context import Context
from ledger.lines import LineBlock, round_amount
from ledger.plan import BONUS_TYPES, pct_to_ppm

__all__ = ["stairstep"]

I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]


def _group_sum(tree: Forest, values: I64, breakaway: Mask) -> I64:
    """Subtree sums of ``values`` without the groups of breakaway distributors below."""
    total = tree.subtree_sum(values)
    cut = np.zeros(tree.n, dtype=np.int64)
    b = np.flatnonzero(breakaway & (tree.parent >= 0))
    np.add.at(cut, tree.parent[b], total[b])
    upper = tree.nearest_ancestor(breakaway)[b]
    has_upper = upper >= 0
    above_upper = tree.parent[upper[has_upper]]
    keep = above_upper >= 0
    np.add.at(cut, above_upper[keep], -total[b[has_upper]][keep])
    return total - tree.subtree_sum(cut)


def stairstep(ctx: Context) -> tuple[LineBlock, LineBlock]:
    s = ctx.plan.stairstep
    assert s is not None
    tree = ctx.tree(s.tree)
    breakaway = ctx.paid_rank >= ctx.rank_of(s.breakaway_rank)
    pcts = np.asarray([0] + [pct_to_ppm(step.pct) for step in s.step], dtype=np.int64)
    top = len(s.step)
    if s.basis == "group-volume":
        ggv = _group_sum(tree, ctx.pv, breakaway)
        thresholds = np.asarray([step.min_gv or 0 for step in s.step], dtype=np.int64)
        step_of = np.searchsorted(thresholds, ggv, side="right").astype(np.int64)
    else:
        ranks = np.asarray([ctx.rank_of(step.rank or "") for step in s.step], dtype=np.int64)
        step_of = np.searchsorted(ranks, ctx.paid_rank, side="right").astype(np.int64)
    if s.payee_active:
        step_of[~ctx.active] = 0

    # at_least[j][v]: nearest strict ancestor of v on step >= j.
    at_least = {j: tree.nearest_ancestor(step_of >= j) for j in range(1, top + 1)}
    sources = np.flatnonzero(ctx.cv > 0)
    cv = ctx.cv[sources]
    src_parts, lvl_parts, payee_parts, rate_parts, base_parts = [], [], [], [], []

    def emit(idx: I64, payee: I64, level: I64, rate: I64) -> None:
        src_parts.append(sources[idx])
        lvl_parts.append(level)
        payee_parts.append(payee)
        rate_parts.append(rate)
        base_parts.append(cv[idx])

    own = step_of[sources]
    first = np.flatnonzero(own > 0)
    emit(first, sources[first], own[first], pcts[own[first]])
    idx = np.arange(sources.shape[0])
    cur, reached = sources, own
    while idx.shape[0]:
        # A breakaway distributor heads their own group: the walk ends there, and what is
        # still below the top percentage is breakage (the upline is paid generation overrides
        # on that group instead of a differential).
        left_group = (reached < top) & breakaway[cur]
        if np.any(left_group):
            emit(
                idx[left_group],
                np.full(int(left_group.sum()), -1, dtype=np.int64),
                np.full(int(left_group.sum()), top, dtype=np.int64),
                pcts[top] - pcts[reached[left_group]],
            )
        climbing = (reached < top) & ~breakaway[cur]
        idx, cur, reached = idx[climbing], cur[climbing], reached[climbing]
        if not idx.shape[0]:
            break
        nxt = np.full(idx.shape[0], -1, dtype=np.int64)
        for j in np.unique(reached):
            sel = reached == j
            nxt[sel] = at_least[int(j) + 1][cur[sel]]
        gone = nxt < 0
        if np.any(gone):
            emit(
                idx[gone],
                np.full(int(gone.sum()), -1, dtype=np.int64),
                np.full(int(gone.sum()), top, dtype=np.int64),
                pcts[top] - pcts[reached[gone]],
            )
        go = ~gone
        idx, cur, prev = idx[go], nxt[go], reached[go]
        reached = step_of[cur]
        emit(idx, cur, reached, pcts[reached] - pcts[prev])

    src = np.concatenate(src_parts).astype(np.int64)
    base = np.concatenate(base_parts).astype(np.int64)
    rate = np.concatenate(rate_parts).astype(np.int64)
    payee = np.concatenate(payee_parts).astype(np.int64)
    gross, residual = round_amount(base, rate, unit=ctx.unit, mode=ctx.mode)
    diff = LineBlock(
        bonus=BONUS_TYPES.index("stairstep") + 1,
        source=src,
        level=np.concatenate(lvl_parts).astype(np.int64),
        payee=payee,
        base=base,
        rate=rate,
        gross=gross,
        amount=np.where(payee >= 0, gross, 0),
        residual=residual,
    ).canonical()

    gen_rates = [pct_to_ppm(p) for p in s.generation_pct]
    group_cv = _group_sum(tree, ctx.cv, breakaway)
    heads = np.flatnonzero(breakaway & (group_cv > 0))
    up = tree.nearest_ancestor(breakaway)
    g = len(gen_rates)
    payees = np.full((g, heads.shape[0]), -1, dtype=np.int64)
    cur = up[heads]
    for k in range(g):
        payees[k] = cur
        cur = np.where(cur >= 0, up[np.maximum(cur, 0)], -1)
    flat_payee = payees.T.reshape(-1)
    flat_base = np.repeat(group_cv[heads], g)
    flat_rate = np.tile(np.asarray(gen_rates, dtype=np.int64), heads.shape[0])
    ggross, gresidual = round_amount(flat_base, flat_rate, unit=ctx.unit, mode=ctx.mode)
    qualified = flat_payee >= 0
    if s.payee_active:
        qualified &= ctx.active[np.maximum(flat_payee, 0)]
    gen = LineBlock(
        bonus=BONUS_TYPES.index("generation") + 1,
        source=np.repeat(heads, g),
        level=np.tile(np.arange(1, g + 1, dtype=np.int64), heads.shape[0]),
        payee=flat_payee,
        base=flat_base,
        rate=flat_rate,
        gross=ggross,
        amount=np.where(qualified, ggross, 0),
        residual=gresidual,
    )
    return diff, gen
