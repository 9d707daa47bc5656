// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestUSD} from "./TestUSD.sol";

/// @title BlacklistableTestUSD
/// @notice TestUSD that refuses transfers to or from blocked accounts, as USDC does: used to
/// prove that one failing recipient never blocks the rest of a payout batch.
contract BlacklistableTestUSD is TestUSD {
    /// @notice The account is blocked by the token.
    error AccountBlocked(address account);

    /// @notice Emitted when an account is blocked or unblocked.
    event BlockedSet(address indexed account, bool blocked);

    mapping(address account => bool) private _blocked;

    constructor(address admin) TestUSD(admin) {}

    /// @notice Blocks or unblocks `account`. Requires the admin role.
    function setBlocked(address account, bool blocked) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _blocked[account] = blocked;
        emit BlockedSet(account, blocked);
    }

    /// @notice True when `account` is blocked.
    function isBlocked(address account) external view returns (bool) {
        return _blocked[account];
    }

    function _update(address from, address to, uint256 value) internal override {
        if (_blocked[from]) revert AccountBlocked(from);
        if (_blocked[to]) revert AccountBlocked(to);
        super._update(from, to, value);
    }
}
