"""PayoutVault's bank rail: `attestBatch` marks anchored bank lines paid without moving tokens;
bank lines are never pushed or claimed, token lines never attested; every rail shares one paid
bitmap and one paid total, so a period pays each line once and never past its anchored total."""

import brownie
import pytest
from conftest import (
    USD,
    anchor_tree,
    attest_args,
    bank,
    batch_args,
    custom_error,
    payout_tree,
    ref,
    unauthorized,
)

from ledger.rails import is_bank

BANK_LINES = (1, 3, 5)


@pytest.fixture
def mixed(anchor, anchorer, funded_vault, alice, bob, carol):
    """Period 1: token lines 0, 2, 4 and bank lines 1, 3, 5, anchored, vault funded."""
    tree = payout_tree(
        1,
        [
            (alice, 10 * USD),
            (bank(1, 101), 20 * USD),
            (bob, 30 * USD),
            (bank(1, 102), 40 * USD),
            (carol, 50 * USD),
            (bank(1, 103), 60 * USD),
        ],
    )
    anchor_tree(anchor, anchorer, tree, 1)
    return tree


def refs_of(event):
    return [bytes(r) for r in event["refs"]]


def test_the_test_lines_carry_the_bank_marker_where_meant(mixed):
    kinds = [is_bank(bytes.fromhex(mixed.leaf(i).account[2:])) for i in range(6)]
    assert kinds == [i in BANK_LINES for i in range(6)]


def test_attest_marks_bank_lines_paid_and_moves_no_tokens(funded_vault, token, payer, mixed):
    balance = token.balanceOf(funded_vault)
    lines, refs, proof, flags = attest_args(mixed, list(BANK_LINES))
    tx = funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    event = tx.events["BatchAttested"][0]
    assert event["periodId"] == 1 and event["amount"] == 120 * USD
    assert list(event["indices"]) == [index for index, _, _ in lines]
    assert refs_of(event) == [ref(index) for index in event["indices"]]
    assert "Transfer" not in tx.events and "BatchPaid" not in tx.events
    assert token.balanceOf(funded_vault) == balance
    assert all(token.balanceOf(account) == 0 for _, account, _ in lines)
    assert funded_vault.paidTotalOf(1) == 120 * USD
    assert [funded_vault.isPaid(1, i) for i in range(6)] == [i in BANK_LINES for i in range(6)]


def test_a_resent_attestation_skips_what_was_attested(funded_vault, payer, mixed):
    lines, refs, proof, flags = attest_args(mixed, [3])
    funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    # after a crash the whole batch is resent, with the references the bank statement gave
    lines, refs, proof, flags = attest_args(mixed, list(BANK_LINES), refs=lambda i: ref(i, 7))
    tx = funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    assert [e["index"] for e in tx.events["PaymentSkipped"]] == [3]
    event = tx.events["BatchAttested"][0]
    assert sorted(event["indices"]) == [1, 5] and event["amount"] == 80 * USD
    assert refs_of(event) == [ref(index, 7) for index in event["indices"]]
    tx = funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    assert list(tx.events["BatchAttested"][0]["indices"]) == []
    assert list(tx.events["BatchAttested"][0]["refs"]) == []
    assert tx.events["BatchAttested"][0]["amount"] == 0
    assert sorted(e["index"] for e in tx.events["PaymentSkipped"]) == [1, 3, 5]
    assert funded_vault.paidTotalOf(1) == 120 * USD


def test_push_claim_and_attest_together_pay_the_anchored_total(
    funded_vault, token, payer, mixed, alice, bob, carol
):
    balance = token.balanceOf(funded_vault)
    lines, proof, flags = batch_args(mixed, [0, 2])
    funded_vault.payBatch(1, lines, proof, flags, {"from": payer})
    funded_vault.claim(1, 4, carol, 50 * USD, mixed.proof(4), {"from": carol})
    lines, refs, proof, flags = attest_args(mixed, list(BANK_LINES))
    funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    assert funded_vault.paidTotalOf(1) == mixed.total == 210 * USD
    assert all(funded_vault.isPaid(1, i) for i in range(6))
    assert funded_vault.paidBitmap(1, 0) == 0b111111
    assert token.balanceOf(funded_vault) == balance - 90 * USD
    assert [token.balanceOf(a) for a in (alice, bob, carol)] == [10 * USD, 30 * USD, 50 * USD]


def test_pay_batch_refuses_a_bank_line(funded_vault, token, payer, mixed):
    lines, proof, flags = batch_args(mixed, [0, 1, 2])
    _, account, _ = next(line for line in lines if line[0] == 1)
    with brownie.reverts(custom_error("BankLineNotPayable", 1, 1, account)):
        funded_vault.payBatch(1, lines, proof, flags, {"from": payer})
    assert funded_vault.paidTotalOf(1) == 0 and funded_vault.paidBitmap(1, 0) == 0


def test_claim_refuses_a_bank_line(funded_vault, mixed, alice):
    leaf = mixed.leaf(3)
    with brownie.reverts(custom_error("BankLineNotPayable", 1, 3, leaf.account)):
        funded_vault.claim(1, 3, leaf.account, leaf.amount, mixed.proof(3), {"from": alice})
    assert not funded_vault.isPaid(1, 3)


