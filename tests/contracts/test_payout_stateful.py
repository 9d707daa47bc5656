"""Payout invariants under random anchors, pushes, claims, pauses, blocks and time.

The model (plain Python) says what must happen; after every step the chain must agree:
- a line is paid at most once, and a push and a claim of the same line never both succeed;
- the paid total of a period never exceeds its anchored total;
- nothing pays before the challenge window has passed or while the vault is paused;
- a wrong proof, amount, account or period never pays;
- a blocked recipient is skipped and recorded, and the rest of its batch is paid.
"""

import brownie
from conftest import USD, batch_args, payout_tree
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

WINDOW = 600


st_lines = st.lists(st.integers(min_value=0, max_value=255), min_size=1, max_size=12)
st_pick = st.integers(min_value=0, max_value=2**32)


class PayoutMachine(RuleBasedStateMachine):
    """Each run starts from the same chain snapshot (vault deployed and funded)."""

    vault = anchor = token = admin = anchorer = payer = pauser = None
    payees: list = []

    def __init__(self):
        super().__init__()
        brownie.chain.revert()
        self.periods = {}  # period id -> (tree, anchored total, opens_at)
        self.paid = {}  # (period, index) -> amount
        self.blocked = set()
        self.paused = False
        # addresses keyed lower-case: leaves read back from a tree carry lower-case hex
        self.received = {payee.address.lower(): 0 for payee in self.payees}
        self.start_balances = {p.address.lower(): self.token.balanceOf(p) for p in self.payees}

    # --- actions -------------------------------------------------------------------------

    @rule(st_lines=st_lines, st_pick=st_pick, st_bool=st.booleans())
    def anchor_period(self, st_lines, st_pick, st_bool):
        period_id = len(self.periods) + 1
        lines = [
            (self.payees[(st_pick + i) % len(self.payees)], (amount + 1) * USD)
            for i, amount in enumerate(st_lines)
        ]
        tree = payout_tree(period_id, lines)
        # sometimes anchor a total below the leaves' sum, which the vault must enforce
        total = tree.total - (USD if st_bool and tree.total > USD else 0)
        tx = self.anchor.anchor(
            period_id,
            tree.root,
            total,
            len(tree),
            b"\x01" * 32,
            b"\x02" * 32,
            b"\x03" * 32,
            {"from": self.anchorer},
        )
        opens_at = brownie.chain[tx.block_number].timestamp + WINDOW
        self.periods[period_id] = (tree, total, opens_at)

    @rule()
    def wait(self):
        brownie.chain.sleep(WINDOW // 2)
        brownie.chain.mine()

    @rule()
    def toggle_pause(self):
        if self.paused:
            self.vault.unpause({"from": self.pauser})
        else:
            self.vault.pause({"from": self.pauser})
        self.paused = not self.paused

    @rule(st_pick=st_pick)
    def toggle_block(self, st_pick):
        payee = self.payees[st_pick % len(self.payees)].address
        blocked = payee.lower() not in self.blocked
        self.token.setBlocked(payee, blocked, {"from": self.admin})
        (self.blocked.add if blocked else self.blocked.discard)(payee.lower())

    @rule(st_pick=st_pick, st_lines=st_lines)
    def push(self, st_pick, st_lines):
        if not self.periods:
            return
        period_id = st_pick % len(self.periods) + 1
        tree, total, opens_at = self.periods[period_id]
        chosen = sorted({value % len(tree) for value in st_lines})
        lines, proof, flags = batch_args(tree, chosen)
        expected_error = self._expected_block(period_id, opens_at)
        outcome = {}
        running = sum(a for (p, _), a in self.paid.items() if p == period_id)
        for index, account, amount in lines:
            if (period_id, index) in self.paid or index in outcome:
                outcome.setdefault(index, "skipped")
            elif account.lower() in self.blocked:
                outcome[index] = "failed"
            else:
                outcome[index] = "paid"
                running += amount
        if expected_error is None and running > total:
            expected_error = "PeriodTotalExceeded"
        if expected_error:
            with brownie.reverts():
                self.vault.payBatch(period_id, lines, proof, flags, {"from": self.payer})
            return
        tx = self.vault.payBatch(period_id, lines, proof, flags, {"from": self.payer})
        events = tx.events
        assert sorted(events["BatchPaid"][0]["indices"]) == sorted(
            i for i, o in outcome.items() if o == "paid"
        )
        failed = [e["index"] for e in events["PaymentFailed"]] if "PaymentFailed" in events else []
        assert sorted(failed) == sorted(i for i, o in outcome.items() if o == "failed")
        for index, account, amount in lines:
            if outcome[index] == "paid":
                self.paid[(period_id, index)] = amount
                self.received[account.lower()] += amount

    @rule(st_pick=st_pick, st_tamper=st.integers(min_value=0, max_value=3))
    def claim(self, st_pick, st_tamper):
        if not self.periods:
            return
        period_id = st_pick % len(self.periods) + 1
        tree, total, opens_at = self.periods[period_id]
        index = (st_pick // 7) % len(tree)
        leaf = tree.leaf(index)
        account, amount, claimed_period = leaf.account, leaf.amount, period_id
        if st_tamper == 1:
            amount += 1
        elif st_tamper == 2:
            account = self.admin.address
        elif st_tamper == 3:
            claimed_period = period_id % len(self.periods) + 1
            if claimed_period == period_id:
                amount += 1  # only one period: tamper with the amount instead
        proof = tree.proof(index)
        should_fail = (
            self._expected_block(claimed_period, self.periods[claimed_period][2]) is not None
            or st_tamper != 0
            or (period_id, index) in self.paid
            or account.lower() in self.blocked
            or sum(a for (p, _), a in self.paid.items() if p == period_id) + amount > total
        )
        if should_fail:
            with brownie.reverts():
                self.vault.claim(
                    claimed_period, index, account, amount, proof, {"from": self.payer}
                )
            return
        self.vault.claim(period_id, index, account, amount, proof, {"from": self.payer})
        self.paid[(period_id, index)] = amount
        self.received[account.lower()] += amount

    def _expected_block(self, period_id, opens_at):
        if abs(brownie.chain.time() - opens_at) < 5:
            # too close to call which block timestamp the transaction gets: step past it
            brownie.chain.sleep(10)
        if self.paused:
            return "EnforcedPause"
        if brownie.chain.time() < opens_at:
            return "ChallengeWindowOpen"
        return None

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def paid_lines_and_totals_match_the_model(self):
        for period_id, (tree, total, _) in self.periods.items():
            on_chain = self.vault.paidTotalOf(period_id)
            modelled = sum(a for (p, _), a in self.paid.items() if p == period_id)
            assert on_chain == modelled <= total
            words = [self.vault.paidBitmap(period_id, w) for w in range(len(tree) // 256 + 1)]
            for index in range(len(tree)):
                paid = (period_id, index) in self.paid
                assert self.vault.isPaid(period_id, index) == paid
                assert bool(words[index >> 8] >> (index & 0xFF) & 1) == paid

    @invariant()
    def each_payee_received_exactly_their_paid_lines(self):
        for payee in self.payees:
            received = self.token.balanceOf(payee) - self.start_balances[payee.address.lower()]
            assert received == self.received[payee.address.lower()]


def test_payout_invariants_hold(
    PayoutVault, anchor, token, admin, anchorer, payer, pauser, accounts
):
    vault = PayoutVault.deploy(admin, payer, pauser, token, anchor, WINDOW, {"from": admin})
    token.mint(vault, 10**9 * USD, {"from": admin})
    PayoutMachine.vault, PayoutMachine.anchor, PayoutMachine.token = vault, anchor, token
    PayoutMachine.admin, PayoutMachine.anchorer = admin, anchorer
    PayoutMachine.payer, PayoutMachine.pauser = payer, pauser
    PayoutMachine.payees = list(accounts[5:10])
    brownie.chain.snapshot()
    run_state_machine_as_test(
        PayoutMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
