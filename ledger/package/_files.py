"""Writing and reading the package files (see ``ledger.package`` for the layout)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ledger._csv import Address, format_csv, parse_csv
from ledger._table import read_table, write_table
from ledger.disclosure import (
    INCOME_YTD_COLUMNS,
    IncomeYTD,
    carry_income,
    empty_income_ytd,
    is_year_end,
    statement,
)
from ledger.engine import PeriodResult, payee_rows, run_period
from ledger.errors import LedgerError, PackageError
from ledger.inputs import (
    YTD,
    AdminLogHead,
    Genealogy,
    Orders,
    Payees,
    PeriodInputs,
    Returns,
    State,
    Training,
)
from ledger.money import Rate
from ledger.plan import BONUS_TYPES, Plan, canonical_plan, load_plan

__all__ = [
    "ENGINE_VERSION",
    "FORMAT_V1",
    "FORMAT_V2",
    "FORMAT_VERSION",
    "INPUT_HEADERS",
    "TABLE_COLUMNS",
    "TABLE_COLUMNS_V1",
    "TABLE_VARIANTS",
    "build_package",
    "inputs_csv_files",
    "inputs_files",
    "json_bytes",
    "parse_inputs",
    "read_package",
    "read_package_table",
]

FORMAT_VERSION = "lineage-period-package/3"
#: The format before the income disclosure (no ``income_ytd`` tables, no ``disclosure.json``);
#: a package in it is recomputed in it.
FORMAT_V2 = "lineage-period-package/2"
#: The format before money carried its currency (no ``currency`` columns, no rates, a shorter
#: compliance report). A package in it is recomputed in it, so an upgrade never orphans the
#: periods computed before it: their prices were in the payout currency, which the current
#: engine computes to the same numbers.
FORMAT_V1 = "lineage-period-package/1"
ENGINE_VERSION = "lineage-engine/0.4.0"
I64 = NDArray[np.int64]

#: Input tables and their columns (CSV in an input directory, ``.tbl`` in a package).
INPUT_HEADERS: dict[str, tuple[str, ...]] = {
    "distributors": ("id", "enroller", "parent", "position", "joined_day", "wallet"),
    "orders": (
        "order_id",
        "distributor",
        "kind",
        "day",
        "pv",
        "cv",
        "retail_price",
        "wholesale_price",
        "currency",
    ),
    "returns": ("return_id", "distributor", "amount"),
    "state": ("id", "carry_left", "carry_right", "balance", "achieved_rank", "matrix_done"),
    # Only with a plan naming a [compliance_course]: the day each distributor completed it.
    "training": ("distributor", "completed_day"),
    # Optional: tax status and payout rail (ledger.withholding, ledger.rails codes).
    "payees": ("id", "tax_status", "rail"),
    # Year-to-date earnings, own purchases and active periods (ledger.disclosure).
    "income_ytd": INCOME_YTD_COLUMNS,
}
_DIST_TABLE = ("id", "enroller", "parent", "position", "joined_day", "has_wallet", "wallet")
_RESULT_DISTRIBUTORS = (
    "id",
    "pv",
    "cv",
    "retail_pv",
    "gv",
    "left_volume",
    "right_volume",
    "active",
    "paid_rank",
    "achieved_rank",
    "threshold",
    "earned",
)
_LINES = (
    "bonus",
    "source",
    "level",
    "currency",
    "payee",
    "base",
    "rate",
    "gross",
    "amount",
    "breakage",
)
#: Input headers an older package or input directory may still use (read, never written).
_LEGACY_HEADERS = {"orders": INPUT_HEADERS["orders"][:-1]}
#: Input headers read besides the current one, tried first (``state`` with year-to-date columns).
_RICHER_HEADERS = {"state": (*INPUT_HEADERS["state"], *YTD)}
_PAYEES = ("id", "earned", "clawback", "balance_in", "payout", "balance_out", "leaf_index")
#: The payee table's columns when the period has a payees input or withholds: the tax withheld
#: (``payout`` is the net, the leaf's amount), the tax status and the rail.
_PAYEES_RAILS = (*_PAYEES, "withheld", "tax_status", "rail")
#: The state's columns when it carries year-to-date taxed income (a plan with [withholding]).
_STATE_YTD = (*INPUT_HEADERS["state"], *YTD)
#: The columns of every ``.tbl`` file of a package, by path.
TABLE_COLUMNS = {
    "inputs/distributors.tbl": _DIST_TABLE,
    "inputs/orders.tbl": INPUT_HEADERS["orders"],
    "inputs/returns.tbl": INPUT_HEADERS["returns"],
    "inputs/state.tbl": INPUT_HEADERS["state"],
    "inputs/training.tbl": INPUT_HEADERS["training"],
    "inputs/payees.tbl": INPUT_HEADERS["payees"],
    "inputs/income_ytd.tbl": INCOME_YTD_COLUMNS,
    "results/distributors.tbl": _RESULT_DISTRIBUTORS,
    "results/lines.tbl": _LINES,
    "results/payees.tbl": _PAYEES,
    "results/state.tbl": INPUT_HEADERS["state"],
    "results/income_ytd.tbl": INCOME_YTD_COLUMNS,
}
#: The same for a format-1 package.
TABLE_COLUMNS_V1 = {
    **TABLE_COLUMNS,
    "inputs/orders.tbl": _LEGACY_HEADERS["orders"],
    "results/lines.tbl": tuple(c for c in _LINES if c != "currency"),
}
#: Further column lists a table may have (beside its ``TABLE_COLUMNS`` entry), by path: the
#: rails' and withholding's columns are written only for a period that has them, so that every
#: other period's package keeps its bytes.
TABLE_VARIANTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "inputs/state.tbl": (_STATE_YTD,),
    "results/state.tbl": (_STATE_YTD,),
    "results/payees.tbl": (_PAYEES_RAILS,),
}


def read_package_table(data: bytes, *, file: str, v1: bool = False) -> dict[str, Any]:
    """A package table at path ``file`` in whichever of its column lists it was written."""
    base = (TABLE_COLUMNS_V1 if v1 else TABLE_COLUMNS)[file]
    variants = (base, *TABLE_VARIANTS.get(file, ()))
    for i, columns in enumerate(variants):
        try:
            return dict(read_table(data, file=file, columns=columns))
        except PackageError:
            if i == len(variants) - 1:
                raise
    raise AssertionError("unreachable")


def json_bytes(value: Any) -> bytes:
    """A package's JSON bytes: sorted keys, two-space indent, UTF-8, one final newline."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _group_hash(digests: Mapping[str, str], prefix: str) -> str:
    listing = "".join(f"{p} {digests[p]}\n" for p in sorted(digests) if p.startswith(prefix))
    return "0x" + _sha(listing.encode())


