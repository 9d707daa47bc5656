# Lineage: every target sets itself up first (tools/setup.sh is idempotent and quick when done).
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/.venv/bin:$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
BROWNIE := $(CURDIR)/.venv-brownie/bin/brownie
BROWNIE_PY := $(CURDIR)/.venv-brownie/bin/python

.PHONY: setup run demo test test-app test-contracts test-contracts-anvil test-pages-postgres lint postgres browser print bench bench-gas bench-merkle

setup:
	@tools/setup.sh

run: setup  ## the main job on the embedded defaults
	.venv/bin/lineage run $(ARGS)

test: setup lint postgres browser print test-app test-contracts  ## the whole suite (what .ci/run calls)

lint:  ## ruff (lint and format), mypy, the import contracts (pyproject.toml), solhint on contracts/ (.solhint.json)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports --no-cache
	@# --disc: no update check online
	node_modules/.bin/solhint --disc --noPoster --max-warnings 0 'contracts/**/*.sol'
	@# solhint cannot tell `0.8.28` from `^0.8.28`: deployables pin the compiler, interfaces float.
	@if grep -nE '^pragma solidity [^0-9]' contracts/*.sol contracts/test/*.sol; then \
	  echo "deployable contracts pin the exact compiler: pragma solidity 0.8.28;" >&2; exit 1; fi

postgres:  ## start the local PostgreSQL the tests use (installed but stopped); quick when up
	@tools/postgres.sh

browser:  ## Debian's chromium for the web tests (apt, as root) when it is missing
	@tools/chromium.sh

print:  ## DejaVu fonts (PDF documents) and poppler-utils (their tests) with apt when missing
	@tools/print.sh

test-app:  ## ledger, backend (SQLite and PostgreSQL) and web pages (test client, then chromium)
	@# Two workers (the machine's two cores): a test file stays on one worker (--dist loadfile),
	@# so a module's served company or chain is started once; each worker has its own
	@# PostgreSQL database, data folders and free ports. Files run slowest first (the root
	@# conftest.py, from tests/durations.json), not in xdist's order by number of tests.
	.venv/bin/pytest -n 2 --dist loadfile --no-loadscope-reorder

test-contracts:  ## the brownie suite on Ganache (hardfork shanghai), the chain Lineage runs on
	$(BROWNIE) test tests/contracts --network lineage-ganache

test-contracts-anvil:  ## the brownie suite on Anvil too (EIP-7825 gas cap; not in `make test`: CI's 30 min)
	$(BROWNIE) test tests/contracts --network lineage-anvil

test-pages-postgres:  ## the pages' test-client tests on PostgreSQL too (CI runs them on SQLite)
	LINEAGE_TEST_PAGES_POSTGRES=1 .venv/bin/pytest -n 2 --dist loadfile tests/web -m postgres

bench: setup bench-gas bench-merkle  ## every benchmark; each prints a table, last line JSON
	.venv/bin/python bench/cli_start.py
	.venv/bin/python bench/placement.py
	.venv/bin/python bench/engine.py --distributors 1000000 --orders 5000000
	.venv/bin/python bench/enroll.py
	.venv/bin/python bench/enroll.py --batch 100
	.venv/bin/python bench/period_close.py --distributors 10000
	.venv/bin/python bench/period_pay.py --lines 300 --periods 30 --crash-rate 0.7 --seed 12
	.venv/bin/python bench/downline.py  # PostgreSQL at 127.0.0.1:5432 (LINEAGE_TEST_POSTGRES_URL)
	.venv/bin/python bench/office.py  # office pages: 100,000 on SQLite, 1,000,000 on PostgreSQL
	.venv/bin/python bench/people.py  # retention over 24 months: summary against recount
	.venv/bin/python bench/documents.py  # one act on demand, p50/p95 of 20 (<= 1 s)
	.venv/bin/python bench/reconciliation.py  # a year's reconciliation statement, weekly and daily orders
	.venv/bin/python bench/disclosure.py  # the year's income disclosure over 1,000,000
	.venv/bin/python bench/upd.py  # one UPD of 30 lines on demand, p50/p95 of 10 (<= 1 s)
	.venv/bin/python bench/load.py  # 100 users, 2 min on SQLite, then on PostgreSQL at 127.0.0.1:5432

bench-gas: setup
	$(BROWNIE_PY) bench/gas.py --network lineage-anvil

bench-merkle: setup
	.venv/bin/python bench/merkle.py
