"""The chain, web3 only: a leaf that imports no domain, entry point or dev tool.

- `deployment`: the deployment record and the chain's status (plain data, no web3);
- `gateway`: a deployment's contracts on the process's one client (what callers import);
- `client`: the one web3 client per process: error translation, signing, broadcast, receipts;
- `registry`, `anchor`, `vault`: one binding per contract; `node`: probes of a node by URL;
- `payouts`: the anchor, vault and token bindings; `audit_reads`: the auditor's event scans;
- `reads`: the read-only bindings the API uses, built once per app;
- `chain_types`: the error family (`ChainError`, `ChainUnavailable`, `Reverted`) and plain types.

The one writer lives in `backend.worker`; the managed Ganache and the deploy driver in
`backend.dev`.
"""
