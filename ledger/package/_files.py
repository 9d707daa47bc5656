"""Writing and reading the package files (see ``ledger.package`` for the layout)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ledger._csv import Address, format_csv, parse_csv
from ledger._table import read_table, write_table
from ledger.engine import PeriodResult, run_period
from ledger.errors import PackageError
from ledger.inputs import Genealogy, Orders, PeriodInputs, Returns, State
from ledger.plan import BONUS_TYPES, Plan, canonical_plan, load_plan

__all__ = [
    "ENGINE_VERSION",
    "FORMAT_VERSION",
    "INPUT_HEADERS",
    "TABLE_COLUMNS",
    "build_package",
    "inputs_csv_files",
    "inputs_files",
    "json_bytes",
    "parse_inputs",
    "read_package",
]

FORMAT_VERSION = "lineage-period-package/1"
ENGINE_VERSION = "lineage-engine/0.1.0"
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
    ),
    "returns": ("return_id", "distributor", "amount"),
    "state": ("id", "carry_left", "carry_right", "balance", "achieved_rank", "matrix_done"),
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
_LINES = ("bonus", "source", "level", "payee", "base", "rate", "gross", "amount", "breakage")
_PAYEES = ("id", "earned", "clawback", "balance_in", "payout", "balance_out", "leaf_index")
TABLE_COLUMNS = {
    "inputs/distributors.tbl": _DIST_TABLE,
    "inputs/orders.tbl": INPUT_HEADERS["orders"],
    "inputs/returns.tbl": INPUT_HEADERS["returns"],
    "inputs/state.tbl": INPUT_HEADERS["state"],
    "results/distributors.tbl": _RESULT_DISTRIBUTORS,
    "results/lines.tbl": _LINES,
    "results/payees.tbl": _PAYEES,
    "results/state.tbl": INPUT_HEADERS["state"],
}


def json_bytes(value: Any) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digests(files: Mapping[str, bytes]) -> dict[str, str]:
    """SHA-256 of every file; big files on two threads (hashlib releases the GIL)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(files, pool.map(_sha, files.values()), strict=True))


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
    return {
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
        "state": {f: getattr(s, f)[si] for f in INPUT_HEADERS["state"]},
    }


def _periodjson_bytes(inputs: PeriodInputs) -> bytes:
    return json_bytes(
        {"period_id": inputs.period_id, "start_day": inputs.start_day, "end_day": inputs.end_day}
    )


def inputs_files(inputs: PeriodInputs) -> dict[str, bytes]:
    """The canonical ``inputs/`` files of a package."""
    files = {"inputs/period.json": _periodjson_bytes(inputs)}
    for name, cols in _input_columns(inputs).items():
        files[f"inputs/{name}.tbl"] = write_table(cols)
    return files


def inputs_csv_files(inputs: PeriodInputs) -> dict[str, bytes]:
    """The same inputs as an input directory of canonical CSV files (for people and tools)."""
    files = {"period.json": _periodjson_bytes(inputs)}
    for name, cols in _input_columns(inputs).items():
        if name == "distributors":
            wallet = Address(cols.pop("wallet"), cols.pop("has_wallet").astype(np.bool_))
            cols["wallet"] = wallet
        files[f"{name}.csv"] = format_csv(
            INPUT_HEADERS[name], [cols[c] for c in INPUT_HEADERS[name]]
        )
    return files


def parse_inputs(files: Mapping[str, bytes], *, prefix: str = "") -> PeriodInputs:
    """Period inputs from ``<prefix>period.json`` and, per table, ``<prefix><name>.tbl`` or
    ``.csv``; ``returns`` and ``state`` may be absent (nothing to claw back or carry)."""
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
        if tbl in files:
            cols: dict[str, Any] = dict(
                read_table(
                    files[tbl],
                    file=tbl,
                    columns=_DIST_TABLE if name == "distributors" else INPUT_HEADERS[name],
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
                    header=INPUT_HEADERS[name],
                    address="wallet" if name == "distributors" else None,
                )
            )
            if name == "distributors":
                wallet = cols.pop("wallet")
                assert isinstance(wallet, Address)
                cols["wallet"], cols["has_wallet"] = wallet.raw, wallet.present
            return cols
        if name in ("returns", "state"):
            return {c: np.zeros(0, dtype=np.int64) for c in INPUT_HEADERS[name]}
        raise PackageError(f"{csv}: missing")

    return PeriodInputs(
        period_id=period_id,
        start_day=start,
        end_day=end,
        genealogy=Genealogy(**table("distributors")),
        orders=Orders(**table("orders")),
        returns=Returns(**table("returns")),
        state=State(**table("state")),
    )


