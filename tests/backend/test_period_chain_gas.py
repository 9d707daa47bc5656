"""A full 300-line `payBatch` through `PayoutChain` fits one transaction; gas per paid line.

The anchor and the vault are driven directly (no database): 600 leaves to fresh accounts,
anchored as period 1, paid in two batches cut from `lines_in_tree_order()`.
"""

from __future__ import annotations

import pytest
from test_chain_outbox import Chain, chain, chain_template

from backend.chain.gateway import TX_GAS_CAP
from backend.chain.payouts import MAX_PAY_BATCH, AnchorTerms, PayoutChain
from ledger.merkle import PayoutLeaf, PayoutTree

pytestmark = [pytest.mark.chain, pytest.mark.slow]
__all__ = ["chain", "chain_template"]  # fixtures, re-exported for pytest

LEAVES = 2 * MAX_PAY_BATCH


def test_a_300_line_batch_fits_one_transaction(chain: Chain) -> None:
    gateway = chain.gateway()
    payouts = PayoutChain(gateway)
    leaves = [
        PayoutLeaf(period_id=1, index=i, account="0x" + f"{i + 1:040x}", amount=1_000 + i)
        for i in range(LEAVES)
    ]
    tree = PayoutTree(leaves)
    zero = "0x" + "11" * 32
    nonce = gateway.nonce()
    terms = AnchorTerms(1, tree.root_hex, tree.total, len(tree), zero, zero, zero)
    for signed in (
        payouts.sign_anchor(terms, nonce=nonce),
        payouts.sign_mint_to_vault(tree.total, nonce=nonce + 1),
    ):
        assert gateway.wait_receipt(gateway.broadcast(signed)).succeeded
    order = tree.lines_in_tree_order()
    gas_per_line = []
    paid: set[int] = set()
    for start in range(0, LEAVES, MAX_PAY_BATCH):
        chunk = order[start : start + MAX_PAY_BATCH]
        signed = payouts.sign_pay_batch(1, tree.multiproof(chunk), nonce=gateway.nonce())
        receipt = gateway.wait_receipt(gateway.broadcast(signed))
        assert receipt.succeeded and receipt.gas_used < TX_GAS_CAP
        outcome = payouts.batch_outcome(receipt.tx_hash, 1)
        assert sorted(outcome.paid) == sorted(chunk) and not outcome.failed
        gas_per_line.append(receipt.gas_used / len(chunk))
        paid.update(chunk)
        # Bitmap words read back line by line, in any order asked (here: reversed).
        asked = list(reversed(range(LEAVES)))
        assert payouts.paid_flags(1, asked) == [index in paid for index in asked]
    assert all(payouts.paid_flags(1, list(range(LEAVES))))
    assert payouts.paid_total_of(1) == tree.total
    assert payouts.vault_balance() == 0
    print(f"payBatch of {MAX_PAY_BATCH}: {max(gas_per_line):.0f} gas per paid line")  # noqa: T201
