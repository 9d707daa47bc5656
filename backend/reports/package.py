"""A period's counted order lines as its package holds them (``inputs/orders.tbl``, net of
returns), converted to the payout currency with the package's plan and dated rates, exactly as
the engine converts them (`ledger.context.period_conversion`): the part of a period's sales a
report groups by product, warehouse or team, which the package's totals do not break down."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlmodel import Session, col, select

from backend.core.config import Settings
from backend.periods.member_sales import ensure_member_sales
from backend.periods.models import Period, PeriodMemberSales, PeriodSalesSummary
from backend.periods.review import package_file, package_json
from backend.periods.service import manifest_of
from backend.periods.team_lines import line_facts
from backend.periods.team_reads import team_lines
from backend.reports.framework import Scope
from ledger.context import period_conversion
from ledger.inputs import KIND_OWN, KIND_RETAIL
from ledger.money import alpha_code, convert_minor, exponent_of
from ledger.package import parse_rates, read_package_table
from ledger.plan import load_plan

I64 = NDArray[np.int64]
ORDERS = "inputs/orders.tbl"
RATES = "inputs/rates.json"


@dataclass
class PeriodSales:
    """The period's product sales lines (own and retail orders; fees are not sales)."""

    period: Period
    line_id: I64
    distributor: I64
    retail: NDArray[np.bool_]
    charged: I64  # minor units of the line's currency
    currency: I64  # ISO 4217 numeric; 0 = the payout currency itself
    pv: I64
    factor: dict[int, Fraction]
    mode: Literal["half-even", "floor", "half-up"]
    payout_currency: str
    exponent: int

    def keep(self, mask: NDArray[np.bool_]) -> PeriodSales:
        return PeriodSales(
            self.period,
            self.line_id[mask],
            self.distributor[mask],
            self.retail[mask],
            self.charged[mask],
            self.currency[mask],
            self.pv[mask],
            self.factor,
            self.mode,
            self.payout_currency,
            self.exponent,
        )

    def converted(self) -> int:
        """Summed per currency, each sum converted once (the engine's way)."""
        total = 0
        for code, factor in sorted(self.factor.items()):
            in_code = int(self.charged[self.currency == code].sum())
            if in_code:
                total += convert_minor(in_code, factor, mode=self.mode)
        return total

    def by_currency(self) -> dict[str, tuple[int, int, int]]:
        """Currency -> (charged, its exponent, converted)."""
        out = {}
        for code, factor in sorted(self.factor.items()):
            mine = self.currency == code
            if not mine.any():
                continue
            name = self.payout_currency if code == 0 else alpha_code(code)
            in_code = int(self.charged[mine].sum())
            exponent = self.exponent if code == 0 else exponent_of(name)
            out[name] = (in_code, exponent, convert_minor(in_code, factor, mode=self.mode))
        return out

    def grouped(self, keys: I64) -> dict[int, int]:
        """Converted sales per key (one key per line), each currency's sum converted once."""
        out: dict[int, int] = {}
        for code in np.unique(self.currency).tolist():
            mine = self.currency == code
            values, inverse = np.unique(keys[mine], return_inverse=True)
            sums = np.zeros(values.shape[0], dtype=np.int64)
            np.add.at(sums, inverse, self.charged[mine])
            factor = self.factor[int(code)]
            for key, amount in zip(values.tolist(), sums.tolist(), strict=True):
                out[key] = out.get(key, 0) + convert_minor(amount, factor, mode=self.mode)
        return out


@dataclass(frozen=True)
class Conversion:
    """How a period's package converts its sales to the payout currency."""

    factor: dict[int, Fraction]  # ISO 4217 numeric -> minor-unit factor; 0 = payout itself
    mode: Literal["half-even", "floor", "half-up"]
    payout_currency: str
    exponent: int


def conversion_of(settings: Settings, period: Period, codes: Iterable[int]) -> Conversion:
    """The package's plan and dated rates, for the currencies ``codes``."""
    plan = load_plan(package_file(settings, period, "plan.toml"))
    files = manifest_of(period).get("files")
    rates = (
        parse_rates(package_file(settings, period, RATES), file=RATES)
        if isinstance(files, dict) and RATES in files
        else ()
    )
    factor = {0: Fraction(1)}
    for code in sorted(set(codes)):
        if code:
            name = alpha_code(int(code))
            conv = period_conversion(plan, name, end_day=period.end_day, rates=rates)
            factor[int(code)] = conv.minor_factor(exponent_of(name), plan.currency.decimals)
    return Conversion(factor, plan.rounding.mode, plan.currency.code, plan.currency.decimals)


def period_sales(settings: Settings, period: Period) -> PeriodSales:
    cols: dict[str, Any] = read_package_table(package_file(settings, period, ORDERS), file=ORDERS)
    kind = np.asarray(cols["kind"], dtype=np.int64)
    product = (kind == KIND_OWN) | (kind == KIND_RETAIL)
    n = int(kind.shape[0])
    currency = np.asarray(cols.get("currency", np.zeros(n, dtype=np.int64)), dtype=np.int64)
    retail = kind == KIND_RETAIL
    charged = np.where(retail, cols["retail_price"], cols["wholesale_price"]).astype(np.int64)
    conv = conversion_of(settings, period, np.unique(currency).tolist())
    return PeriodSales(
        period,
        np.asarray(cols["order_id"], dtype=np.int64),
        np.asarray(cols["distributor"], dtype=np.int64),
        retail,
        charged,
        currency,
        np.asarray(cols["pv"], dtype=np.int64),
        conv.factor,
        conv.mode,
        conv.payout_currency,
        conv.exponent,
    ).keep(product)


