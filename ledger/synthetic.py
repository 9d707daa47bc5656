"""A seeded synthetic company for benchmarks and property tests (pure: numpy's PCG64 only).

Shape: distributors enrolled in id order over about 2.5 years (the newest 4 % inside the
period, so fast start has work); a binary placement tree that is bushy (a balanced core, as
breadth-first spillover makes it) with deep parts (outer-leg chains of a few hundred people);
each enroller is a placement ancestor a few levels up (spillover). About a fifth of the
distributors buy nothing (inactive); order lines are 70 % own purchases, 25 % retail
customers' orders and 5 % fee lines with zero volume. One in ten has no wallet yet.
"""

from __future__ import annotations

import numpy as np

from ledger.inputs import Genealogy, Orders, PeriodInputs, State

__all__ = ["synthetic_company"]

PERIOD_START = 20_393  # 2025-11-01 as days since 1970-01-01
PERIOD_DAYS = 30


def synthetic_company(
    *, distributors: int, orders: int, seed: int = 0, period_id: int = 1
) -> PeriodInputs:
    rng = np.random.default_rng(seed)
    n = distributors
    n_chain = n // 20 if n >= 200 else 0
    n_core = n - n_chain
    idx = np.arange(n, dtype=np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    position = np.zeros(n, dtype=np.int64)
    parent[1:n_core] = (idx[1:n_core] - 1) // 2
    position[1:n_core] = (idx[1:n_core] - 1) % 2
    if n_chain:
        chains = max(1, n_chain // 400)
        leaves = np.arange(n_core // 2 + 1, n_core, dtype=np.int64)
        starts = rng.choice(leaves, size=min(chains, leaves.shape[0]), replace=False)
        chains = starts.shape[0]
        chain_of = np.sort(rng.integers(0, chains, size=n_chain))
        chain_idx = n_core + np.arange(n_chain, dtype=np.int64)
        first = np.ones(n_chain, dtype=np.bool_)
        first[1:] = chain_of[1:] != chain_of[:-1]
        parent[chain_idx] = np.where(first, starts[chain_of], chain_idx - 1)
        position[chain_idx] = 0
    # Enroller: a placement ancestor 1..6 levels up (geometric: mostly the parent).
    up = np.clip(rng.geometric(0.55, size=n), 1, 6)
    enroller = parent.copy()
    for step in range(2, 7):
        more = (up >= step) & (enroller >= 0)
        grand = parent[np.maximum(enroller, 0)]
        enroller = np.where(more & (grand >= 0), grand, enroller)

    new_from = int(n * 0.96)
    joined = np.empty(n, dtype=np.int64)
    joined[:new_from] = PERIOD_START - 900 + (idx[:new_from] * 900) // max(new_from, 1)
    joined[new_from:] = PERIOD_START + ((idx[new_from:] - new_from) * PERIOD_DAYS) // max(
        n - new_from, 1
    )
    wallet = rng.integers(0, 256, size=(n, 20), dtype=np.uint8)
    has_wallet = rng.random(n) < 0.9

    buyers = np.flatnonzero(rng.random(n) < 0.8)
    if buyers.shape[0] == 0:
        buyers = np.arange(n, dtype=np.int64)
    owner = buyers[rng.integers(0, buyers.shape[0], size=orders)]
    roll = rng.random(orders)
    kind = np.where(roll < 0.70, 0, np.where(roll < 0.95, 1, 2)).astype(np.int64)
    pv = rng.integers(10, 121, size=orders, dtype=np.int64)
    cv = (pv * rng.integers(80, 101, size=orders, dtype=np.int64)) // 100
    pv[kind == 2] = 0
    cv[kind == 2] = 0
    wholesale = (pv * 1_200_000).astype(np.int64)
    wholesale[kind == 2] = 49_000_000
    retail = np.where(kind == 1, (wholesale * 13) // 10, wholesale)
    day = np.maximum(PERIOD_START + rng.integers(0, PERIOD_DAYS, size=orders), joined[owner])

    carriers = np.flatnonzero(rng.random(n) < 0.1)
    state = State.from_columns(
        id=carriers + 1,
        carry_left=rng.integers(0, 5000, size=carriers.shape[0]),
        carry_right=rng.integers(0, 5000, size=carriers.shape[0]),
        balance=rng.integers(0, 15_000_000, size=carriers.shape[0]),
        achieved_rank=rng.integers(0, 3, size=carriers.shape[0]),
        matrix_done=np.zeros(carriers.shape[0], dtype=np.int64),
    )
    return PeriodInputs(
        period_id=period_id,
        start_day=PERIOD_START,
        end_day=PERIOD_START + PERIOD_DAYS - 1,
        genealogy=Genealogy.from_columns(
            id=idx + 1,
            enroller=enroller + 1,
            parent=parent + 1,
            position=position,
            joined_day=joined,
            wallet=wallet,
            has_wallet=has_wallet,
        ),
        orders=Orders.from_columns(
            order_id=np.arange(1, orders + 1, dtype=np.int64),
            distributor=owner + 1,
            kind=kind,
            day=day,
            pv=pv,
            cv=cv,
            retail_price=retail,
            wholesale_price=wholesale,
        ),
        state=state,
    )