def _sorted_by(key: I64) -> I64 | slice:
    if key.shape[0] < 2 or bool(np.all(key[1:] > key[:-1])):
        return slice(None)
    return np.argsort(key, kind="stable")


def _input_columns(inputs: PeriodInputs) -> dict[str, dict[str, Any]]:
    """Every input table's columns, rows sorted by their key whatever the given order."""
    g, o, r, s = inputs.genealogy, inputs.orders, inputs.returns, inputs.state
    gi, oi, ri, si = (
        _sorted_by(g.id),
        _sorted_by(o.order_id),
        _sorted_by(r.return_id),
        _sorted_by(s.id),
    )
    tables: dict[str, dict[str, Any]] = {
        "distributors": {
            "id": g.id[gi],
            "enroller": g.enroller[gi],
            "parent": g.parent[gi],
            "position": g.position[gi],
            "joined_day": g.joined_day[gi],
            "has_wallet": g.has_wallet[gi].astype(np.int64),
            "wallet": np.where(g.has_wallet[gi][:, None], g.wallet[gi], 0).astype(np.uint8),
        },
        "orders": {f: getattr(o, f)[oi] for f in INPUT_HEADERS["orders"]},
        "returns": {f: getattr(r, f)[ri] for f in INPUT_HEADERS["returns"]},
        "state": {
            f: getattr(s, f)[si] for f in (_STATE_YTD if s.has_ytd else INPUT_HEADERS["state"])
        },
    }
    if inputs.payees is not None:
        p = inputs.payees
        pi = _sorted_by(p.id)
        tables["payees"] = {f: getattr(p, f)[pi] for f in INPUT_HEADERS["payees"]}
    if inputs.training is not None:
        t = inputs.training
        ti = _sorted_by(t.distributor)
        tables["training"] = {f: getattr(t, f)[ti] for f in INPUT_HEADERS["training"]}
    if inputs.income_ytd is not None:
        y = inputs.income_ytd
        yi = _sorted_by(y.id)
        tables["income_ytd"] = {f: getattr(y, f)[yi] for f in INCOME_YTD_COLUMNS}
    return tables


