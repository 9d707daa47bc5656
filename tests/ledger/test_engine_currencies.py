"""Two currencies and a token, worked by hand: orders in roubles and tenge, payouts in USDT.

Rates dated on or before the period's last day (2026-11-30), as the Central Bank publishes them:
``1 USD = 81.2345 RUB`` and ``100 KZT = 16.1234 RUB`` (``1 KZT = 0.161234 RUB``). The payout
token USDT (6 decimals) is pegged to USD. A point is worth 10.00 RUB (1000 kopecks), converted
each period at that period's rate (docs/compensation.md#currencies).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from engine_kit import END, START, company, lines, plan, run

from ledger.errors import InputError
from ledger.inputs import KIND_OWN, KIND_RETAIL, Orders, PeriodInputs
from ledger.money import Rate
from ledger.package import build_package, read_package, verify_package

RUB, KZT = 643, 398
HEADER = """
[plan]
name = "two currencies"

[currency]
code = "USDT"
decimals = 6
peg = "USD"
minor_per_point = 1000
point_currency = "RUB"

[retail]
enabled = true

[unilevel]
tree = "enroller"
pct = [10]
payee_active = false

[caps]
max_pct_of_sales = 40
"""
RATES = (
    Rate("USD", "RUB", date(2026, 11, 27), Decimal("81.2345"), "cbr.ru XML_daily 27.11.2026"),
    Rate("KZT", "RUB", date(2026, 11, 27), Decimal("0.161234"), "cbr.ru XML_daily 27.11.2026"),
    # A later rate than the period's end is never used.
    Rate("USD", "RUB", date(2026, 12, 1), Decimal("99"), "cbr.ru XML_daily 01.12.2026"),
)


def two_currency_company(rates: tuple[Rate, ...] = RATES) -> PeriodInputs:
    base = company([(1, 0, 0, 0), (2, 1, 0, 0)])
    # (distributor, kind, day, pv, cv, retail, wholesale, currency)
    rows = [
        (2, KIND_OWN, START, 100, 100, 1_000_000, 800_000, RUB),  # 8 000,00 RUB at wholesale
        (2, KIND_RETAIL, START + 1, 50, 50, 5_000_000, 4_000_000, KZT),  # 50 000,00 KZT retail
    ]
    orders = Orders.from_columns(
        order_id=[1, 2],
        **{
            name: [r[i] for r in rows]
            for i, name in enumerate(
                ["distributor", "kind", "day", "pv", "cv", "retail_price", "wholesale_price"]
            )
        },
        currency=[r[7] for r in rows],
    )
    return PeriodInputs(
        period_id=1,
        start_day=START,
        end_day=END,
        genealogy=base.genealogy,
        orders=orders,
        rates=rates,
    )


def test_points_and_retail_profit_are_converted_once_at_the_periods_rates() -> None:
    p = plan("", header=HEADER)
    result = run(p, two_currency_company())
    amount = {
        (bonus, source, level, payee): a
        for bonus in ("unilevel", "retail")
        for source, level, payee, _, a in lines(result, bonus)
    }
    usd_rub, kzt_rub = Fraction("81.2345"), Fraction("0.161234")
    # A point: 1000 kopecks / 81.2345 RUB per USD, in micro-USDT (10**6 / 10**2).
    point = Fraction(1000) / usd_rub * 10**4
    assert result.totals["point_value"] == str(point)  # 123 100.4068... micro-USDT
    # Unilevel: 10 % of distributor 2's 150 CV to 1, rounded once (half-even):
    # 15 x 123 100.4068 = 1 846 506.10 -> 1 846 506 micro-USDT (1.846506 USDT).
    assert amount[("unilevel", 2, 1, 1)] == 1_846_506
    assert round(15 * point) == 1_846_506
    # Retail: 10 000,00 KZT of margin (1 000 000 tiyn) x 0.161234 / 81.2345, in micro-USDT:
    # 19 847 970.9975 -> 19 847 971 (19.847971 USDT: 1 612.34 RUB at 81.2345).
    assert amount[("retail", 2, 0, 2)] == 19_847_971
    retail_line = next(b for b in result.lines if b.bonus == 1)
    assert int(retail_line.base[0]) == 1_000_000 and int(retail_line.currency[0]) == KZT
    assert round(1_000_000 * kzt_rub / usd_rub * 10**4) == 19_847_971
    # Sales in USDT: 8 000,00 RUB -> 98.480325, 50 000,00 KZT -> 99.239855 (per currency, once).
    report = result.compliance["payout_pct_of_sales"]
    assert report["sales"] == 98_480_325 + 99_239_855
    assert report["payout"] == 1_846_506 + 19_847_971
    # 21 694 477 / 197 720 180 = 10.9723... %
    assert report["overall"] == "10.9723"
    assert report["within_cap"] is True and report["cap_pct"] == "40.0000"
    assert report["sales_by_currency"]["KZT"]["amount"] == 5_000_000


def test_payout_is_the_sum_of_converted_lines() -> None:
    result = run(plan("", header=HEADER), two_currency_company())
    earned = sum(int(b.amount.sum()) for b in result.lines)
    assert int(result.payout.sum()) == earned == 21_694_477


def test_a_missing_rate_refuses_the_period_naming_pair_and_date() -> None:
    only_usd = tuple(r for r in RATES if r.base == "USD")
    with pytest.raises(InputError, match=r"KZT/USD.*2026-11-30"):
        run(plan("", header=HEADER), two_currency_company(only_usd))


def test_the_rates_are_inputs_hashed_into_the_package() -> None:
    p = plan("", header=HEADER)
    files = build_package(plan=p, inputs=two_currency_company())
    assert b'"rate": "81.2345"' in files["inputs/rates.json"]
    assert verify_package(files) == []
    again_plan, again_inputs = read_package(files)
    assert again_inputs.rates and set(again_inputs.rates) == set(RATES)
    other = build_package(
        plan=p,
        inputs=two_currency_company(
            (Rate("USD", "RUB", date(2026, 11, 27), Decimal("90"), "manual"), *RATES[1:])
        ),
    )
    manifest, other_manifest = (f["manifest.json"] for f in (files, other))
    assert manifest != other_manifest  # a different rate is a different inputs hash


def test_a_payout_over_the_ceiling_on_sales_is_reported() -> None:
    tight = HEADER.replace("max_pct_of_sales = 40", "max_pct_of_sales = 10")
    report = run(plan("", header=tight), two_currency_company()).compliance
    assert report["payout_pct_of_sales"]["within_cap"] is False
