"""`lineage merkle`: payout roots and proofs from a LEAVES.json file, no service needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ledger.errors import MerkleError

if TYPE_CHECKING:
    from ledger.merkle import PayoutTree

app = typer.Typer(
    help="Payout Merkle roots and proofs (OpenZeppelin StandardMerkleTree).", no_args_is_help=True
)

LeavesArg = Annotated[Path, typer.Argument(help="JSON array of [periodId, index, account, amount]")]


def _tree(leaves_path: Path) -> PayoutTree:
    # Imported here: numpy and the hasher are not needed to parse arguments.
    from backend.leaves_file import LeavesFileError, read_leaves
    from ledger.merkle import PayoutTree

    try:
        return PayoutTree(read_leaves(leaves_path))
    except (LeavesFileError, MerkleError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None


@app.command()
def root(leaves: LeavesArg) -> None:
    """Print the 0x root of the payout tree."""
    typer.echo(_tree(leaves).root_hex)


@app.command()
def proof(
    leaves: LeavesArg,
    index: Annotated[int, typer.Option(help="the line's index field (not its row number)")],
) -> None:
    """Print the proof of one line as a JSON array of 0x hashes."""
    tree = _tree(leaves)
    try:
        typer.echo(json.dumps(tree.proof(index)))
    except MerkleError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
