"""Read-only chain queries for the audit: every event of the three contracts, by period.

Built on the gateway's public pieces (`ChainGateway` for identity checks and the reads it
already has, `load_abi` for the contracts' ABIs, its error types); the event scans and the
package commitment reads the gateway does not offer live here. Nothing here signs or sends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from requests.exceptions import RequestException
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError

from backend.chain.deployment import Deployment
from backend.chain.gateway import (
    ARTIFACTS,
    ChainError,
    ChainGateway,
    ChainPlacement,
    ChainUnavailable,
    PayoutTerms,
)

__all__ = [
    "AnchorRecord",
    "AttestBatch",
    "AuditReader",
    "BatchPayment",
    "ChainTransaction",
    "DecodedLog",
    "LineAttestation",
    "LinePayment",
    "PaymentEvents",
    "PlacedEvent",
]

T = TypeVar("T")
#: Blocks per eth_getLogs request: public nodes cap the range a single query may cover.
LOG_CHUNK = 50_000


@dataclass(frozen=True)
class PlacedEvent:
    id: int
    sponsor: int
    parent: int
    position: int
    block: int
    tx_hash: str


@dataclass(frozen=True)
class AnchorRecord:
    period_id: int
    payout_root: str
    total: int
    leaf_count: int
    inputs_hash: str
    plan_hash: str
    results_hash: str
    block: int
    tx_hash: str


@dataclass(frozen=True)
class BatchPayment:
    indices: tuple[int, ...]
    amount: int
    block: int
    tx_hash: str


@dataclass(frozen=True)
class LinePayment:
    """One line in a `Paid` (a claim) or `PaymentFailed` event."""

    index: int
    account: str
    amount: int
    block: int
    tx_hash: str


@dataclass(frozen=True)
class LineAttestation:
    """One bank line of a `BatchAttested` event: paid by bank transfer, `ref` its payment
    reference (keccak of the company's salt and the bank document)."""

    period_id: int
    index: int
    ref: str
    block: int
    tx_hash: str


@dataclass(frozen=True)
class AttestBatch:
    """One `BatchAttested` event: the bank lines it attested, their references (same order)
    and the sum of their amounts as the vault counted it."""

    period_id: int
    indices: tuple[int, ...]
    refs: tuple[str, ...]
    amount: int
    block: int
    tx_hash: str


@dataclass(frozen=True)
class PaymentEvents:
    batches: tuple[BatchPayment, ...]
    claims: tuple[LinePayment, ...]
    failed: tuple[LinePayment, ...]
    skipped: tuple[int, ...]
    #: Bank lines attested (`BatchAttested`), one per line, in chain order.
    attestations: tuple[LineAttestation, ...] = ()
    #: The same attestations as their `BatchAttested` events (with each batch's amount).
    attest_batches: tuple[AttestBatch, ...] = ()


@dataclass(frozen=True)
class DecodedLog:
    """One log of a receipt; `contract` and `event` are None when no known ABI decodes it."""

    index: int
    address: str
    contract: str | None
    event: str | None
    args: tuple[tuple[str, str], ...]
    topics: tuple[str, ...]
    data: str


@dataclass(frozen=True)
class ChainTransaction:
    """A transaction and, once mined, its receipt (`status` 1 = success, 0 = reverted)."""

    tx_hash: str
    block: int | None
    sender: str
    to: str | None
    to_contract: str | None
    value: int
    nonce: int
    gas_limit: int
    gas_used: int | None
    status: int | None
    logs: tuple[DecodedLog, ...]


class AuditReader:
    """The audit's view of one deployment on one node."""

    def __init__(
        self,
        rpc_url: str,
        deployment: Deployment,
        *,
        artifacts: Path = ARTIFACTS,
        request_timeout: float = 30.0,
        gateway: ChainGateway | None = None,
    ) -> None:
        self.rpc_url = rpc_url
        self.deployment = deployment
        self.gateway = gateway or ChainGateway(
            rpc_url, deployment, artifacts=artifacts, request_timeout=request_timeout
        )
        self._bind()

    @classmethod
    def on(cls, gateway: ChainGateway) -> AuditReader:
        """A reader on an existing gateway's client (the app's, built once)."""
        return cls(gateway.rpc_url, gateway.deployment, gateway=gateway)

    def _bind(self) -> None:
        addresses = self.deployment.contracts
        self._registry = self.gateway.binding("GenealogyRegistry", addresses.GenealogyRegistry)
        self._anchor = self.gateway.binding("PeriodAnchor", addresses.PeriodAnchor)
        self._vault = self.gateway.binding("PayoutVault", addresses.PayoutVault)

    # -- identity ---------------------------------------------------------------------------

    def check(self) -> int:
        """The chain id, after checking the node is the deployment's chain with its registry."""
        self.gateway.check()
        return self.gateway.chain_id()

    # -- genealogy --------------------------------------------------------------------------

    def placed_events(self, distributor_id: int | None = None) -> list[PlacedEvent]:
        """Every `Placed` event since deployment, in chain order (the root's included); only
        one distributor's (the event's indexed `id`) when `distributor_id` is given."""
        filters = None if distributor_id is None else {"id": distributor_id}
        logs = self._logs(self._registry.events.Placed, filters)
        return [
            PlacedEvent(
                id=int(log["args"]["id"]),
                sponsor=int(log["args"]["sponsor"]),
                parent=int(log["args"]["parent"]),
                position=int(log["args"]["position"]),
                block=int(log["blockNumber"]),
                tx_hash=_hex(log["transactionHash"]),
            )
            for log in logs
        ]

    def placements_of(self, ids: Sequence[int]) -> list[ChainPlacement | None]:
        return self.gateway.placements_of(ids)

    # -- anchors ----------------------------------------------------------------------------

    def payout_terms_of(self, period_id: int) -> PayoutTerms | None:
        return self.gateway.payout_terms_of(period_id)

    def matches_package(
        self, period_id: int, inputs_hash: str, plan_hash: str, results_hash: str
    ) -> bool:
        call = self._anchor.functions.matchesPackage(
            period_id, _b32(inputs_hash), _b32(plan_hash), _b32(results_hash)
        )
        return bool(self._read(call.call))

    def package_commitment_of(self, period_id: int) -> str:
        return _hex(self._read(self._anchor.functions.packageCommitmentOf(period_id).call))

    def anchored_events(self, period_id: int | None = None) -> list[AnchorRecord]:
        filters = None if period_id is None else {"periodId": period_id}
        return [
            AnchorRecord(
                period_id=int(log["args"]["periodId"]),
                payout_root=_hex(log["args"]["payoutRoot"]),
                total=int(log["args"]["total"]),
                leaf_count=int(log["args"]["leafCount"]),
                inputs_hash=_hex(log["args"]["inputsHash"]),
                plan_hash=_hex(log["args"]["planHash"]),
                results_hash=_hex(log["args"]["resultsHash"]),
                block=int(log["blockNumber"]),
                tx_hash=_hex(log["transactionHash"]),
            )
            for log in self._logs(self._anchor.events.PeriodAnchored, filters)
        ]

    # -- payouts ----------------------------------------------------------------------------

    def payment_events(self, period_id: int) -> PaymentEvents:
        """`BatchPaid`, `Paid`, `PaymentFailed`, `PaymentSkipped` and `BatchAttested` of one
        period."""
        events = self._vault.events
        wanted = {"periodId": period_id}
        batches = tuple(
            BatchPayment(
                indices=tuple(int(i) for i in log["args"]["indices"]),
                amount=int(log["args"]["amount"]),
                block=int(log["blockNumber"]),
                tx_hash=_hex(log["transactionHash"]),
            )
            for log in self._logs(events.BatchPaid, wanted)
        )
        claims = tuple(_line_payment(log) for log in self._logs(events.Paid, wanted))
        failed = tuple(_line_payment(log) for log in self._logs(events.PaymentFailed, wanted))
        skipped = tuple(
            int(log["args"]["index"]) for log in self._logs(events.PaymentSkipped, wanted)
        )
        attest_batches = tuple(self.attest_batches(period_id))
        return PaymentEvents(
            batches=batches,
            claims=claims,
            failed=failed,
            skipped=skipped,
            attestations=tuple(_lines_of(attest_batches)),
            attest_batches=attest_batches,
        )

    def attest_batches(self, period_id: int | None = None) -> list[AttestBatch]:
        """Every `BatchAttested` event (of one period when `period_id` is given), in chain
        order."""
        filters = None if period_id is None else {"periodId": period_id}
        return [
            AttestBatch(
                period_id=int(log["args"]["periodId"]),
                indices=tuple(int(i) for i in log["args"]["indices"]),
                refs=tuple(_hex(ref) for ref in log["args"]["refs"]),
                amount=int(log["args"]["amount"]),
                block=int(log["blockNumber"]),
                tx_hash=_hex(log["transactionHash"]),
            )
            for log in self._logs(self._vault.events.BatchAttested, filters)
        ]

    def attested_lines(self, period_id: int | None = None) -> list[LineAttestation]:
        """Every bank line attested by a `BatchAttested` event (of one period when
        `period_id` is given), in chain order, each with its reference and transaction."""
        return _lines_of(self.attest_batches(period_id))

    def paid_total_of(self, period_id: int) -> int:
        return self.gateway.paid_total_of(period_id)

    def paid_flags(self, period_id: int, indices: Sequence[int]) -> list[bool]:
        return self.gateway.paid_flags(period_id, indices)

    # -- one transaction ------------------------------------------------------------------

    def transaction(self, tx_hash: str) -> ChainTransaction | None:
        """The transaction and its receipt, each log decoded by the deployment's contracts'
        ABIs (the token's too) where one fits; None when the node does not know the hash."""
        w3 = self.gateway.w3
        try:
            tx = self._read(lambda: w3.eth.get_transaction(tx_hash))  # type: ignore[arg-type]
        except ChainError as exc:
            if isinstance(exc.__cause__, TransactionNotFound):
                return None
            raise
        receipt: Any = None
        try:
            receipt = self._read(lambda: w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
        except ChainError as exc:
            if not isinstance(exc.__cause__, TransactionNotFound):
                raise
        known = self._known_contracts()
        to = tx.get("to")
        logs = () if receipt is None else tuple(_decode(log, known) for log in receipt["logs"])
        return ChainTransaction(
            tx_hash=_hex(tx["hash"]),
            block=None if tx.get("blockNumber") is None else int(tx["blockNumber"]),
            sender=str(tx["from"]),
            to=None if to is None else str(to),
            to_contract=None if to is None else known.get(str(to).lower(), (None, None))[0],
            value=int(tx.get("value", 0)),
            nonce=int(tx["nonce"]),
            gas_limit=int(tx["gas"]),
            gas_used=None if receipt is None else int(receipt["gasUsed"]),
            status=None if receipt is None else int(receipt["status"]),
            logs=logs,
        )

    def _known_contracts(self) -> dict[str, tuple[str, Any]]:
        contracts = self.deployment.contracts
        token = self.gateway.binding("BlacklistableTestUSD", contracts.PayoutToken)
        return {
            contracts.GenealogyRegistry.lower(): ("GenealogyRegistry", self._registry),
            contracts.PeriodAnchor.lower(): ("PeriodAnchor", self._anchor),
            contracts.PayoutVault.lower(): ("PayoutVault", self._vault),
            contracts.PayoutToken.lower(): ("PayoutToken", token),
        }

    # -- plumbing ---------------------------------------------------------------------------

    def _logs(self, event: Any, filters: dict[str, Any] | None) -> list[Any]:
        start = self.deployment.deploymentBlock
        latest = int(self._read(lambda: self.gateway.w3.eth.block_number))
        logs: list[Any] = []
        while start <= latest:
            end = min(latest, start + LOG_CHUNK - 1)

            def fetch(start: int = start, end: int = end) -> list[Any]:
                return list(
                    event.get_logs(from_block=start, to_block=end, argument_filters=filters)
                )

            logs.extend(self._read(fetch))
            start = end + 1
        logs.sort(key=lambda log: (int(log["blockNumber"]), int(log["logIndex"])))
        return logs

    def _read(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except ContractLogicError as exc:
            raise ChainError(f"a read reverted: {exc}") from exc
        except (RequestException, ConnectionError, OSError) as exc:
            raise ChainUnavailable(f"chain node {self.rpc_url} unreachable: {exc}") from exc
        except Web3RPCError as exc:
            raise ChainError(f"node refused: {exc}") from exc


def _b32(value: str) -> bytes:
    text = value[2:] if value.startswith("0x") else value
    data = bytes.fromhex(text)
    if len(data) != 32:
        raise ValueError(f"not a 32-byte hash: {value}")
    return data


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text if text.startswith("0x") else "0x" + text


def _lines_of(batches: Sequence[AttestBatch]) -> list[LineAttestation]:
    return [
        LineAttestation(batch.period_id, index, ref, batch.block, batch.tx_hash)
        for batch in batches
        for index, ref in zip(batch.indices, batch.refs, strict=True)
    ]


def _line_payment(log: Any) -> LinePayment:
    return LinePayment(
        index=int(log["args"]["index"]),
        account=str(log["args"]["account"]),
        amount=int(log["args"]["amount"]),
        block=int(log["blockNumber"]),
        tx_hash=_hex(log["transactionHash"]),
    )


def _decode(log: Any, known: dict[str, tuple[str, Any]]) -> DecodedLog:
    address = str(log["address"])
    name, binding = known.get(address.lower(), (None, None))
    event: str | None = None
    args: tuple[tuple[str, str], ...] = ()
    if binding is not None:
        for abi in binding.abi:
            if abi.get("type") != "event":
                continue
            try:
                decoded = binding.events[abi["name"]]().process_log(log)
            except Exception:  # noqa: BLE001, S112 - not this event: try the next
                continue
            event = str(decoded["event"])
            args = tuple((key, _text(value)) for key, value in decoded["args"].items())
            break
    return DecodedLog(
        index=int(log["logIndex"]),
        address=address,
        contract=name,
        event=event,
        args=args,
        topics=tuple(_hex(topic) for topic in log["topics"]),
        data=_hex(log["data"]),
    )


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return _hex(value)
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    return str(value)
