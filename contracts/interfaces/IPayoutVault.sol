// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Pays commission lines, and only lines, that a period anchored.
/// @notice Each line is a leaf `(uint64 periodId, uint32 index, address account, uint256 amount)`
/// of the period's OpenZeppelin StandardMerkleTree. A line is paid at most once, by one rail:
/// a token line (its account a wallet) is pushed by the payer in a batch or pulled by its account
/// with {claim}; a bank line (its account a pseudo-address starting with the marker bytes
/// `ba4cba4cba4c`, see `ledger/rails.py`) is paid by bank transfer off chain and attested by the
/// payer with {attestBatch}, which moves no tokens. A period never pays more than its anchored
/// total, all rails together; nothing pays before the challenge window after anchoring has passed.
interface IPayoutVault {
    /// @notice One payout line, as given to {payBatch} and {attestBatch}.
    struct Line {
        uint32 index;
        address account;
        uint256 amount;
    }

    /// @notice The line was paid before.
    error PayoutAlreadyPaid(uint64 periodId, uint32 index);
    /// @notice The proof does not tie the line(s) to the anchored root.
    error InvalidPayoutProof(uint64 periodId);
    /// @notice The line index is not below the period's leaf count.
    error IndexOutOfRange(uint64 periodId, uint32 index, uint32 leafCount);
    /// @notice Payments for the period start at `opensAt`.
    error ChallengeWindowOpen(uint64 periodId, uint64 opensAt);
    /// @notice Paying would take the period past its anchored total.
    error PeriodTotalExceeded(uint64 periodId, uint256 paid, uint256 total);
    /// @notice The anchored total does not fit the vault's 80-bit book (over 10^18 tokens of 6
    /// decimals); such a period cannot be paid here.
    error TotalTooLarge(uint64 periodId, uint256 total);
    /// @notice {payBatch} or {attestBatch} was called with no lines.
    error EmptyBatch();
    /// @notice The token transfer of a claim failed (e.g. the account is blocked by the token).
    error TransferFailed(uint64 periodId, uint32 index, address account);
    /// @notice A transfer ran out of gas: the whole batch fails rather than recording lines as
    /// failed payments because the transaction was sent with too little gas.
    error InsufficientGasForTransfer(uint64 periodId, uint32 index);
    /// @notice The line's account is a bank line's pseudo-address: it is paid by bank transfer
    /// and attested with {attestBatch}, never pushed or claimed in tokens.
    error BankLineNotPayable(uint64 periodId, uint32 index, address account);
    /// @notice {attestBatch} was given a line whose account is not a bank line's pseudo-address.
    error NotABankLine(uint64 periodId, uint32 index, address account);
    /// @notice {attestBatch} needs exactly one payment reference per line.
    error RefsLengthMismatch(uint256 lines, uint256 refs);
    /// @notice A bank line was attested without a payment reference.
    error ZeroReference(uint64 periodId, uint32 index);

    /// @notice Emitted for a line paid by {claim}.
    event Paid(uint64 indexed periodId, address indexed account, uint32 index, uint256 amount);
    /// @notice Emitted once per {payBatch}: the lines it paid (in the batch's order) and their sum.
    /// Each paid line's account and amount are its leaf's; the token's Transfer events repeat
    /// them. One event per batch instead of one per line saves ~1,750 gas a line.
    event BatchPaid(uint64 indexed periodId, uint32[] indices, uint256 amount);
    /// @notice Emitted when a pushed line's transfer failed; the line stays unpaid and claimable.
    event PaymentFailed(uint64 indexed periodId, uint32 indexed index, address indexed account, uint256 amount);
    /// @notice Emitted when a pushed or attested line was already paid; nothing is transferred or
    /// recorded for it.
    event PaymentSkipped(uint64 indexed periodId, uint32 indexed index);
    /// @notice Emitted once per {attestBatch}: the bank lines it marked paid (in the batch's
    /// order), each line's payment reference at the same position, and their sum. No tokens moved.
    event BatchAttested(uint64 indexed periodId, uint32[] indices, bytes32[] refs, uint256 amount);

    /// @notice Pushes many lines of one period, proven together by one multiproof. Lines must be
    /// in the order of the multiproof's leaves. A line whose transfer fails is recorded with
    /// {PaymentFailed} and does not stop the rest; a line paid before is recorded with
    /// {PaymentSkipped}; the rest are listed in {BatchPaid}. Requires the payer role; not while
    /// paused. Reverts with {BankLineNotPayable} when any line is a bank line.
    function payBatch(uint64 periodId, Line[] calldata lines, bytes32[] calldata proof, bool[] calldata proofFlags)
        external;

    /// @notice Pays one line to its own account (anyone may submit it). Not while paused. Reverts
    /// with {BankLineNotPayable} for a bank line.
    function claim(uint64 periodId, uint32 index, address account, uint256 amount, bytes32[] calldata proof) external;

    /// @notice Records bank lines of one period as paid by bank transfer, proven together by one
    /// multiproof; moves no tokens. Lines must be in the order of the multiproof's leaves, each
    /// line's account a bank line's pseudo-address ({NotABankLine} otherwise), and `refs[i]` the
    /// non-zero payment reference of `lines[i]`: `keccak256(salt || bank document id, date and
    /// amount)`, the salt kept by the company, so the reference ties the line to one bank
    /// document without publishing it. A line attested or paid before is recorded with
    /// {PaymentSkipped} and the rest are listed in {BatchAttested}, so a batch resent after a
    /// crash attests nothing twice. Requires the payer role; not while paused.
    /// @param periodId The anchored period.
    /// @param lines The bank lines, in multiproof leaf order.
    /// @param refs One non-zero payment reference per line, at the line's position.
    /// @param proof The multiproof's sibling hashes.
    /// @param proofFlags The multiproof's flags.
    function attestBatch(
        uint64 periodId,
        Line[] calldata lines,
        bytes32[] calldata refs,
        bytes32[] calldata proof,
        bool[] calldata proofFlags
    ) external;

    /// @notice True when the line was paid.
    function isPaid(uint64 periodId, uint32 index) external view returns (bool);

    /// @notice 256 paid flags in one word: bit `i` is line `256 * word + i`. Reading a period's
    /// flags a word at a time costs 1/256 of the calls `isPaid` would.
    function paidBitmap(uint64 periodId, uint256 word) external view returns (uint256);

    /// @notice Sum of the amounts paid for the period so far.
    function paidTotalOf(uint64 periodId) external view returns (uint256);

    /// @notice The ERC-20 token paid out.
    function token() external view returns (address);

    /// @notice The PeriodAnchor whose roots authorise payments.
    function periodAnchor() external view returns (address);

    /// @notice Seconds after anchoring before a period's lines can be paid.
    function challengeWindow() external view returns (uint64);
}
