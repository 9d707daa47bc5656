// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title MerkleProofHarness
/// @notice Exposes OpenZeppelin's MerkleProof and the payout leaf hash, so tests can check
/// off-chain trees against the on-chain verifier directly.
contract MerkleProofHarness {
    /// @notice The payout leaf hash in plain Solidity, the reference for PayoutVault's assembly.
    function payoutLeaf(uint64 periodId, uint32 index, address account, uint256 amount)
        public
        pure
        returns (bytes32)
    {
        return keccak256(bytes.concat(keccak256(abi.encode(periodId, index, account, amount))));
    }

    /// @notice OpenZeppelin's single-leaf proof check.
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice OpenZeppelin's multiproof check, as PayoutVault.payBatch uses it.
    function multiProofVerify(
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        bytes32 root,
        bytes32[] calldata leaves
    ) external pure returns (bool) {
        return MerkleProof.multiProofVerifyCalldata(proof, proofFlags, root, leaves);
    }
}
