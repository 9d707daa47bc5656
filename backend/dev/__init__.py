"""Dev-only pieces: the managed Ganache launcher, the brownie deploy driver and the demo company.

Only the command line (`lineage run` on the embedded defaults, `lineage demo`), tests and
benchmarks import this package; no route, domain, worker or chain module does (`make lint`).
"""
