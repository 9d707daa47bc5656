"""Payout rails: how a payout leaf is paid, and the account a bank line's leaf carries.

A period pays every line under one Merkle root, whatever the rail (docs/compensation.md#rails):

- **token** (``TOKEN``): the leaf's account is the distributor's wallet; the vault pushes the
  token to it (``payBatch``) or the distributor claims it.
- **bank** (``BANK``): the company pays by bank transfer and attests the line on chain
  (``attestBatch``). The leaf's account is a *pseudo-address* that carries no personal or bank
  data: the 6 marker bytes ``ba4cba4cba4c`` followed by the last 14 bytes of
  ``keccak256(abi.encode(uint64 periodId, uint64 distributorId))``. Anyone holding the package
  recomputes it from the period and the distributor's id; the vault tells the rails apart by the
  marker (a bank line is never pushed tokens, a token line is never attested). A real wallet
  starts with the marker with probability 2**-48.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sha3 import keccak_256

__all__ = ["BANK", "BANK_MARKER", "RAILS", "TOKEN", "bank_account", "bank_accounts", "is_bank"]

TOKEN = 0
BANK = 1
#: Rail codes as they appear in the inputs (``inputs/payees.tbl``'s ``rail``), by name.
RAILS = {"token": TOKEN, "bank": BANK}
BANK_MARKER = bytes.fromhex("ba4cba4cba4c")


def bank_account(period_id: int, distributor_id: int) -> bytes:
    """The 20-byte pseudo-address of a bank line (see above)."""
    if not (0 <= period_id < 2**64 and 0 <= distributor_id < 2**64):
        raise ValueError("period and distributor ids are uint64")
    encoded = period_id.to_bytes(32, "big") + distributor_id.to_bytes(32, "big")
    digest: bytes = keccak_256(encoded).digest()
    return BANK_MARKER + digest[-14:]


def bank_accounts(period_id: int, distributor_ids: NDArray[np.int64]) -> NDArray[np.uint8]:
    """``bank_account`` for each id, as an ``(n, 20)`` byte array."""
    out = np.zeros((distributor_ids.shape[0], 20), dtype=np.uint8)
    for row, did in enumerate(distributor_ids.tolist()):
        out[row] = np.frombuffer(bank_account(period_id, int(did)), dtype=np.uint8)
    return out


def is_bank(account: bytes) -> bool:
    """True when a 20-byte leaf account is a bank line's pseudo-address."""
    return len(account) == 20 and account[:6] == BANK_MARKER
