"""PayoutVault: pays anchored lines only, each at most once, never past the anchored total."""

import brownie
import pytest
from conftest import USD, anchor_tree, batch_args, custom_error, payout_tree, unauthorized

from ledger.merkle import PayoutLeaf, PayoutTree


@pytest.fixture
def period(anchor, anchorer, funded_vault, alice, bob, carol):
    """Period 1: three lines, anchored, vault funded."""
    tree = payout_tree(1, [(alice, 10 * USD), (bob, 20 * USD), (carol, 30 * USD)])
    anchor_tree(anchor, anchorer, tree, 1)
    return tree


def test_pay_batch_pays_every_line_and_emits_batch_paid(
    funded_vault, token, payer, period, alice, bob, carol
):
    lines, proof, flags = batch_args(period, [0, 1, 2])
    tx = funded_vault.payBatch(1, lines, proof, flags, {"from": payer})
    event = tx.events["BatchPaid"][0]
    assert event["periodId"] == 1 and event["amount"] == 60 * USD
    assert list(event["indices"]) == [index for index, _, _ in lines]
    assert sorted((str(t["to"]), t["value"]) for t in tx.events["Transfer"]) == sorted(
        [(alice.address, 10 * USD), (bob.address, 20 * USD), (carol.address, 30 * USD)]
    )
    assert [token.balanceOf(a) for a in (alice, bob, carol)] == [10 * USD, 20 * USD, 30 * USD]
    assert funded_vault.paidTotalOf(1) == 60 * USD
    assert all(funded_vault.isPaid(1, i) for i in range(3))


def test_pay_batch_skips_lines_paid_before(funded_vault, token, payer, period, bob):
    lines, proof, flags = batch_args(period, [1])
    funded_vault.payBatch(1, lines, proof, flags, {"from": payer})
    lines, proof, flags = batch_args(period, [0, 1, 2])
    tx = funded_vault.payBatch(1, lines, proof, flags, {"from": payer})
    assert [e["index"] for e in tx.events["PaymentSkipped"]] == [1]
    assert sorted(tx.events["BatchPaid"][0]["indices"]) == [0, 2]
    assert token.balanceOf(bob) == 20 * USD
    assert funded_vault.paidTotalOf(1) == 60 * USD


def test_a_batch_sent_twice_pays_each_line_once(funded_vault, token, payer, period, alice):
    lines, proof, flags = batch_args(period, [0])
    tx = funded_vault.payBatch(1, lines, proof, flags, {"from": payer})
    assert list(tx.events["BatchPaid"][0]["indices"]) == [0]
    tx = funded_vault.payBatch(1, lines, proof, flags, {"from": payer})
    assert list(tx.events["BatchPaid"][0]["indices"]) == []
    assert tx.events["BatchPaid"][0]["amount"] == 0
    assert [e["index"] for e in tx.events["PaymentSkipped"]] == [0]
    assert token.balanceOf(alice) == 10 * USD


def test_a_blacklisted_recipient_is_recorded_and_the_rest_are_paid(
    funded_vault, token, admin, payer, period, alice, bob, carol
):
    token.setBlocked(bob, True, {"from": admin})
    lines, proof, flags = batch_args(period, [0, 1, 2])
    tx = funded_vault.payBatch(1, lines, proof, flags, {"from": payer})
    assert [dict(e) for e in tx.events["PaymentFailed"]] == [
        {"periodId": 1, "index": 1, "account": bob, "amount": 20 * USD}
    ]
    assert sorted(tx.events["BatchPaid"][0]["indices"]) == [0, 2]
    assert tx.events["BatchPaid"][0]["amount"] == 40 * USD
    assert not funded_vault.isPaid(1, 1)
    assert funded_vault.paidTotalOf(1) == 40 * USD
    assert token.balanceOf(alice) == 10 * USD and token.balanceOf(carol) == 30 * USD
    # once unblocked, the line is still claimable
    token.setBlocked(bob, False, {"from": admin})
    funded_vault.claim(1, 1, bob, 20 * USD, period.proof(1), {"from": bob})
    assert token.balanceOf(bob) == 20 * USD


def test_pay_batch_reverts_on_a_wrong_amount(funded_vault, payer, period):
    lines, proof, flags = batch_args(period, [0, 1])
    index, account, amount = lines[0]
    lines[0] = (index, account, amount + 1)
    with brownie.reverts(custom_error("InvalidPayoutProof", 1)):
        funded_vault.payBatch(1, lines, proof, flags, {"from": payer})


def test_pay_batch_reverts_on_a_wrong_account(funded_vault, payer, period, admin):
    lines, proof, flags = batch_args(period, [0, 1])
    index, _, amount = lines[0]
    lines[0] = (index, admin.address, amount)
    with brownie.reverts(custom_error("InvalidPayoutProof", 1)):
        funded_vault.payBatch(1, lines, proof, flags, {"from": payer})


