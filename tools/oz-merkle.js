#!/usr/bin/env node
// Reference oracle: the payout tree as @openzeppelin/merkle-tree builds it.
// stdin:  {"leaves": [["periodId", "index", "0xaccount", "amount"], ...], "proofs": [i, ...],
//          "multiproofs": [[i, j, ...], ...]}   (i: position in `leaves`; integers as strings:
//          JavaScript numbers lose precision past 2**53)
// stdout: {"root": "0x..", "proofs": [[...]], "multiproofs": [{"leaves": [...], "proof": [...],
//          "proofFlags": [...]}]}
'use strict';
const fs = require('fs');
const path = require('path');
const { StandardMerkleTree } = require(path.join(__dirname, '..', 'node_modules', '@openzeppelin', 'merkle-tree'));

const request = JSON.parse(fs.readFileSync(0, 'utf8'));
const values = request.leaves.map(([periodId, index, account, amount]) => [
  String(periodId), String(index), account, String(amount),
]);
const tree = StandardMerkleTree.of(values, ['uint64', 'uint32', 'address', 'uint256']);
const result = {
  root: tree.root,
  proofs: (request.proofs || []).map((i) => tree.getProof(i)),
  multiproofs: (request.multiproofs || []).map((indices) => {
    const m = tree.getMultiProof(indices);
    return { leaves: m.leaves.map((v) => v.map(String)), proof: m.proof, proofFlags: m.proofFlags };
  }),
};
process.stdout.write(JSON.stringify(result));
