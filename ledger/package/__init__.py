"""The period package as canonical bytes: ``dict[relative path, content]``, no file I/O here.

Layout (format ``lineage-period-package/3``; columns in docs/period-inputs.md)::

    manifest.json            versions, period id, per-file SHA-256, inputsHash, planHash,
                             resultsHash, payout root/total/leaf count, chain fields (null)
    plan.toml                the plan exactly as run (canonical form)
    inputs/admin_log.json    the admin action log's head (seq, hash) as computed (optional)
    inputs/period.json       period id and days
    inputs/rates.json        the dated exchange rates the period converts with (when it needs any)
    inputs/distributors.tbl  genealogy as of period end, by id
    inputs/orders.tbl        order lines counted, by order id
    inputs/returns.tbl       clawbacks, by return id
    inputs/state.tbl         carry-in state, by id
    inputs/payees.tbl        tax status and payout rail, by id (optional)
    inputs/income_ytd.tbl    year-to-date earnings, own purchases, active periods, by id
    results/disclosure.json  the year's income disclosure (only in the year's last period)
    results/distributors.tbl volumes, legs, ranks, earnings per distributor, by id
    results/lines.tbl        every bonus line, by (bonus, source, level, payee)
    results/payees.tbl       earned, clawback, balances, payout and leaf index, by id
    results/income_ytd.tbl   carry-out year-to-date income: the next period's inputs/income_ytd.tbl
    results/state.tbl        carry-out state: the next period's inputs/state.tbl
    results/leaves.json      payout leaves [periodId, index, "0xaccount", amount]
    results/totals.json      totals per bonus type, global cap factor, payout root
    results/compliance.json  the compliance report

Tables (``.tbl``) are canonical binary columns (see ``ledger/_table.py``), read and written with
:func:`read_table` / :func:`write_table`, their columns by path in ``TABLE_COLUMNS``; JSON files
are :func:`json_bytes` (sorted keys, two-space indent, UTF-8, one final newline). The input
directory given to ``lineage period compute`` uses the same columns as CSV (``.csv``).
``inputsHash``/``resultsHash`` are SHA-256 over the lines ``<path> <sha256 hex>\\n`` of the
``inputs/`` (``results/``) files in path order; ``planHash`` is SHA-256 of ``plan.toml``.
"""

from ledger._table import read_table, write_table
from ledger.package._files import (
    ENGINE_VERSION,
    FORMAT_V2,
    FORMAT_VERSION,
    INPUT_HEADERS,
    TABLE_COLUMNS,
    TABLE_VARIANTS,
    build_package,
    inputs_csv_files,
    inputs_files,
    json_bytes,
    parse_inputs,
    parse_rates,
    read_package,
    read_package_table,
)
from ledger.package._verify import Mismatch, tables_as_csv, verify_package

__all__ = [
    "ENGINE_VERSION",
    "FORMAT_V2",
    "FORMAT_VERSION",
    "INPUT_HEADERS",
    "TABLE_COLUMNS",
    "TABLE_VARIANTS",
    "Mismatch",
    "build_package",
    "inputs_csv_files",
    "inputs_files",
    "json_bytes",
    "parse_inputs",
    "parse_rates",
    "read_package",
    "read_package_table",
    "read_table",
    "tables_as_csv",
    "verify_package",
    "write_table",
]