def test_pay_batch_reverts_on_another_periods_lines(
    funded_vault, anchor, anchorer, payer, period, alice
):
    second = payout_tree(2, [(alice, 1 * USD)])
    anchor_tree(anchor, anchorer, second, 2)
    lines, proof, flags = batch_args(period, [0])
    with brownie.reverts(custom_error("InvalidPayoutProof", 2)):
        funded_vault.payBatch(2, lines, proof, flags, {"from": payer})


def test_pay_batch_reverts_for_an_index_beyond_the_leaf_count(funded_vault, payer, period, alice):
    with brownie.reverts(custom_error("IndexOutOfRange", 1, 3, 3)):
        funded_vault.payBatch(1, [(3, alice, 1)], [], [], {"from": payer})


def test_pay_batch_reverts_for_an_unanchored_period(funded_vault, payer, alice):
    with brownie.reverts(custom_error("PeriodNotAnchored", 5)):
        funded_vault.payBatch(5, [(0, alice, 1)], [], [], {"from": payer})


def test_pay_batch_reverts_when_empty(funded_vault, payer, period):
    with brownie.reverts(custom_error("EmptyBatch")):
        funded_vault.payBatch(1, [], [], [], {"from": payer})


def test_pay_batch_requires_the_payer_role(funded_vault, period, alice):
    lines, proof, flags = batch_args(period, [0])
    with brownie.reverts(unauthorized(alice, funded_vault.PAYER_ROLE())):
        funded_vault.payBatch(1, lines, proof, flags, {"from": alice})


def test_nothing_pays_past_the_anchored_total(funded_vault, anchor, anchorer, payer, alice, bob):
    tree = payout_tree(1, [(alice, 10 * USD), (bob, 20 * USD)])
    anchor_tree(anchor, anchorer, tree, 1, total=25 * USD)  # anchored total below the leaves
    lines, proof, flags = batch_args(tree, [0, 1])
    with brownie.reverts(custom_error("PeriodTotalExceeded", 1, 30 * USD, 25 * USD)):
        funded_vault.payBatch(1, lines, proof, flags, {"from": payer})
    funded_vault.claim(1, 1, bob, 20 * USD, tree.proof(1), {"from": bob})
    with brownie.reverts(custom_error("PeriodTotalExceeded", 1, 30 * USD, 25 * USD)):
        funded_vault.claim(1, 0, alice, 10 * USD, tree.proof(0), {"from": alice})
    assert funded_vault.paidTotalOf(1) == 20 * USD


def test_claim_pays_the_line_to_its_account(funded_vault, token, period, alice, bob):
    tx = funded_vault.claim(1, 0, alice, 10 * USD, period.proof(0), {"from": bob})
    assert dict(tx.events["Paid"][0]) == {
        "periodId": 1,
        "index": 0,
        "account": alice,
        "amount": 10 * USD,
    }
    assert token.balanceOf(alice) == 10 * USD and token.balanceOf(bob) == 0


def test_claim_reverts_when_line_already_paid(funded_vault, payer, period, alice):
    lines, proof, flags = batch_args(period, [0])
    funded_vault.payBatch(1, lines, proof, flags, {"from": payer})
    with brownie.reverts(custom_error("PayoutAlreadyPaid", 1, 0)):
        funded_vault.claim(1, 0, alice, 10 * USD, period.proof(0), {"from": alice})


def test_claim_reverts_on_a_wrong_proof_amount_or_account(funded_vault, period, alice, bob):
    with brownie.reverts(custom_error("InvalidPayoutProof", 1)):
        funded_vault.claim(1, 0, alice, 11 * USD, period.proof(0), {"from": alice})
    with brownie.reverts(custom_error("InvalidPayoutProof", 1)):
        funded_vault.claim(1, 0, bob, 10 * USD, period.proof(0), {"from": bob})
    with brownie.reverts(custom_error("InvalidPayoutProof", 1)):
        funded_vault.claim(1, 0, alice, 10 * USD, period.proof(1), {"from": alice})


def test_claim_reverts_when_the_token_refuses_the_account(
    funded_vault, token, admin, period, alice
):
    token.setBlocked(alice, True, {"from": admin})
    with brownie.reverts(custom_error("TransferFailed", 1, 0, alice)):
        funded_vault.claim(1, 0, alice, 10 * USD, period.proof(0), {"from": alice})
    assert not funded_vault.isPaid(1, 0)


def test_claim_reverts_for_an_index_beyond_the_leaf_count(funded_vault, period, alice):
    with brownie.reverts(custom_error("IndexOutOfRange", 1, 7, 3)):
        funded_vault.claim(1, 7, alice, 1, [], {"from": alice})


def test_nothing_pays_while_paused(funded_vault, pauser, payer, period, alice):
    tx = funded_vault.pause({"from": pauser})
    assert tx.events["Paused"][0]["account"] == pauser
    lines, proof, flags = batch_args(period, [0])
    with brownie.reverts(custom_error("EnforcedPause")):
        funded_vault.payBatch(1, lines, proof, flags, {"from": payer})
    with brownie.reverts(custom_error("EnforcedPause")):
        funded_vault.claim(1, 0, alice, 10 * USD, period.proof(0), {"from": alice})
    funded_vault.unpause({"from": pauser})
    funded_vault.claim(1, 0, alice, 10 * USD, period.proof(0), {"from": alice})