def _period_json(inputs: PeriodInputs) -> bytes:
    return json_bytes(
        {"period_id": inputs.period_id, "start_day": inputs.start_day, "end_day": inputs.end_day}
    )


def _admin_log_json(head: AdminLogHead) -> bytes:
    return json_bytes({"hash": head.hash, "seq": head.seq})


def _rates_json(rates: tuple[Rate, ...]) -> bytes:
    rows = {tuple(sorted(r.as_json().items())): r.as_json() for r in rates}
    return json_bytes([rows[key] for key in sorted(rows)])


def parse_rates(data: bytes, *, file: str = "rates.json") -> tuple[Rate, ...]:
    """The dated exchange rates of ``rates.json``: a list of {base, quote, date, rate, source}."""
    try:
        rows = json.loads(data)
        if not isinstance(rows, list):
            raise TypeError("not a list")
        return tuple(
            Rate(
                base=str(row["base"]),
                quote=str(row["quote"]),
                day=date.fromisoformat(str(row["date"])),
                value=Decimal(str(row["rate"])),
                source=str(row["source"]),
            )
            for row in rows
        )
    except (ValueError, TypeError, KeyError, ArithmeticError, LedgerError) as exc:
        raise PackageError(
            f"{file}: needs a list of {{base, quote, date, rate, source}} ({exc})"
        ) from None


_HASH = re.compile(r"0x[0-9a-f]{64}")


def _parse_admin_log(data: bytes, *, file: str) -> AdminLogHead:
    try:
        head = json.loads(data)
        seq, digest = head["seq"], head["hash"]
    except (ValueError, TypeError, KeyError) as exc:
        raise PackageError(f"{file}: needs an object with seq and hash ({exc})") from None
    if type(seq) is not int or seq < 0:
        raise PackageError(f"{file}: seq must be a non-negative integer, not {seq!r}")
    if not isinstance(digest, str) or _HASH.fullmatch(digest) is None:
        raise PackageError(f"{file}: hash must be 0x and 64 lower-case hex digits")
    return AdminLogHead(seq=seq, hash=digest)


def inputs_files(inputs: PeriodInputs) -> dict[str, bytes]:
    """The canonical ``inputs/`` files of a package."""
    return dict(_inputs_files(inputs))


def _inputs_files(inputs: PeriodInputs) -> Iterator[tuple[str, bytes]]:
    if inputs.admin_log is not None:
        yield "inputs/admin_log.json", _admin_log_json(inputs.admin_log)
    yield "inputs/period.json", _period_json(inputs)
    if inputs.rates:
        yield "inputs/rates.json", _rates_json(inputs.rates)
    for name, cols in _input_columns(inputs).items():
        yield f"inputs/{name}.tbl", write_table(cols)


def inputs_csv_files(inputs: PeriodInputs) -> dict[str, bytes]:
    """The same inputs as an input directory of canonical CSV files (for people and tools)."""
    files = {"period.json": _period_json(inputs)}
    if inputs.admin_log is not None:
        files["admin_log.json"] = _admin_log_json(inputs.admin_log)
    if inputs.rates:
        files["rates.json"] = _rates_json(inputs.rates)
    for name, cols in _input_columns(inputs).items():
        if name == "distributors":
            wallet = Address(cols.pop("wallet"), cols.pop("has_wallet").astype(np.bool_))
            cols["wallet"] = wallet
        header = tuple(cols) if name == "state" else INPUT_HEADERS[name]
        files[f"{name}.csv"] = format_csv(header, [cols[c] for c in header])
    return files


def _read_input_table(
    files: Mapping[str, bytes], name: str, tbl: str, csv: str, header: tuple[str, ...]
) -> dict[str, Any]:
    if tbl in files:
        cols: dict[str, Any] = dict(
            read_table(
                files[tbl], file=tbl, columns=_DIST_TABLE if name == "distributors" else header
            )
        )
        if name == "distributors":
            cols["has_wallet"] = cols["has_wallet"].astype(np.bool_)
        return cols
    if csv in files:
        cols = dict(
            parse_csv(
                files[csv],
                file=csv,
                header=header,
                address="wallet" if name == "distributors" else None,
            )
        )
        if name == "distributors":
            wallet = cols.pop("wallet")
            assert isinstance(wallet, Address)
            cols["wallet"], cols["has_wallet"] = wallet.raw, wallet.present
        return cols
    if name in ("returns", "state", "training", "payees", "income_ytd"):
        return {c: np.zeros(0, dtype=np.int64) for c in INPUT_HEADERS[name]}
    raise PackageError(f"{csv}: missing")