def _results_files(result: PeriodResult) -> dict[str, bytes]:
    ids = result.ids
    ext = np.concatenate([np.zeros(1, dtype=np.int64), ids])  # dense -1 -> id 0 (nobody)
    line_cols: list[list[I64]] = [[] for _ in _LINES]
    for b in result.lines:
        cols = [
            np.full(len(b), b.bonus, dtype=np.int64),
            ext[b.source + 1],
            b.level,
            ext[b.payee + 1],
            b.base,
            b.rate,
            b.gross,
            b.amount,
            b.gross - b.amount,
        ]
        for acc, col in zip(line_cols, cols, strict=True):
            acc.append(col)
    lines = dict(zip(_LINES, line_cols, strict=True))
    leaf_index = np.full(ids.shape[0], -1, dtype=np.int64)
    leaf_index[result.payees] = np.arange(result.payees.shape[0])
    keep = np.flatnonzero(
        (result.earned != 0)
        | (result.clawback != 0)
        | (result.balance_in != 0)
        | (result.payout != 0)
        | (result.balance_out != 0)
    )
    state_cols = {
        "carry_left": result.carry_left,
        "carry_right": result.carry_right,
        "balance": result.balance_out,
        "achieved_rank": result.achieved_rank,
        "matrix_done": result.matrix_done,
    }
    nonzero = np.zeros(ids.shape[0], dtype=np.bool_)
    for col in state_cols.values():
        nonzero |= col != 0
    carry = np.flatnonzero(nonzero)
    leaves = result.payees
    leaf_rows = (
        format_csv(
            None,
            [
                np.full(leaves.shape[0], result.period_id, dtype=np.int64),
                np.arange(leaves.shape[0], dtype=np.int64),
                Address(result.wallet[leaves], np.ones(leaves.shape[0], dtype=np.bool_)),
                result.payout[leaves],
            ],
            prefix=b"  [",
            suffix=b"],\n",
            quote_addresses=True,
        )
        if leaves.shape[0]
        else b""
    )
    leaves_json = b"[\n" + leaf_rows[:-2] + b"\n]\n" if leaves.shape[0] else b"[]\n"
    totals = dict(result.totals)
    totals["bonus_codes"] = {name: i + 1 for i, name in enumerate(BONUS_TYPES)}
    per_distributor = dict(
        zip(
            _RESULT_DISTRIBUTORS,
            [
                ids,
                result.pv,
                result.cv,
                result.retail_pv,
                result.gv,
                result.left_volume,
                result.right_volume,
                result.active.astype(np.int64),
                result.paid_rank,
                result.achieved_rank,
                result.threshold.astype(np.int64),
                result.earned,
            ],
            strict=True,
        )
    )
    payees = dict(
        zip(
            _PAYEES,
            [
                ids[keep],
                result.earned[keep],
                result.clawback[keep],
                result.balance_in[keep],
                result.payout[keep],
                result.balance_out[keep],
                leaf_index[keep],
            ],
            strict=True,
        )
    )
    return {
        "results/distributors.tbl": write_table(per_distributor),
        "results/lines.tbl": write_table(lines),
        "results/payees.tbl": write_table(payees),
        "results/state.tbl": write_table(
            {"id": ids[carry], **{k: v[carry] for k, v in state_cols.items()}}
        ),
        "results/leaves.json": leaves_json,
        "results/totals.json": json_bytes(totals),
        "results/compliance.json": json_bytes(result.compliance),
    }


def build_package(
    *,
    plan: Plan,
    inputs: PeriodInputs,
    result: PeriodResult | None = None,
    on_stage: Callable[[str], None] | None = None,
    on_file: Callable[[str, bytes], None] | None = None,
) -> dict[str, bytes]:
    """Run the period (unless ``result`` is given) and return every package file.

    ``on_file(path, data)`` is called as soon as each file is final (plan and inputs before
    the run), so a caller can write them to disk while the engine works.
    """
    stage = on_stage or (lambda name: None)
    emit = on_file or (lambda path, data: None)
    files = {"plan.toml": canonical_plan(plan)}
    files.update(inputs_files(inputs))
    for path in sorted(files):
        emit(path, files[path])
    stage("input files")
    if result is None:
        result = run_period(plan=plan, inputs=inputs, on_stage=stage)
    results = _results_files(result)
    for path in sorted(results):
        emit(path, results[path])
    files.update(results)
    stage("result files")
    digests = _digests(files)
    manifest = {
        "format": FORMAT_VERSION,
        "engine": ENGINE_VERSION,
        "periodId": result.period_id,
        "planHash": "0x" + digests["plan.toml"],
        "inputsHash": _group_hash(digests, "inputs/"),
        "resultsHash": _group_hash(digests, "results/"),
        "payoutRoot": result.payout_root,
        "payoutTotal": int(result.payout.sum()),
        "leafCount": int(result.payees.shape[0]),
        "files": {path: "0x" + digests[path] for path in sorted(files)},
        "chain": {"chainId": None, "contracts": None, "anchorTx": None},
    }
    files["manifest.json"] = json_bytes(manifest)
    emit("manifest.json", files["manifest.json"])
    stage("hashes and manifest")
    return files


def read_package(files: Mapping[str, bytes]) -> tuple[Plan, PeriodInputs]:
    """The plan and inputs of a package (not yet checked: see :func:`verify_package`)."""
    if "plan.toml" not in files:
        raise PackageError("plan.toml: missing")
    return load_plan(files["plan.toml"], source="plan.toml"), parse_inputs(files, prefix="inputs/")
