#!/usr/bin/env bash
# Checks the admin API against its own OpenAPI 3.1 document: validates the
# document (openapi-spec-validator), then runs schemathesis (pinned in
# scripts/admin-api/requirements.txt) against a freshly started scimd for a
# bounded time. Fails on any server error, undocumented status, header or
# body, or a request outside the schema that is accepted.
#
#   scripts/admin-api.sh                    # by hand or from .ci/run
#   SCHEMATHESIS_SECONDS=30 scripts/admin-api.sh
#
# The event feed's long poll answers after up to `wait` (0-30) seconds: the
# response time limit (schemathesis' default is 10 s) and the request
# timeout are just above it.
#
# One check is left out: positive_data_acceptance (every schema-valid
# request must succeed). Opaque values a schema cannot describe fail it by
# design: a made-up cursor is 422, a stale If-Match 412.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET_DIR/admin-api-venv"
REQS="$ROOT/scripts/admin-api/requirements.txt"
SECONDS_BUDGET="${SCHEMATHESIS_SECONDS:-60}"

echo "== admin API: python environment ($VENV)"
ensure_venv "$VENV" "$REQS"

echo "== admin API: building scimd"
cargo build -p scimd ${CI:+--locked}
SCIMD="$TARGET_DIR/debug/scimd"

WORK="$(mktemp -d)"
DB="sqlite://$WORK/scimd.db"
"$SCIMD" init --database "$DB" >/dev/null
ADMIN_TOKEN="$("$SCIMD" admin-token create --name schemathesis --json --database "$DB" |
    "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["token"])')"

echo "== admin API: starting scimd on a fresh database"
# Without the per-source limit: schemathesis sends refused requests by the thousand.
SCIMD_RATE_LIMIT_PER_SOURCE=0 start_scimd "$SCIMD" "$WORK"
SPEC="http://$ADDR/admin/v1/openapi.json"

echo "== admin API: validating $SPEC"
"$VENV/bin/python" - "$SPEC" <<'PY'
import json, sys, urllib.request
from openapi_spec_validator import validate
spec = json.load(urllib.request.urlopen(sys.argv[1]))
assert spec["openapi"].startswith("3.1"), spec["openapi"]
validate(spec)
print(f"valid OpenAPI {spec['openapi']}: {len(spec['paths'])} paths")
PY

echo "== admin API: schemathesis for ${SECONDS_BUDGET}s"
status=0
"$VENV/bin/schemathesis" run "$SPEC" -H "Authorization: Bearer $ADMIN_TOKEN" \
    --checks all --exclude-checks positive_data_acceptance \
    --max-time "$SECONDS_BUDGET" --max-examples 50 --max-response-time 31 --request-timeout 35 --warnings off || status=$?
if [[ $status -ne 0 ]]; then
    echo "-- scimd log (last 50 lines)"
    tail -n 50 "$WORK/stderr" || true
fi
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "scimd died during the schemathesis run" >&2
    status=1
fi
exit $status
