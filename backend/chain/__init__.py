"""The chain side of the service: the gateway (the one module that imports web3), the outbox
writer that mirrors placements on chain, the managed local Ganache and the deployment check.

`lineage run` wires them: `ManagedGanache` (or `--rpc`), `ensure_deployment`, then a
`ChainRuntime` whose writer runs inside the app's lifespan and whose `status` feeds /health.
"""
