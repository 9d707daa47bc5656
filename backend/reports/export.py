"""A report as CSV and as XLSX, the same rows the page shows: money in major units of the
report's currency (exact decimals, never floats), labels and titles in the reader's language.
The workbook's sheet is written as XML text row by row into the zip stream
(`backend.reports.xlsx`), so memory stays flat and 100,000 rows take a few seconds."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from backend.reports.framework import Column, Kind, Report
from backend.reports.xlsx import write_sheet

Translate = Callable[[str], str]


def cell_value(report: Report, column: Column, value: Any, translate: Translate) -> Any:
    """A value as the exports hold it: Decimal for money, percentages and decimals."""
    if value is None:
        return None
    if column.kind == Kind.money:
        return Decimal(int(value)).scaleb(-(report.exponent or 0))
    if column.kind in (Kind.pct, Kind.decimal):
        return Decimal(str(value))
    if column.kind == Kind.label:
        message = column.labels.get(str(value))
        return translate(message) if message else str(value)
    return value


def headers(report: Report, translate: Translate) -> list[str]:
    titles = []
    for column in report.columns:
        title = translate(column.title)
        if column.kind == Kind.money and report.currency:
            title = f"{title}, {report.currency}"
        elif column.kind == Kind.pct:
            title = f"{title}, %"
        titles.append(title)
    return titles


def values(report: Report, translate: Translate) -> Iterator[list[Any]]:
    for row in report.rows:
        yield [
            cell_value(report, column, value, translate)
            for column, value in zip(report.columns, row, strict=True)
        ]


def csv_text(report: Report, translate: Translate) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers(report, translate))
    for row in values(report, translate):
        writer.writerow(["" if v is None else str(v) for v in row])
    return out.getvalue()


def number_format(report: Report, column: Column) -> str | None:
    if column.kind == Kind.money:
        places = report.exponent or 0
        return "#,##0" + ("." + "0" * places if places else "")
    if column.kind == Kind.pct:
        return "0.0000"
    return None


def write_xlsx(
    report: Report, translate: Translate, target: IO[bytes], rows: Iterable[list[Any]] | None = None
) -> None:
    """The workbook into ``target``; ``rows`` (default: the report's) may be a generator."""
    write_sheet(
        target,
        title=report.name[:31],
        headers=headers(report, translate),
        formats=[number_format(report, column) for column in report.columns],
        rows=rows if rows is not None else values(report, translate),
    )


def xlsx_bytes(report: Report, translate: Translate) -> bytes:
    out = io.BytesIO()
    write_xlsx(report, translate, out)
    return out.getvalue()
