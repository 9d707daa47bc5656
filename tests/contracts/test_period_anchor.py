"""PeriodAnchor: write-once, in-sequence period records."""

import brownie
from conftest import custom_error, unauthorized
from eth_abi import encode
from eth_utils import keccak

ROOT = b"\xaa" * 32
INPUTS, PLAN, RESULTS = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32


def anchor_period(anchor, anchorer, period_id, root=ROOT, total=5_000_000, leaves=3):
    return anchor.anchor(period_id, root, total, leaves, INPUTS, PLAN, RESULTS, {"from": anchorer})


def test_anchor_records_terms_and_emits_every_hash(anchor, anchorer, chain):
    tx = anchor_period(anchor, anchorer, 1)
    event = tx.events["PeriodAnchored"][0]
    assert event["periodId"] == 1 and event["payoutRoot"] == "0x" + ROOT.hex()
    assert (event["total"], event["leafCount"]) == (5_000_000, 3)
    assert (event["inputsHash"], event["planHash"], event["resultsHash"]) == (
        "0x" + INPUTS.hex(),
        "0x" + PLAN.hex(),
        "0x" + RESULTS.hex(),
    )
    root, total, leaf_count, anchored_at = anchor.payoutTermsOf(1)
    assert (root, total, leaf_count) == ("0x" + ROOT.hex(), 5_000_000, 3)
    assert anchored_at == chain[tx.block_number].timestamp
    assert anchor.latestPeriodId() == 1


def test_package_commitment_is_the_hash_of_the_three_package_hashes(anchor, anchorer):
    anchor_period(anchor, anchorer, 1)
    expected = keccak(encode(["bytes32", "bytes32", "bytes32"], [INPUTS, PLAN, RESULTS]))
    assert anchor.packageCommitmentOf(1) == "0x" + expected.hex()
    assert anchor.matchesPackage(1, INPUTS, PLAN, RESULTS)
    assert not anchor.matchesPackage(1, INPUTS, PLAN, b"\x04" * 32)
    assert not anchor.matchesPackage(2, INPUTS, PLAN, RESULTS)


def test_periods_must_come_in_sequence_starting_at_one(anchor, anchorer):
    with brownie.reverts(custom_error("PeriodOutOfSequence", 2, 1)):
        anchor_period(anchor, anchorer, 2)
    anchor_period(anchor, anchorer, 1)
    anchor_period(anchor, anchorer, 2)
    with brownie.reverts(custom_error("PeriodOutOfSequence", 4, 3)):
        anchor_period(anchor, anchorer, 4)


def test_an_anchored_period_is_never_overwritten(anchor, anchorer):
    anchor_period(anchor, anchorer, 1)
    with brownie.reverts(custom_error("PeriodOutOfSequence", 1, 2)):
        anchor_period(anchor, anchorer, 1, root=b"\xbb" * 32)
    assert anchor.payoutTermsOf(1)[0] == "0x" + ROOT.hex()


def test_an_empty_period_is_anchored_with_zero_root_and_total(anchor, anchorer):
    anchor_period(anchor, anchorer, 1, root=b"\x00" * 32, total=0, leaves=0)
    assert tuple(anchor.payoutTermsOf(1))[1:3] == (0, 0)


def test_inconsistent_payout_terms_are_refused(anchor, anchorer):
    for root, total, leaves in [
        (b"\x00" * 32, 5, 3),  # leaves but no root
        (ROOT, 5, 0),  # a root for an empty period
        (b"\x00" * 32, 5, 0),  # a total for an empty period
        (ROOT, 2**128, 3),  # a total beyond 128 bits
    ]:
        with brownie.reverts(custom_error("InvalidPayoutTerms")):
            anchor_period(anchor, anchorer, 1, root=root, total=total, leaves=leaves)
    assert anchor.latestPeriodId() == 0


def test_reading_an_unanchored_period_reverts(anchor):
    with brownie.reverts(custom_error("PeriodNotAnchored", 1)):
        anchor.payoutTermsOf(1)
    with brownie.reverts(custom_error("PeriodNotAnchored", 1)):
        anchor.packageCommitmentOf(1)


def test_only_the_anchorer_role_can_anchor(anchor, alice):
    with brownie.reverts(unauthorized(alice, anchor.ANCHORER_ROLE())):
        anchor_period(anchor, alice, 1)
    assert anchor.latestPeriodId() == 0
