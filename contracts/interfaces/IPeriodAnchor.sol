// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Write-once, in-sequence record of each closed commission period.
/// @notice The period package (inputs, plan, results) stays off chain; its hashes are anchored
/// here so anyone holding the package can prove it is the one the company paid from.
interface IPeriodAnchor {
    /// @notice What the payout contract needs, packed in two storage slots.
    struct PayoutTerms {
        bytes32 payoutRoot; // root of the StandardMerkleTree of payout leaves
        uint128 total; // sum of all leaf amounts, in the token's base units
        uint32 leafCount; // number of payout leaves
        uint64 anchoredAt; // block timestamp of the anchoring; 0 = not anchored
    }

    /// @notice `periodId` is not the next one in sequence.
    error PeriodOutOfSequence(uint64 periodId, uint64 expected);
    /// @notice `periodId` has not been anchored.
    error PeriodNotAnchored(uint64 periodId);
    /// @notice A period with leaves needs a non-zero root, and a total that fits in 128 bits.
    error InvalidPayoutTerms();

    /// @notice Emitted once per period, with every hash of its package.
    event PeriodAnchored(
        uint64 indexed periodId,
        bytes32 indexed payoutRoot,
        uint256 total,
        uint32 leafCount,
        bytes32 inputsHash,
        bytes32 planHash,
        bytes32 resultsHash
    );

    /// @notice Anchors the next period. Reverts unless the caller holds the anchorer role and
    /// `periodId` is exactly one more than the last anchored period (the first period is 1).
    function anchor(
        uint64 periodId,
        bytes32 payoutRoot,
        uint256 total,
        uint32 leafCount,
        bytes32 inputsHash,
        bytes32 planHash,
        bytes32 resultsHash
    ) external;

    /// @notice The payout terms of an anchored period; reverts with {PeriodNotAnchored} otherwise.
    function payoutTermsOf(uint64 periodId) external view returns (PayoutTerms memory);

    /// @notice `keccak256(abi.encode(inputsHash, planHash, resultsHash))` of an anchored period.
    function packageCommitmentOf(uint64 periodId) external view returns (bytes32);

    /// @notice True when the three hashes are exactly the ones anchored for `periodId`.
    function matchesPackage(uint64 periodId, bytes32 inputsHash, bytes32 planHash, bytes32 resultsHash)
        external
        view
        returns (bool);

    /// @notice The last anchored period id, 0 before the first.
    function latestPeriodId() external view returns (uint64);
}
