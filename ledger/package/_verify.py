"""Verification: recompute a package from its own plan and inputs and compare every file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ledger._csv import Address, format_csv
from ledger._table import first_different_row
from ledger.errors import PackageError
from ledger.package._files import (
    FORMAT_V1,
    TABLE_COLUMNS,
    TABLE_COLUMNS_V1,
    build_package,
    format_of,
    json_bytes,
    read_package,
    read_package_table,
)

__all__ = ["Mismatch", "tables_as_csv", "verify_package"]


@dataclass(frozen=True)
class Mismatch:
    """A file whose recomputed bytes differ, with the first differing line or record."""

    file: str
    where: str  # "line 12" (text files, 1-based) or "record 7" (tables, 1-based)
    expected: str
    found: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.where} differs: expected {self.expected!r}, found {self.found!r}"
        )


def _first_difference(path: str, want: bytes, got: bytes, *, v1: bool) -> Mismatch:
    if path in TABLE_COLUMNS:
        try:
            row, want_row, got_row = first_different_row(
                read_package_table(want, file=path, v1=v1),
                read_package_table(got, file=path, v1=v1),
            )
            return Mismatch(path, f"record {row + 1}", want_row, got_row)
        except PackageError as exc:
            return Mismatch(path, "header", "<a valid table>", str(exc))
    size = min(len(want), len(got))
    a = np.frombuffer(want, dtype=np.uint8, count=size)
    b = np.frombuffer(got, dtype=np.uint8, count=size)
    diff = np.flatnonzero(a != b)
    at = int(diff[0]) if diff.shape[0] else size
    line = want.count(b"\n", 0, at) + 1

    def line_of(data: bytes) -> str:
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        return data[start : end if end >= 0 else len(data)].decode("utf-8", "replace")

    return Mismatch(
        path,
        f"line {line}",
        line_of(want) if at < len(want) else "<end of file>",
        line_of(got) if at < len(got) else "<end of file>",
    )


def verify_package(files: Mapping[str, bytes]) -> list[Mismatch]:
    """Recompute the package from its plan and inputs; [] when every file and hash matches.

    First every file is checked against the hash the manifest records for it, then every file
    is compared with its recomputation. The manifest's ``chain`` section is filled in after
    anchoring and is not recomputed.
    """
    problems = _against_manifest(files)
    plan, inputs = read_package(files)
    version = format_of(files)
    expected = build_package(plan=plan, inputs=inputs, format_version=version)
    for path in sorted(set(expected) | set(files)):
        want, got = expected.get(path), files.get(path)
        if path == "manifest.json" and want is not None and got is not None:
            want, got = _manifest_core(want), _manifest_core(got)
        if want is None:
            problems.append(Mismatch(path, "file", "<no such file>", "<extra file>"))
        elif got is None:
            problems.append(Mismatch(path, "file", "<file>", "<missing>"))
        elif want != got:
            problems.append(_first_difference(path, want, got, v1=version == FORMAT_V1))
    return problems


def _against_manifest(files: Mapping[str, bytes]) -> list[Mismatch]:
    """Files whose SHA-256 is not the one the manifest records (a tampered or damaged file)."""
    try:
        recorded = json.loads(files["manifest.json"])["files"]
    except (KeyError, ValueError, TypeError):
        return [Mismatch("manifest.json", "file", "<a manifest with file hashes>", "<none>")]
    problems = []
    for path in sorted(recorded):
        if path in files:
            actual = "0x" + hashlib.sha256(files[path]).hexdigest()
            if actual != recorded[path]:
                problems.append(Mismatch(path, "SHA-256", recorded[path], actual))
    return problems


def _manifest_core(data: bytes) -> bytes:
    try:
        manifest = json.loads(data)
        manifest.pop("chain", None)
        # The engine that recomputes may be newer than the one that computed: what must
        # match is every file and hash it names, not the version string.
        manifest.pop("engine", None)
    except (ValueError, AttributeError):
        return data
    return json_bytes(manifest)


def tables_as_csv(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """Every ``.tbl`` of a package as canonical CSV (same path, ``.csv``); addresses as 0x."""
    out: dict[str, bytes] = {}
    v1 = format_of(files) == FORMAT_V1
    for path in TABLE_COLUMNS_V1 if v1 else TABLE_COLUMNS:
        if path not in files:
            continue
        cells: dict[str, Any] = read_package_table(files[path], file=path, v1=v1)
        if "wallet" in cells:
            present = cells.pop("has_wallet").astype(np.bool_)
            cells["wallet"] = Address(cells.pop("wallet"), present)
        out[path[: -len(".tbl")] + ".csv"] = format_csv(list(cells), list(cells.values()))
    return out