@dataclass(frozen=True)
class Sold:
    """A period's sales as the breakdowns group them: ``sales`` holds one entry per counted
    line, or per row of the period's summary (`PeriodSalesSummary`: then each entry is a sum
    and ``line_id`` and ``distributor`` are zero), with each entry's product and warehouse."""

    sales: PeriodSales
    product: I64
    warehouse: I64
    lines: int
    orders: int


def summed_sales(
    settings: Settings, period: Period, retail: I64, charged: I64, currency: I64, pv: I64
) -> PeriodSales:
    """Sales given as sums (one entry per group of lines, not per line: ``line_id`` and
    ``distributor`` are zero), with the period's conversion of their currencies."""
    conv = conversion_of(settings, period, np.unique(currency).tolist())
    zero = np.zeros(charged.shape[0], dtype=np.int64)
    return PeriodSales(
        period,
        zero,
        zero,
        retail.astype(np.bool_),
        charged,
        currency,
        pv,
        conv.factor,
        conv.mode,
        conv.payout_currency,
        conv.exponent,
    )


def summary_sold(settings: Settings, session: Session, period: Period) -> Sold | None:
    """The period's sales from its summary rows (a few hundred, whatever the company's size);
    None when it has none (computed before the summary existed, or nothing sold)."""
    summary = PeriodSalesSummary.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(
        sa.select(
            summary.product_id,
            summary.warehouse_id,
            summary.currency,
            summary.retail,
            summary.lines,
            summary.orders,
            summary.charged,
            summary.pv,
        ).where(summary.period_id == period.id)
    ).all()
    if not rows:
        return None
    table = np.asarray([[int(v) for v in row] for row in rows], dtype=np.int64)
    sales = summed_sales(settings, period, table[:, 3], table[:, 6], table[:, 2], table[:, 7])
    return Sold(sales, table[:, 0], table[:, 1], int(table[:, 4].sum()), int(table[:, 5].sum()))


def lines_sold(session: Session, sales: PeriodSales) -> Sold:
    """The period's sales line by line (a period computed before its summary existed)."""
    facts = line_facts(session, sales.period, sales.line_id)
    orders = int(np.unique(facts.order).shape[0])
    return Sold(sales, facts.product, facts.warehouse, int(sales.line_id.shape[0]), orders)


def member_sales(
    session: Session,
    settings: Settings,
    period: Period,
    scope: Scope,
    ids: Iterable[int] | None = None,
) -> PeriodSales:
    """The period's sales of the scope's buyers (or of ``ids`` among them), one entry per buyer
    and currency from the period's per-buyer summary (`PeriodMemberSales`, made from the
    package for a period computed before it existed): each entry a sum, so grouping them by
    buyer or team and converting each currency's sum once gives what the lines give.
    ``line_id`` is zero and ``retail`` false in every entry (the summary keeps them apart only
    as the ``retail`` sum)."""
    ensure_member_sales(session, settings, period)
    table = PeriodMemberSales
    query = scope.only(
        table.distributor_id,
        select(table.distributor_id, table.currency, table.charged, table.pv).where(
            table.period_id == period.id
        ),
    )
    if ids is not None:
        query = query.where(col(table.distributor_id).in_(sorted(set(ids))))
    found = np.asarray(session.exec(query).all(), dtype=np.int64).reshape(-1, 4)
    conv = conversion_of(settings, period, np.unique(found[:, 1]).tolist())
    zero = np.zeros(found.shape[0], dtype=np.int64)
    return PeriodSales(
        period,
        zero,
        found[:, 0],
        zero.astype(np.bool_),
        found[:, 2],
        found[:, 1],
        found[:, 3],
        conv.factor,
        conv.mode,
        conv.payout_currency,
        conv.exponent,
    )


def converted_sums(
    settings: Settings, period: Period, rows: Iterable[tuple[Any, int, int]]
) -> dict[Any, int]:
    """(key, currency, charged) sums, one per key and currency (as SQL groups them), each
    converted once with the period's conversion and added up per key: what
    `PeriodSales.grouped` gives line by line."""
    listed = [(key, int(code), int(amount)) for key, code, amount in rows]
    conv = conversion_of(settings, period, {code for _, code, _ in listed})
    out: dict[Any, int] = {}
    for key, code, amount in listed:
        out[key] = out.get(key, 0) + convert_minor(amount, conv.factor[code], mode=conv.mode)
    return out


def team_sold(session: Session, settings: Settings, period: Period, scope: Scope) -> Sold:
    """A leader's team's sales in the period, summed per product, warehouse, currency and
    retail flag from the period's lines kept in placement order
    (`backend.periods.team_lines`): the team's run of lines, not the package's every line."""
    assert scope.leader is not None and scope.leader.id is not None
    team = team_lines(session, settings, period, scope.leader.id)
    held = team.lines > 0
    combos = team.combos[held]
    sales = summed_sales(
        settings, period, combos[:, 3], team.charged[held], combos[:, 2], team.pv[held]
    )
    return Sold(sales, combos[:, 0], combos[:, 1], int(team.lines.sum()), int(team.orders.sum()))


def compliance(settings: Settings, period: Period) -> dict[str, Any]:
    return package_json(settings, period, "results/compliance.json")


def totals(settings: Settings, period: Period) -> dict[str, Any]:
    return package_json(settings, period, "results/totals.json")
