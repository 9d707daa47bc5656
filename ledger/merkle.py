"""Payout Merkle trees, byte for byte those of OpenZeppelin's StandardMerkleTree.

A payout leaf is `(uint64 periodId, uint32 index, address account, uint256 amount)`; its hash is
`keccak256(bytes.concat(keccak256(abi.encode(periodId, index, account, amount))))`. Leaf hashes
are sorted, laid out in the library's array form (a complete binary tree: node `i` has children
`2i+1` and `2i+2`; the sorted leaves fill the tail of the array in reverse), and each inner node
is the keccak of its two children in ascending order. Roots, proofs and multiproofs therefore
equal `@openzeppelin/merkle-tree`'s and verify with OpenZeppelin's `MerkleProof`.

Speed: a period of a million payees means three million keccak calls. Leaves are held as
columns (numpy) and the tree as one flat buffer of 32-byte nodes; hashing runs in the native
batch hasher (`ledger/_native`) when it is built, else in Python with safe-pysha3: the same
bytes either way, about ten times slower.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sha3 import keccak_256

from ledger import _native
from ledger._merkle_build import build_native, build_python, encode_leaves, hash_pair
from ledger.errors import MerkleError

__all__ = [
    "MultiProof",
    "PayoutLeaf",
    "PayoutTree",
    "leaf_hash",
    "native_hasher_built",
    "process_proof",
    "verify_multiproof",
    "verify_proof",
]

_UINT64_MAX = 2**64 - 1
_UINT32_MAX = 2**32 - 1
_UINT256_MAX = 2**256 - 1


@dataclass(frozen=True, slots=True)
class PayoutLeaf:
    """One payout line of a period: `amount` base units of the payout token to `account`."""

    period_id: int
    index: int
    account: str
    amount: int

    def __post_init__(self) -> None:
        _check_uint("period_id", self.period_id, _UINT64_MAX)
        _check_uint("index", self.index, _UINT32_MAX)
        _check_uint("amount", self.amount, _UINT256_MAX)
        _address_bytes(self.account)

    def encode(self) -> bytes:
        """`abi.encode(periodId, index, account, amount)`: four 32-byte words."""
        return (
            self.period_id.to_bytes(32, "big")
            + self.index.to_bytes(32, "big")
            + bytes(12)
            + _address_bytes(self.account)
            + self.amount.to_bytes(32, "big")
        )

    def as_json(self) -> list[int | str]:
        """The LEAVES.json row: `[periodId, index, "0xaccount", amount]`."""
        return [self.period_id, self.index, self.account, self.amount]


@dataclass(frozen=True, slots=True)
class MultiProof:
    """A multiproof in OpenZeppelin's form: `leaves` in the order `MerkleProof` consumes them."""

    leaves: tuple[PayoutLeaf, ...]
    proof: tuple[bytes, ...]
    proof_flags: tuple[bool, ...]


def native_hasher_built() -> bool:
    """True when the native batch hasher is built and passed its self-check (``native=True``
    then works; without it a tree asked for ``native=True`` raises :class:`MerkleError`)."""
    return _native.LIBRARY is not None


def leaf_hash(leaf: PayoutLeaf) -> bytes:
    """The StandardMerkleTree leaf hash (double keccak of the ABI encoding)."""
    digest: bytes = keccak_256(keccak_256(leaf.encode()).digest()).digest()
    return digest


def process_proof(leaf_node: bytes, proof: Iterable[bytes]) -> bytes:
    """The root implied by a leaf hash and its proof (OpenZeppelin `processProof`)."""
    node = leaf_node
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify_proof(root: bytes, leaf: PayoutLeaf, proof: Iterable[bytes]) -> bool:
    """True when `proof` ties `leaf` to `root`."""
    return process_proof(leaf_hash(leaf), proof) == root


def verify_multiproof(root: bytes, multiproof: MultiProof) -> bool:
    """True when the multiproof ties all its leaves to `root` (OpenZeppelin `processMultiProof`)."""
    leaves = [leaf_hash(leaf) for leaf in multiproof.leaves]
    proof = list(multiproof.proof)
    flags = multiproof.proof_flags
    if len(leaves) + len(proof) != len(flags) + 1:
        return False
    queue = leaves
    hashes: list[bytes] = []
    leaf_pos = hash_pos = proof_pos = 0
    for flag in flags:
        if leaf_pos < len(queue):
            a = queue[leaf_pos]
            leaf_pos += 1
        else:
            a = hashes[hash_pos]
            hash_pos += 1
        if flag:
            if leaf_pos < len(queue):
                b = queue[leaf_pos]
                leaf_pos += 1
            else:
                b = hashes[hash_pos]
                hash_pos += 1
        else:
            if proof_pos >= len(proof):
                return False
            b = proof[proof_pos]
            proof_pos += 1
        hashes.append(hash_pair(a, b))
    if flags:
        return proof_pos == len(proof) and hashes[-1] == root
    if leaves:
        return leaves[0] == root
    return bool(proof) and proof[0] == root


