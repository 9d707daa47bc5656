// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IPeriodAnchor} from "./interfaces/IPeriodAnchor.sol";

/// @title PeriodAnchor
/// @notice Write-once, in-sequence period records. See {IPeriodAnchor}.
/// @dev The three package hashes are stored as one commitment (one slot instead of three) and
/// published in full in {PeriodAnchored}; {matchesPackage} checks a package against it.
contract PeriodAnchor is IPeriodAnchor, AccessControl {
    /// @notice May anchor periods.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    uint64 private _latestPeriodId;
    mapping(uint64 periodId => PayoutTerms) private _terms;
    mapping(uint64 periodId => bytes32) private _packageCommitments;

    constructor(address admin, address anchorer) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, anchorer);
    }

    /// @inheritdoc IPeriodAnchor
    function anchor(
        uint64 periodId,
        bytes32 payoutRoot,
        uint256 total,
        uint32 leafCount,
        bytes32 inputsHash,
        bytes32 planHash,
        bytes32 resultsHash
    ) external onlyRole(ANCHORER_ROLE) {
        uint64 expected = _latestPeriodId + 1;
        if (periodId != expected) revert PeriodOutOfSequence(periodId, expected);
        bool emptyPeriod = leafCount == 0;
        if (
            total > type(uint128).max || (emptyPeriod && (total != 0 || payoutRoot != bytes32(0)))
                || (!emptyPeriod && payoutRoot == bytes32(0))
        ) revert InvalidPayoutTerms();

        _latestPeriodId = periodId;
        _terms[periodId] = PayoutTerms({
            payoutRoot: payoutRoot,
            total: uint128(total),
            leafCount: leafCount,
            anchoredAt: uint64(block.timestamp)
        });
        _packageCommitments[periodId] = _commitment(inputsHash, planHash, resultsHash);
        emit PeriodAnchored(periodId, payoutRoot, total, leafCount, inputsHash, planHash, resultsHash);
    }

    /// @inheritdoc IPeriodAnchor
    function payoutTermsOf(uint64 periodId) external view returns (PayoutTerms memory terms) {
        terms = _terms[periodId];
        if (terms.anchoredAt == 0) revert PeriodNotAnchored(periodId);
    }

    /// @inheritdoc IPeriodAnchor
    function packageCommitmentOf(uint64 periodId) external view returns (bytes32) {
        if (_terms[periodId].anchoredAt == 0) revert PeriodNotAnchored(periodId);
        return _packageCommitments[periodId];
    }

    /// @inheritdoc IPeriodAnchor
    function matchesPackage(uint64 periodId, bytes32 inputsHash, bytes32 planHash, bytes32 resultsHash)
        external
        view
        returns (bool)
    {
        return _terms[periodId].anchoredAt != 0
            && _packageCommitments[periodId] == _commitment(inputsHash, planHash, resultsHash);
    }

    /// @inheritdoc IPeriodAnchor
    function latestPeriodId() external view returns (uint64) {
        return _latestPeriodId;
    }

    function _commitment(bytes32 inputsHash, bytes32 planHash, bytes32 resultsHash) private pure returns (bytes32) {
        return keccak256(abi.encode(inputsHash, planHash, resultsHash));
    }
}
