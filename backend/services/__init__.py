"""Business logic. Route handlers call these; these never see HTTP."""
