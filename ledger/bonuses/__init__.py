"""One module per family of bonuses, each turning a :class:`ledger.context.Context` into
:class:`ledger.lines.LineBlock` s: ``upline`` (retail, fast start, unilevel, matrix, matching),
``binary``, ``stairstep``. They import the shared vocabulary below them, never the engine that
runs them (tests/ledger/test_layering.py)."""

__all__ = ["binary", "stairstep", "upline"]
