"""The hash-chained admin action log."""
