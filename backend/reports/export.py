"""A report as CSV and as XLSX, the same rows the page shows: money in major units of the
report's currency (exact decimals, never floats), labels and titles in the reader's language.
The workbook is written in openpyxl's write-only mode, row by row, so memory stays flat (with
lxml installed, a project dependency, openpyxl streams it through lxml's incremental writer)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell

from backend.reports.framework import Column, Kind, Report

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


def write_xlsx(
    report: Report, translate: Translate, target: IO[bytes], rows: Iterable[list[Any]] | None = None
) -> None:
    """The workbook into ``target``; ``rows`` (default: the report's) may be a generator."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=report.name[:31])
    sheet.append(headers(report, translate))
    # One styled cell per formatted column, given each row's value in turn: openpyxl writes a
    # row out as soon as it is appended, and looking a style up for every cell costs more than
    # writing it.
    styled: list[Cell | None] = []
    for column in report.columns:
        number_format = None
        if column.kind == Kind.money:
            places = report.exponent or 0
            number_format = "#,##0" + ("." + "0" * places if places else "")
        elif column.kind == Kind.pct:
            number_format = "0.0000"
        cell: Cell | None = None
        if number_format is not None:
            cell = WriteOnlyCell(sheet)
            cell.number_format = number_format
        styled.append(cell)
    for row in rows if rows is not None else values(report, translate):
        cells: list[Any] = []
        for value, cell in zip(row, styled, strict=True):
            if cell is None or value is None:
                cells.append(value)
            else:
                cell.value = value
                cells.append(cell)
        sheet.append(cells)
    book.save(target)


def xlsx_bytes(report: Report, translate: Translate) -> bytes:
    out = io.BytesIO()
    write_xlsx(report, translate, out)
    return out.getvalue()
