"""Sales: by period (with orders, average order value and retail share), by product, category,
warehouse and currency, in the payout currency at each period's dated rates. The company's
period totals are the package's own (``results/compliance.json``); breakdowns and a leader's
team are summed from the package's counted order lines (`backend.reports.package`)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import col, select

from backend.catalog.models import Product
from backend.core.model_base import ProductCategory
from backend.reports.framework import N_, Asked, Chart, Column, Kind, Report, period_label
from backend.reports.package import (
    I64,
    PeriodSales,
    Sold,
    compliance,
    lines_sold,
    period_sales,
    summary_sold,
    team_sold,
)
from backend.stock.models import Warehouse
from ledger.engine import pct_string

CATEGORY_LABELS = {
    ProductCategory.product.value: N_("products"),
    ProductCategory.kit.value: N_("kits"),
}
NO_PERIOD = N_("No computed period in the dates chosen.")
CONVERTED = N_("In the payout currency at each period's dated exchange rates.")


def _sold(q: Asked) -> list[Sold]:
    """The company's periods from their sales summaries (or, computed before they existed,
    line by line); a leader's team from its run of the period's lines in placement order."""
    found = []
    for period in q.window.computed:
        if q.scope.leader is not None:
            found.append(team_sold(q.session, q.settings, period, q.scope))
            continue
        summary = summary_sold(q.settings, q.session, period)
        if summary is None:
            summary = lines_sold(q.session, period_sales(q.settings, period))
        found.append(summary)
    return found


def _currency(q: Asked, found: list[PeriodSales]) -> tuple[str | None, int | None]:
    if not found:
        return None, None
    return found[-1].payout_currency, found[-1].exponent


def by_period(q: Asked) -> Report:
    rows: list[list[object]] = []
    sold = _sold(q)
    found = [s.sales for s in sold]
    for each in sold:
        sales, orders = each.sales, each.orders
        if q.scope.leader is None:
            # The company's figures as the package states them.
            report = compliance(q.settings, sales.period)
            amount = int(report["payout_pct_of_sales"]["sales"])
            retail = str(report["retail_share"]["overall"])
        else:
            amount = sales.converted()
            retail = pct_string(int(sales.pv[sales.retail].sum()), int(sales.pv.sum()))
        average = amount // orders if orders else 0
        rows.append(
            [
                period_label(sales.period),
                amount,
                orders,
                each.lines,
                average,
                retail,
            ]
        )
    currency, exponent = _currency(q, found)
    return Report(
        name="sales-periods",
        title=N_("Sales by period"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            Column("sales", N_("Sales"), Kind.money),
            Column("orders", N_("Orders")),
            Column("lines", N_("Order lines")),
            Column("average_order", N_("Average order"), Kind.money),
            Column("retail_share", N_("Retail share of volume"), Kind.pct),
        ],
        rows=rows,
        chart=Chart("bar", "period", ("sales",)),
        scope=q.scope.name,
        periods=[s.period.id for s in found],
        currency=currency,
        exponent=exponent,
        notes=[CONVERTED] if found else [NO_PERIOD],
    )


def _grouped(q: Asked, key: Callable[[Sold], I64]) -> tuple[dict[int, int], list[PeriodSales]]:
    sold = _sold(q)
    summed: dict[int, int] = {}
    for each in sold:
        for group, amount in each.sales.grouped(key(each)).items():
            summed[group] = summed.get(group, 0) + amount
    return summed, [each.sales for each in sold]


def _ranked(summed: dict[int, int]) -> list[tuple[int, int]]:
    return sorted(summed.items(), key=lambda item: (-item[1], item[0]))


def by_product(q: Asked) -> Report:
    summed, found = _grouped(q, lambda facts: facts.product)
    products = {
        p.id: p for p in q.session.exec(select(Product).where(col(Product.id).in_(sorted(summed))))
    }
    rows: list[list[object]] = []
    for product_id, amount in _ranked(summed):
        product = products[product_id]
        name = product.name_en if q.language == "en" else product.name_ru
        rows.append([product.sku, name, amount])
    currency, exponent = _currency(q, found)
    return Report(
        name="sales-products",
        title=N_("Sales by product"),
        columns=[
            Column("sku", N_("SKU"), Kind.text),
            Column("product", N_("Product"), Kind.text),
            Column("sales", N_("Sales"), Kind.money),
        ],
        rows=rows,
        chart=Chart("bar", "product", ("sales",)),
        scope=q.scope.name,
        periods=[s.period.id for s in found],
        currency=currency,
        exponent=exponent,
        notes=[CONVERTED] if found else [NO_PERIOD],
    )


def by_category(q: Asked) -> Report:
    summed, found = _grouped(q, lambda facts: facts.product)
    categories = {
        int(product_id): str(category)
        for product_id, category in q.session.exec(
            select(Product.id, Product.category).where(col(Product.id).in_(sorted(summed)))
        ).all()
        if product_id is not None
    }
    by_name: dict[str, int] = {}
    for product_id, amount in summed.items():
        name = str(categories[product_id])
        by_name[name] = by_name.get(name, 0) + amount
    currency, exponent = _currency(q, found)
    return Report(
        name="sales-categories",
        title=N_("Sales by category"),
        columns=[
            Column("category", N_("Category"), Kind.label, CATEGORY_LABELS),
            Column("sales", N_("Sales"), Kind.money),
        ],
        rows=[[name, by_name.get(name, 0)] for name in CATEGORY_LABELS],
        chart=Chart("pie", "category", ("sales",)),
        scope=q.scope.name,
        periods=[s.period.id for s in found],
        currency=currency,
        exponent=exponent,
        notes=[CONVERTED] if found else [NO_PERIOD],
    )


def by_warehouse(q: Asked) -> Report:
    summed, found = _grouped(q, lambda facts: facts.warehouse)
    names = {
        w.id: (w.code, w.name)
        for w in q.session.exec(select(Warehouse).where(col(Warehouse.id).in_(sorted(summed))))
    }
    rows: list[list[object]] = [
        [*names[warehouse], amount] for warehouse, amount in _ranked(summed)
    ]
    currency, exponent = _currency(q, found)
    return Report(
        name="sales-warehouses",
        title=N_("Sales by warehouse"),
        columns=[
            Column("code", N_("Code"), Kind.text),
            Column("warehouse", N_("Warehouse"), Kind.text),
            Column("sales", N_("Sales"), Kind.money),
        ],
        rows=rows,
        chart=Chart("bar", "warehouse", ("sales",)),
        scope=q.scope.name,
        periods=[s.period.id for s in found],
        currency=currency,
        exponent=exponent,
        notes=[CONVERTED] if found else [NO_PERIOD],
    )


def by_currency(q: Asked) -> Report:
    found = [sold.sales for sold in _sold(q)]
    summed: dict[str, list[int]] = {}
    for sales in found:
        for name, (charged, places_in, converted) in sales.by_currency().items():
            held = summed.setdefault(name, [0, places_in, 0])
            held[0] += charged
            held[2] += converted
    rows: list[list[object]] = []
    for name, (charged, places, converted) in sorted(summed.items()):
        whole, part = divmod(charged, 10**places) if places else (charged, 0)
        text = f"{whole}.{part:0{places}d}" if places else str(whole)
        rows.append([name, text, converted])
    currency, exponent = _currency(q, found)
    return Report(
        name="sales-currencies",
        title=N_("Sales by currency"),
        columns=[
            Column("currency", N_("Currency of the order"), Kind.text),
            Column("charged", N_("Charged, in that currency"), Kind.decimal),
            Column("sales", N_("Converted"), Kind.money),
        ],
        rows=rows,
        chart=Chart("pie", "currency", ("sales",)),
        scope=q.scope.name,
        periods=[s.period.id for s in found],
        currency=currency,
        exponent=exponent,
        notes=[CONVERTED] if found else [NO_PERIOD],
    )
