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
/// @notice Pays anchored payout lines in an ERC-20 token, or attests those paid by bank transfer.
/// See {IPayoutVault}.
/// @dev A period's anchored terms are write-once, so the vault copies them into its own book on
/// the first payment of the period and never calls the anchor for that period again: later
/// payments read two warm-able slots instead of making an external call.
contract PayoutVault is IPayoutVault, AccessControl, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice May push payouts with {payBatch}.
    bytes32 public constant PAYER_ROLE = keccak256("PAYER_ROLE");
    /// @notice May pause and unpause payments.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @dev The top 48 bits of a bank line's pseudo-address (`ledger/rails.py`).
    uint160 private constant _BANK_MARKER = 0xba4cba4cba4c;

    /// @dev Per period: the anchored root, and in one slot the anchored total, the amount paid so
    /// far, the leaf count and when payments open. `opensAt == 0` means "not copied yet".
    struct Book {
        bytes32 payoutRoot;
        uint80 total;
        uint80 paid;
        uint32 leafCount;
        uint64 opensAt;
    }

    IERC20 private immutable _token;
    IPeriodAnchor private immutable _periodAnchor;
    uint64 private immutable _challengeWindow;

    mapping(uint64 periodId => Book) private _books;
    // One bit per line: 256 lines share a word.
    mapping(uint64 periodId => mapping(uint256 word => uint256 bits)) private _paidBits;

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
        Book memory book = _openBook(periodId);
        _proveBatch(periodId, book, lines, proof, proofFlags, false);

        mapping(uint256 => uint256) storage paidBits = _paidBits[periodId];
        uint32[] memory paidIndices = new uint32[](count);
        uint256 paidCount = 0;
        uint256 batchAmount = 0;
        for (uint256 i = 0; i < count;) {
            Line calldata line = lines[i];
            if (_push(periodId, line, paidBits)) {
                paidIndices[paidCount] = line.index;
                batchAmount += line.amount;
                unchecked {
                    ++paidCount; // at most count
                }
            }
            unchecked {
                ++i; // bounded by count
            }
        }
        uint256 paidTotal = book.paid + batchAmount;
        // Checked once after the loop: a revert here undoes every transfer of the batch.
        if (paidTotal > book.total) revert PeriodTotalExceeded(periodId, paidTotal, book.total);
        // Written once after the loop; nonReentrant keeps a token callback (none for a plain
        // ERC-20) from observing or racing the stale total.
        _books[periodId].paid = uint80(paidTotal);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(paidIndices, paidCount) // shrink the array to the lines actually paid
        }
        emit BatchPaid(periodId, paidIndices, batchAmount);
    }

    /// @inheritdoc IPayoutVault
    function claim(uint64 periodId, uint32 index, address account, uint256 amount, bytes32[] calldata proof)
        external
        whenNotPaused
        nonReentrant
    {
        Book memory book = _openBook(periodId);
        if (index >= book.leafCount) revert IndexOutOfRange(periodId, index, book.leafCount);
        if (_isBank(account)) revert BankLineNotPayable(periodId, index, account);
        mapping(uint256 => uint256) storage paidBits = _paidBits[periodId];
        uint256 wordIndex = index >> 8;
        uint256 mask = 1 << (index & 0xff);
        uint256 bits = paidBits[wordIndex];
        if (bits & mask != 0) revert PayoutAlreadyPaid(periodId, index);
        if (!MerkleProof.verifyCalldata(proof, book.payoutRoot, _leaf(periodId, index, account, amount))) {
            revert InvalidPayoutProof(periodId);
        }
        uint256 paidTotal = book.paid + amount;
        if (paidTotal > book.total) revert PeriodTotalExceeded(periodId, paidTotal, book.total);

        paidBits[wordIndex] = bits | mask;
        _books[periodId].paid = uint80(paidTotal);
        if (!_token.trySafeTransfer(account, amount)) revert TransferFailed(periodId, index, account);
        emit Paid(periodId, account, index, amount);
    }

    /// @inheritdoc IPayoutVault
    /// @dev Per line: the leaf hash, the multiproof's share, one paid-bit write and 64 bytes of
    /// event data; the period's paid total is written once.
    function attestBatch(
        uint64 periodId,
        Line[] calldata lines,
        bytes32[] calldata refs,
        bytes32[] calldata proof,
        bool[] calldata proofFlags
    ) external onlyRole(PAYER_ROLE) whenNotPaused nonReentrant {
        uint256 count = lines.length;
        if (count == 0) revert EmptyBatch();
        if (refs.length != count) revert RefsLengthMismatch(count, refs.length);
        Book memory book = _openBook(periodId);
        _proveBatch(periodId, book, lines, proof, proofFlags, true);

        mapping(uint256 => uint256) storage paidBits = _paidBits[periodId];
        uint32[] memory attestedIndices = new uint32[](count);
        bytes32[] memory attestedRefs = new bytes32[](count);
        uint256 attestedCount = 0;
        uint256 batchAmount = 0;
        for (uint256 i = 0; i < count;) {
            Line calldata line = lines[i];
            bytes32 ref = refs[i];
            if (ref == bytes32(0)) revert ZeroReference(periodId, line.index);
            uint256 wordIndex = line.index >> 8;
            uint256 mask = 1 << (line.index & 0xff);
            uint256 bits = paidBits[wordIndex];
            if (bits & mask != 0) {
                emit PaymentSkipped(periodId, line.index);
            } else {
                paidBits[wordIndex] = bits | mask;
                attestedIndices[attestedCount] = line.index;
                attestedRefs[attestedCount] = ref;
                batchAmount += line.amount;
                unchecked {
                    ++attestedCount; // at most count
                }
            }
            unchecked {
                ++i; // bounded by count
            }
        }
        uint256 paidTotal = book.paid + batchAmount;
        if (paidTotal > book.total) revert PeriodTotalExceeded(periodId, paidTotal, book.total);
        _books[periodId].paid = uint80(paidTotal);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // shrink both arrays to the lines actually attested
            mstore(attestedIndices, attestedCount)
            mstore(attestedRefs, attestedCount)
        }
        emit BatchAttested(periodId, attestedIndices, attestedRefs, batchAmount);
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
    function paidBitmap(uint64 periodId, uint256 word) external view returns (uint256) {
        return _paidBits[periodId][word];
    }

    /// @inheritdoc IPayoutVault
    function paidTotalOf(uint64 periodId) external view returns (uint256) {
        return _books[periodId].paid;
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

    /// @dev The period's book, copied from the anchor on first use; reverts until payments open.
    function _openBook(uint64 periodId) private returns (Book memory book) {
        book = _books[periodId];
        if (book.opensAt == 0) {
            IPeriodAnchor.PayoutTerms memory terms = _periodAnchor.payoutTermsOf(periodId);
            if (terms.total > type(uint80).max) revert TotalTooLarge(periodId, terms.total);
            book = Book({
                payoutRoot: terms.payoutRoot,
                total: uint80(terms.total),
                paid: 0,
                leafCount: terms.leafCount,
                opensAt: terms.anchoredAt + _challengeWindow
            });
            if (block.timestamp < book.opensAt) revert ChallengeWindowOpen(periodId, book.opensAt);
            _books[periodId] = book;
        } else if (block.timestamp < book.opensAt) {
            revert ChallengeWindowOpen(periodId, book.opensAt);
        }
    }

    /// @dev Reverts unless every line is in range, on the rail asked for (`bank`: each account
    /// carries the bank marker; otherwise none does) and proven by the multiproof.
    function _proveBatch(
        uint64 periodId,
        Book memory book,
        Line[] calldata lines,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        bool bank
    ) private pure {
        uint256 count = lines.length;
        bytes32[] memory leaves = new bytes32[](count);
        for (uint256 i = 0; i < count;) {
            Line calldata line = lines[i];
            if (line.index >= book.leafCount) revert IndexOutOfRange(periodId, line.index, book.leafCount);
            if (_isBank(line.account) != bank) {
                if (bank) revert NotABankLine(periodId, line.index, line.account);
                revert BankLineNotPayable(periodId, line.index, line.account);
            }
            leaves[i] = _leaf(periodId, line.index, line.account, line.amount);
            unchecked {
                ++i; // bounded by count
            }
        }
        if (!MerkleProof.multiProofVerifyCalldata(proof, proofFlags, book.payoutRoot, leaves)) {
            revert InvalidPayoutProof(periodId);
        }
    }

    /// @dev True when `account` is a bank line's pseudo-address: its top 6 bytes are the marker
    /// `ba4cba4cba4c` (`ledger/rails.py`).
    function _isBank(address account) private pure returns (bool) {
        return uint160(account) >> 112 == _BANK_MARKER;
    }

    /// @dev Pays one proven line unless it was paid before; true when it was paid now.
    function _push(uint64 periodId, Line calldata line, mapping(uint256 => uint256) storage paidBits)
        private
        returns (bool)
    {
        uint256 wordIndex = line.index >> 8;
        uint256 mask = 1 << (line.index & 0xff);
        uint256 bits = paidBits[wordIndex];
        if (bits & mask != 0) {
            emit PaymentSkipped(periodId, line.index);
            return false;
        }
        paidBits[wordIndex] = bits | mask;
        uint256 gasBefore = gasleft();
        // A failing recipient (e.g. blocked by the token) must not stop the batch: undo its
        // effect, record it, and leave the line claimable.
        if (!_token.trySafeTransfer(line.account, line.amount)) {
            // Out of gas is not the recipient's failure: the call keeps 1/64 of the gas back.
            if (gasleft() <= gasBefore / 63) revert InsufficientGasForTransfer(periodId, line.index);
            paidBits[wordIndex] = bits;
            emit PaymentFailed(periodId, line.index, line.account, line.amount);
            return false;
        }
        return true;
    }

    /// @dev `keccak256(bytes.concat(keccak256(abi.encode(periodId, index, account, amount))))`,
    /// hashed in scratch memory: the high-level form allocates ~200 bytes per line, for good.
    function _leaf(uint64 periodId, uint32 index, address account, uint256 amount) private pure returns (bytes32 leaf) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let encoded := mload(0x40)
            // Narrow types may carry dirty high bits in assembly: mask each to its ABI width.
            mstore(encoded, and(periodId, 0xffffffffffffffff))
            mstore(add(encoded, 0x20), and(index, 0xffffffff))
            mstore(add(encoded, 0x40), and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(encoded, 0x60), amount)
            mstore(0x00, keccak256(encoded, 0x80))
            leaf := keccak256(0x00, 0x20)
        }
    }
}
