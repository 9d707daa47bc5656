"""The test vector verify.js is held to (`data/payout_vector.json`, made by
@openzeppelin/merkle-tree) is exactly what ledger/merkle.py computes: the leaf hash, the proof
and the root. The browser suite (`test_browser_verify.py`) runs verify.js on the same vector
in Chromium, so the browser and the ledger hash a payout line alike. No JavaScript here."""

from __future__ import annotations

import json
from pathlib import Path

from sha3 import keccak_256

from ledger.merkle import PayoutLeaf, PayoutTree, leaf_hash, process_proof

VECTOR = json.loads((Path(__file__).parent / "data" / "payout_vector.json").read_text())


def leaves() -> list[PayoutLeaf]:
    return [
        PayoutLeaf(period_id=int(p), index=int(i), account=a, amount=int(amount))
        for p, i, a, amount in VECTOR["leaves"]
    ]


def test_the_ledger_hashes_the_vector_leaf_as_the_reference_does() -> None:
    leaf = leaves()[VECTOR["index"]]
    assert "0x" + leaf_hash(leaf).hex() == VECTOR["leafHash"]


def test_the_ledger_builds_the_vector_proof_and_root() -> None:
    tree = PayoutTree(leaves())
    index = VECTOR["index"]
    assert "0x" + tree.root.hex() == VECTOR["root"]
    assert tree.proof(index) == VECTOR["proof"]
    proof = [bytes.fromhex(node[2:]) for node in VECTOR["proof"]]
    folded = process_proof(bytes.fromhex(VECTOR["leafHash"][2:]), proof)
    assert "0x" + folded.hex() == VECTOR["root"]


def test_one_changed_proof_hash_folds_to_another_root() -> None:
    proof = [bytes.fromhex(node[2:]) for node in VECTOR["proof"]]
    proof[1] = proof[1][:-1] + bytes([proof[1][-1] ^ 1])
    folded = process_proof(bytes.fromhex(VECTOR["leafHash"][2:]), proof)
    assert "0x" + folded.hex() != VECTOR["root"]


def test_the_selectors_are_the_keccak_of_the_signatures() -> None:
    for signature, selector in VECTOR["selectors"].items():
        assert "0x" + keccak_256(signature.encode()).hexdigest()[:8] == selector