def parse_inputs(files: Mapping[str, bytes], *, prefix: str = "") -> PeriodInputs:
    """Period inputs from ``<prefix>period.json`` and, per table, ``<prefix><name>.tbl`` or
    ``.csv``; ``returns`` and ``state`` may be absent (nothing to claw back or carry), and so
    may ``<prefix>admin_log.json`` (the admin log head, only in a company's own periods) and
    ``<prefix>training`` (compliance course completions; ``training`` None when absent)."""
    try:
        period = json.loads(files[prefix + "period.json"])
        period_id, start, end = (int(period[k]) for k in ("period_id", "start_day", "end_day"))
    except KeyError as exc:
        raise PackageError(f"{prefix}period.json: missing or incomplete ({exc})") from None
    except (ValueError, TypeError) as exc:
        raise PackageError(
            f"{prefix}period.json: needs integer period_id, start_day, end_day ({exc})"
        ) from None

    def table(name: str) -> dict[str, Any]:
        tbl, csv = f"{prefix}{name}.tbl", f"{prefix}{name}.csv"
        headers = [INPUT_HEADERS[name]]
        if name in _RICHER_HEADERS:
            headers.insert(0, _RICHER_HEADERS[name])
        if name in _LEGACY_HEADERS:
            headers.append(_LEGACY_HEADERS[name])
        for i, header in enumerate(headers):
            try:
                return _read_input_table(files, name, tbl, csv, header)
            except PackageError:
                if i == len(headers) - 1 or (tbl not in files and csv not in files):
                    raise
        raise AssertionError("unreachable")

    log_file, rates_file = prefix + "admin_log.json", prefix + "rates.json"
    has_training = f"{prefix}training.tbl" in files or f"{prefix}training.csv" in files
    has_payees = f"{prefix}payees.tbl" in files or f"{prefix}payees.csv" in files
    has_income = f"{prefix}income_ytd.tbl" in files or f"{prefix}income_ytd.csv" in files
    return PeriodInputs(
        period_id=period_id,
        start_day=start,
        end_day=end,
        genealogy=Genealogy(**table("distributors")),
        orders=Orders.from_columns(**table("orders")),
        returns=Returns(**table("returns")),
        state=State(**table("state")),
        admin_log=_parse_admin_log(files[log_file], file=log_file) if log_file in files else None,
        rates=parse_rates(files[rates_file], file=rates_file) if rates_file in files else (),
        training=Training(**table("training")) if has_training else None,
        payees=Payees(**table("payees")) if has_payees else None,
        income_ytd=IncomeYTD.from_columns(**table("income_ytd")) if has_income else None,
    )


