#!/usr/bin/env bash
# Makes sure the PostgreSQL the backend's tests use is up: a server on 127.0.0.1:$PGPORT (5432)
# that lets `postgres` in without a password (trust) and has a database `test`. Called by
# `make test` and `.ci/run`; safe to run again and quick (two client calls) when all is so.
#   - installs PostgreSQL with apt only under CI=true or with --install (never a prompt)
#   - starts an installed but stopped Debian cluster (pg_ctlcluster): the one on $PGPORT
#   - sets trust auth for 127.0.0.1 when the server asks for a password, then reloads
# Without root it uses `sudo -n` when that needs no password; otherwise it says what to run and
# exits 0 locally (the PostgreSQL tests then skip, as the suite reports), 1 under CI=true.
set -euo pipefail
port="${PGPORT:-5432}"
install=false
[ "${1:-}" = "--install" ] && install=true
[ "${CI:-}" = "true" ] && install=true
say() { printf '\033[1m[postgres]\033[0m %s\n' "$*"; }
fail() {
  echo "[postgres] $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "[postgres] the PostgreSQL tests will be skipped" >&2
  exit 0
}
as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 1
  fi
}
sql() { psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -XAtq "$@"; }
has_test_db() { [ "$(sql -c "select 1 from pg_database where datname = 'test'" 2>/dev/null)" = 1 ]; }

# Fast path: up, trusted, database there.
if command -v pg_isready >/dev/null 2>&1 && pg_isready -h 127.0.0.1 -p "$port" -q \
  && has_test_db; then
  exit 0
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  $install || fail "PostgreSQL is not installed: run tools/postgres.sh --install (apt, as root)"
  say "installing PostgreSQL (apt)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq || fail "cannot run apt-get as root (sudo -n)"
  as_root apt-get install -y -qq postgresql >/dev/null
fi

# The cluster on our port (newest version first); a fresh install has `<version> main` there.
read -r version cluster < <(pg_lsclusters -h | sort -rV | awk -v p="$port" '$3 == p {print $1, $2; exit}') \
  || fail "no PostgreSQL cluster listens on port $port (pg_lsclusters)"
hba="/etc/postgresql/$version/$cluster/pg_hba.conf"

if ! pg_isready -h 127.0.0.1 -p "$port" -q; then
  say "starting PostgreSQL $version/$cluster on port $port"
  # --skip-systemctl-redirect: containers and CI runners have no systemd to redirect to.
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start \
    || pg_isready -h 127.0.0.1 -p "$port" -q \
    || fail "could not start it: run pg_ctlcluster $version $cluster start as root"
  for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p "$port" -q && break
    sleep 1
  done
  pg_isready -h 127.0.0.1 -p "$port" -q || fail "PostgreSQL did not start (see its log)"
fi

# The tests log in as postgres without a password; a fresh Debian cluster asks for one.
if ! sql -c 'select 1' >/dev/null 2>&1; then
  say "trust auth for postgres on 127.0.0.1 ($hba)"
  rule='^\(host\s\+all\s\+all\s\+127\.0\.0\.1/32\s\+\)\S\+'
  if as_root grep -q "$rule" "$hba"; then
    as_root sed -i "s|$rule|\1trust|" "$hba" || fail "cannot edit $hba as root"
  else
    as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba" || fail "cannot edit $hba as root"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" reload
  sleep 1
  sql -c 'select 1' >/dev/null || fail "postgres still cannot log in on 127.0.0.1:$port"
fi

has_test_db || { sql -c 'create database test' && say "created database test"; }