def test_only_the_pauser_role_can_pause_and_unpause(funded_vault, pauser, alice):
    with brownie.reverts(unauthorized(alice, funded_vault.PAUSER_ROLE())):
        funded_vault.pause({"from": alice})
    funded_vault.pause({"from": pauser})
    with brownie.reverts(unauthorized(alice, funded_vault.PAUSER_ROLE())):
        funded_vault.unpause({"from": alice})


def test_nothing_pays_before_the_challenge_window_passes(
    PayoutVault, admin, payer, pauser, token, anchor, anchorer, alice, chain
):
    vault = PayoutVault.deploy(admin, payer, pauser, token, anchor, 3600, {"from": admin})
    token.mint(vault, 100 * USD, {"from": admin})
    tree = payout_tree(1, [(alice, 10 * USD)])
    tx = anchor_tree(anchor, anchorer, tree, 1)
    opens_at = chain[tx.block_number].timestamp + 3600
    assert vault.challengeWindow() == 3600
    with brownie.reverts(custom_error("ChallengeWindowOpen", 1, opens_at)):
        vault.claim(1, 0, alice, 10 * USD, tree.proof(0), {"from": alice})
    chain.sleep(3601)
    vault.claim(1, 0, alice, 10 * USD, tree.proof(0), {"from": alice})
    assert vault.isPaid(1, 0)


def test_views_name_the_token_anchor_and_window(funded_vault, token, anchor):
    assert funded_vault.token() == token
    assert funded_vault.periodAnchor() == anchor
    assert funded_vault.challengeWindow() == 0


def test_an_underfunded_batch_records_failures_instead_of_reverting(
    PayoutVault, token, admin, payer, pauser, anchor, anchorer, alice, bob
):
    vault = PayoutVault.deploy(admin, payer, pauser, token, anchor, 0, {"from": admin})
    tree = payout_tree(1, [(alice, 10 * USD), (bob, 20 * USD)])
    anchor_tree(anchor, anchorer, tree, 1)
    token.mint(vault, 15 * USD, {"from": admin})
    lines, proof, flags = batch_args(tree, [0, 1])
    tx = vault.payBatch(1, lines, proof, flags, {"from": payer})
    paid = set(tx.events["BatchPaid"][0]["indices"])
    failed = {e["index"] for e in tx.events["PaymentFailed"]}
    assert paid and failed and paid | failed == {0, 1} and not paid & failed
    assert vault.paidTotalOf(1) == sum(tree.leaf(i).amount for i in paid)


def test_large_batches_of_neighbouring_lines_verify_with_one_multiproof(
    funded_vault, anchor, anchorer, payer, token, accounts
):
    leaves = [
        PayoutLeaf(period_id=1, index=i, account=accounts[i % 10].address, amount=i + 1)
        for i in range(300)
    ]
    tree = PayoutTree(leaves)
    anchor_tree(anchor, anchorer, tree, 1)
    for start in range(0, 300, 100):
        lines, proof, flags = batch_args(tree, range(start, start + 100))
        funded_vault.payBatch(1, lines, proof, flags, {"from": payer})
    assert funded_vault.paidTotalOf(1) == sum(range(1, 301))
    assert all(funded_vault.isPaid(1, i) for i in (0, 99, 100, 255, 256, 299))
    # Lines 0..255 fill word 0; 256..299 are the low 44 bits of word 1; word 2 is untouched.
    assert funded_vault.paidBitmap(1, 0) == 2**256 - 1
    assert funded_vault.paidBitmap(1, 1) == 2**44 - 1
    assert funded_vault.paidBitmap(1, 2) == 0
    assert funded_vault.paidBitmap(2, 0) == 0


def test_pay_batch_reverts_when_sent_with_too_little_gas_for_a_transfer(
    funded_vault, payer, period
):
    lines, proof, flags = batch_args(period, [0, 1, 2])
    estimate = funded_vault.payBatch.estimate_gas(1, lines, proof, flags, {"from": payer})
    # starved transfers must fail the batch, never be recorded as failed payments
    with brownie.reverts():
        funded_vault.payBatch(
            1, lines, proof, flags, {"from": payer, "gas_limit": estimate - 15_000}
        )
    assert funded_vault.paidTotalOf(1) == 0 and not funded_vault.isPaid(1, 0)


def test_a_total_beyond_the_vault_book_is_refused(funded_vault, anchor, anchorer, payer, alice):
    tree = payout_tree(1, [(alice, 1)])
    anchor_tree(anchor, anchorer, tree, 1, total=2**80)
    with brownie.reverts(custom_error("TotalTooLarge", 1, 2**80)):
        funded_vault.claim(1, 0, alice, 1, tree.proof(0), {"from": alice})