def _results_files(
    result: PeriodResult, *, disclosure: tuple[Plan, PeriodInputs] | None = None
) -> Iterator[tuple[str, bytes]]:
    """The ``results/`` files one at a time, in path order (so each can be let go of); with
    ``disclosure`` (format 3 on) the income year-to-date carry-out and, in the year's last
    period, the income disclosure statement."""
    ids = result.ids
    yield "results/compliance.json", json_bytes(result.compliance)
    income = None
    if disclosure is not None:
        plan, inputs = disclosure
        income = _income_carry(result, inputs)
        if is_year_end(plan, end_day=inputs.end_day):
            yield (
                "results/disclosure.json",
                json_bytes(
                    statement(
                        plan,
                        period_id=result.period_id,
                        end_day=inputs.end_day,
                        ids=ids,
                        ytd=income,
                        rank=result.achieved_rank,
                    )
                ),
            )
    per_distributor = {
        "id": ids,
        "pv": result.pv,
        "cv": result.cv,
        "retail_pv": result.retail_pv,
        "gv": result.gv,
        "left_volume": result.left_volume,
        "right_volume": result.right_volume,
        "active": result.active.astype(np.int64),
        "paid_rank": result.paid_rank,
        "achieved_rank": result.achieved_rank,
        "threshold": result.threshold.astype(np.int64),
        "earned": result.earned,
    }
    assert tuple(per_distributor) == _RESULT_DISTRIBUTORS
    yield "results/distributors.tbl", write_table(per_distributor)
    del per_distributor
    if income is not None:
        yield "results/income_ytd.tbl", write_table(income.columns())
        del income

    leaves = result.payees
    if leaves.shape[0]:
        rows = format_csv(
            None,
            [
                np.full(leaves.shape[0], result.period_id, dtype=np.int64),
                np.arange(leaves.shape[0], dtype=np.int64),
                Address(result.account[leaves], np.ones(leaves.shape[0], dtype=np.bool_)),
                result.payout[leaves],
            ],
            prefix=b"  [",
            suffix=b"],\n",
            quote_addresses=True,
        )
        yield "results/leaves.json", b"[\n" + rows[:-2] + b"\n]\n"
        del rows
    else:
        yield "results/leaves.json", b"[]\n"

    ext = np.concatenate([np.zeros(1, dtype=np.int64), ids])  # dense -1 -> id 0 (nobody)
    line_cols: dict[str, list[I64]] = {name: [] for name in _LINES}
    for b in result.lines:
        line_cols["bonus"].append(np.full(len(b), b.bonus, dtype=np.int8))
        line_cols["source"].append(ext[b.source + 1])
        line_cols["level"].append(b.level)
        line_cols["currency"].append(b.currency)
        line_cols["payee"].append(ext[b.payee + 1])
        line_cols["base"].append(b.base)
        line_cols["rate"].append(b.rate)
        line_cols["gross"].append(b.gross)
        line_cols["amount"].append(b.amount)
        line_cols["breakage"].append(b.gross - b.amount)
    yield "results/lines.tbl", write_table(line_cols)
    del line_cols, ext

    payee_table = payee_rows(result)
    keep = payee_table.index
    payees = {
        "id": ids[keep],
        "earned": result.earned[keep],
        "clawback": result.clawback[keep],
        "balance_in": result.balance_in[keep],
        "payout": result.payout[keep],
        "balance_out": result.balance_out[keep],
        "leaf_index": payee_table.leaf_index,
    }
    if result.rails or result.withholding:
        payees["withheld"] = result.withheld[keep]
        payees["tax_status"] = result.tax_status[keep]
        payees["rail"] = result.rail[keep]
        assert tuple(payees) == _PAYEES_RAILS
    yield "results/payees.tbl", write_table(payees)
    del payees, keep, payee_table

    state_cols = {
        "carry_left": result.carry_left,
        "carry_right": result.carry_right,
        "balance": result.balance_out,
        "achieved_rank": result.achieved_rank,
        "matrix_done": result.matrix_done,
    }
    if result.withholding:
        state_cols |= {
            "ytd_year": result.ytd_year,
            "ytd_income": result.ytd_income,
            "ytd_withheld": result.ytd_withheld,
        }
    nonzero = np.zeros(ids.shape[0], dtype=np.bool_)
    for col in state_cols.values():
        nonzero |= col != 0
    carry = np.flatnonzero(nonzero)
    yield (
        "results/state.tbl",
        write_table({"id": ids[carry], **{k: v[carry] for k, v in state_cols.items()}}),
    )

    totals = dict(result.totals)
    totals["bonus_codes"] = {name: i + 1 for i, name in enumerate(BONUS_TYPES)}
    yield "results/totals.json", json_bytes(totals)


def _income_carry(result: PeriodResult, inputs: PeriodInputs) -> IncomeYTD:
    assert result.bought is not None
    return carry_income(
        inputs.income_ytd if inputs.income_ytd is not None else empty_income_ytd(),
        ids=result.ids,
        end_day=inputs.end_day,
        earned=result.earned,
        bought=result.bought,
        active=result.active.astype(np.int64),
    )


