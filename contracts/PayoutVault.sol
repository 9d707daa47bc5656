// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IPayoutVault} from "./interfaces/IPayoutVault.sol";
import {IPeriodAnchor} from "./interfaces/IPeriodAnchor.sol";

/// @title PayoutVault
/// @notice Pays anchored payout lines in an ERC-20 token. See {IPayoutVault}.
contract PayoutVault is IPayoutVault, AccessControl, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice May push payouts with {payBatch}.
    bytes32 public constant PAYER_ROLE = keccak256("PAYER_ROLE");
    /// @notice May pause and unpause payments.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    IERC20 private immutable _token;
    IPeriodAnchor private immutable _periodAnchor;
    uint64 private immutable _challengeWindow;

    // One bit per line: 256 lines share a word, so a batch of neighbouring lines pays for one
    // fresh slot and then only warm writes.
    mapping(uint64 periodId => mapping(uint256 word => uint256 bits)) private _paidBits;
    mapping(uint64 periodId => uint256) private _paidTotals;

    constructor(
        address admin,
        address payer,
        address pauser,
        IERC20 token_,
        IPeriodAnchor periodAnchor_,
        uint64 challengeWindow_
    ) {
        _token = token_;
        _periodAnchor = periodAnchor_;
        _challengeWindow = challengeWindow_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAYER_ROLE, payer);
        _grantRole(PAUSER_ROLE, pauser);
    }

    /// @inheritdoc IPayoutVault
    function payBatch(uint64 periodId, Line[] calldata lines, bytes32[] calldata proof, bool[] calldata proofFlags)
        external
        onlyRole(PAYER_ROLE)
        whenNotPaused
        nonReentrant
    {
        uint256 count = lines.length;
        if (count == 0) revert EmptyBatch();
        IPeriodAnchor.PayoutTerms memory terms = _payableTerms(periodId);

        bytes32[] memory leaves = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            Line calldata line = lines[i];
            if (line.index >= terms.leafCount) revert IndexOutOfRange(periodId, line.index, terms.leafCount);
            leaves[i] = _leaf(periodId, line.index, line.account, line.amount);
        }
        if (!MerkleProof.multiProofVerifyCalldata(proof, proofFlags, terms.payoutRoot, leaves)) {
            revert InvalidPayoutProof(periodId);
        }

        mapping(uint256 => uint256) storage paidBits = _paidBits[periodId];
        uint256 paidTotal = _paidTotals[periodId];
        for (uint256 i = 0; i < count; ++i) {
            paidTotal += _push(periodId, lines[i], paidBits);
        }
        // Checked once after the loop: a revert here undoes every transfer of the batch.
        if (paidTotal > terms.total) revert PeriodTotalExceeded(periodId, paidTotal, terms.total);
        // Written once after the loop to save a store per line; nonReentrant keeps the token's
        // callbacks (none for a plain ERC-20) from observing the stale total.
        _paidTotals[periodId] = paidTotal;
    }

    /// @inheritdoc IPayoutVault
    function claim(uint64 periodId, uint32 index, address account, uint256 amount, bytes32[] calldata proof)
        external
        whenNotPaused
        nonReentrant
    {
        IPeriodAnchor.PayoutTerms memory terms = _payableTerms(periodId);
        if (index >= terms.leafCount) revert IndexOutOfRange(periodId, index, terms.leafCount);
        mapping(uint256 => uint256) storage paidBits = _paidBits[periodId];
        uint256 wordIndex = index >> 8;
        uint256 mask = 1 << (index & 0xff);
        uint256 bits = paidBits[wordIndex];
        if (bits & mask != 0) revert PayoutAlreadyPaid(periodId, index);
        if (!MerkleProof.verifyCalldata(proof, terms.payoutRoot, _leaf(periodId, index, account, amount))) {
            revert InvalidPayoutProof(periodId);
        }
        uint256 paidTotal = _paidTotals[periodId] + amount;
        if (paidTotal > terms.total) revert PeriodTotalExceeded(periodId, paidTotal, terms.total);

        paidBits[wordIndex] = bits | mask;
        _paidTotals[periodId] = paidTotal;
        if (!_token.trySafeTransfer(account, amount)) revert TransferFailed(periodId, index, account);
        emit Paid(periodId, index, account, amount);
    }

    /// @notice Stops all payments until {unpause}. Requires the pauser role.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resumes payments. Requires the pauser role.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc IPayoutVault
    function isPaid(uint64 periodId, uint32 index) external view returns (bool) {
        return _paidBits[periodId][index >> 8] & (1 << (index & 0xff)) != 0;
    }

    /// @inheritdoc IPayoutVault
    function paidTotalOf(uint64 periodId) external view returns (uint256) {
        return _paidTotals[periodId];
    }

    /// @inheritdoc IPayoutVault
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IPayoutVault
    function periodAnchor() external view returns (address) {
        return address(_periodAnchor);
    }

    /// @inheritdoc IPayoutVault
    function challengeWindow() external view returns (uint64) {
        return _challengeWindow;
    }

    /// @dev Pays one proven line unless it was paid before; returns the amount paid (0 when
    /// skipped or when the transfer failed).
    function _push(uint64 periodId, Line calldata line, mapping(uint256 => uint256) storage paidBits)
        private
        returns (uint256)
    {
        uint256 wordIndex = line.index >> 8;
        uint256 mask = 1 << (line.index & 0xff);
        uint256 bits = paidBits[wordIndex];
        if (bits & mask != 0) {
            emit PaymentSkipped(periodId, line.index);
            return 0;
        }
        paidBits[wordIndex] = bits | mask;
        // A failing recipient (e.g. blocked by the token) must not stop the batch: undo its
        // effect, record it, and leave the line claimable.
        if (!_token.trySafeTransfer(line.account, line.amount)) {
            paidBits[wordIndex] = bits;
            emit PaymentFailed(periodId, line.index, line.account, line.amount);
            return 0;
        }
        emit Paid(periodId, line.index, line.account, line.amount);
        return line.amount;
    }

    function _payableTerms(uint64 periodId) private view returns (IPeriodAnchor.PayoutTerms memory terms) {
        terms = _periodAnchor.payoutTermsOf(periodId);
        uint64 opensAt = terms.anchoredAt + _challengeWindow;
        if (block.timestamp < opensAt) revert ChallengeWindowOpen(periodId, opensAt);
    }

    function _leaf(uint64 periodId, uint32 index, address account, uint256 amount) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(periodId, index, account, amount))));
    }
}
