"""Period anchors, payout batches and the vault's token, on chain (web3 stays in backend/chain).

Signing goes through the gateway's local key with a nonce the caller (the one writer) passes,
so a transaction's hash is known and stored before it is broadcast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak
from web3 import Web3

from backend.chain.gateway import TX_GAS_CAP, ChainGateway, SignedTx
from ledger.merkle import MultiProof

_ANCHOR_ARGS = ["uint64", "bytes32", "uint256", "uint32", "bytes32", "bytes32", "bytes32"]
_ANCHOR_SELECTOR = keccak(text=f"anchor({','.join(_ANCHOR_ARGS)})")[:4]
_PAY_ARGS = ["uint64", "(uint32,address,uint256)[]", "bytes32[]", "bool[]"]
_PAY_SELECTOR = keccak(text=f"payBatch({','.join(_PAY_ARGS)})")[:4]
_ATTEST_ARGS = ["uint64", "(uint32,address,uint256)[]", "bytes32[]", "bytes32[]", "bool[]"]
_ATTEST_SELECTOR = keccak(text=f"attestBatch({','.join(_ATTEST_ARGS)})")[:4]
_MINT_SELECTOR = keccak(text="mint(address,uint256)")[:4]
ANCHOR_GAS = 400_000
MINT_GAS = 150_000
# A fresh recipient's transfer, the paid bit and the multiproof: 300 lines fit under the cap.
PAY_GAS_BASE = 150_000
PAY_GAS_PER_LINE = 50_000
MAX_PAY_BATCH = 300
# No transfer: the leaf, the multiproof's share, the paid bit (a fresh bitmap word is 22,100)
# and 64 bytes of event data; bench/gas.py measures 6,693 a line over a 10,000-line period,
# a line alone in a fresh word ~28,000.
ATTEST_GAS_BASE = 150_000
ATTEST_GAS_PER_LINE = 30_000
MAX_ATTEST_BATCH = 300


@dataclass(frozen=True)
class AnchorTerms:
    period_id: int
    payout_root: str
    total: int
    leaf_count: int
    inputs_hash: str
    plan_hash: str
    results_hash: str


@dataclass
class AttestOutcome:
    """What an `attestBatch` receipt says: the lines attested now, each with its payment
    reference (same positions), and those attested or paid before (skipped)."""

    attested: list[int] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    amount: int = 0


@dataclass
class BatchOutcome:
    """What a `payBatch` receipt says, leaf by leaf."""

    paid: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def _b32(value: str) -> bytes:
    raw = bytes.fromhex(value[2:] if value.startswith("0x") else value)
    if len(raw) != 32:
        raise ValueError(f"not a 32-byte hash: {value}")
    return raw


class PayoutChain:
    """The anchor, the vault and its token, through one gateway."""

    def __init__(self, gateway: ChainGateway) -> None:
        self.gateway = gateway
        contracts = gateway.deployment.contracts
        self.anchor_address = Web3.to_checksum_address(contracts.PeriodAnchor)
        self.vault_address = Web3.to_checksum_address(contracts.PayoutVault)
        self.token_address = Web3.to_checksum_address(contracts.PayoutToken)
        self._vault = gateway.binding("PayoutVault", self.vault_address)
        self._anchor = gateway.binding("PeriodAnchor", self.anchor_address)
        self._token = gateway.binding("BlacklistableTestUSD", self.token_address)

    @property
    def deployed_chain_id(self) -> int:
        """The chain id of the deployment record (no node round trip)."""
        return self.gateway.deployment.chainId

    # -- transactions ---------------------------------------------------------------------

    def sign_anchor(self, terms: AnchorTerms, *, nonce: int) -> SignedTx:
        body = abi_encode(
            _ANCHOR_ARGS,
            [
                terms.period_id,
                _b32(terms.payout_root),
                terms.total,
                terms.leaf_count,
                _b32(terms.inputs_hash),
                _b32(terms.plan_hash),
                _b32(terms.results_hash),
            ],
        )
        return self._sign(self.anchor_address, _ANCHOR_SELECTOR + body, ANCHOR_GAS, nonce)

    def sign_pay_batch(self, period_id: int, proof: MultiProof, *, nonce: int) -> SignedTx:
        lines = [
            (leaf.index, Web3.to_checksum_address(leaf.account), leaf.amount)
            for leaf in proof.leaves
        ]
        if not lines or len(lines) > MAX_PAY_BATCH:
            raise ValueError(f"a payout batch holds 1..{MAX_PAY_BATCH} lines, not {len(lines)}")
        body = abi_encode(
            _PAY_ARGS, [period_id, lines, [bytes(p) for p in proof.proof], list(proof.proof_flags)]
        )
        data = _PAY_SELECTOR + body
        return self._sign(self.vault_address, data, self._pay_gas(len(lines)), nonce)

    def sign_attest_batch(
        self, period_id: int, proof: MultiProof, refs: Sequence[str | bytes], *, nonce: int
    ) -> SignedTx:
        """An `attestBatch` of the multiproof's leaves (bank lines), `refs[i]` the payment
        reference of `proof.leaves[i]`. Refused here, before signing, when the counts differ or
        a reference is not 32 non-zero bytes (the vault would revert)."""
        lines = [
            (leaf.index, Web3.to_checksum_address(leaf.account), leaf.amount)
            for leaf in proof.leaves
        ]
        if not lines or len(lines) > MAX_ATTEST_BATCH:
            raise ValueError(
                f"an attestation batch holds 1..{MAX_ATTEST_BATCH} lines, not {len(lines)}"
            )
        if len(refs) != len(lines):
            raise ValueError(f"{len(lines)} lines need {len(lines)} references, not {len(refs)}")
        raw_refs = [ref if isinstance(ref, bytes) else _b32(ref) for ref in refs]
        for leaf, raw in zip(proof.leaves, raw_refs, strict=True):
            if len(raw) != 32 or not any(raw):
                raise ValueError(f"line {leaf.index}: a payment reference is 32 non-zero bytes")
        body = abi_encode(
            _ATTEST_ARGS,
            [
                period_id,
                lines,
                raw_refs,
                [bytes(p) for p in proof.proof],
                list(proof.proof_flags),
            ],
        )
        data = _ATTEST_SELECTOR + body
        return self._sign(self.vault_address, data, self._attest_gas(len(lines)), nonce)

    def _attest_gas(self, count: int) -> int:
        """A fixed budget per line, as `_pay_gas`."""
        return min(TX_GAS_CAP, ATTEST_GAS_BASE + ATTEST_GAS_PER_LINE * count)

    def _pay_gas(self, count: int) -> int:
        """A fixed budget per line (no `eth_estimateGas`: on Ganache it takes longer than the
        batch itself); a batch the vault refuses reverts and is replayed for its reason."""
        return min(TX_GAS_CAP, PAY_GAS_BASE + PAY_GAS_PER_LINE * count)

    def sign_mint_to_vault(self, amount: int, *, nonce: int) -> SignedTx:
        body = abi_encode(["address", "uint256"], [self.vault_address, amount])
        return self._sign(self.token_address, _MINT_SELECTOR + body, MINT_GAS, nonce)

    def _sign(self, to: str, data: bytes, gas: int, nonce: int) -> SignedTx:
        return self.gateway.sign_call(to, data, gas=gas, nonce=nonce)

    # -- reads ----------------------------------------------------------------------------

    def batch_outcome(self, tx_hash: str, period_id: int) -> BatchOutcome:
        """Paid, failed and skipped leaves named by the vault's events in a mined receipt."""
        raw = self._call(lambda: self.gateway.w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
        outcome = BatchOutcome()
        events = self._vault.events
        for log in raw["logs"]:
            if Web3.to_checksum_address(log["address"]) != self.vault_address:
                continue
            for event in (events.BatchPaid(), events.PaymentFailed(), events.PaymentSkipped()):
                try:
                    args = event.process_log(log)["args"]
                except Exception:  # noqa: BLE001, S112 - another of the vault's events
                    continue
                if int(args["periodId"]) != period_id:
                    break
                if "indices" in args:
                    outcome.paid.extend(int(index) for index in args["indices"])
                elif event.event_name == "PaymentFailed":
                    outcome.failed.append(int(args["index"]))
                else:
                    outcome.skipped.append(int(args["index"]))
                break
        return outcome

    def attest_outcome(self, tx_hash: str, period_id: int) -> AttestOutcome:
        """Attested lines (with their references) and skipped lines named by the vault's
        `BatchAttested` and `PaymentSkipped` events in a mined receipt."""
        raw = self._call(lambda: self.gateway.w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
        outcome = AttestOutcome()
        events = self._vault.events
        for log in raw["logs"]:
            if Web3.to_checksum_address(log["address"]) != self.vault_address:
                continue
            for event in (events.BatchAttested(), events.PaymentSkipped()):
                try:
                    args = event.process_log(log)["args"]
                except Exception:  # noqa: BLE001, S112 - another of the vault's events
                    continue
                if int(args["periodId"]) != period_id:
                    break
                if "indices" in args:
                    outcome.attested.extend(int(index) for index in args["indices"])
                    outcome.refs.extend("0x" + bytes(ref).hex() for ref in args["refs"])
                    outcome.amount += int(args["amount"])
                else:
                    outcome.skipped.append(int(args["index"]))
                break
        return outcome

    def paid_flags(self, period_id: int, indices: Sequence[int]) -> list[bool]:
        return self.gateway.paid_flags(period_id, indices)

    def vault_balance(self) -> int:
        return int(self._call(lambda: self._token.functions.balanceOf(self.vault_address).call()))

    def balance_of(self, account: str) -> int:
        address = Web3.to_checksum_address(account)
        return int(self._call(lambda: self._token.functions.balanceOf(address).call()))

    def paid_total_of(self, period_id: int) -> int:
        return self.gateway.paid_total_of(period_id)

    def anchor_event(self, period_id: int) -> tuple[int, str] | None:
        """Block and transaction of the `PeriodAnchored` event of a period, if any."""
        logs = self._call(
            lambda: self._anchor.events.PeriodAnchored.get_logs(
                from_block=self.gateway.deployment.deploymentBlock, to_block="latest"
            )
        )
        for log in logs:
            if int(log["args"]["periodId"]) == period_id:
                return int(log["blockNumber"]), "0x" + bytes(log["transactionHash"]).hex()
        return None

    def _call(self, action: Any) -> Any:
        return self.gateway.run(action)