def test_attest_refuses_a_token_line(funded_vault, payer, mixed, bob):
    lines, refs, proof, flags = attest_args(mixed, [1, 2, 3])
    with brownie.reverts(custom_error("NotABankLine", 1, 2, bob)):
        funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    assert funded_vault.paidBitmap(1, 0) == 0


def test_attest_needs_one_reference_per_line(funded_vault, payer, mixed):
    lines, refs, proof, flags = attest_args(mixed, [1, 3])
    with brownie.reverts(custom_error("RefsLengthMismatch", 2, 1)):
        funded_vault.attestBatch(1, lines, refs[:1], proof, flags, {"from": payer})
    with brownie.reverts(custom_error("RefsLengthMismatch", 2, 3)):
        funded_vault.attestBatch(1, lines, refs + [ref(9)], proof, flags, {"from": payer})


def test_attest_refuses_a_zero_reference(funded_vault, payer, mixed):
    lines, refs, proof, flags = attest_args(mixed, [1, 3, 5])
    refs[1] = b"\x00" * 32
    with brownie.reverts(custom_error("ZeroReference", 1, lines[1][0])):
        funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    assert funded_vault.paidTotalOf(1) == 0


def test_attest_refuses_an_empty_batch(funded_vault, payer, mixed):
    with brownie.reverts(custom_error("EmptyBatch")):
        funded_vault.attestBatch(1, [], [], [], [], {"from": payer})


def test_attest_refuses_an_index_beyond_the_leaf_count(funded_vault, payer, mixed):
    with brownie.reverts(custom_error("IndexOutOfRange", 1, 6, 6)):
        funded_vault.attestBatch(1, [(6, bank(1, 104), 1)], [ref(6)], [], [], {"from": payer})


def test_attest_refuses_a_line_the_root_does_not_hold(funded_vault, payer, mixed):
    lines, refs, proof, flags = attest_args(mixed, [1, 3])
    index, account, amount = lines[0]
    lines[0] = (index, account, amount + 1)
    with brownie.reverts(custom_error("InvalidPayoutProof", 1)):
        funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    lines, refs, proof, flags = attest_args(mixed, [1, 3])
    index, _, amount = lines[0]
    lines[0] = (index, bank(1, 999), amount)  # another distributor's pseudo-address
    with brownie.reverts(custom_error("InvalidPayoutProof", 1)):
        funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})


def test_attest_never_pays_past_the_anchored_total(funded_vault, anchor, anchorer, payer):
    tree = payout_tree(1, [(bank(1, 1), 10 * USD), (bank(1, 2), 20 * USD)])
    anchor_tree(anchor, anchorer, tree, 1, total=25 * USD)
    lines, refs, proof, flags = attest_args(tree, [0, 1])
    with brownie.reverts(custom_error("PeriodTotalExceeded", 1, 30 * USD, 25 * USD)):
        funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    lines, refs, proof, flags = attest_args(tree, [1])
    funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    lines, refs, proof, flags = attest_args(tree, [0])
    with brownie.reverts(custom_error("PeriodTotalExceeded", 1, 30 * USD, 25 * USD)):
        funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    assert funded_vault.paidTotalOf(1) == 20 * USD


def test_attest_waits_for_the_challenge_window(
    PayoutVault, admin, payer, pauser, token, anchor, anchorer, chain
):
    vault = PayoutVault.deploy(admin, payer, pauser, token, anchor, 3600, {"from": admin})
    tree = payout_tree(1, [(bank(1, 1), 10 * USD)])
    tx = anchor_tree(anchor, anchorer, tree, 1)
    opens_at = chain[tx.block_number].timestamp + 3600
    lines, refs, proof, flags = attest_args(tree, [0])
    with brownie.reverts(custom_error("ChallengeWindowOpen", 1, opens_at)):
        vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    chain.sleep(3601)
    vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    assert vault.isPaid(1, 0) and vault.paidTotalOf(1) == 10 * USD


def test_nothing_is_attested_while_paused(funded_vault, pauser, payer, mixed):
    funded_vault.pause({"from": pauser})
    lines, refs, proof, flags = attest_args(mixed, [1])
    with brownie.reverts(custom_error("EnforcedPause")):
        funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    funded_vault.unpause({"from": pauser})
    funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": payer})
    assert funded_vault.isPaid(1, 1)


def test_attest_requires_the_payer_role(funded_vault, mixed, alice):
    lines, refs, proof, flags = attest_args(mixed, [1])
    with brownie.reverts(unauthorized(alice, funded_vault.PAYER_ROLE())):
        funded_vault.attestBatch(1, lines, refs, proof, flags, {"from": alice})


def test_attest_refuses_an_unanchored_period(funded_vault, payer):
    with brownie.reverts(custom_error("PeriodNotAnchored", 5)):
        funded_vault.attestBatch(5, [(0, bank(5, 1), 1)], [ref(0)], [], [], {"from": payer})
