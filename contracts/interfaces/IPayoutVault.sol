// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Pays commission lines, and only lines, that a period anchored.
/// @notice Each line is a leaf `(uint64 periodId, uint32 index, address account, uint256 amount)`
/// of the period's OpenZeppelin StandardMerkleTree. A line is paid at most once, either pushed by
/// the payer in a batch or pulled by its account with {claim}; a period never pays more than its
/// anchored total; nothing pays before the challenge window after anchoring has passed.
interface IPayoutVault {
    /// @notice One payout line, as given to {payBatch}.
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
    /// @notice {payBatch} was called with no lines.
    error EmptyBatch();
    /// @notice The token transfer of a claim failed (e.g. the account is blocked by the token).
    error TransferFailed(uint64 periodId, uint32 index, address account);
    /// @notice A transfer ran out of gas: the whole batch fails rather than recording lines as
    /// failed payments because the transaction was sent with too little gas.
    error InsufficientGasForTransfer(uint64 periodId, uint32 index);

    /// @notice Emitted for a line paid by {claim}.
    event Paid(uint64 indexed periodId, address indexed account, uint32 index, uint256 amount);
    /// @notice Emitted once per {payBatch}: the lines it paid (in the batch's order) and their sum.
    /// Each paid line's account and amount are its leaf's; the token's Transfer events repeat
    /// them. One event per batch instead of one per line saves ~1,750 gas a line.
    event BatchPaid(uint64 indexed periodId, uint32[] indices, uint256 amount);
    /// @notice Emitted when a pushed line's transfer failed; the line stays unpaid and claimable.
    event PaymentFailed(uint64 indexed periodId, uint32 indexed index, address indexed account, uint256 amount);
    /// @notice Emitted when a pushed line was already paid; nothing is transferred for it.
    event PaymentSkipped(uint64 indexed periodId, uint32 indexed index);

    /// @notice Pushes many lines of one period, proven together by one multiproof. Lines must be
    /// in the order of the multiproof's leaves. A line whose transfer fails is recorded with
    /// {PaymentFailed} and does not stop the rest; a line paid before is recorded with
    /// {PaymentSkipped}; the rest are listed in {BatchPaid}. Requires the payer role; not while
    /// paused.
    function payBatch(uint64 periodId, Line[] calldata lines, bytes32[] calldata proof, bool[] calldata proofFlags)
        external;

    /// @notice Pays one line to its own account (anyone may submit it). Not while paused.
    function claim(uint64 periodId, uint32 index, address account, uint256 amount, bytes32[] calldata proof) external;

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
