// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Append-only record of who sits where in a network-marketing genealogy.
/// @notice Distributors are numeric ids only: names and contact data never reach the chain.
/// Every placement is final; a correction is a new distributor id, never an edit.
interface IGenealogyRegistry {
    /// @notice One placement: who enrolled the distributor and where they sit in the placement tree.
    struct Placement {
        uint64 sponsor; // the enroller; 0 only for the root
        uint64 parent; // the placement parent; 0 only for the root
        uint32 position; // slot under the parent, 0-based
        uint64 placedAt; // block timestamp of the placement; never 0 for a placed id
    }

    /// @notice A placement request, as given to {placeBatch}.
    struct PlacementRequest {
        uint64 id;
        uint64 sponsor;
        uint64 parent;
        uint32 position;
    }

    /// @notice `id` 0 is reserved for "nobody" and cannot be placed.
    error InvalidDistributorId();
    /// @notice `id` already has a placement.
    error AlreadyPlaced(uint64 id);
    /// @notice The sponsor has no placement.
    error UnknownSponsor(uint64 sponsor);
    /// @notice The parent has no placement.
    error UnknownParent(uint64 parent);
    /// @notice `position` is not below the tree's width.
    error PositionBeyondWidth(uint32 position, uint32 width);
    /// @notice Somebody already sits at `position` under `parent`.
    error PositionOccupied(uint64 parent, uint32 position, uint64 occupant);
    /// @notice {placeBatch} was called with no requests.
    error EmptyBatch();

    /// @notice Emitted for every placement, the root's included.
    event Placed(uint64 indexed id, uint64 indexed sponsor, uint64 indexed parent, uint32 position);

    /// @notice Places one distributor. Reverts unless the caller holds the registrar role.
    function place(uint64 id, uint64 sponsor, uint64 parent, uint32 position) external;

    /// @notice Places many distributors in order; all or nothing. Later requests may name earlier
    /// ones as sponsor or parent.
    function placeBatch(PlacementRequest[] calldata requests) external;

    /// @notice The placement of `id`; `placedAt == 0` means `id` is not placed.
    function placementOf(uint64 id) external view returns (Placement memory);

    /// @notice The distributor at `position` under `parent`, or 0 when the position is free.
    function childAt(uint64 parent, uint32 position) external view returns (uint64);

    /// @notice Children per parent: 2 = binary, w = matrix, 0 = unlimited. Fixed at deployment.
    function width() external view returns (uint32);

    /// @notice The id placed at deployment, with no sponsor and no parent.
    function rootId() external view returns (uint64);
}
