"""Brownie fixtures: contracts deployed once per module, state rolled back after every test.

Accounts are named by role. `ledger/merkle.py` is the off-chain oracle for payout trees (the
Curve simulation pattern): tests build trees with it and check the contracts agree.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ledger.merkle import PayoutLeaf, PayoutTree  # noqa: E402
from ledger.rails import bank_account  # noqa: E402

ROOT_ID = 1
USD = 10**6  # the test token has 6 decimals


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture(scope="module")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def registrar(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def anchorer(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def payer(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def pauser(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def alice(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def bob(accounts):
    return accounts[6]


@pytest.fixture(scope="module")
def carol(accounts):
    return accounts[7]


@pytest.fixture(scope="module")
def registry(GenealogyRegistry, admin, registrar):
    return GenealogyRegistry.deploy(admin, registrar, ROOT_ID, 2, {"from": admin})


@pytest.fixture(scope="module")
def matrix_registry(GenealogyRegistry, admin, registrar):
    return GenealogyRegistry.deploy(admin, registrar, ROOT_ID, 3, {"from": admin})


@pytest.fixture(scope="module")
def unilevel_registry(GenealogyRegistry, admin, registrar):
    return GenealogyRegistry.deploy(admin, registrar, ROOT_ID, 0, {"from": admin})


@pytest.fixture(scope="module")
def anchor(PeriodAnchor, admin, anchorer):
    return PeriodAnchor.deploy(admin, anchorer, {"from": admin})


@pytest.fixture(scope="module")
def token(BlacklistableTestUSD, admin):
    return BlacklistableTestUSD.deploy(admin, {"from": admin})


@pytest.fixture(scope="module")
def vault(PayoutVault, admin, payer, pauser, token, anchor):
    return PayoutVault.deploy(admin, payer, pauser, token, anchor, 0, {"from": admin})


@pytest.fixture(scope="module")
def funded_vault(vault, token, admin):
    token.mint(vault, 1_000_000 * USD, {"from": admin})
    return vault


@pytest.fixture(scope="module")
def harness(MerkleProofHarness, admin):
    return MerkleProofHarness.deploy({"from": admin})


def payout_tree(period_id, lines):
    """A payout tree for `lines` = [(account, amount), ...], indices 0..n-1."""
    return PayoutTree(
        [
            PayoutLeaf(period_id=period_id, index=i, account=str(account), amount=amount)
            for i, (account, amount) in enumerate(lines)
        ]
    )


def anchor_tree(anchor, anchorer, tree, period_id, total=None):
    """Anchors `tree` as `period_id` with placeholder package hashes."""
    return anchor.anchor(
        period_id,
        tree.root,
        tree.total if total is None else total,
        len(tree),
        b"\x01" * 32,
        b"\x02" * 32,
        b"\x03" * 32,
        {"from": anchorer},
    )


def batch_args(tree, indices):
    """(lines, proof, flags) for payBatch, lines in the multiproof's order."""
    multiproof = tree.multiproof(indices)
    lines = [(leaf.index, leaf.account, leaf.amount) for leaf in multiproof.leaves]
    return lines, list(multiproof.proof), list(multiproof.proof_flags)


def bank(period_id, distributor_id):
    """A bank line's pseudo-address (ledger/rails.py), as a 0x string."""
    return "0x" + bank_account(period_id, distributor_id).hex()


def ref(line_index, salt=0):
    """A non-zero payment reference for a line (a stand-in for keccak(salt || bank document))."""
    return (0xB0C0_0000 + salt * 0x10000 + line_index + 1).to_bytes(32, "big")


def attest_args(tree, indices, refs=ref):
    """(lines, refs, proof, flags) for attestBatch, lines in the multiproof's order and each
    line's reference `refs(index)` at its position."""
    lines, proof, flags = batch_args(tree, indices)
    return lines, [refs(index) for index, _, _ in lines], proof, flags


def custom_error(name, *args):
    """A custom error as brownie renders it: `Name: arg, arg` (addresses lower-case, bytes32 as
    Python bytes), so `brownie.reverts(custom_error(...))` asserts the error and its arguments."""
    rendered = []
    for arg in args:
        if hasattr(arg, "address"):
            arg = arg.address
        if isinstance(arg, str) and arg.startswith("0x") and len(arg) == 42:
            arg = arg.lower()
        rendered.append(str(arg))
    return f"{name}: {', '.join(rendered)}"


def unauthorized(account, role):
    return custom_error("AccessControlUnauthorizedAccount", account, bytes(role))
