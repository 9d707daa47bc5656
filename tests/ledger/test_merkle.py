"""Payout trees equal @openzeppelin/merkle-tree's byte for byte (the Node library is the oracle)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import _native
from ledger.errors import MerkleError
from ledger.merkle import (
    MultiProof,
    PayoutLeaf,
    PayoutTree,
    leaf_hash,
    verify_multiproof,
    verify_proof,
)

ROOT = Path(__file__).resolve().parents[2]
ORACLE = ROOT / "tools" / "oz-merkle.js"


def oz(leaves: list[PayoutLeaf], proofs: list[int], multiproofs: list[list[int]]) -> dict:
    node = shutil.which("node")
    assert node, "node is needed for the @openzeppelin/merkle-tree oracle (make setup)"
    # Amounts as strings: JSON numbers beyond 2**53 lose precision in JavaScript.
    rows = [[leaf.period_id, leaf.index, leaf.account, str(leaf.amount)] for leaf in leaves]
    request = {"leaves": rows, "proofs": proofs, "multiproofs": multiproofs}
    out = subprocess.run(
        [node, str(ORACLE)], input=json.dumps(request), capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def random_leaves(count: int, rng: random.Random, period_id: int = 7) -> list[PayoutLeaf]:
    return [
        PayoutLeaf(
            period_id=period_id,
            index=i,
            account="0x" + rng.randbytes(20).hex(),
            amount=rng.choice([0, 1, rng.randrange(10**6, 10**12), 2**256 - 1]),
        )
        for i in rng.sample(range(count * 3), count)
    ]


HASHERS = [
    pytest.param(False, id="python"),
    pytest.param(
        True,
        id="native",
        marks=pytest.mark.skipif(
            _native.LIBRARY is None and not os.environ.get("CI"),
            reason="native hasher not built (make setup builds it; CI requires it)",
        ),
    ),
]


@pytest.mark.parametrize("native", HASHERS)
@pytest.mark.parametrize("count", [1, 2, 3, 7, 1000])
def test_root_proofs_and_multiproofs_equal_openzeppelin(count: int, native: bool) -> None:
    rng = random.Random(count)
    leaves = random_leaves(count, rng)
    tree = PayoutTree(leaves, native=native)
    positions = list(range(count)) if count <= 7 else rng.sample(range(count), 25)
    groups = [sorted(rng.sample(range(count), k)) for k in {1, min(count, 2), min(count, 5)}]
    expected = oz(leaves, positions, groups)

    assert tree.root_hex == expected["root"]
    for position, proof in zip(positions, expected["proofs"], strict=True):
        assert tree.proof(leaves[position].index) == proof
    for group, reference in zip(groups, expected["multiproofs"], strict=True):
        multiproof = tree.multiproof(leaves[p].index for p in group)
        assert [leaf.as_json() for leaf in multiproof.leaves] == [
            [int(v[0]), int(v[1]), v[2], int(v[3])] for v in reference["leaves"]
        ]
        assert ["0x" + node.hex() for node in multiproof.proof] == reference["proof"]
        assert list(multiproof.proof_flags) == reference["proofFlags"]
        assert verify_multiproof(tree.root, multiproof)


@pytest.mark.parametrize("native", HASHERS)
def test_columns_build_the_same_tree_as_leaf_objects(native: bool) -> None:
    leaves = random_leaves(5003, random.Random(1))
    small = [
        PayoutLeaf(period_id=7, index=leaf.index, account=leaf.account, amount=leaf.amount % 2**64)
        for leaf in leaves
    ]
    reference = PayoutTree(small, native=False)
    columns = PayoutTree.from_columns(
        period_id=7,
        indices=np.array([leaf.index for leaf in small]),
        accounts=np.frombuffer(
            b"".join(bytes.fromhex(leaf.account[2:]) for leaf in small), dtype=np.uint8
        ).reshape(-1, 20),
        amounts=np.array([leaf.amount for leaf in small], dtype=np.uint64),
        native=native,
    )
    assert columns.root == reference.root
    assert columns.total == reference.total == sum(leaf.amount for leaf in small)
    assert all(
        columns.proof_bytes(leaf.index) == reference.proof_bytes(leaf.index) for leaf in small[::97]
    )
    assert columns.leaf(small[5].index) == small[5]


def test_native_and_python_hashers_agree_on_big_amounts_and_duplicate_leaves() -> None:
    if _native.LIBRARY is None:
        pytest.skip("native hasher not built")
    rng = random.Random(3)
    leaves = random_leaves(300, rng)
    twins = [PayoutLeaf(period_id=1, index=i, account="0x" + "22" * 20, amount=9) for i in range(4)]
    for group in (leaves, twins):
        native, python = PayoutTree(group, native=True), PayoutTree(group, native=False)
        assert native.root == python.root
        assert [native.proof(leaf.index) for leaf in group] == [
            python.proof(leaf.index) for leaf in group
        ]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.randoms(use_true_random=False))
def test_every_proof_verifies_and_a_changed_leaf_does_not(count: int, rng: random.Random) -> None:
    leaves = random_leaves(count, rng)
    tree = PayoutTree(leaves)
    for leaf in leaves:
        proof = tree.proof_bytes(leaf.index)
        assert verify_proof(tree.root, leaf, proof)
        richer = PayoutLeaf(
            period_id=leaf.period_id,
            index=leaf.index,
            account=leaf.account,
            amount=(leaf.amount + 1) % 2**256,
        )
        assert not verify_proof(tree.root, richer, proof)
        other_period = PayoutLeaf(
            period_id=leaf.period_id + 1, index=leaf.index, account=leaf.account, amount=leaf.amount
        )
        assert not verify_proof(tree.root, other_period, proof)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=60), st.randoms(use_true_random=False))
def test_every_multiproof_verifies_and_a_forged_one_does_not(
    count: int, rng: random.Random
) -> None:
    leaves = random_leaves(count, rng)
    tree = PayoutTree(leaves)
    chosen = rng.sample([leaf.index for leaf in leaves], rng.randint(1, count))
    multiproof = tree.multiproof(chosen)
    assert sorted(leaf.index for leaf in multiproof.leaves) == sorted(chosen)
    assert verify_multiproof(tree.root, multiproof)
    first = multiproof.leaves[0]
    forged = (
        PayoutLeaf(
            period_id=first.period_id,
            index=first.index,
            account=first.account,
            amount=(first.amount + 1) % 2**256,
        ),
    ) + multiproof.leaves[1:]
    assert not verify_multiproof(
        tree.root, MultiProof(forged, multiproof.proof, multiproof.proof_flags)
    )


def test_leaf_hash_is_the_double_keccak_of_the_abi_encoding() -> None:
    leaf = PayoutLeaf(period_id=1, index=2, account="0x" + "ab" * 20, amount=3)
    encoded = leaf.encode()
    assert len(encoded) == 128
    assert encoded[24:32] == (1).to_bytes(8, "big") and encoded[76:96] == bytes.fromhex("ab" * 20)
    assert leaf_hash(leaf).hex() != encoded[:32].hex()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"account": "0x1234"}, "20-byte hex address"),
        ({"account": "0x" + "zz" * 20}, "not hexadecimal"),
        ({"amount": -1}, "must not be negative"),
        ({"amount": 2**256}, "does not fit in uint256"),
        ({"amount": 1.0}, "must be an integer"),
        ({"index": 2**32}, "does not fit in uint32"),
        ({"period_id": True}, "must be an integer"),
    ],
)
def test_malformed_leaves_are_refused(fields: dict, message: str) -> None:
    base = {"period_id": 1, "index": 0, "account": "0x" + "11" * 20, "amount": 5}
    with pytest.raises(MerkleError, match=message):
        PayoutLeaf(**(base | fields))


def test_a_tree_refuses_duplicate_indices_and_no_leaves() -> None:
    leaf = PayoutLeaf(period_id=1, index=0, account="0x" + "11" * 20, amount=5)
    with pytest.raises(MerkleError, match="duplicate leaf index 0"):
        PayoutTree([leaf, leaf])
    with pytest.raises(MerkleError, match="at least one leaf"):
        PayoutTree([])
    with pytest.raises(MerkleError, match="no leaf with index 4"):
        PayoutTree([leaf]).proof(4)


def test_lines_in_tree_order_are_the_multiproof_order_and_chunks_prove_cheaply() -> None:
    leaves = random_leaves(1000, random.Random(9))
    tree = PayoutTree(leaves)
    order = tree.lines_in_tree_order()
    assert sorted(order) == sorted(leaf.index for leaf in leaves)
    chunk = order[200:300]
    multiproof = tree.multiproof(chunk)
    assert [leaf.index for leaf in multiproof.leaves] == chunk
    scattered = tree.multiproof(order[::10][:100])
    assert len(multiproof.proof) < len(scattered.proof)
    assert verify_multiproof(tree.root, multiproof)
