"""ledger/merkle.py, @openzeppelin/merkle-tree and the on-chain MerkleProof agree.

For random leaf sets of 1, 2, 3, 7 and 1000 leaves: roots and proofs from ledger/merkle.py equal
the JavaScript reference library's byte for byte, and the on-chain verifier accepts them.
"""

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from ledger.merkle import PayoutLeaf, PayoutTree, leaf_hash

ORACLE = Path(__file__).resolve().parents[2] / "tools" / "oz-merkle.js"


def reference(leaves, proofs, multiproofs):
    # every integer as a string: uint64 period ids exceed JavaScript number precision
    request = {
        "leaves": [[str(x.period_id), str(x.index), x.account, str(x.amount)] for x in leaves],
        "proofs": proofs,
        "multiproofs": multiproofs,
    }
    out = subprocess.run(
        [shutil.which("node"), str(ORACLE)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 1000])
def test_roots_and_proofs_match_the_reference_and_verify_on_chain(harness, count):
    rng = random.Random(1000 + count)
    leaves = [
        PayoutLeaf(
            period_id=rng.randrange(1, 2**64),
            index=i,
            account="0x" + rng.randbytes(20).hex(),
            amount=rng.randrange(0, 2**256),
        )
        for i in rng.sample(range(2**32), count)
    ]
    tree = PayoutTree(leaves)
    positions = list(range(count)) if count <= 7 else rng.sample(range(count), 12)
    group = sorted(rng.sample(range(count), min(count, 40)))
    expected = reference(leaves, positions, [group])

    assert tree.root_hex == expected["root"]
    for position, proof in zip(positions, expected["proofs"], strict=True):
        leaf = leaves[position]
        assert tree.proof(leaf.index) == proof
        on_chain_leaf = harness.payoutLeaf(leaf.period_id, leaf.index, leaf.account, leaf.amount)
        assert on_chain_leaf == "0x" + leaf_hash(leaf).hex()
        assert harness.verify(proof, tree.root, on_chain_leaf)

    multiproof = tree.multiproof(leaves[p].index for p in group)
    assert ["0x" + n.hex() for n in multiproof.proof] == expected["multiproofs"][0]["proof"]
    assert harness.multiProofVerify(
        list(multiproof.proof),
        list(multiproof.proof_flags),
        tree.root,
        [leaf_hash(leaf) for leaf in multiproof.leaves],
    )
    # and a tampered leaf does not verify on chain
    tampered = leaves[positions[0]]
    assert not harness.verify(
        tree.proof(tampered.index),
        tree.root,
        harness.payoutLeaf(
            tampered.period_id, tampered.index, tampered.account, (tampered.amount + 1) % 2**256
        ),
    )
