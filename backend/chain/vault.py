"""The `PayoutVault` binding's reads: which payout lines are paid, and a period's paid total."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from backend.chain.client import ChainClient


class Vault:
    def __init__(self, client: ChainClient, address: str) -> None:
        self._client = client
        self.contract = client.binding("PayoutVault", address)

    def paid_flags(self, period_id: int, indices: Sequence[int]) -> list[bool]:
        """Paid flags of many lines, read a 256-line `paidBitmap` word at a time (a 100,000-line
        period is 391 reads, 500 to a JSON-RPC batch), in the order of `indices`."""
        wanted = sorted({index >> 8 for index in indices})
        words: dict[int, int] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]

            def read(chunk: Sequence[int] = chunk) -> list[Any]:
                with self._client.w3.batch_requests() as batch:
                    for word in chunk:
                        batch.add(self.contract.functions.paidBitmap(period_id, word))
                    return list(batch.execute())

            words.update(zip(chunk, (int(value) for value in self._client.run(read)), strict=True))
        return [bool(words[index >> 8] >> (index & 0xFF) & 1) for index in indices]

    def paid_total_of(self, period_id: int) -> int:
        return int(self._client.run(lambda: self.contract.functions.paidTotalOf(period_id).call()))
