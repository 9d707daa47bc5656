// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IGenealogyRegistry} from "./interfaces/IGenealogyRegistry.sol";

/// @title GenealogyRegistry
/// @notice Append-only sponsor placements. See {IGenealogyRegistry}.
contract GenealogyRegistry is IGenealogyRegistry, AccessControl {
    /// @notice May add placements.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    uint32 private immutable _width;
    uint64 private immutable _rootId;

    mapping(uint64 id => Placement) private _placements;
    // Children packed four to a slot (uint64 ids): the second child of a binary parent costs a
    // warm or non-zero write instead of a fresh slot. Key: parent << 32 | position / 4.
    mapping(uint256 key => uint256 ids) private _children;

    /// @notice Places the company's root distributor and hands out the two roles.
    /// @param admin receives the admin role (grants and revokes the others; a multisig in production)
    /// @param registrar receives the registrar role
    /// @param rootId_ the company's root distributor, placed here with no sponsor and no parent
    /// @param width_ children per parent: 2 = binary, w = matrix, 0 = unlimited
    constructor(address admin, address registrar, uint64 rootId_, uint32 width_) {
        if (rootId_ == 0) revert InvalidDistributorId();
        _width = width_;
        _rootId = rootId_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, registrar);
        _placements[rootId_] = Placement({sponsor: 0, parent: 0, position: 0, placedAt: uint64(block.timestamp)});
        emit Placed(rootId_, 0, 0, 0);
    }

    /// @inheritdoc IGenealogyRegistry
    function place(uint64 id, uint64 sponsor, uint64 parent, uint32 position) external onlyRole(REGISTRAR_ROLE) {
        _place(id, sponsor, parent, position);
    }

    /// @inheritdoc IGenealogyRegistry
    function placeBatch(PlacementRequest[] calldata requests) external onlyRole(REGISTRAR_ROLE) {
        uint256 count = requests.length;
        if (count == 0) revert EmptyBatch();
        for (uint256 i = 0; i < count; ++i) {
            PlacementRequest calldata request = requests[i];
            _place(request.id, request.sponsor, request.parent, request.position);
        }
    }

    /// @inheritdoc IGenealogyRegistry
    function placementOf(uint64 id) external view returns (Placement memory) {
        return _placements[id];
    }

    /// @inheritdoc IGenealogyRegistry
    function childAt(uint64 parent, uint32 position) external view returns (uint64) {
        (uint256 key, uint256 shift) = _childSlot(parent, position);
        return uint64(_children[key] >> shift);
    }

    /// @inheritdoc IGenealogyRegistry
    function width() external view returns (uint32) {
        return _width;
    }

    /// @inheritdoc IGenealogyRegistry
    function rootId() external view returns (uint64) {
        return _rootId;
    }

    function _place(uint64 id, uint64 sponsor, uint64 parent, uint32 position) private {
        if (id == 0) revert InvalidDistributorId();
        if (_placements[id].placedAt != 0) revert AlreadyPlaced(id);
        if (_placements[sponsor].placedAt == 0) revert UnknownSponsor(sponsor);
        if (_placements[parent].placedAt == 0) revert UnknownParent(parent);
        uint32 treeWidth = _width;
        if (treeWidth != 0 && position >= treeWidth) revert PositionBeyondWidth(position, treeWidth);

        (uint256 key, uint256 shift) = _childSlot(parent, position);
        uint256 packed = _children[key];
        uint64 occupant = uint64(packed >> shift);
        if (occupant != 0) revert PositionOccupied(parent, position, occupant);

        _children[key] = packed | (uint256(id) << shift);
        _placements[id] = Placement({sponsor: sponsor, parent: parent, position: position, placedAt: uint64(block.timestamp)});
        emit Placed(id, sponsor, parent, position);
    }

    function _childSlot(uint64 parent, uint32 position) private pure returns (uint256 key, uint256 shift) {
        key = (uint256(parent) << 32) | (position >> 2);
        shift = uint256(position & 3) * 64;
    }
}
