"""Gas per operation of the three contracts, against the foundation issue's budget.

Run: make bench-gas   (= .venv-brownie/bin/python bench/gas.py [--network lineage-anvil])
Prints a table (key, gas, budget, verdict), the largest batches that fit EIP-7825's
16,777,216 gas per transaction (each one then sent for real to Anvil, which enforces the cap),
writes bench/results/gas.json, and ends with one JSON line.

Scenarios:
  place_single               one placement under a parent with no children yet (fresh slots)
  place_batch100_per_item    100 new distributors filling a binary tree breadth-first, per item
  anchor                     anchoring a period after the first (the sequence slot is non-zero)
  pay_batch100_per_fresh     10,000-line period, batches of 100 lines consecutive in tree order,
                             recipients never held the token; mean over every batch of the period
  pay_batch100_per_existing  the same period again for recipients that already hold the token
  claim_fresh_100k           100,000-line period that has had a push batch: a claim whose bitmap
                             word and recipient are both untouched (the period's very first
                             payment, which also copies its terms into the vault, is printed too)
  attest_batch100_per_line   10,000-line period of bank lines (ledger/rails.py pseudo-addresses),
                             attested in batches of 100 consecutive in tree order, each line with
                             its payment reference; mean over every batch of the period. No token
                             moves, so it must cost no more per line than either push above
"""

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np
from brownie import accounts, network, project, web3
from brownie._config import CONFIG
from brownie.exceptions import TransactionError
from brownie.network.transaction import TransactionReceipt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ledger.merkle import PayoutTree  # noqa: E402
from ledger.rails import bank_account  # noqa: E402

TX_GAS_CAP = 16_777_216
BUDGET = {
    "place_single": 80_000,
    "place_batch100_per_item": 50_000,
    "anchor": 120_000,
    "pay_batch100_per_fresh": 35_000,
    "pay_batch100_per_existing": 15_000,
    "claim_fresh_100k": 110_000,
    "attest_batch100_per_line": 15_000,
}
HASHES = (b"\x01" * 32, b"\x02" * 32, b"\x03" * 32)


def fresh_addresses(count, rng):
    return ["0x" + rng.randbytes(20).hex() for _ in range(count)]


def columns_tree(period_id, addresses, rng):
    count = len(addresses)
    return PayoutTree.from_columns(
        period_id=period_id,
        indices=np.arange(count),
        accounts=np.frombuffer(
            b"".join(bytes.fromhex(a[2:]) for a in addresses), dtype=np.uint8
        ).reshape(count, 20),
        amounts=[rng.randrange(1, 500) * 10_000 for _ in range(count)],
    )


def send(method, *args, sender):
    """Sends with gas = estimate + 10 % (never above the cap).

    Anvil 1.7 advances the sender's nonce a moment before a large transaction can be looked up,
    and brownie takes that window for a dropped transaction; the receipt comes right after.
    """
    estimate = method.estimate_gas(*args, {"from": sender})
    try:
        return method(*args, {"from": sender, "gas_limit": min(int(estimate * 1.1), TX_GAS_CAP)})
    except TransactionError as exc:
        if "dropped" not in str(exc):
            raise
        txid = str(exc).split()[-1]
        web3.eth.wait_for_transaction_receipt(txid, timeout=60)
        return TransactionReceipt(txid)


def pay_in_batches(vault, tree, payer, period_id, size):
    order = tree.lines_in_tree_order()
    gas = []
    for start in range(0, len(order), size):
        multiproof = tree.multiproof(order[start : start + size])
        lines = [(leaf.index, leaf.account, leaf.amount) for leaf in multiproof.leaves]
        tx = send(
            vault.payBatch,
            period_id,
            lines,
            list(multiproof.proof),
            list(multiproof.proof_flags),
            sender=payer,
        )
        gas.append((len(lines), tx.gas_used))
    return gas