class PayoutTree:
    """The StandardMerkleTree of one period's payout leaves.

    Leaves are addressed by their own `index` field (the line number), which must be unique.
    """

    __slots__ = (
        "_accounts",
        "_amounts",
        "_indices",
        "_line_order",
        "_period_ids",
        "_sorted_lines",
        "_tree",
        "_tree_index",
    )

    def __init__(self, leaves: Sequence[PayoutLeaf], *, native: bool | None = None) -> None:
        if not leaves:
            raise MerkleError("a payout tree needs at least one leaf")
        count = len(leaves)
        period_ids = np.fromiter((leaf.period_id for leaf in leaves), dtype=np.uint64, count=count)
        indices = np.fromiter((leaf.index for leaf in leaves), dtype=np.uint32, count=count)
        accounts = np.frombuffer(
            bytes.fromhex("".join(leaf.account[2:] for leaf in leaves)), dtype=np.uint8
        ).reshape(count, 20)
        self._init(period_ids, indices, accounts, [leaf.amount for leaf in leaves], native)

    @classmethod
    def from_columns(
        cls,
        *,
        period_id: int,
        indices: npt.ArrayLike,
        accounts: npt.ArrayLike,
        amounts: Sequence[int] | npt.NDArray[np.uint64],
        native: bool | None = None,
    ) -> PayoutTree:
        """A tree from columns, without building a `PayoutLeaf` per line (the engine's path).

        `accounts` is an (n, 20) uint8 array of address bytes; `amounts` integers >= 0.
        """
        _check_uint("period_id", period_id, _UINT64_MAX)
        index_array = np.asarray(indices)
        if index_array.ndim != 1 or index_array.size == 0:
            raise MerkleError("a payout tree needs at least one leaf")
        if (
            index_array.dtype.kind not in "iu"
            or index_array.min() < 0
            or int(index_array.max()) > _UINT32_MAX
        ):
            raise MerkleError("indices must be integers in 0..4294967295")
        account_array = np.ascontiguousarray(accounts, dtype=np.uint8)
        if account_array.shape != (index_array.size, 20):
            raise MerkleError("accounts must be an (n, 20) array of address bytes")
        amount_list: Sequence[int] | npt.NDArray[np.uint64]
        if isinstance(amounts, np.ndarray):
            if amounts.dtype.kind not in "iu" or (amounts.size and amounts.min() < 0):
                raise MerkleError("amounts must be non-negative integers")
            amount_list = amounts.astype(np.uint64)
        else:
            for amount in amounts:
                _check_uint("amount", amount, _UINT256_MAX)
            amount_list = list(amounts)
        if len(amount_list) != index_array.size:
            raise MerkleError("indices, accounts and amounts differ in length")
        tree = cls.__new__(cls)
        tree._init(
            np.full(index_array.size, period_id, dtype=np.uint64),
            index_array.astype(np.uint32),
            account_array,
            amount_list,
            native,
        )
        return tree

    def _init(
        self,
        period_ids: npt.NDArray[np.uint64],
        indices: npt.NDArray[np.uint32],
        accounts: npt.NDArray[np.uint8],
        amounts: Sequence[int] | npt.NDArray[np.uint64],
        native: bool | None,
    ) -> None:
        line_order = np.argsort(indices, kind="stable")
        sorted_lines = indices[line_order]
        duplicates = np.flatnonzero(sorted_lines[1:] == sorted_lines[:-1])
        if duplicates.size:
            raise MerkleError(f"duplicate leaf index {int(sorted_lines[duplicates[0]])}")
        self._period_ids, self._indices, self._accounts = period_ids, indices, accounts
        self._amounts = amounts
        self._line_order, self._sorted_lines = line_order, sorted_lines
        encoded = encode_leaves(period_ids, indices, accounts, amounts)
        use_native = _native.LIBRARY is not None if native is None else native
        if use_native and _native.LIBRARY is None:
            raise MerkleError("the native hasher is not built (run make setup)")
        build = build_native if use_native else build_python
        self._tree, self._tree_index = build(encoded, indices.size)

    @property
    def leaves(self) -> tuple[PayoutLeaf, ...]:
        """The leaves in the order given."""
        return tuple(self._leaf_at(position) for position in range(self._indices.size))

    def __len__(self) -> int:
        return int(self._indices.size)

    @property
    def root(self) -> bytes:
        return self._node(0)

    @property
    def root_hex(self) -> str:
        return "0x" + self.root.hex()

    @property
    def total(self) -> int:
        """Sum of all leaf amounts."""
        if isinstance(self._amounts, np.ndarray):
            return sum(int(a) for a in self._amounts)
        return sum(self._amounts)

    def leaf(self, index: int) -> PayoutLeaf:
        """The leaf whose line index is `index`."""
        return self._leaf_at(self._position(index))

    def proof_bytes(self, index: int) -> list[bytes]:
        """Sibling hashes from the leaf up to the root (OpenZeppelin `getProof`)."""
        node = int(self._tree_index[self._position(index)])
        proof: list[bytes] = []
        while node > 0:
            proof.append(self._node(node - 1 if node % 2 == 0 else node + 1))
            node = (node - 1) // 2
        return proof

    def proof(self, index: int) -> list[str]:
        """The proof of line `index` as 0x-prefixed hex strings."""
        return ["0x" + node.hex() for node in self.proof_bytes(index)]

    def multiproof(self, indices: Iterable[int]) -> MultiProof:
        """One proof for many lines (OpenZeppelin `getMultiProof`); leaves come out in the order
        `MerkleProof.multiProofVerify` needs, which is not the order asked for."""
        position_of_node = {
            int(self._tree_index[p]): p for p in (self._position(i) for i in indices)
        }
        tree_nodes = sorted(position_of_node, reverse=True)
        if not tree_nodes:
            return MultiProof(leaves=(), proof=(self.root,), proof_flags=())
        stack = list(tree_nodes)
        head = 0
        proof: list[bytes] = []
        flags: list[bool] = []
        while head < len(stack) and stack[head] > 0:
            node = stack[head]
            head += 1
            sibling = node - 1 if node % 2 == 0 else node + 1
            if head < len(stack) and stack[head] == sibling:
                flags.append(True)
                head += 1
            else:
                flags.append(False)
                proof.append(self._node(sibling))
            stack.append((node - 1) // 2)
        leaves = tuple(self._leaf_at(position_of_node[node]) for node in tree_nodes)
        return MultiProof(leaves=leaves, proof=tuple(proof), proof_flags=tuple(flags))

    def lines_in_tree_order(self) -> list[int]:
        """Line indices in the order a multiproof lists them (descending tree node): cutting
        this list into consecutive chunks gives payout batches with the smallest multiproofs."""
        order = np.argsort(self._tree_index, kind="stable")[::-1]
        return [int(line) for line in self._indices[order]]

    def _node(self, node: int) -> bytes:
        return self._tree[32 * node : 32 * node + 32]

    def _leaf_at(self, position: int) -> PayoutLeaf:
        return PayoutLeaf(
            period_id=int(self._period_ids[position]),
            index=int(self._indices[position]),
            account="0x" + self._accounts[position].tobytes().hex(),
            amount=int(self._amounts[position]),
        )

    def _position(self, index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= _UINT32_MAX:
            raise MerkleError(f"no leaf with index {index}")
        # A uint32 needle: a Python int would make numpy promote (copy) the whole column.
        slot = int(np.searchsorted(self._sorted_lines, np.uint32(index)))
        if slot >= self._sorted_lines.size or int(self._sorted_lines[slot]) != index:
            raise MerkleError(f"no leaf with index {index}")
        return int(self._line_order[slot])


def _check_uint(name: str, value: object, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MerkleError(f"{name} must be an integer, got {value!r}")
    if value < 0:
        raise MerkleError(f"{name} must not be negative, got {value}")
    if value > maximum:
        raise MerkleError(f"{name} {value} does not fit in uint{maximum.bit_length()}")


def _address_bytes(account: object) -> bytes:
    if not isinstance(account, str) or len(account) != 42 or account[:2] not in ("0x", "0X"):
        raise MerkleError(f"account must be a 0x-prefixed 20-byte hex address, got {account!r}")
    try:
        return bytes.fromhex(account[2:])
    except ValueError:
        raise MerkleError(f"account is not hexadecimal: {account!r}") from None
