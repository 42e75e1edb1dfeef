#!/usr/bin/env bash
# The test suite, on both backends: the README's test command.
#
#   scripts/test.sh            # everything
#   scripts/test.sh NAME       # passes its arguments to the test binaries (a filter)
#
# 1. `cargo test --workspace`: unit and property tests, the storage contract
#    on SQLite and PostgreSQL, the HTTP and IdP-replay suites on SQLite;
# 2. the HTTP and IdP-replay suites again on PostgreSQL
#    (SCIMD_TEST_BACKEND=postgres: each test gets a fresh schema).
# PostgreSQL is started (and installed, as root on Debian) by
# scripts/postgres.sh; SCIMD_TEST_POSTGRES_URL names another server. The
# browser tests of the web admin need Debian's Chromium and ChromeDriver,
# installed (as root) by scripts/chromium.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCIMD_TEST_POSTGRES_URL="$(scripts/postgres.sh)"
export SCIMD_TEST_POSTGRES_URL
# The web admin's browser tests drive Debian's Chromium.
scripts/chromium.sh

echo "== tests: the workspace (storage contract on SQLite and PostgreSQL; HTTP on SQLite)"
cargo test --workspace --locked -- "$@"

echo "== tests: the HTTP and IdP-replay suites on PostgreSQL"
# (The several-node and outage tests ran on PostgreSQL in the first pass
# already; the browser tests show pages, the same on either backend.)
SCIMD_TEST_BACKEND=postgres cargo test -p scimd --locked --test api --test idp -- --skip nodes:: --skip outage:: --skip ui:: "$@"
