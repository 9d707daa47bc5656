"""The third entry point beside `api/` and `cli/`: the one chain writer.

- `writer.ChainWriter`: one loop, one nonce over the one queue (`backend.chain_jobs`): place
  jobs (`placements.PlacementJobs`, many per `placeBatch`) and period jobs
  (`period_jobs.PeriodJobs`: anchor, funding, `payBatch`) in each round;
- `runtime.ChainRuntime`: what `lineage run` (beside the API) and `lineage worker` (alone) start;
- `lease.single_writer`: a second writer on the same database refuses to start.
"""
