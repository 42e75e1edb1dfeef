#!/usr/bin/env bash
# Runs the third-party scim2-tester (pinned in scripts/conformance/requirements.txt)
# against a freshly started scimd with an empty database: SQLite, or
# PostgreSQL with BACKEND=postgres (a fresh schema, see scripts/lib.sh).
#
#   scripts/conformance.sh            # by hand or from .ci/run
#   BACKEND=postgres scripts/conformance.sh
#   MIN_CHECKS=N scripts/conformance.sh
#
# Fails on any ERROR/CRITICAL check, and when fewer than MIN_CHECKS checks ran:
# scim2-tester silently skips the resource checks when discovery is wrong.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET_DIR/conformance-venv"
REQS="$ROOT/scripts/conformance/requirements.txt"
# The first full run (scimd of 2026-11-23, scim2-tester 0.5.2) executed 135 checks.
MIN_CHECKS="${MIN_CHECKS:-130}"

echo "== conformance: python environment ($VENV)"
ensure_venv "$VENV" "$REQS"

echo "== conformance: building scimd"
cargo build -p scimd ${CI:+--locked}
SCIMD="$TARGET_DIR/debug/scimd"

WORK="$(mktemp -d)"
echo "== conformance: starting scimd on a fresh database"
start_scimd "$SCIMD" "$WORK"
TOKEN="$(sed -n 's#^SCIM token: ##p' "$WORK/stdout" | head -n1 | tr -d '\r')"
# The tenant path comes from the first-run line; the origin from where it really listens.
TENANT_PATH="$(sed -n 's#^SCIM base URL: https\{0,1\}://[^/]*##p' "$WORK/stdout" | head -n1 | tr -d '\r')"
if [[ -z "$TOKEN" || -z "$TENANT_PATH" ]]; then
    echo "scimd printed no first-run URL/token:" >&2
    cat "$WORK/stdout" >&2
    exit 1
fi
URL="http://$ADDR$TENANT_PATH"
echo "scimd at $URL (pid $SERVER_PID)"

echo "== conformance: scim2-tester $(grep -o 'scim2-tester[^=]*==[^ ]*' "$REQS")"
status=0
"$VENV/bin/python" "$ROOT/scripts/conformance/run.py" --url "$URL" --token "$TOKEN" --min-checks "$MIN_CHECKS" || status=$?
if [[ $status -ne 0 ]]; then
    echo "-- scimd log (last 50 lines)"
    tail -n 50 "$WORK/stderr" || true
fi
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "scimd died during the conformance run" >&2
    status=1
fi
exit $status
