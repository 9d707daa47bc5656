"""The reports' XLSX writer (`backend.reports.xlsx`): openpyxl opens what it writes and reads
back the same values, with each column's number format; text that XML must escape or cannot
hold comes back escaped or without the forbidden characters."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from backend.reports.export import xlsx_bytes
from backend.reports.framework import Chart, Column, Kind, Report
from backend.reports.xlsx import write_sheet


def test_openpyxl_reads_back_the_values_and_formats() -> None:
    report = Report(
        name="payouts-top-earners-with-a-long-name",
        title="Top earners",
        columns=[
            Column("id", "ID"),
            Column("name", "Name", Kind.text),
            Column("earned", "Earned", Kind.money),
            Column("pct", "Share", Kind.pct),
            Column("note", "Note", Kind.decimal),
        ],
        rows=[
            [1, "Иван <Петров> & Co", 12_345_678, "12.3456", "0.5"],
            [2, "  spaced ", 0, "0.0000", None],
            [3, "bell\x07 gone", 10**12 + 1, "100.0000", "-3"],
        ],
        chart=Chart("bar", "name", ("earned",)),
        scope="company",
        periods=[1],
        currency="USDT",
        exponent=6,
    )
    book = load_workbook(io.BytesIO(xlsx_bytes(report, str)))
    sheet = book.active
    assert sheet is not None and sheet.title == "payouts-top-earners-with-a-long"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("ID", "Name", "Earned, USDT", "Share, %", "Note")
    assert rows[1][:2] == (1, "Иван <Петров> & Co") and rows[2][1] == "  spaced "
    assert rows[3][1] == "bell gone"
    earned = [Decimal(str(row[2])).scaleb(6) for row in rows[1:]]
    assert earned == [12_345_678, 0, 10**12 + 1]
    assert [Decimal(str(row[3])) for row in rows[1:]] == [
        Decimal("12.3456"),
        0,
        Decimal("100"),
    ]
    assert rows[2][4] is None and Decimal(str(rows[3][4])) == -3
    assert sheet["C2"].number_format == "#,##0.000000"
    assert sheet["D2"].number_format == "0.0000"
    assert sheet["A2"].number_format == "General"


def test_a_generator_of_rows_is_written_in_order() -> None:
    out = io.BytesIO()
    write_sheet(
        out,
        title="many",
        headers=["n", "text"],
        formats=[None, None],
        rows=([i, f"row {i}"] for i in range(2_500)),
        batch=100,
    )
    sheet = load_workbook(io.BytesIO(out.getvalue()), read_only=True).active
    assert sheet is not None
    got = list(sheet.iter_rows(min_row=2, values_only=True))
    assert got == [(i, f"row {i}") for i in range(2_500)]
