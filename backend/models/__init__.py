"""Period and chain-intent tables (moving to the periods domain package); the registry of every
table is `backend.db_models`."""
