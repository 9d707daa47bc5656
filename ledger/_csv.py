"""Canonical CSV of integer (and address) columns, written and read without a per-row loop.

Canonical means: UTF-8 (ASCII in practice), ``\\n`` line ends, a header line, integers in
plain decimal (``-`` for negatives, no leading zeros, no ``+``), addresses as ``0x`` + 40
lowercase hex digits or empty, no quoting, no trailing spaces; the caller fixes the row order.
Formatting builds each field right-aligned in a byte matrix padded with NUL bytes and drops
the padding in one pass, chunk by chunk, so millions of rows take a fraction of a second.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ledger.errors import PackageError

__all__ = ["Address", "format_csv", "parse_csv"]

I64 = NDArray[np.int64]
_CHUNK = 1 << 19
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_POW10 = np.asarray([10**k for k in range(1, 20)], dtype=np.uint64)


def _quad_table() -> NDArray[np.uint32]:
    full = [f"{k:04d}".encode() for k in range(10_000)]
    lead = [f"{k:>4d}".encode().replace(b" ", b"\0") for k in range(10_000)]
    above = [b"\0\0\0\0"] * 10_000
    return np.frombuffer(b"".join(full + lead + above), dtype=np.uint32).copy()


_QUADS = _quad_table()


class Address:
    """An address column: (n, 20) bytes, and which rows have one (others stay empty)."""

    def __init__(self, raw: NDArray[np.uint8], present: NDArray[np.bool_]) -> None:
        self.raw = raw
        self.present = present


def _int_field(values: I64) -> NDArray[np.uint32]:
    """``values`` right-aligned in whole 4-byte words per row, NUL before the digits.

    Four digits per pass from a 4-byte table: full quads below the leading one, the leading
    quad without its leading zeros, nothing above it. A negative gets its sign byte after.
    """
    mag = np.abs(values)
    top = int(mag.max()) if values.shape[0] else 0
    neg = values < 0
    any_neg = bool(neg.any())
    words = max(1, (len(str(top)) + (1 if any_neg else 0) + 3) // 4)
    rest: NDArray[np.unsignedinteger[Any]] = mag.astype(np.uint64 if top >= 2**32 else np.uint32)
    lead = np.zeros(values.shape[0], dtype=np.intp)  # index of the leading quad
    for j in range(1, words):
        lead += mag >= 10 ** (4 * j)
    out = np.empty((values.shape[0], words), dtype=np.uint32)
    for j in range(words):
        quad = (rest % 10_000).astype(np.intp)
        quad += 10_000 * ((lead <= j).astype(np.intp) + (lead < j))
        out[:, words - 1 - j] = _QUADS[quad]
        if j + 1 < words:
            rest = rest // 10_000
    if any_neg:
        at = np.flatnonzero(neg)
        digits = np.searchsorted(_POW10, mag[at].astype(np.uint64), side="right") + 1
        out.view(np.uint8)[at, 4 * words - 1 - digits] = ord("-")
    return out


def _address_field(col: Address, start: int, stop: int, quote: bool) -> NDArray[np.uint8]:
    raw = col.raw[start:stop]
    q = 1 if quote else 0
    out = np.zeros((raw.shape[0], 42 + 2 * q), dtype=np.uint8)
    if quote:
        out[:, 0] = out[:, -1] = ord('"')
    out[:, q] = ord("0")
    out[:, q + 1] = ord("x")
    out[:, q + 2 : q + 42 : 2] = _HEX[raw >> 4]
    out[:, q + 3 : q + 42 : 2] = _HEX[raw & 15]
    out[~col.present[start:stop]] = 0
    return out


def format_csv(
    header: Sequence[str] | None,
    columns: Sequence[I64 | Address],
    *,
    prefix: bytes = b"",
    suffix: bytes = b"\n",
    quote_addresses: bool = False,
) -> bytes:
    """The canonical CSV text of ``columns`` (all of one length) under ``header``.

    ``prefix``/``suffix``/``quote_addresses`` let the same code write JSON rows.
    """
    n = columns[0].present.shape[0] if isinstance(columns[0], Address) else columns[0].shape[0]
    parts = [] if header is None else [(",".join(header) + "\n").encode("ascii")]
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        rows = stop - start
        # Every piece takes whole 4-byte words; NUL padding is dropped at the end.
        blocks: list[NDArray[np.uint32]] = []

        def literal(
            text: bytes, blocks: list[NDArray[np.uint32]] = blocks, rows: int = rows
        ) -> None:
            padded = text + b"\0" * (-len(text) % 4)
            word = np.frombuffer(padded, dtype=np.uint32)
            blocks.append(np.broadcast_to(word, (rows, word.shape[0])))

        if prefix:
            literal(prefix)
        for i, col in enumerate(columns):
            if i:
                literal(b",")
            if isinstance(col, Address):
                raw = _address_field(col, start, stop, quote_addresses)
                pad = -raw.shape[1] % 4
                if pad:
                    raw = np.concatenate([raw, np.zeros((rows, pad), dtype=np.uint8)], axis=1)
                blocks.append(np.ascontiguousarray(raw).view(np.uint32))
            else:
                blocks.append(_int_field(col[start:stop]))
        literal(suffix)
        flat = np.concatenate(blocks, axis=1).view(np.uint8).reshape(-1)
        parts.append(flat[flat != 0].tobytes())
    return b"".join(parts)


def parse_csv(
    data: bytes, *, file: str, header: Sequence[str], address: str | None = None
) -> dict[str, I64 | Address]:
    """Read a canonical CSV with exactly ``header``; ``address`` names the address column."""
    first, _, body = data.partition(b"\n")
    if first.decode("utf-8", "replace").strip() != ",".join(header):
        raise PackageError(f"{file}: header must be {','.join(header)!r}")
    dtype = [(name, "S42" if name == address else "i8") for name in header]
    if body.strip():
        try:
            table = np.loadtxt(io.BytesIO(body), delimiter=",", dtype=dtype, ndmin=1, comments=None)
        except ValueError as exc:
            raise PackageError(f"{file}: {exc}") from None
    else:
        table = np.zeros(0, dtype=dtype)
    out: dict[str, I64 | Address] = {}
    for name in header:
        if name != address:
            out[name] = np.ascontiguousarray(table[name], dtype=np.int64)
            continue
        text = table[name]
        present = np.char.str_len(text) > 0
        if np.any(present & (np.char.str_len(text) != 42)):
            raise PackageError(f"{file}: {name}: an address is 0x + 40 hex digits")
        chars = np.frombuffer(np.ascontiguousarray(text[present]).tobytes(), dtype=np.uint8)
        chars = chars.reshape(-1, 42)
        lookup = np.full(256, 255, dtype=np.uint8)
        lookup[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16)
        lookup[np.frombuffer(b"ABCDEF", dtype=np.uint8)] = np.arange(10, 16)
        nib = lookup[chars[:, 2:]]
        if np.any(nib == 255) or np.any(chars[:, :2] != np.frombuffer(b"0x", dtype=np.uint8)):
            raise PackageError(f"{file}: {name}: an address is 0x + 40 hex digits")
        raw = np.zeros((text.shape[0], 20), dtype=np.uint8)
        raw[present] = (nib[:, 0::2] << 4) | nib[:, 1::2]
        out[name] = Address(raw, present)
    return out
