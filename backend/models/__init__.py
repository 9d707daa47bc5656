"""The chain-intent table (placements waiting for the chain writer); the registry of every
table is `backend.db_models`."""
