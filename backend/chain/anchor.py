"""The `PeriodAnchor` binding's reads: the latest anchored period and a period's payout terms."""

from __future__ import annotations

from backend.chain.chain_types import PayoutTerms, Reverted
from backend.chain.client import ChainClient, hex_str


class Anchor:
    def __init__(self, client: ChainClient, address: str) -> None:
        self._client = client
        self.contract = client.binding("PeriodAnchor", address)

    def latest_period_id(self) -> int:
        return int(self._client.run(lambda: self.contract.functions.latestPeriodId().call()))

    def payout_terms_of(self, period_id: int) -> PayoutTerms | None:
        try:
            raw = self._client.run(lambda: self.contract.functions.payoutTermsOf(period_id).call())
        except Reverted as exc:
            if exc.error_name == "PeriodNotAnchored":
                return None
            raise
        root, total, leaf_count, anchored_at = raw
        return PayoutTerms(hex_str(root), int(total), int(leaf_count), int(anchored_at))
