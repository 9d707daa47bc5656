"""The compliance report (docs/compensation.md#compliance), computed by hand.

1 point = 1.00 = 100 cents; the company's own orders cost 1.20 a point at wholesale.
"""

from __future__ import annotations

from engine_kit import START, company, plan, run

from ledger.inputs import KIND_FEE


def test_fee_revenue_counts_each_fee_line_once_at_the_price_charged() -> None:
    """A (1) buys 100 PV (120.00 at wholesale) and renews a 25.00 membership (list and charged
    25.00); B (2), enrolled by A, pays a 49.00 enrollment fee whose list (retail) price is
    59.00. A fee is paid by the distributor, so it is charged at wholesale_price, like an own
    order: fee revenue = 25.00 + 49.00 = 74.00 (7,400 cents), not the sum of both prices
    (25 + 25 + 59 + 49 = 158.00). Fees stay out of sales: 120.00."""
    fees = [(1, KIND_FEE, START, 0, 0, 2500, 2500), (2, KIND_FEE, START, 0, 0, 5900, 4900)]
    data = company([(1, 0, 0, 0), (2, 1, 1, 0)], [(1, 100)], order_lines=fees)
    result = run(plan(""), data)
    assert result.compliance["product_volume_only"] == {
        "fee_lines": 2,
        "fee_revenue": 7400,
        "fee_cv": 0,
        "bonus_from_fees": 0,
    }
    assert result.totals["sales"] == 12000
