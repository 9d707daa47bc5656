"""The ledger: compensation plans, the period engine, placement and payout Merkle trees.

Pure Python over numpy; it imports nothing from the backend (tests/ledger/test_layering.py).
Its public surface is these modules and the names in their ``__all__``; a module or name that
starts with ``_`` is the ledger's own and may change without notice.

``ledger.plan``       load, validate and hash a plan (``load_plan``, ``Plan``, ``BONUS_TYPES``)
``ledger.inputs``     period inputs as columns (``PeriodInputs``, ``Genealogy``, ``Orders``, ...)
``ledger.engine``     one period run (``run_period``, ``PeriodResult``) and the payee rule
                      (``payee_rows``)
``ledger.package``    the period package: build, read, verify; its tables and JSON bytes
``ledger.merkle``     payout trees, proofs and multiproofs (``PayoutTree``, ``PayoutLeaf``)
``ledger.placement``  auto-placement of new distributors (``PlacementTree``)
``ledger.errors``     the one exception tree (``LedgerError`` and below)
``ledger.money``      money with its currency, dated exchange rates, conversion (``Money``,
                      ``Rate``, ``conversion``)
``ledger.synthetic``  a seeded synthetic company for benchmarks and property tests
``ledger.standing``   what a dashboard shows beyond the run's figures: rank progress, legs,
                      new people in the team (``standing_extras``)
``ledger.rails``      payout rails (token, bank) and a bank line's pseudo-address
``ledger.withholding`` the tax withheld from an individual's payout, as dated scales
``ledger.disclosure`` the year's income disclosure statement and the year-to-date income carried
                      for it (``statement``, ``figures``, ``IncomeYTD``)

Inside, from the bottom up: ``errors``; ``money``; ``plan``, ``inputs``, the trees (``_tree``);
``context`` (run steps 1-4: volumes, ranks) and ``lines`` (bonus lines, rounding, caps), the
vocabulary the bonuses and the engine share; ``bonuses``; ``engine``; ``package``. Nothing
imports upwards.

This file imports nothing, so ``import ledger.merkle`` loads only what the Merkle tree needs.
"""

__all__ = [
    "bonuses",
    "context",
    "disclosure",
    "engine",
    "errors",
    "inputs",
    "lines",
    "merkle",
    "money",
    "package",
    "placement",
    "plan",
    "rails",
    "standing",
    "synthetic",
    "withholding",
]