def attest_in_batches(vault, tree, payer, period_id, size):
    order = tree.lines_in_tree_order()
    gas = []
    for start in range(0, len(order), size):
        multiproof = tree.multiproof(order[start : start + size])
        lines = [(leaf.index, leaf.account, leaf.amount) for leaf in multiproof.leaves]
        refs = [(0xB0C0_0000 + index + 1).to_bytes(32, "big") for index, _, _ in lines]
        tx = send(
            vault.attestBatch,
            period_id,
            lines,
            refs,
            list(multiproof.proof),
            list(multiproof.proof_flags),
            sender=payer,
        )
        gas.append((len(lines), tx.gas_used))
    return gas


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="lineage-anvil")
    args = parser.parse_args()
    lineage = project.load(ROOT, name="Lineage")
    CONFIG.argv["silent"] = True  # one line per transaction would bury the table
    network.connect(args.network)
    network.gas_limit("auto")  # estimate: Anvil enforces the EIP-7825 cap on what is sent
    try:
        run(lineage)
    finally:
        network.disconnect()


def run(lineage):
    GenealogyRegistry, PeriodAnchor = lineage.GenealogyRegistry, lineage.PeriodAnchor
    PayoutVault, TestUSD = lineage.PayoutVault, lineage.TestUSD
    rng = random.Random(2026)
    admin = accounts[0]
    results = {}

    # --- genealogy --------------------------------------------------------------------------
    registry = GenealogyRegistry.deploy(admin, admin, 1, 2, {"from": admin})
    next_id = 2
    frontier = [(1, 0), (1, 1)]
    # grow a tree of 1,000 first so that batches write into a realistic, non-empty registry
    for _ in range(10):
        batch = []
        for _ in range(100):
            parent, position = frontier.pop(0)
            batch.append((next_id, parent, parent, position))
            frontier += [(next_id, 0), (next_id, 1)]
            next_id += 1
        send(registry.placeBatch, batch, sender=admin)
    parent, position = frontier.pop(0)
    tx = send(registry.place, next_id, parent, parent, position, sender=admin)
    frontier += [(next_id, 0), (next_id, 1)]
    next_id += 1
    results["place_single"] = tx.gas_used

    def placement_batch(size):
        nonlocal next_id
        batch = []
        for _ in range(size):
            parent, position = frontier.pop(0)
            batch.append((next_id, parent, parent, position))
            frontier.extend([(next_id, 0), (next_id, 1)])
            next_id += 1
        return batch

    tx = send(registry.placeBatch, placement_batch(100), sender=admin)
    results["place_batch100_per_item"] = tx.gas_used // 100
    tx200 = send(registry.placeBatch, placement_batch(200), sender=admin)
    per_item = (tx200.gas_used - tx.gas_used) / 100
    fixed = tx.gas_used - 100 * per_item
    max_place = int((TX_GAS_CAP - fixed) / (per_item * 1.02))
    tx = send(registry.placeBatch, placement_batch(max_place), sender=admin)
    placement_check = tx.gas_used

    # --- anchor and vault -------------------------------------------------------------------
    anchor = PeriodAnchor.deploy(admin, admin, {"from": admin})
    token = TestUSD.deploy(admin, {"from": admin})
    vault = PayoutVault.deploy(admin, admin, admin, token, anchor, 0, {"from": admin})
    send(token.mint, vault, 10**15, sender=admin)

    addresses = fresh_addresses(10_000, rng)
    first = columns_tree(1, addresses, rng)
    send(anchor.anchor, 1, first.root, first.total, len(first), *HASHES, sender=admin)
    second = columns_tree(2, addresses, rng)
    tx = send(anchor.anchor, 2, second.root, second.total, len(second), *HASHES, sender=admin)
    results["anchor"] = tx.gas_used

    fresh = pay_in_batches(vault, first, admin, 1, 100)
    results["pay_batch100_per_fresh"] = sum(g for _, g in fresh) // sum(n for n, _ in fresh)
    existing = pay_in_batches(vault, second, admin, 2, 100)
    results["pay_batch100_per_existing"] = sum(g for _, g in existing) // sum(
        n for n, _ in existing
    )

    # largest payout batch under the cap: fresh recipients are the worst case
    third_addresses = fresh_addresses(10_000, rng)
    third = columns_tree(3, third_addresses, rng)
    send(anchor.anchor, 3, third.root, third.total, len(third), *HASHES, sender=admin)
    worst_per_line = max(g / n for n, g in fresh)
    max_pay = int(TX_GAS_CAP / (worst_per_line * 1.05))
    payout_check = pay_in_batches(vault, third, admin, 3, max_pay)[0][1]

    big = columns_tree(4, fresh_addresses(100_000, rng), rng)
    send(anchor.anchor, 4, big.root, big.total, len(big), *HASHES, sender=admin)
    order = big.lines_in_tree_order()
    # the period's first payment also copies its anchored terms into the vault (once per period)
    first_claim = big.leaf(order[-1])
    tx = send(
        vault.claim,
        4,
        first_claim.index,
        first_claim.account,
        first_claim.amount,
        big.proof(first_claim.index),
        sender=accounts[1],
    )
    first_in_period = tx.gas_used
    pushed = order[:100]
    multiproof = big.multiproof(pushed)
    send(
        vault.payBatch,
        4,
        [(leaf.index, leaf.account, leaf.amount) for leaf in multiproof.leaves],
        list(multiproof.proof),
        list(multiproof.proof_flags),
        sender=admin,
    )
    touched_words = {index >> 8 for index in pushed} | {first_claim.index >> 8}
    line = next(i for i in order[len(order) // 2 :] if i >> 8 not in touched_words)
    leaf = big.leaf(line)
    tx = send(
        vault.claim,
        4,
        leaf.index,
        leaf.account,
        leaf.amount,
        big.proof(leaf.index),
        sender=accounts[1],
    )
    results["claim_fresh_100k"] = tx.gas_used

    bank_addresses = ["0x" + bank_account(5, i + 1).hex() for i in range(10_000)]
    banked = columns_tree(5, bank_addresses, rng)
    send(anchor.anchor, 5, banked.root, banked.total, len(banked), *HASHES, sender=admin)
    attested = attest_in_batches(vault, banked, admin, 5, 100)
    results["attest_batch100_per_line"] = sum(g for _, g in attested) // sum(n for n, _ in attested)
    cheapest_push = min(results["pay_batch100_per_fresh"], results["pay_batch100_per_existing"])

    print(f"{'key':<28} {'gas':>10} {'budget':>10}  verdict")
    for key, gas in results.items():
        verdict = "ok" if gas <= BUDGET[key] else "OVER"
        print(f"{key:<28} {gas:>10,} {BUDGET[key]:>10,}  {verdict}")
    print(f"claim as a period's first payment (also copies its terms): {first_in_period:,} gas")
    print(
        f"largest placeBatch under {TX_GAS_CAP:,} gas: {max_place} (sent: {placement_check:,} gas)"
    )
    print(
        f"largest payBatch under {TX_GAS_CAP:,} gas: {max_pay} "
        f"(sent: {payout_check:,} gas, fresh recipients)"
    )
    print(
        f"attestBatch of 100: {results['attest_batch100_per_line']:,} gas per line; payBatch of "
        f"100: {results['pay_batch100_per_fresh']:,} (fresh), "
        f"{results['pay_batch100_per_existing']:,} (existing) per line"
    )
    report = dict(results)
    report["attest_within_push"] = results["attest_batch100_per_line"] <= cheapest_push
    report["claim_first_in_period_100k"] = first_in_period
    report["max_place_batch"] = max_place
    report["max_pay_batch"] = max_pay
    report["all_within_budget"] = all(results[k] <= BUDGET[k] for k in BUDGET)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "gas.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
