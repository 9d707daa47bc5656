"""Payout invariants under random anchors, pushes, claims, bank attestations, pauses, blocks and
time.

The model (plain Python) says what must happen; after every step the chain must agree:
- a line is paid at most once, by one rail: a push and a claim of the same line never both
  succeed, a bank line is only ever attested and a token line never is (counted from the events);
- the paid total of a period never exceeds its anchored total;
- nothing pays before the challenge window has passed or while the vault is paused;
- a wrong proof, amount, account or period never pays;
- a blocked recipient is skipped and recorded, and the rest of its batch is paid;
- the vault's balance falls by exactly the token lines paid; attestations move no tokens.
"""

from collections import Counter

import brownie
from conftest import USD, attest_args, bank, batch_args, payout_tree, ref
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

WINDOW = 600


st_lines = st.lists(st.integers(min_value=0, max_value=255), min_size=1, max_size=12)
st_pick = st.integers(min_value=0, max_value=2**32)
st_rails = st.integers(min_value=0, max_value=2**12 - 1)  # bit i set: line i is a bank line


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
        self.vault_start = self.token.balanceOf(self.vault)
        self.bank_lines = set()  # (period, index) whose account is a bank pseudo-address
        self.rails_paid = Counter()  # (period, index, rail) -> successes read from the events

    # --- actions -------------------------------------------------------------------------

    @initialize(st_lines=st_lines, st_pick=st_pick, st_rails=st_rails)
    def open_a_period(self, st_lines, st_pick, st_rails):
        """Every run starts with a period anchored and open, so that the payment rules act on
        something from the first step (runs are short)."""
        self.anchor_period(st_lines, st_pick, False, st_rails)
        brownie.chain.sleep(WINDOW + 1)
        brownie.chain.mine()

    @rule(st_lines=st_lines, st_pick=st_pick, st_bool=st.booleans(), st_rails=st_rails)
    def anchor_period(self, st_lines, st_pick, st_bool, st_rails):
        period_id = len(self.periods) + 1
        lines = [
            (
                bank(period_id, 1000 + i)
                if st_rails >> i & 1
                else self.payees[(st_pick + i) % len(self.payees)],
                (amount + 1) * USD,
            )
            for i, amount in enumerate(st_lines)
        ]
        self.bank_lines.update((period_id, i) for i in range(len(lines)) if st_rails >> i & 1)
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

    @rule(st_pick=st_pick, st_lines=st_lines, st_mix=st.booleans())
    def push(self, st_pick, st_lines, st_mix):
        if not self.periods:
            return
        period_id = st_pick % len(self.periods) + 1
        tree, total, opens_at = self.periods[period_id]
        chosen = sorted({value % len(tree) for value in st_lines})
        if not st_mix:  # token lines only; otherwise any bank line must fail the whole batch
            chosen = [i for i in chosen if (period_id, i) not in self.bank_lines]
            if not chosen:
                return
        lines, proof, flags = batch_args(tree, chosen)
        expected_error = self._expected_block(period_id, opens_at)
        if any((period_id, i) in self.bank_lines for i in chosen):
            expected_error = expected_error or "BankLineNotPayable"
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
        self._count(period_id, events["BatchPaid"][0]["indices"], "token")
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
            or (period_id, index) in self.bank_lines
            or account.lower() in self.blocked
            or sum(a for (p, _), a in self.paid.items() if p == period_id) + amount > total
        )
        if should_fail:
            with brownie.reverts():
                self.vault.claim(
                    claimed_period, index, account, amount, proof, {"from": self.payer}
                )
            return
        tx = self.vault.claim(period_id, index, account, amount, proof, {"from": self.payer})
        self._count(period_id, [e["index"] for e in tx.events["Paid"]], "token")
        self.paid[(period_id, index)] = amount
        self.received[account.lower()] += amount

    @rule(
        st_pick=st_pick,
        st_lines=st_lines,
        st_tamper=st.integers(min_value=0, max_value=8),
        st_salt=st.integers(min_value=0, max_value=3),
    )
    def attest(self, st_pick, st_lines, st_tamper, st_salt):
        """Attest bank lines; tampering adds a token line (1), a zero reference (2), a wrong
        amount (3) or one reference too few (4), each of which must fail the whole batch; 5..8
        attest as they are."""
        st_tamper = st_tamper if st_tamper <= 4 else 0
        if not self.periods:
            return
        period_id = st_pick % len(self.periods) + 1
        tree, total, opens_at = self.periods[period_id]
        picked = {value % len(tree) for value in st_lines}
        banked = {i for i in picked if (period_id, i) in self.bank_lines}
        if not banked or (st_tamper == 1 and banked == picked):
            return
        chosen = sorted(picked if st_tamper == 1 else banked)
        lines, refs, proof, flags = attest_args(tree, chosen, refs=lambda i: ref(i, st_salt))
        if st_tamper == 2:
            refs[-1] = b"\x00" * 32
        elif st_tamper == 3:
            index, account, amount = lines[0]
            lines[0] = (index, account, amount + 1)
        elif st_tamper == 4:
            refs = refs[:-1]
        expected_error = self._expected_block(period_id, opens_at)
        running = sum(a for (p, _), a in self.paid.items() if p == period_id)
        fresh = [(i, a) for i, _, a in lines if (period_id, i) not in self.paid]
        if st_tamper or expected_error or running + sum(a for _, a in fresh) > total:
            with brownie.reverts():
                self.vault.attestBatch(period_id, lines, refs, proof, flags, {"from": self.payer})
            return
        tx = self.vault.attestBatch(period_id, lines, refs, proof, flags, {"from": self.payer})
        event = tx.events["BatchAttested"][0]
        assert list(event["indices"]) == [i for i, _ in fresh]
        assert [bytes(r) for r in event["refs"]] == [ref(i, st_salt) for i, _ in fresh]
        assert event["amount"] == sum(a for _, a in fresh)
        assert "Transfer" not in tx.events
        self._count(period_id, event["indices"], "bank")
        for index, amount in fresh:
            self.paid[(period_id, index)] = amount

    def _count(self, period_id, indices, rail):
        for index in indices:
            self.rails_paid[(period_id, int(index), rail)] += 1

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
    def each_line_is_paid_at_most_once_by_its_own_rail(self):
        lines = Counter((period, index) for period, index, _ in self.rails_paid)
        assert all(count == 1 for count in lines.values())
        for (period_id, index, rail), _ in self.rails_paid.items():
            assert rail == ("bank" if (period_id, index) in self.bank_lines else "token")
        assert set(lines) == set(self.paid)

    @invariant()
    def the_vault_pays_out_the_token_lines_only(self):
        token_paid = sum(a for key, a in self.paid.items() if key not in self.bank_lines)
        assert self.token.balanceOf(self.vault) == self.vault_start - token_paid
        for period_id, index in self.bank_lines:
            account = self.periods[period_id][0].leaf(index).account
            assert self.token.balanceOf(account) == 0

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
