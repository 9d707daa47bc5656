#!/usr/bin/env bash
# Installs everything Lineage needs on a fresh machine; safe to run again (each step is skipped
# when it is already done). Needs: python3.11 with pip, node + npm, a C compiler.
#   - uv, and the application environment (.venv) from uv.lock
#   - npm packages from package-lock.json (npm ci: solc, ganache, anvil, cast, OpenZeppelin,
#     and the web pages' htmx, Alpine CSP, ECharts, d3-hierarchy, @noble/hashes)
#   - those pages' scripts copied into backend/web/static/vendor (served at /static/vendor)
#   - brownie in its own environment (.venv-brownie), pinned in tools/brownie-requirements.txt
#   - the solc shim where py-solc-x looks (.solcx/solc-v0.8.28): solc cannot be downloaded here
#   - the native batch keccak (ledger/_native/libkeccak_batch.so)
#   - brownie's network definitions, then `brownie compile`
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

export UV_PYTHON_DOWNLOADS=never  # use the machine's CPython 3.11; no downloads from elsewhere
if ! command -v uv >/dev/null 2>&1; then
  say "installing uv"
  python3 -m pip install --quiet --disable-pip-version-check uv \
    || python3 -m pip install --quiet --user --disable-pip-version-check uv
  export PATH="$HOME/.local/bin:$PATH"
fi
command -v uv >/dev/null || { echo "uv is not on PATH after installing it" >&2; exit 1; }

say "application environment (.venv, from uv.lock)"
uv sync --frozen --quiet

stamp_ok() { [ -f "$1" ] && [ "$1" -nt "$2" ]; }

# uv installs packages without .pyc files, and where PYTHONDONTWRITEBYTECODE is set (CI images,
# sandboxes) Python never writes them: every `lineage` start would compile typer, pydantic and
# numpy from source (0.5 s instead of 0.1 s for `lineage --help`). Once per uv.lock.
if ! stamp_ok .venv/.lineage-bytecode uv.lock; then
  say "bytecode of the application environment"
  uv sync --frozen --quiet --compile-bytecode
  touch .venv/.lineage-bytecode
fi

if ! stamp_ok node_modules/.package-lock.json package-lock.json; then
  say "npm packages (package-lock.json)"
  # npm ci never rewrites the lock (like `uv sync --frozen`). The lock lists every platform's
  # optional @foundry-rs/anvil and cast binary: with only this machine's, npm ci refuses it as
  # out of sync and npm install rewrites it, leaving the work tree dirty after setup.
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi
# The web pages' scripts, from the npm packages the lock pins (no CDN): the files the pages
# load, copied where the app serves /static. Cheap, so always (a lock change updates them).
say "web assets (backend/web/static/vendor)"
vendor=backend/web/static/vendor
rm -rf "$vendor"
mkdir -p "$vendor/noble-hashes"
cp node_modules/htmx.org/dist/htmx.min.js \
   node_modules/@alpinejs/csp/dist/cdn.min.js \
   node_modules/echarts/dist/echarts.min.js \
   node_modules/d3-hierarchy/dist/d3-hierarchy.min.js "$vendor/"
mv "$vendor/cdn.min.js" "$vendor/alpine-csp.min.js"
# ES modules: sha3 (keccak) and the two modules it imports, side by side.
cp node_modules/@noble/hashes/{sha3,_u64,utils}.js "$vendor/noble-hashes/"

[ -x node_modules/.bin/anvil ] && node_modules/.bin/anvil --version >/dev/null \
  || { echo "anvil did not install (node_modules/.bin/anvil)" >&2; exit 1; }

if ! stamp_ok .venv-brownie/.lineage-stamp tools/brownie-requirements.txt; then
  say "brownie environment (.venv-brownie)"
  rm -rf .venv-brownie
  uv venv --quiet --python 3.11 .venv-brownie
  VIRTUAL_ENV="$root/.venv-brownie" uv pip install --quiet -r tools/brownie-requirements.txt
  touch .venv-brownie/.lineage-stamp
fi

mkdir -p .solcx
ln -sfn ../tools/solc-shim.js .solcx/solc-v0.8.28
chmod +x tools/solc-shim.js

native=ledger/_native
if ! stamp_ok "$native/libkeccak_batch.so" "$native/keccak_batch.c"; then
  say "native batch keccak"
  ${CC:-cc} -O2 -fPIC -shared -o "$native/libkeccak_batch.so" "$native/keccak_batch.c"
fi
.venv/bin/python -c "from ledger import _native; assert _native.LIBRARY, 'native keccak failed its self-check'"

# The documents' fonts (and the PDF tools their tests use), from Debian when missing: as root
# they are installed, otherwise setup says what to install and goes on (`make test` insists).
tools/print.sh || say "documents: install the packages named above to render and test PDFs"

export PATH="$root/node_modules/.bin:$PATH" SOLCX_BINARY_PATH="$root/.solcx"
say "brownie networks and contracts"
.venv-brownie/bin/python tools/brownie_networks.py
.venv-brownie/bin/brownie compile >/dev/null
say "done"
