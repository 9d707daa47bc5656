"""The demo company: `lineage demo`, and what `lineage run` creates on an empty data folder."""
