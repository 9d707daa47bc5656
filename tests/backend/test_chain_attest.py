"""The bank rail through `PayoutChain` on a real Ganache: an `attestBatch` signed and sent, its
outcome read back from the receipt, its `BatchAttested` lines read back for the audit; a resent
batch attests nothing twice; token lines of the same period are pushed beside it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_chain_outbox import Chain, chain, chain_template

from backend.chain.audit_reads import AuditReader
from backend.chain.deployment import PayoutCurrency
from backend.chain.gateway import ChainError
from backend.chain.payouts import AnchorTerms, PayoutChain
from backend.dev.deploy import ensure_deployment
from ledger.merkle import PayoutLeaf, PayoutTree
from ledger.rails import bank_account

pytestmark = pytest.mark.chain
__all__ = ["chain", "chain_template"]  # fixtures, re-exported for pytest

ZERO = "0x" + "11" * 32


def _ref(index: int, salt: int = 0) -> str:
    return "0x" + (0xB0C0_0000 + salt * 0x10000 + index + 1).to_bytes(32, "big").hex()


def _period(count: int) -> PayoutTree:
    """Even lines to fresh wallets, odd lines bank lines of distributors 100 + i."""
    return PayoutTree(
        [
            PayoutLeaf(
                period_id=1,
                index=i,
                account=(
                    "0x" + bank_account(1, 100 + i).hex() if i % 2 else "0x" + f"{i + 1:040x}"
                ),
                amount=1_000 + i,
            )
            for i in range(count)
        ]
    )


def test_an_attest_batch_is_signed_sent_and_read_back(chain: Chain) -> None:
    gateway = chain.gateway()
    payouts = PayoutChain(gateway)
    tree = _period(40)
    bank_lines = [i for i in range(40) if i % 2]
    token_lines = [i for i in range(40) if not i % 2]
    nonce = gateway.nonce()
    terms = AnchorTerms(1, tree.root_hex, tree.total, len(tree), ZERO, ZERO, ZERO)
    for signed in (
        payouts.sign_anchor(terms, nonce=nonce),
        payouts.sign_mint_to_vault(tree.total, nonce=nonce + 1),
    ):
        assert gateway.wait_receipt(gateway.broadcast(signed)).succeeded

    first = tree.multiproof(bank_lines[:10])
    refs = [_ref(leaf.index) for leaf in first.leaves]
    first_receipt = gateway.wait_receipt(
        gateway.broadcast(payouts.sign_attest_batch(1, first, refs, nonce=gateway.nonce()))
    )
    assert first_receipt.succeeded
    outcome = payouts.attest_outcome(first_receipt.tx_hash, 1)
    assert outcome.attested == [leaf.index for leaf in first.leaves]
    assert outcome.refs == refs and not outcome.skipped
    assert outcome.amount == sum(leaf.amount for leaf in first.leaves)
    assert payouts.vault_balance() == tree.total  # no token moved

    # After a crash the whole batch is resent, together with the rest of the bank lines.
    everything = tree.multiproof(bank_lines)
    refs = [_ref(leaf.index, 1) for leaf in everything.leaves]
    receipt = gateway.wait_receipt(
        gateway.broadcast(payouts.sign_attest_batch(1, everything, refs, nonce=gateway.nonce()))
    )
    again = payouts.attest_outcome(receipt.tx_hash, 1)
    assert sorted(again.skipped) == sorted(bank_lines[:10])
    assert sorted(again.attested) == bank_lines[10:]
    assert again.refs == [_ref(index, 1) for index in again.attested]

    pushed = gateway.wait_receipt(
        gateway.broadcast(
            payouts.sign_pay_batch(1, tree.multiproof(token_lines), nonce=gateway.nonce())
        )
    )
    assert sorted(payouts.batch_outcome(pushed.tx_hash, 1).paid) == token_lines
    assert payouts.attest_outcome(pushed.tx_hash, 1).attested == []
    assert payouts.paid_total_of(1) == tree.total
    assert all(payouts.paid_flags(1, list(range(40))))
    assert payouts.vault_balance() == sum(tree.leaf(i).amount for i in bank_lines)

    reader = AuditReader.on(gateway)
    lines = reader.attested_lines(1)
    assert [(line.period_id, line.index, line.ref) for line in lines] == [
        (1, index, ref)
        for index, ref in [(i, _ref(i)) for i in outcome.attested]
        + list(zip(again.attested, again.refs, strict=True))
    ]
    assert [line.tx_hash for line in lines] == [first_receipt.tx_hash] * 10 + [
        receipt.tx_hash
    ] * len(again.attested)
    events = reader.payment_events(1)
    assert events.attestations == tuple(lines)
    assert sorted(index for batch in events.batches for index in batch.indices) == token_lines
    assert reader.attested_lines(2) == []


def test_an_attest_batch_is_refused_before_signing(chain: Chain) -> None:
    payouts = PayoutChain(chain.gateway())
    proof = _period(4).multiproof([1, 3])
    with pytest.raises(ValueError, match="2 lines need 2 references, not 1"):
        payouts.sign_attest_batch(1, proof, [_ref(1)], nonce=0)
    with pytest.raises(ValueError, match="32 non-zero bytes"):
        payouts.sign_attest_batch(1, proof, [_ref(1), "0x" + "00" * 32], nonce=0)
    too_many = _period(302).multiproof(list(range(1, 302, 1)))
    with pytest.raises(ValueError, match="1..300 lines, not 301"):
        payouts.sign_attest_batch(1, too_many, [_ref(i) for i in range(301)], nonce=0)


def test_a_deployment_whose_token_is_of_another_currency_is_refused(
    chain: Chain, tmp_path: Path
) -> None:
    record = tmp_path / "chain-data" / "deployment.json"
    assert chain.deployment.tokenCurrency == "USD" and chain.deployment.tokenDecimals == 6
    with pytest.raises(ChainError, match="pegged to USD, but the plan pays in RUBT pegged to RUB"):
        ensure_deployment(
            rpc_url=chain.node.rpc_url,
            record_path=record,
            deployer_key=chain.key,
            payout=PayoutCurrency("RUBT", "RUB", 2),
        )
    with pytest.raises(ChainError, match="has 6 decimals, but the plan's USD has 2"):
        ensure_deployment(
            rpc_url=chain.node.rpc_url,
            record_path=record,
            deployer_key=chain.key,
            payout=PayoutCurrency("USD", None, 2),
        )
    same = ensure_deployment(
        rpc_url=chain.node.rpc_url,
        record_path=record,
        deployer_key=chain.key,
        payout=PayoutCurrency("USDT", "USD", 6),
    )
    assert same.contracts == chain.deployment.contracts