def build_package(
    *,
    plan: Plan,
    inputs: PeriodInputs,
    result: PeriodResult | None = None,
    on_stage: Callable[[str], None] | None = None,
    on_file: Callable[[str, bytes], None] | None = None,
    keep: bool = True,
    format_version: str = FORMAT_VERSION,
) -> dict[str, bytes]:
    """Run the period (unless ``result`` is given) and return every package file.

    ``format_version`` :data:`FORMAT_V1` writes an older package's format (to verify one).

    ``on_file(path, data)`` is called as soon as each file is final (plan and inputs before
    the run), so a caller can write them to disk while the engine works. With ``keep=False``
    only ``manifest.json`` is returned and every other file is let go of once handed over,
    which is what keeps a ten-million-distributor package out of memory.
    """
    stage = on_stage or (lambda name: None)
    if plan.compliance_course is None and inputs.training is not None:
        # Read only for a plan that names a course: a package holds the inputs its plan reads.
        inputs = replace(inputs, training=None)
    files: dict[str, bytes] = {}
    with ThreadPoolExecutor(max_workers=1) as hasher:
        # Hashing runs beside the engine and the formatting (hashlib releases the GIL).
        digests: dict[str, Future[str]] = {}

        def emit(path: str, data: bytes) -> None:
            if format_version == FORMAT_V1:
                data = _as_v1(path, data)
            digests[path] = hasher.submit(_sha, data)
            if on_file is not None:
                on_file(path, data)
            if keep:
                files[path] = data

        emit("plan.toml", canonical_plan(plan))
        disclosure = format_version not in (FORMAT_V1, FORMAT_V2)
        if disclosure and inputs.income_ytd is None:
            inputs = replace(inputs, income_ytd=empty_income_ytd())
        elif not disclosure and inputs.income_ytd is not None:
            inputs = replace(inputs, income_ytd=None)
        for path, data in _inputs_files(inputs):
            emit(path, data)
            del data
        stage("input files")
        if result is None:
            result = run_period(plan=plan, inputs=inputs, on_stage=stage)
        for path, data in _results_files(result, disclosure=(plan, inputs) if disclosure else None):
            emit(path, data)
            del data
        stage("result files")
        done = {path: future.result() for path, future in digests.items()}
    manifest = {
        "format": format_version,
        "engine": ENGINE_VERSION,
        "periodId": result.period_id,
        "planHash": "0x" + done["plan.toml"],
        "inputsHash": _group_hash(done, "inputs/"),
        "resultsHash": _group_hash(done, "results/"),
        "payoutRoot": result.payout_root,
        "payoutTotal": int(result.payout.sum()),
        "leafCount": int(result.payees.shape[0]),
        "files": {path: "0x" + done[path] for path in sorted(done)},
        "chain": {"chainId": None, "contracts": None, "anchorTx": None},
    }
    files["manifest.json"] = json_bytes(manifest)
    if on_file is not None:
        on_file("manifest.json", files["manifest.json"])
    stage("hashes and manifest")
    return files


_V1_DROPPED_KEYS = {
    "results/totals.json": ("currency", "point_value", "conversions"),
}


def _as_v1(path: str, data: bytes) -> bytes:
    """A file of the current format as format 1 wrote it."""
    if path == "inputs/orders.tbl":
        cols = read_table(data, file=path, columns=INPUT_HEADERS["orders"])
        return write_table({k: v for k, v in cols.items() if k != "currency"})
    if path == "results/lines.tbl":
        cols = read_table(data, file=path, columns=_LINES)
        return write_table({k: v for k, v in cols.items() if k != "currency"})
    if path == "results/compliance.json":
        report = json.loads(data)
        share = report["payout_pct_of_sales"]
        report["payout_pct_of_sales"] = {"by_bonus": share["by_bonus"], "overall": share["overall"]}
        return json_bytes(report)
    if path in _V1_DROPPED_KEYS:
        totals = json.loads(data)
        for key in _V1_DROPPED_KEYS[path]:
            totals.pop(key, None)
        return json_bytes(totals)
    return data


def format_of(files: Mapping[str, bytes]) -> str:
    """The package's format version (the current one when the manifest cannot say)."""
    try:
        found = json.loads(files["manifest.json"])["format"]
    except (KeyError, ValueError, TypeError):
        return FORMAT_VERSION
    return found if found in (FORMAT_V1, FORMAT_V2) else FORMAT_VERSION


def read_package(files: Mapping[str, bytes]) -> tuple[Plan, PeriodInputs]:
    """The plan and inputs of a package (not yet checked: see :func:`verify_package`)."""
    if "plan.toml" not in files:
        raise PackageError("plan.toml: missing")
    return load_plan(files["plan.toml"], source="plan.toml"), parse_inputs(files, prefix="inputs/")
