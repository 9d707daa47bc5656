"""Reading LEAVES.json: a JSON array of `[periodId, index, "0xaccount", amount]` rows.

Amounts are integers in the token's base units (a string of decimal digits is accepted too, for
values beyond JSON-number precision). Anything else is refused with a one-line reason naming the
row, before any tree is built.
"""

from __future__ import annotations

import json
from pathlib import Path

from sha3 import keccak_256

from ledger.errors import MerkleError
from ledger.merkle import PayoutLeaf

__all__ = ["LeavesFileError", "is_checksum_address", "parse_leaves", "read_leaves"]


class LeavesFileError(ValueError):
    """LEAVES.json cannot be used; the message says why, in one line."""


def read_leaves(path: Path) -> list[PayoutLeaf]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LeavesFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LeavesFileError(f"{path}: cannot read: {exc}") from None
    if not text.strip():
        raise LeavesFileError(f"{path}: the file is empty")
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LeavesFileError(f"{path}: not JSON: {exc.msg} at line {exc.lineno}") from None
    try:
        return parse_leaves(rows)
    except LeavesFileError as exc:
        raise LeavesFileError(f"{path}: {exc}") from None


def is_checksum_address(account: str) -> bool:
    """EIP-55: a hex letter is upper case exactly where the keccak of the lower-case address has
    a nibble of 8 or more. Written here rather than imported from eth_utils, whose import (web3's
    pydantic models included) would triple the start-up time of `lineage merkle`."""
    if len(account) != 42 or account[:2] != "0x":
        return False
    body = account[2:]
    try:
        bytes.fromhex(body)
    except ValueError:
        return False
    digest = keccak_256(body.lower().encode("ascii")).hexdigest()
    expected = "".join(
        char.upper() if int(nibble, 16) >= 8 else char
        for char, nibble in zip(body.lower(), digest, strict=False)
    )
    return body == expected


def parse_leaves(rows: object) -> list[PayoutLeaf]:
    if not isinstance(rows, list):
        raise LeavesFileError("expected a JSON array of [periodId, index, account, amount] rows")
    if not rows:
        raise LeavesFileError("no leaves: the array is empty")
    leaves: list[PayoutLeaf] = []
    seen: set[int] = set()
    for number, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != 4:
            raise LeavesFileError(f"row {number}: expected [periodId, index, account, amount]")
        period_id, index, account, amount = row
        if isinstance(amount, str) and amount.isdigit() and amount.isascii():
            amount = int(amount)
        if (
            isinstance(account, str)
            and account[2:].lower() != account[2:]
            and account[2:].upper() != account[2:]
            and not is_checksum_address(account)
        ):
            raise LeavesFileError(f"row {number}: account {account} fails its EIP-55 checksum")
        try:
            leaf = PayoutLeaf(period_id=period_id, index=index, account=account, amount=amount)
        except MerkleError as exc:
            raise LeavesFileError(f"row {number}: {exc}") from None
        if leaf.index in seen:
            raise LeavesFileError(f"row {number}: duplicate index {leaf.index}")
        seen.add(leaf.index)
        leaves.append(leaf)
    return leaves
